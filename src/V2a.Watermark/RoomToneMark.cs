using System.Collections.Concurrent;
using NWaves.Transforms;
using V2a.Audio;

namespace V2a.Watermark;

/// <summary>
/// The second layer of v2a's mark, on its own output only: the room tone <c>v2a generate</c> lays under every soundtrack
/// (<see cref="RoomTone"/>, −68 dBFS) is driven by a keyed periodic sequence of ±1 chips instead of Gaussian noise. It
/// sounds the same; a detector that knows the key correlates what it hears with the chips over every offset in the
/// period (<see cref="RoomToneSearch"/>). The first layer (the see-saw pairs) is shaped by the audio and rides on its
/// sounds; this one is a fixed, known waveform and is found by its length — under white noise or another track that
/// bury a quiet room tone by 25 dB, 8 s of it still correlate far above chance. Design and figures: docs/watermark.md.
/// </summary>
public static class RoomToneMark
{
    /// <summary>Chips in one period of the sequence (2¹⁷: 8.2 s at 16 kHz). The detector searches every offset in it.</summary>
    public const int Period = 1 << 17;

    private static readonly ConcurrentDictionary<string, (sbyte[] Chips, float[] Re, float[] Im)> Cache = new();

    /// <summary>The key's chip sequence, one period (<see cref="Period"/> values of ±1).</summary>
    public static sbyte[] Chips(WatermarkKey key) => Get(key).Chips;

    /// <summary>The room tone of a watermarked soundtrack, at <paramref name="rmsDbfs"/>, keyed by <paramref name="key"/>.</summary>
    public static RoomTone Tone(WatermarkKey key, double rmsDbfs = RoomTone.DefaultLevelDbfs) => new(rmsDbfs, Chips(key));

    /// <summary>The chips and their spectrum (Period-point FFT), built once per key.</summary>
    internal static (sbyte[] Chips, float[] Re, float[] Im) Get(WatermarkKey key) =>
        Cache.GetOrAdd(key.Fingerprint + (key.IsPublic ? "p" : "s"), _ =>
        {
            var stream = key.Stream("v2a room tone chips 1");
            var chips = new sbyte[Period];
            for (var i = 0; i < Period; i += 64)
            {
                var bits = stream.NextUInt64();
                for (var b = 0; b < 64; b++)
                {
                    chips[i + b] = ((bits >> b) & 1) == 0 ? (sbyte)1 : (sbyte)-1;
                }
            }

            var re = new float[(Period / 2) + 1];
            var im = new float[(Period / 2) + 1];
            new RealFft(Period).Direct(chips.Select(c => (float)c).ToArray(), re, im);
            return (chips, re, im);
        });
}

/// <summary>
/// Streaming search for the keyed room tone (<see cref="RoomToneMark"/>) in memory that does not grow with the input.
/// Each block of <see cref="Block"/> samples is filtered by conj(H) / P: H the room tone's shaping filter, P the block's
/// own power spectrum smoothed over ±<see cref="SmoothBins"/> bins — the matched filter for a known waveform under
/// interference of that spectrum, so a loud sound or a band full of added noise counts for little and the quiet
/// stretches and bands where the room tone stands alone count for much; the gain of the input cancels. The filtered
/// samples are folded modulo the period (F[k] = Σ z[n], n ≡ k), and at the end the fold is correlated with the chips at
/// every offset d: z(d) = Σ_k F[k]·w[(k + d) mod period] / √Σ F². Given the audio, F is fixed and the chips are
/// independent fair ±1 draws, so by Hoeffding's inequality P(|z(d)| ≥ t) ≤ 2·e^(−t²/2) for each d whatever the audio —
/// the null law the decision uses (Bonferroni over the period's offsets).
/// </summary>
internal sealed class RoomToneSearch
{
    /// <summary>Samples per whitening block (256 ms at 16 kHz); divides the period.</summary>
    public const int Block = 4096;

    /// <summary>Half-width, in bins of the block's FFT (3.9 Hz each at 16 kHz), of the smoothing of its power spectrum.</summary>
    public const int SmoothBins = 16;

