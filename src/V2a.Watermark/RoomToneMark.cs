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

    /// <summary>Share of the period's positions that are pilot chips (the same in every output of a key: what detection
    /// correlates with); the rest carry the coded payload bits, as the see-saw mark's sync and payload slots do.</summary>
    public const double PilotShare = 0.65;

    /// <summary>A position's role: <see cref="Pilot"/>, or the index of the coded payload bit it carries.</summary>
    internal const short Pilot = -1;

    private static readonly ConcurrentDictionary<string, KeyPattern> Cache = new();

    /// <summary>The sequence of one period (<see cref="Period"/> values of ±1) for <paramref name="payload"/>: the key's
    /// chips, on payload positions times +1 for a coded 1 and −1 for a coded 0 (<see cref="PayloadCode"/>).</summary>
    public static sbyte[] Chips(WatermarkKey key, WatermarkPayload payload)
    {
        var pattern = Get(key);
        var coded = PayloadCode.Encode(payload);
        var chips = new sbyte[Period];
        for (var n = 0; n < Period; n++)
        {
            var role = pattern.Roles[n];
            chips[n] = role == Pilot || coded[role] == 1 ? pattern.Chips[n] : (sbyte)-pattern.Chips[n];
        }

        return chips;
    }

    /// <summary>The room tone of a watermarked soundtrack, at <paramref name="rmsDbfs"/>, keyed by <paramref name="key"/> and
    /// carrying <paramref name="payload"/>.</summary>
    public static RoomTone Tone(WatermarkKey key, WatermarkPayload payload, double rmsDbfs = RoomTone.DefaultLevelDbfs) =>
        new(rmsDbfs, Chips(key, payload));

    /// <summary>The key's chips and roles, and the spectra the detector correlates with, built once per key.</summary>
    internal static KeyPattern Get(WatermarkKey key) =>
        Cache.GetOrAdd(key.Fingerprint + (key.IsPublic ? "p" : "s"), _ =>
        {
            var chipStream = key.Stream("v2a room tone chips 1");
            var roleStream = key.Stream("v2a room tone roles 1");
            var chips = new sbyte[Period];
            var roles = new short[Period];
            var pilotLimit = (ulong)(PilotShare * 65536);
            var data = 0;
            for (var i = 0; i < Period; i += 64)
            {
                var bits = chipStream.NextUInt64();
                for (var b = 0; b < 64; b++)
                {
                    chips[i + b] = ((bits >> b) & 1) == 0 ? (sbyte)1 : (sbyte)-1;
                }

                for (var q = 0; q < 64; q += 4)
                {
                    var draws = roleStream.NextUInt64();
                    for (var r = 0; r < 4; r++)
                    {
                        // Pilot with probability 0.65; payload positions take the coded bits in turn, so every stretch of
                        // the period holds every bit.
                        roles[i + q + r] = ((draws >> (16 * r)) & 0xFFFF) < pilotLimit ? Pilot : (short)(data++ % PayloadCode.CodedBits);
                    }
                }
            }

            var pilot = new float[Period];
            var mask = new float[Period];
            for (var n = 0; n < Period; n++)
            {
                (pilot[n], mask[n]) = roles[n] == Pilot ? (chips[n], 1f) : (0f, 0f);
            }

            var fft = new RealFft(Period);
            var (pilotRe, pilotIm, maskRe, maskIm) = (new float[(Period / 2) + 1], new float[(Period / 2) + 1], new float[(Period / 2) + 1], new float[(Period / 2) + 1]);
            fft.Direct(pilot, pilotRe, pilotIm);
            fft.Direct(mask, maskRe, maskIm);
            return new KeyPattern(chips, roles, pilotRe, pilotIm, maskRe, maskIm);
        });

    /// <summary>A key's chips and roles, with the spectra (Period-point FFTs) of its pilot chips and of the pilot mask.</summary>
    internal sealed record KeyPattern(sbyte[] Chips, short[] Roles, float[] PilotRe, float[] PilotIm, float[] MaskRe, float[] MaskIm);
}