    /// <summary>Blocks per window when locating the mark (3.1 s), and the window score a range needs (1e-4 per window).</summary>
    public const int RangeBlocks = 12;

    /// <summary>The fold's score at the last epoch's offset that lets the next epoch keep it without a search (the threshold).</summary>
    private const double EpochKeepScore = 7.44;

    /// <summary>ε: a band counts as emptied where its power is this far (−40 dB) under the room tone's level as heard. Higher
    /// caps cost where they should not: under another track, the bands it leaves quiet hold the tone 20–40 dB under the
    /// block's median band (one soundtrack under another at −6 dB: score 17 at −40 dB, 7 at −20 dB, 5 at 0 dB).</summary>
    private const double EmptiedBand = 1e-4;

    private const double RangeThreshold = 3.72;
    private const double TrimScore = 2; // a block without the tone scores this much by chance with probability 0.023
    private const int Bins = (Block / 2) + 1;
    private const int Period = RoomToneMark.Period;
    private const int EpochBlocks = Period / Block;

    private readonly sbyte[] _chips;
    private readonly float[] _chipRe;
    private readonly float[] _chipIm;
    private readonly float[] _gRe = new float[Bins]; // conj(H), per bin of a block
    private readonly float[] _gIm = new float[Bins];
    private readonly RealFft _fft = new(Block);
    private readonly float[] _buffer = new float[Block];
    private readonly float[] _re = new float[Bins];
    private readonly float[] _im = new float[Bins];
    private readonly double[] _power = new double[Bins + 1];
    private readonly double[] _hPower = new double[Bins]; // |H|² per bin
    private readonly double[] _ratio = new double[Bins];
    private readonly double[] _scratch = new double[Bins];
    private double _toneFloor = double.PositiveInfinity; // the quietest block's median of P / |H|² so far: the room tone's level as heard
    private readonly float[] _z = new float[Block];
    private readonly double[] _fold = new double[Period];
    private readonly float[] _epoch = new float[Period]; // this epoch's filtered samples, for the ranges
    private readonly List<(int Offset, double C, double E)> _blockScores = [];
    private int? _epochOffset;
    private int _filled;
    private long _blocks;
    private bool _finished;

    public RoomToneSearch(WatermarkKey key)
    {
        (_chips, _chipRe, _chipIm) = RoomToneMark.Get(key);
        for (var k = 0; k < Bins; k++)
        {
            var h = RoomTone.Response((double)k / Block);
            _gRe[k] = (float)h.Real;
            _gIm[k] = (float)-h.Imaginary;
            _hPower[k] = (h.Real * h.Real) + (h.Imaginary * h.Imaginary);
        }
    }

    /// <summary>Best |z| over the period's offsets (set by <see cref="Finish"/>).</summary>
    public double Score { get; private set; }

    /// <summary>The chip offset of the best score: input sample n carries chip (n + offset) mod period.</summary>
    public int Offset { get; private set; }

    /// <summary>Offsets searched: the period's.</summary>
    public static int Hypotheses => Period;

    public void Add(ReadOnlySpan<float> samples)
    {
        while (!samples.IsEmpty)
        {
            var take = Math.Min(samples.Length, Block - _filled);
            samples[..take].CopyTo(_buffer.AsSpan(_filled));
            _filled += take;
            samples = samples[take..];
            if (_filled == Block)
            {
                Whiten();
            }
        }
    }

    public void Finish()
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        if (_filled > 0)
        {
            Array.Clear(_buffer, _filled, Block - _filled);
            Whiten();
        }