/// <summary>
/// Streaming search for the keyed room tone (<see cref="RoomToneMark"/>) in memory that does not grow with the input.
/// Each block of <see cref="Block"/> samples is filtered by conj(H) / (P + ε·T·|H|²): H the room tone's shaping filter, P
/// the block's own power spectrum smoothed over ±<see cref="SmoothBins"/> bins, T the tone's level as heard — the matched
/// filter for a known waveform under interference of that spectrum, so a loud sound or a band full of added noise counts
/// for little and the quiet stretches and bands where the room tone stands alone count for much; the gain of the input
/// cancels. ε takes two values (<see cref="EmptiedBands"/>), two searches side by side: a band far quieter than the tone
/// can be one that another track leaves quiet (where the tone stands alone: weigh it fully) or one a low-pass emptied
/// (where only the leftovers of loud sounds remain: weigh it no more than the tone's own level). The filtered samples are
/// folded modulo the period (F[k] = Σ z[n], n ≡ k), and at the end each fold is correlated with the pilot chips p at
/// every offset d: z(d) = Σ_k F[k]·p[(k + d) mod period] / √(Σ_k F[k]²·m[(k + d) mod period]), m the pilot mask. Given
/// the audio, F is fixed and the pilot chips are independent fair ±1 draws, so by Hoeffding's inequality
/// P(|z(d)| ≥ t) ≤ 2·e^(−t²/2) for each d whatever the audio — the null law the decision uses (Bonferroni over the
/// period's offsets and the two filters). At the best offset the payload chips give the coded bits' soft values.
/// </summary>
internal sealed class RoomToneSearch
{
    /// <summary>Samples per whitening block (256 ms at 16 kHz); divides the period.</summary>
    public const int Block = 4096;

    /// <summary>Half-width, in bins of the block's FFT (3.9 Hz each at 16 kHz), of the smoothing of its power spectrum.</summary>
    public const int SmoothBins = 16;

    /// <summary>Blocks per window when locating the mark (3.1 s), and the window score a range needs (1e-4 per window).</summary>
    public const int RangeBlocks = 12;

    /// <summary>
    /// The two values of ε, one search each. 1e-4: a band counts as emptied only 40 dB under the room tone's level as heard
    /// — under another track, the bands it leaves quiet hold the tone 20–40 dB under the block's median band and must keep
    /// their weight (one soundtrack under another at −6 dB: score 17 at 1e-4, 7 at 1e-2, 5 at 1). 1: no band weighs more
    /// than one holding the tone alone — after a brick-wall low-pass the stopband holds the loud sounds' leftovers 75 dB
    /// down, alternating in sign lobe to lobe, which at 1e-4 outweigh the tone in the passband (40 of v2a's soundtracks
    /// low-passed at 4 kHz: 1 found at 1e-4, 31 at 1; under another soundtrack 31 at 1e-4, 24 at 1).
    /// </summary>
    public static readonly double[] EmptiedBands = [1e-4, 1];

    /// <summary>The fold's score at the last epoch's offset that lets the next epoch keep it without a search: the threshold
    /// at the default false-positive target's share.</summary>
    private static readonly double EpochKeepScore = Threshold(WatermarkSettings.Default.FalsePositiveTarget / 4);

    private const double RangeThreshold = 3.72;
    private const double TrimScore = 2; // a block without the tone scores this much by chance with probability 0.023
    private const int Bins = (Block / 2) + 1;
    private const int Period = RoomToneMark.Period;
    private const int EpochBlocks = Period / Block;

    private readonly RoomToneMark.KeyPattern _pattern;
    private readonly float[] _gRe = new float[Bins]; // conj(H), per bin of a block
    private readonly float[] _gIm = new float[Bins];
    private readonly RealFft _fft = new(Block);
    private readonly float[] _buffer = new float[Block];
    private readonly float[] _re = new float[Bins];
    private readonly float[] _im = new float[Bins];
    private readonly float[] _wRe = new float[Bins];
    private readonly float[] _wIm = new float[Bins];
    private readonly double[] _power = new double[Bins + 1];
    private readonly double[] _hPower = new double[Bins]; // |H|² per bin
    private readonly double[] _ratio = new double[Bins];
    private readonly double[] _scratch = new double[Bins];
    private double _toneFloor = double.PositiveInfinity; // the quietest block's median of P / |H|² so far: the room tone's level as heard
    private readonly float[] _z = new float[Block];
    private readonly Lane[] _lanes;
    private readonly int _hop;
    private Lane _best;
    private int _filled;
    private long _blocks;
    private bool _finished;

    /// <param name="key">The key whose room tone is searched for.</param>
    /// <param name="hop">The see-saw mark's frame hop in samples (<see cref="WatermarkSettings.Hop"/>), for <see cref="BestPerGridFrame"/>.</param>
    public RoomToneSearch(WatermarkKey key, int hop = 256)
    {
        if (Period % hop != 0)
        {
            throw new ArgumentException("the see-saw mark's hop must divide the room tone's period", nameof(hop));
        }

        _hop = hop;
        _pattern = RoomToneMark.Get(key);
        for (var k = 0; k < Bins; k++)
        {
            var h = RoomTone.Response((double)k / Block);
            _gRe[k] = (float)h.Real;
            _gIm[k] = (float)-h.Imaginary;
            _hPower[k] = (h.Real * h.Real) + (h.Imaginary * h.Imaginary);
        }

        _lanes = [.. EmptiedBands.Select(e => new Lane(this, e))];
        _best = _lanes[0];
    }

    /// <summary>Searches side by side, one per <see cref="EmptiedBands"/> value: the Bonferroni count's factor.</summary>
    public static int Searches => EmptiedBands.Length;

    /// <summary>Best |z| over the period's offsets and the searches (set by <see cref="Finish"/>).</summary>
    public double Score => _best.Score;

    /// <summary>The chip offset of the best score: input sample n carries chip (n + offset) mod period.</summary>
    public int Offset => _best.Offset;

    /// <summary>The search (index into <see cref="EmptiedBands"/>) that gave the best score.</summary>
    public int BestSearch => Array.IndexOf(_lanes, _best);

    /// <summary>The payload read from the payload chips at <see cref="Offset"/> when its CRC checks (after <see cref="Finish"/>;
    /// only worth asking where <see cref="Score"/> passes, so that the offset is the true one).</summary>
    public WatermarkPayload? ReadPayload() => Score > 0 ? PayloadCode.Decode(_best.SoftBits(Offset, _best.Sign)) : null;

    /// <summary>Per frame of the see-saw mark's grid (<see cref="GridFrame"/>, <see cref="GridFrames"/> of them), the best
    /// |z| among the offsets that put the input's first sample on that frame, over both searches: that offset, its sign and
    /// the search (set by <see cref="Finish"/>).</summary>
    public IReadOnlyList<(double Score, int Offset, int Sign, int Search)> BestPerGridFrame { get; private set; } = [];

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

        var perFrame = new (double Score, int Offset, int Sign, int Search)[GridFrames(_hop)];
        for (var l = 0; l < _lanes.Length; l++)
        {
            var lane = _lanes[l];
            (lane.Offset, lane.Score, lane.Sign) = lane.Best((d, z) =>
            {
                ref var best = ref perFrame[GridFrame(d, _hop)];
                if (Math.Abs(z) > best.Score)
                {
                    best = (Math.Abs(z), d, Math.Sign(z), l);
                }
            });
            if (lane.Score > _best.Score)
            {
                _best = lane;
            }

            if (_blocks > 0)
            {
                // The last epoch (complete or not) is scored again at the final offset.
                var last = (int)(((_blocks - 1) % EpochBlocks) + 1);
                lane.RescoreLastEpoch(last, _blocks);
            }
        }