        (Offset, Score) = Best();
        if (_blocks > 0)
        {
            // The last epoch (complete or not) is scored again at the final offset.
            var last = (int)(((_blocks - 1) % EpochBlocks) + 1);
            var before = (int)(_blocks - last);
            _blockScores.RemoveRange(before, _blockScores.Count - before);
            ScoreEpoch(last, Offset);
        }
    }

    /// <summary>z of the fold so far at one fixed offset, no search: the statistic whose null law is unit variance.</summary>
    public double ScoreAt(int offset)
    {
        var (c, e) = (0.0, 0.0);
        for (var k = 0; k < Period; k++)
        {
            c += _fold[k] * _chips[(k + offset) % Period];
            e += _fold[k] * _fold[k];
        }

        return e > 0 ? c / Math.Sqrt(e) : 0;
    }

    /// <summary>ln of the probability that unmarked audio scores at least <see cref="Score"/> at some offset (Hoeffding, two-sided, Bonferroni).</summary>
    public double LogP => Math.Min(0, Math.Log(2.0 * Period) - (Score * Score / 2));

    /// <summary>Where the room tone was found at <see cref="Offset"/>: runs of <see cref="RangeBlocks"/>-block windows whose
    /// own score passes 3.72 (their middle half), merged, each losing end blocks whose own score is under 2. Blocks of an earlier 8.2 s stretch
    /// were scored at the offset best at its end; where that was not the final one they are left out.</summary>
    public IReadOnlyList<MarkedRange> Ranges(double durationSeconds, int sampleRate)
    {
        var n = _blockScores.Count;
        var keep = new bool[n];
        var w = Math.Min(RangeBlocks, n);
        for (var start = 0; start + w <= n; start++)
        {
            // A passing window marks its middle blocks (all of it at the input's ends), so a range overruns the tone by
            // at most half a window before the trim.
            var (c, e) = (0.0, 0.0);
            var valid = true;
            for (var b = start; b < start + w && valid; b++)
            {
                valid = _blockScores[b].Offset == Offset;
                c += _blockScores[b].C;
                e += _blockScores[b].E;
            }

            if (valid && e > 0 && Math.Abs(c) / Math.Sqrt(e) >= RangeThreshold)
            {
                var from = start == 0 ? 0 : start + (w / 4);
                var to = start + w == n ? n : start + w - (w / 4);
                Array.Fill(keep, true, from, to - from);
            }
        }

        var ranges = new List<MarkedRange>();
        var sign = Math.Sign(_blockScores.Where(b => b.Offset == Offset).Sum(b => b.C));
        for (var b = 0; b < n; b++)
        {
            if (!keep[b])
            {
                continue;
            }

            var end = b;
            while (end + 1 < n && keep[end + 1])
            {
                end++;
            }

            var (first, last) = (b, end);
            while (first < last && Own(first) < TrimScore)
            {
                first++;
            }

            while (last > first && Own(last) < TrimScore)
            {
                last--;
            }

            var (cs, es) = (0.0, 0.0);
            for (var k = first; k <= last; k++)
            {
                cs += _blockScores[k].C;
                es += _blockScores[k].E;
            }

            ranges.Add(new MarkedRange((double)first * Block / sampleRate, Math.Min(durationSeconds, (double)(last + 1) * Block / sampleRate),
                es > 0 ? Math.Abs(cs) / Math.Sqrt(es) : 0));
            b = end;
        }

        return ranges;

        double Own(int b) => _blockScores[b].E > 0 ? sign * _blockScores[b].C / Math.Sqrt(_blockScores[b].E) : 0;
    }

    private void Whiten()
    {
        _fft.Direct(_buffer, _re, _im);
        _power[0] = 0;
        for (var k = 0; k < Bins; k++)
        {
            _power[k + 1] = _power[k] + ((double)_re[k] * _re[k]) + ((double)_im[k] * _im[k]);
        }

        var total = _power[Bins];
        var floor = (total / Bins * 1e-9) + 1e-30; // digital silence: no weight, no division by zero
        for (var k = 0; k < Bins; k++)
        {
            var lo = Math.Max(0, k - SmoothBins);
            var hi = Math.Min(Bins - 1, k + SmoothBins);
            _ratio[k] = (_power[hi + 1] - _power[lo]) / (hi - lo + 1) / _hPower[k];
        }

        if (!_finished && total > 0)
        {
            // The room tone's level as heard: the quietest block so far, by its median over bins (a band the channel
            // removed, or one loud sound, does not move a median).
            _ratio.CopyTo(_scratch, 0);
            _toneFloor = Math.Min(_toneFloor, Select(_scratch, Bins / 2));
        }

        var cap = double.IsFinite(_toneFloor) ? EmptiedBand * _toneFloor : 0;
        for (var k = 0; k < Bins; k++)
        {
            // conj(H) / (P + ε·floor·|H|²): the matched filter for the tone under whatever else sounds in the block; where a
            // band is far quieter than the tone heard elsewhere (one a low-pass or a codec emptied) the weight stops growing,
            // so that band's leftovers (rounding noise) count for little instead of swamping the rest.
            var p = ((_ratio[k] + cap) * _hPower[k]) + floor;
            var (yr, yi) = (_re[k], _im[k]);
            _re[k] = (float)(((yr * _gRe[k]) - (yi * _gIm[k])) / p);
            _im[k] = (float)(((yr * _gIm[k]) + (yi * _gRe[k])) / p);
        }

        _fft.Inverse(_re, _im, _z);
        var start = (int)(_blocks * Block % Period);
        for (var i = 0; i < Block; i++)
        {
            _fold[start + i] += _z[i];
            _epoch[start + i] = _z[i];
        }

        _filled = 0;
        _blocks++;
        if (_blocks % EpochBlocks == 0 && !_finished)
        {
            // An epoch (one period of input) is complete: score its blocks at the offset best so far — the last epoch's
            // when the fold already passes the threshold there (only the true offset gets that far but with probability
            // α), else found again by the FFT search.
            _epochOffset = _epochOffset is { } last && Math.Abs(ScoreAt(last)) >= EpochKeepScore ? last : Best().Offset;
            ScoreEpoch(EpochBlocks, _epochOffset.Value);
        }
    }

    /// <summary>The k-th smallest of <paramref name="v"/> (reordering it): Hoare's selection, linear on average.</summary>
    internal static double Select(double[] v, int k)
    {
        var (lo, hi) = (0, v.Length - 1);
        while (lo < hi)
        {
            var pivot = v[(lo + hi) >>> 1];
            var (i, j) = (lo, hi);
            while (i <= j)
            {
                while (v[i] < pivot)
                {
                    i++;
                }

                while (v[j] > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (v[i], v[j]) = (v[j], v[i]);
                    i++;
                    j--;
                }
            }

            if (k <= j)
            {
                hi = j;
            }
            else if (k >= i)
            {
                lo = i;
            }
            else
            {
                return v[k];
            }
        }

        return v[k];
    }

    /// <summary>Per-block correlation and energy of the current epoch's first <paramref name="count"/> blocks at <paramref name="offset"/>.</summary>
    private void ScoreEpoch(int count, int offset)
    {
        for (var b = 0; b < count; b++)
        {
            var (c, e) = (0.0, 0.0);
            for (var i = b * Block; i < (b + 1) * Block; i++)
            {
                c += _epoch[i] * _chips[(i + offset) % Period];
                e += (double)_epoch[i] * _epoch[i];
            }

            _blockScores.Add((offset, c, e));
        }
    }

    /// <summary>The fold's correlation with the chips at every offset (one FFT each way): the best |z| and its offset.</summary>
    private (int Offset, double Score) Best()
    {
        var energy = _fold.Sum(v => v * v);
        if (!(energy > 0))
        {
            return (0, 0);
        }

        var fft = BigFft;
        var f = new float[Period];
        for (var i = 0; i < Period; i++)
        {
            f[i] = (float)_fold[i];
        }

        var re = new float[(Period / 2) + 1];
        var im = new float[(Period / 2) + 1];
        fft.Direct(f, re, im);
        for (var k = 0; k < re.Length; k++)
        {
            // conj(F̂)·Ŵ: the cross-correlation Σ_k F[k]·w[k + d].
            var (fr, fi) = (re[k], im[k]);
            re[k] = (fr * _chipRe[k]) + (fi * _chipIm[k]);
            im[k] = (fr * _chipIm[k]) - (fi * _chipRe[k]);
        }

        fft.Inverse(re, im, f);
        var (best, at) = (0.0, 0);
        for (var d = 0; d < Period; d++)
        {
            var v = Math.Abs(f[d]);
            if (v > best)
            {
                (best, at) = (v, d);
            }
        }

        return (at, best / Period / Math.Sqrt(energy));
    }

    private static RealFft BigFft => _bigFft ??= new RealFft(Period);

    [ThreadStatic]
    private static RealFft? _bigFft;
}