        BestPerGridFrame = perFrame;
    }

    /// <summary>z of one search's fold so far at one fixed offset over the pilot chips, no search: the statistic whose null
    /// law is unit variance.</summary>
    public double ScoreAt(int offset, int search = 0) => _lanes[search].ScoreAt(offset);

    /// <summary>The coded bits' soft values in one search's fold at <paramref name="offset"/>: Σ sign·F[k]·chip over each
    /// bit's payload chips.</summary>
    public double[] SoftBits(int offset, int sign, int search) => _lanes[search].SoftBits(offset, sign);

    /// <summary>What a soft value of <see cref="SoftBits"/> is worth as a log-likelihood ratio per unit (up to a factor 2
    /// common to every layer): a/σ² of the fold F[k] = a·chip + noise, estimated on the pilot chips as sign·Σ F·p / Σ F²
    /// (0 where that is negative). The see-saw's <see cref="AlignmentSearch.SoftWeight"/> is the same quantity for its slots,
    /// so the two layers' soft bits add.</summary>
    public double SoftWeight(int offset, int sign, int search) => _lanes[search].SoftWeight(offset, sign);

    /// <summary>The frame of the see-saw mark's grid that the input's first sample is on, given the room tone's offset
    /// (<c>v2a generate</c> starts both layers at its output's first sample, so sample n of the input is sample n + offset
    /// of the output, modulo the period): the offset in frames of <paramref name="hop"/> samples, rounded, modulo the
    /// period's <see cref="GridFrames"/>.</summary>
    public static int GridFrame(int offset, int hop) => (int)Math.Round((double)offset / hop) % (Period / hop);

    /// <summary>See-saw grid frames in one room-tone period.</summary>
    public static int GridFrames(int hop) => Period / hop;

    /// <summary>The score at which the best of the period's offsets in either search has false-positive probability
    /// <paramref name="alpha"/> (Hoeffding, two-sided, Bonferroni): 7.53 at 2.5e-7.</summary>
    public static double Threshold(double alpha) => Math.Sqrt(2 * Math.Log(2.0 * Searches * Period / alpha));

    /// <summary>ln of the probability that unmarked audio scores at least <see cref="Score"/> at some offset in either search
    /// (Hoeffding, two-sided, Bonferroni).</summary>
    public double LogP => Math.Min(0, Math.Log(2.0 * Searches * Period) - (Score * Score / 2));

    /// <summary>Where the room tone was found at <see cref="Offset"/> (in the best search): runs of <see cref="RangeBlocks"/>-block
    /// windows whose own score passes 3.72 (their middle half), merged, each losing end blocks whose own score is under 2.
    /// Blocks of an earlier 8.2 s stretch were scored at the offset best at its end; where that was not the final one they
    /// are left out.</summary>
    public IReadOnlyList<MarkedRange> Ranges(double durationSeconds, int sampleRate) => _best.Ranges(durationSeconds, sampleRate);

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

        var start = (int)(_blocks * Block % Period);
        _blocks++;
        foreach (var lane in _lanes)
        {
            var cap = double.IsFinite(_toneFloor) ? lane.EmptiedBand * _toneFloor : 0;
            for (var k = 0; k < Bins; k++)
            {
                // conj(H) / (P + ε·floor·|H|²): the matched filter for the tone under whatever else sounds in the block; where
                // a band is far quieter than the tone heard elsewhere the weight stops growing.
                var p = ((_ratio[k] + cap) * _hPower[k]) + floor;
                var (yr, yi) = (_re[k], _im[k]);
                _wRe[k] = (float)(((yr * _gRe[k]) - (yi * _gIm[k])) / p);
                _wIm[k] = (float)(((yr * _gIm[k]) + (yi * _gRe[k])) / p);
            }

            _fft.Inverse(_wRe, _wIm, _z);
            lane.Fold(_z, start);
            if (_blocks % EpochBlocks == 0 && !_finished)
            {
                lane.EndEpoch(_blocks / EpochBlocks);
            }
        }

        _filled = 0;
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

    private static RealFft BigFft => _bigFft ??= new RealFft(Period);

    [ThreadStatic]
    private static RealFft? _bigFft;

    /// <summary>One search: the input filtered with one value of ε, folded, and what was found in it.</summary>
    private sealed class Lane(RoomToneSearch owner, double emptiedBand)
    {
        private readonly RoomToneMark.KeyPattern _pattern = owner._pattern;
        private readonly double[] _fold = new double[Period];
        private readonly float[] _epoch = new float[Period]; // this epoch's filtered samples, for the ranges
        private readonly List<(int Offset, double C, double E)> _blockScores = [];
        private int? _epochOffset;

        public double EmptiedBand { get; } = emptiedBand;

        public double Score { get; set; }

        public int Offset { get; set; }

        /// <summary>Of the best correlation: −1 when the input's polarity is inverted.</summary>
        public int Sign { get; set; } = 1;

        public void Fold(float[] z, int start)
        {
            for (var i = 0; i < Block; i++)
            {
                _fold[start + i] += z[i];
                _epoch[start + i] = z[i];
            }
        }

        /// <summary>
        /// An epoch (one period of input) is complete: score its blocks at the offset best so far — the last epoch's when
        /// the fold already passes the threshold there (only the true offset gets that far but with probability α), else
        /// found again by the FFT search, after epochs 1, 2, 4, 8, … only (so an hour of unmarked audio costs 9 searches,
        /// not 440; blocks scored at a stale offset are left out of the ranges if it was not the final one).
        /// </summary>
        public void EndEpoch(long epoch)
        {
            var keep = _epochOffset is { } last && (Math.Abs(ScoreAt(last)) >= EpochKeepScore || (epoch & (epoch - 1)) != 0);
            _epochOffset = keep ? _epochOffset!.Value : Best().Offset;
            ScoreEpoch(EpochBlocks, _epochOffset.Value);
        }

        /// <summary>Drops the scores of the last <paramref name="count"/> blocks (of <paramref name="blocks"/>) and scores them at the final offset.</summary>
        public void RescoreLastEpoch(int count, long blocks)
        {
            var before = (int)(blocks - count);
            _blockScores.RemoveRange(before, _blockScores.Count - before);
            ScoreEpoch(count, Offset);
        }

        public double ScoreAt(int offset)
        {
            var (c, e) = Correlate(offset);
            return e > 0 ? c / Math.Sqrt(e) : 0;
        }

        public double SoftWeight(int offset, int sign)
        {
            var (c, e) = Correlate(offset);
            return e > 0 ? Math.Max(0, sign * c / e) : 0;
        }

        public double[] SoftBits(int offset, int sign)
        {
            var soft = new double[PayloadCode.CodedBits];
            for (var k = 0; k < Period; k++)
            {
                var n = (k + offset) % Period;
                if (_pattern.Roles[n] is var role and not RoomToneMark.Pilot)
                {
                    soft[role] += sign * _fold[k] * _pattern.Chips[n];
                }
            }

            return soft;
        }

        /// <summary>Σ F·p and Σ F² over the pilot chips at <paramref name="offset"/>.</summary>
        private (double C, double E) Correlate(int offset)
        {
            var (c, e) = (0.0, 0.0);
            for (var k = 0; k < Period; k++)
            {
                var n = (k + offset) % Period;
                if (_pattern.Roles[n] == RoomToneMark.Pilot)
                {
                    c += _fold[k] * _pattern.Chips[n];
                    e += _fold[k] * _fold[k];
                }
            }

            return (c, e);
        }

        /// <summary>Where the tone was found at <see cref="Offset"/> (<see cref="RoomToneSearch.Ranges"/>).</summary>
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

        /// <summary>Per-block correlation and energy of the current epoch's first <paramref name="count"/> blocks at <paramref name="offset"/>.</summary>
        private void ScoreEpoch(int count, int offset)
        {
            for (var b = 0; b < count; b++)
            {
                var (c, e) = (0.0, 0.0);
                for (var i = b * Block; i < (b + 1) * Block; i++)
                {
                    var n = (i + offset) % Period;
                    if (_pattern.Roles[n] == RoomToneMark.Pilot)
                    {
                        c += _epoch[i] * _pattern.Chips[n];
                        e += (double)_epoch[i] * _epoch[i];
                    }
                }

                _blockScores.Add((offset, c, e));
            }
        }

        /// <summary>The fold's correlation with the pilot chips at every offset, each over its own variance Σ F[k]²·pilot(k + d)
        /// (two FFTs each way): the best |z|, its offset and its sign.</summary>
        public (int Offset, double Score, int Sign) Best(Action<int, double>? visit = null)
        {
            var f = new float[Period];
            var f2 = new float[Period];
            for (var i = 0; i < Period; i++)
            {
                f[i] = (float)_fold[i];
                f2[i] = (float)(_fold[i] * _fold[i]);
            }

            var fft = BigFft;
            var (re, im, re2, im2) = (new float[(Period / 2) + 1], new float[(Period / 2) + 1], new float[(Period / 2) + 1], new float[(Period / 2) + 1]);
            fft.Direct(f, re, im);
            fft.Direct(f2, re2, im2);
            for (var k = 0; k < re.Length; k++)
            {
                // conj(F̂)·Ŵ: the cross-correlation Σ_k F[k]·w[k + d]; the same of F² with the pilot mask.
                (re[k], im[k]) = ((re[k] * _pattern.PilotRe[k]) + (im[k] * _pattern.PilotIm[k]), (re[k] * _pattern.PilotIm[k]) - (im[k] * _pattern.PilotRe[k]));
                (re2[k], im2[k]) = ((re2[k] * _pattern.MaskRe[k]) + (im2[k] * _pattern.MaskIm[k]), (re2[k] * _pattern.MaskIm[k]) - (im2[k] * _pattern.MaskRe[k]));
            }

            fft.Inverse(re, im, f);
            fft.Inverse(re2, im2, f2);
            var (best, at, sign) = (0.0, 0, 1);
            for (var d = 0; d < Period; d++)
            {
                // Rounding can leave a variance of (almost) nothing where the fold is empty: no score there.
                var energy = f2[d] / (double)Period;
                if (energy > 0)
                {
                    var z = f[d] / (double)Period / Math.Sqrt(energy);
                    visit?.Invoke(d, z);
                    if (Math.Abs(z) > best)
                    {
                        (best, at, sign) = (Math.Abs(z), d, Math.Sign(z));
                    }
                }
            }

            return (at, best, sign);
        }
    }
}
