namespace V2a.Watermark;

/// <summary>
/// Marks audio that arrives in chunks (a generator's output, a decoder pipe) with memory bounded by one embedding
/// block (<see cref="WatermarkSettings.BlockPeriods"/> synchronisation periods, ≈ 4 s at 16 kHz) plus ≈ 0.6 s of
/// look-ahead, whatever the length. <see cref="Process"/> returns the marked samples that are final so far (the
/// output lags the input by up to a block); <see cref="Flush"/> returns the rest. The concatenated output has the
/// input's length and equals <see cref="Watermarker.Embed"/> on the whole signal (which runs this class).
/// <para>
/// Per block: the host's tile energies and detection features are measured (with the look-ahead the detector's
/// features need); each live tile gets a strength λ — the magnitude is multiplied by e^(±λ), sign from the key's chip
/// (times the coded payload bit on payload slots), opposite on the two bands of a pair — at most
/// <see cref="WatermarkSettings.MaxRelativeStrength"/> (more where a louder tile of the same critical band masks it, up
/// to <see cref="WatermarkSettings.MaskedRelativeStrength"/>), lowered on loud tiles until the block's mark fits the SNR
/// budget; informed embedding then scales each group's strength (each period's synchronisation slots per frequency
/// region, each coded bit's slots in the block) so that the host's own projection on the group's chips is cancelled.
/// The mark is synthesised from the spectral change alone and added to the input, so silence stays bit-exact silence.
/// </para>
/// </summary>
public sealed class WatermarkEmbedder : IDisposable
{
    private readonly WatermarkSettings _s;
    private readonly ChipPattern _pattern;
    private readonly byte[] _coded;
    private readonly Stft _hann;
    private readonly Stft _stft;
    private readonly int _bands;
    private readonly int _pairs;
    private readonly int _t;
    private readonly int _blockColumns;
    private readonly int _context;
    private readonly double _floor;
    private readonly float[] _frame;
    private readonly float[] _re;
    private readonly float[] _im;
    private readonly float[] _bandRow;
    private readonly float[][] _spectra;
    private readonly float[] _blockMark;
    private readonly (int Lo, int Hi)[] _criticalBand;
    private readonly SlidingBuffer _input = new();
    private readonly SlidingBuffer _bandEnergy = new();
    private readonly SlidingBuffer _mark = new();
    private readonly ReportAccumulator _report = new();
    private double _designedCost;
    private long _received;
    private int _analyzed;
    private long _emitted;
    private int _nextBlock;
    private bool _finished;

    public WatermarkEmbedder(int sampleRate, WatermarkPayload payload, WatermarkKey key, WatermarkSettings? settings = null)
    {
        _s = settings ?? WatermarkSettings.Default;
        Watermarker.CheckRate(sampleRate, _s);
        ArgumentNullException.ThrowIfNull(key);
        _pattern = PatternCache.Get(_s, key);
        _coded = PayloadCode.Encode(payload);
        _hann = new Stft(_s.FrameLength, hannAnalysis: true);
        _stft = new Stft(_s.FrameLength);
        _bands = _s.BandCount;
        _pairs = _s.PairCount;
        _t = _s.TileFrames;
        _blockColumns = _s.BlockPeriods * _s.PeriodColumns;
        _context = SlotFeatures.Context(_s);
        _floor = TileFeatures.LiveFloorOf(_s);
        _frame = new float[_s.FrameLength];
        _re = new float[_stft.Bins];
        _im = new float[_stft.Bins];
        _bandRow = new float[_bands];
        _criticalBand = CriticalBands(_s);
        _blockMark = new float[((_blockColumns * _t) + 1) * _s.Hop];
        _spectra = new float[_blockColumns * _t][];
        for (var i = 0; i < _spectra.Length; i++)
        {
            _spectra[i] = new float[2 * _stft.Bins];
        }
    }

    /// <summary>What the embedder did so far (complete after <see cref="Flush"/>).</summary>
    public EmbedReport Report => _report.Build();

    /// <summary>Samples given to <see cref="Process"/> so far.</summary>
    public long SamplesIn => _received;

    /// <summary>Marked samples returned so far.</summary>
    public long SamplesOut => _emitted;

    /// <summary>
    /// Most floats the embedder's stream buffers held at once — input samples, mark samples and band energies of the
    /// block and its look-ahead (≈ 170,000, 0.7 MB at 16 kHz, plus the largest chunk given): bounded, whatever the length.
    /// </summary>
    public long PeakBufferedValues => _input.Peak + _mark.Peak + _bandEnergy.Peak;

    /// <summary>Feeds samples (mono, [-1, 1], at the settings' rate); returns the marked samples that became final (maybe none).</summary>
    public float[] Process(ReadOnlySpan<float> chunk)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _input.Append(chunk);
        _received += chunk.Length;
        AnalyzeAvailable(final: false);
        while (_analyzed >= (((_nextBlock + 1) * _blockColumns) + _context) * _t)
        {
            EmbedBlock(_nextBlock++, final: false);
        }

        return Emit(final: false);
    }

    /// <summary>Marks what is left and returns the remaining samples; the output then has the input's length.</summary>
    public float[] Flush()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        AnalyzeAvailable(final: true);
        var frames = _hann.FrameCount(_received);
        while ((long)_nextBlock * _blockColumns * _t < frames)
        {
            EmbedBlock(_nextBlock++, final: true);
        }

        var rest = Emit(final: true);
        _finished = true;
        return rest;
    }

    public void Dispose() => _finished = true;

    /// <summary>Hann-analyses every frame whose samples have all arrived (at the end: every frame, zero-padded).</summary>
    private void AnalyzeAvailable(bool final)
    {
        var frames = final ? _hann.FrameCount(_received) : int.MaxValue;
        while (_analyzed < frames && (final || _hann.FrameStart(_analyzed) + _s.FrameLength <= _received))
        {
            FillFrame(_analyzed);
            _hann.AnalyzeFrame(_frame, _re, _im);
            TileFeatures.FrameEnergy(_s, _re, _im, _bandRow);
            _bandEnergy.Append(_bandRow);
            _analyzed++;
        }
    }

    /// <summary>Copies frame m's samples (zeros before the start and after the end) into the frame buffer.</summary>
    private void FillFrame(int m)
    {
        var start = _hann.FrameStart(m);
        for (var i = 0; i < _frame.Length; i++)
        {
            var n = start + i;
            _frame[i] = n >= 0 && n < _received ? _input[n] : 0f;
        }
    }

    private void EmbedBlock(int block, bool final)
    {
        var s = _s;
        var totalFrames = final ? _hann.FrameCount(_received) : int.MaxValue;
        var c0 = block * _blockColumns;
        var f0 = c0 * _t;
        var f1 = (int)Math.Min((long)(c0 + _blockColumns) * _t, totalFrames);
        var cEnd = (f1 - f0 + _t - 1) / _t + c0; // columns touched, the last one maybe partial
        var columnsAvailable = (_analyzed + _t - 1) / _t;
        var l0 = Math.Max(0, c0 - _context);
        var l1 = Math.Min(cEnd + _context, columnsAvailable);
        if (!final)
        {
            l1 = Math.Min(l1, _analyzed / _t);
        }

        // Host tile energies (the detector's Hann analysis) over the block and its context, and the slot features.
        var localColumns = l1 - l0;
        var tileE = new double[localColumns * _bands];
        for (var j = l0; j < l1; j++)
        {
            for (var f = j * _t; f < Math.Min((j + 1) * _t, _analyzed); f++)
            {
                for (var b = 0; b < _bands; b++)
                {
                    tileE[((j - l0) * _bands) + b] += _bandEnergy[((long)f * _bands) + b];
                }
            }
        }

        var features = SlotFeatures.Compute(s, tileE, localColumns, _floor);

        // The block's frames through the synthesis STFT: host energy (the SNR reference) and each tile's energy there.
        var frames = f1 - f0;
        var columns = cEnd - c0;
        var spectra = _spectra;
        var synthE = new double[columns * _bands];
        double host = 0;
        for (var f = f0; f < f1; f++)
        {
            FillFrame(f);
            _stft.AnalyzeFrame(_frame, _re, _im);
            var spec = spectra[f - f0];
            Array.Copy(_re, spec, _stft.Bins);
            Array.Copy(_im, 0, spec, _stft.Bins, _stft.Bins);
            host += TileFeatures.FrameEnergy(s, _re, _im, _bandRow);
            var row = ((f / _t) - c0) * _bands;
            for (var b = 0; b < _bands; b++)
            {
                synthE[row + b] += _bandRow[b];
            }
        }

        var gains = Allocate(c0, columns, l0, tileE, features, synthE, host);
        Synthesize(f0, f1, c0, spectra, gains, host, tileE, l0);

        // Keep only what the next block needs: its context's band energies on (samples go once emitted).
        _bandEnergy.DropBefore((long)Math.Max(0, (c0 + _blockColumns - _context) * _t) * _bands);
    }

    /// <summary>Per-tile gain (columns × bands, 1 = unmarked) for the block: strength, informed embedding, SNR budget.</summary>
    private float[] Allocate(int c0, int columns, int l0, double[] tileE, SlotFeatures features, double[] synthE, double host)
    {
        var s = _s;
        var n = columns * _bands;
        var lambda = new double[n];
        var dir = new sbyte[n];
        var slotOf = new int[n];
        var any = false;
        for (var j = 0; j < columns; j++)
        {
            for (var p = 0; p < _pairs; p++)
            {
                var local = ((c0 + j - l0) * _pairs) + p;
                var t = (j * _bands) + (2 * p);
                slotOf[t] = local;
                if (features.Weight[local] <= 0)
                {
                    continue; // a dead tile in the pair: the slot has no feature, marking it would cost without use
                }

                var idx = _pattern.CycleIndex(c0 + j, p);
                var role = _pattern.Roles[idx];
                var sign = _pattern.Chips[idx] * (role == ChipPattern.Sync ? 1 : (_coded[role] == 1 ? 1 : -1));

                // The see-saw: the lower band up and the upper band down, or the reverse.
                dir[t] = (sbyte)sign;
                dir[t + 1] = (sbyte)-sign;
                any = true;
            }
        }

        var gains = new float[n];
        Array.Fill(gains, 1f);
        if (!any || host <= 0)
        {
            return gains;
        }

        // Strength: the cap on quiet tiles, lowered on loud ones (equal mark energy per loud tile) until the
        // block's mark fits the budget. Costs are in the synthesis STFT's energy units, like the host's.
        var budget = host * Math.Pow(10, -s.TargetSnrDb / 10);
        var cap = Caps(synthE, dir);
        var eRef = SolveReference(synthE, dir, cap, budget);
        for (var i = 0; i < n; i++)
        {
            if (dir[i] != 0)
            {
                lambda[i] = cap[i] * Math.Min(1, Math.Sqrt(eRef / Math.Max(synthE[i], 1e-30)));
            }
        }

        InformedEmbedding(c0, columns, features, lambda, dir, slotOf, cap);

        // The SNR budget is a hard limit: scale the block's mark down if cancellation pushed it over.
        var cost = Cost(synthE, lambda, dir, 1);
        if (cost > budget)
        {
            double lo = 0, hi = 1;
            for (var it = 0; it < 40; it++)
            {
                var mid = 0.5 * (lo + hi);
                if (Cost(synthE, lambda, dir, mid) > budget)
                {
                    hi = mid;
                }
                else
                {
                    lo = mid;
                }
            }

            for (var i = 0; i < n; i++)
            {
                lambda[i] *= lo;
            }
        }

        for (var i = 0; i < n; i++)
        {
            gains[i] = (float)Math.Exp(dir[i] * lambda[i]);
        }

        _designedCost = Math.Min(cost, budget);
        return gains;
    }

    /// <summary>
    /// Informed embedding: for each group of slots (a period's synchronisation slots in one frequency region; a coded
    /// bit's slots in the block) the host's weighted projection on the group's chips is measured with the detector's
    /// own features, and the group's strength scaled (×0.4 … ×2, ×3 for a bit, never past the per-tile cap) so the
    /// projection the detector will see is the mark's alone.
    /// </summary>
    private void InformedEmbedding(int c0, int columns, SlotFeatures features, double[] lambda, sbyte[] dir, int[] slotOf, double[] cap)
    {
        var coded = PayloadCode.CodedBits;
        var periods = (columns + _s.PeriodColumns - 1) / _s.PeriodColumns;
        var groups = (2 * coded) + (2 * periods);
        var projection = new double[groups];
        var members = new List<int>[groups];
        for (var g = 0; g < groups; g++)
        {
            members[g] = [];
        }

        for (var j = 0; j < columns; j++)
        {
            for (var p = 0; p < _pairs; p++)
            {
                var t = (j * _bands) + (2 * p);
                if (dir[t] == 0)
                {
                    continue;
                }

                var role = _pattern.Roles[_pattern.CycleIndex(c0 + j, p)];
                var region = p < _s.LowPairs ? 0 : 1;
                var g = role == ChipPattern.Sync ? (2 * coded) + (2 * (j / _s.PeriodColumns)) + region : (2 * role) + region;
                projection[g] += dir[t] * features.Y[slotOf[t]];
                members[g].Add(t);
            }
        }

        for (var g = 0; g < groups; g++)
        {
            if (members[g].Count == 0)
            {
                continue;
            }

            // Amplitude the detector sees from the group (2λ per tile in log energy, both tiles of a slot, weighted).
            double Amplitude(double kappa)
            {
                double a = 0;
                foreach (var t in members[g])
                {
                    var l = Math.Min(cap[t], lambda[t] * (1 + kappa)) + Math.Min(cap[t + 1], lambda[t + 1] * (1 + kappa));
                    a += 2 * l * features.Weight[slotOf[t]];
                }

                return a;
            }

            var target = Amplitude(0) - projection[g];
            var kMax = g < 2 * coded ? 2.0 : 1.0;
            double k;
            if (Amplitude(kMax) <= target)
            {
                k = kMax;
            }
            else if (Amplitude(-0.6) >= target)
            {
                k = -0.6;
            }
            else
            {
                double lo = -0.6, hi = kMax;
                for (var it = 0; it < 30; it++)
                {
                    var mid = 0.5 * (lo + hi);
                    if (Amplitude(mid) < target)
                    {
                        lo = mid;
                    }
                    else
                    {
                        hi = mid;
                    }
                }

                k = 0.5 * (lo + hi);
            }

            foreach (var t in members[g])
            {
                lambda[t] = Math.Min(cap[t], lambda[t] * (1 + k));
                lambda[t + 1] = Math.Min(cap[t + 1], lambda[t + 1] * (1 + k));
            }
        }
    }

    /// <summary>
    /// Per-tile cap on λ: ln(1 + r₀) (r₀ = <see cref="WatermarkSettings.MaxRelativeStrength"/>) where nothing louder
    /// masks the tile; a tile quieter than its critical band's mean energy (same column) may take r₀·√(mean / own), up
    /// to <see cref="WatermarkSettings.MaskedRelativeStrength"/>.
    /// </summary>
    private double[] Caps(double[] synthE, sbyte[] dir)
    {
        var cap = new double[synthE.Length];
        var columns = synthE.Length / _bands;
        var r0 = _s.MaxRelativeStrength;
        var rMax = Math.Max(r0, _s.MaskedRelativeStrength);
        for (var j = 0; j < columns; j++)
        {
            var row = j * _bands;
            for (var b = 0; b < _bands; b++)
            {
                if (dir[row + b] == 0)
                {
                    continue;
                }

                var (lo, hi) = _criticalBand[b];
                double sum = 0;
                for (var q = lo; q <= hi; q++)
                {
                    sum += synthE[row + q];
                }

                var mean = sum / (hi - lo + 1);
                var r = Math.Clamp(r0 * Math.Sqrt(mean / Math.Max(synthE[row + b], 1e-30)), r0, rMax);
                cap[row + b] = Math.Log(1 + r);
            }
        }

        return cap;
    }

    /// <summary>Bands within half a critical bandwidth (Zwicker: 25 + 75·(1 + 1.4·f²)^0.69 Hz, f in kHz) of each band's centre.</summary>
    private static (int Lo, int Hi)[] CriticalBands(WatermarkSettings s)
    {
        var bands = s.BandCount;
        var centre = new double[bands];
        for (var b = 0; b < bands; b++)
        {
            centre[b] = (s.FirstBin + (b * s.BinsPerBand) + ((s.BinsPerBand - 1) / 2.0)) * s.BinHz;
        }

        var result = new (int, int)[bands];
        for (var b = 0; b < bands; b++)
        {
            var khz = centre[b] / 1000;
            var half = (25 + (75 * Math.Pow(1 + (1.4 * khz * khz), 0.69))) / 2;
            int lo = b, hi = b;
            while (lo > 0 && centre[b] - centre[lo - 1] <= half)
            {
                lo--;
            }

            while (hi < bands - 1 && centre[hi + 1] - centre[b] <= half)
            {
                hi++;
            }

            result[b] = (lo, hi);
        }

        return result;
    }

    /// <summary>E_ref such that the mark's cost with λ = cap·min(1, √(E_ref/E)) equals the budget (∞ when the caps already fit).</summary>
    private double SolveReference(double[] synthE, sbyte[] dir, double[] cap, double budget)
    {
        double CostAt(double eRef)
        {
            double c = 0;
            for (var i = 0; i < synthE.Length; i++)
            {
                if (dir[i] != 0)
                {
                    var l = cap[i] * Math.Min(1, Math.Sqrt(eRef / Math.Max(synthE[i], 1e-30)));
                    var d = Math.Exp(dir[i] * l) - 1;
                    c += 2 * synthE[i] * d * d;
                }
            }

            return c;
        }

        if (CostAt(double.PositiveInfinity) <= budget)
        {
            return double.PositiveInfinity;
        }

        // Bisection on log E_ref: the cost is monotone in it.
        double lo = Math.Log(1e-30), hi = Math.Log(synthE.Max() + 1e-30);
        for (var it = 0; it < 60; it++)
        {
            var mid = 0.5 * (lo + hi);
            if (CostAt(Math.Exp(mid)) > budget)
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        return Math.Exp(lo);
    }

    /// <summary>The mark's energy in synthesis-STFT units (both spectrum halves) with strengths scaled by <paramref name="scale"/>.</summary>
    private static double Cost(double[] synthE, double[] lambda, sbyte[] dir, double scale)
    {
        double c = 0;
        for (var i = 0; i < synthE.Length; i++)
        {
            if (dir[i] != 0)
            {
                var d = Math.Exp(dir[i] * lambda[i] * scale) - 1;
                c += 2 * synthE[i] * d * d;
            }
        }

        return c;
    }

    /// <summary>
    /// Synthesises the block's mark (the spectral change alone) and scales it back to the designed change's energy (the
    /// inverse STFT drops the part of a tile-wise change that no signal can have, so the raw result falls short of the
    /// design), but never past the block's SNR budget — counting the cross term with the previous block's tail, which
    /// overlaps it by one hop, so the budgets of all blocks add up exactly to the whole signal's. Then measures the
    /// mark each tile really got (the detector's Hann analysis) and adds the block's mark to the mark buffer.
    /// </summary>
    private void Synthesize(int f0, int f1, int c0, float[][] spectra, float[] gains, double host, double[] tileE, int l0)
    {
        var bins = _stft.Bins;
        var hop = _s.Hop;
        var n = _s.FrameLength;
        var origin = _stft.FrameStart(f0);
        var local = _blockMark;
        Array.Clear(local);
        var any = false;
        for (var f = f0; f < f1; f++)
        {
            var spec = spectra[f - f0];
            Array.Clear(_re);
            Array.Clear(_im);
            var row = ((f / _t) - c0) * _bands;
            var marked = false;
            for (var b = 0; b < _bands; b++)
            {
                var g = gains[row + b] - 1;
                if (g == 0)
                {
                    continue;
                }

                marked = true;
                var k0 = _s.FirstBin + (b * _s.BinsPerBand);
                for (var k = k0; k < k0 + _s.BinsPerBand; k++)
                {
                    _re[k] = spec[k] * g;
                    _im[k] = spec[bins + k] * g;
                }
            }

            if (!marked)
            {
                continue;
            }

            any = true;
            _stft.SynthesizeFrame(_re, _im, _frame);
            var at = (int)(_stft.FrameStart(f) - origin);
            for (var i = 0; i < n; i++)
            {
                local[at + i] += _frame[i];
            }
        }

        if (!any)
        {
            return;
        }

        var length = (f1 - f0 + 1) * hop;
        double energy = 0, cross = 0;
        for (var i = 0; i < length; i++)
        {
            energy += (double)local[i] * local[i];
            var t = origin + i;
            if (t >= _mark.Start && t < _mark.End)
            {
                cross += (double)local[i] * _mark[t];
            }
        }

        // Host energy in time-domain units (Parseval: Σ|X|² / N per frame; the sqrt-Hann frames tile the signal).
        // The largest scale a with a²·E + 2a·C ≤ budget, and never more than the designed change's energy.
        var budget = host / n * Math.Pow(10, -_s.TargetSnrDb / 10);
        var designed = _designedCost / n;
        energy = Math.Max(energy, 1e-300);
        var fit = (-cross + Math.Sqrt(Math.Max(0, (cross * cross) + (energy * budget)))) / energy;
        var scale = (float)Math.Max(0, Math.Min(Math.Sqrt(designed / energy), fit));
        for (var i = 0; i < length; i++)
        {
            local[i] *= scale;
        }

        // The mark each tile really carries, as the detector's analysis sees it.
        var markE = new double[gains.Length];
        for (var f = f0; f < f1; f++)
        {
            var at = (int)(_stft.FrameStart(f) - origin);
            _hann.AnalyzeFrame(local.AsSpan(at, n), _re, _im);
            TileFeatures.FrameEnergy(_s, _re, _im, _bandRow);
            var row = ((f / _t) - c0) * _bands;
            for (var b = 0; b < _bands; b++)
            {
                markE[row + b] += _bandRow[b];
            }
        }

        _report.AddTiles(tileE, l0, c0, gains.Length / _bands, _bands, gains, markE, _floor, _criticalBand);

        _mark.EnsureUpTo(origin + length);
        for (var i = 0; i < length; i++)
        {
            var t = origin + i;
            if (t >= _mark.Start)
            {
                _mark[t] += local[i];
            }
        }
    }

    /// <summary>Returns the samples that no later frame can change: input plus mark.</summary>
    private float[] Emit(bool final)
    {
        var until = final ? _received : Math.Min(_received, _stft.FrameStart(_nextBlock * _blockColumns * _t));
        if (until <= _emitted)
        {
            return [];
        }

        var y = new float[until - _emitted];
        for (var i = 0; i < y.Length; i++)
        {
            var n = _emitted + i;
            var x = _input[n];
            var w = n >= _mark.Start && n < _mark.End ? _mark[n] : 0f;
            y[i] = x + w;
            _report.AddSample(x, w);
        }

        _emitted = until;
        _mark.DropBefore(until);
        _input.DropBefore(until);
        return y;
    }

    /// <summary>Running figures for <see cref="EmbedReport"/>: SNR, per-tile ratios (a histogram), spectral-shape correlation.</summary>
    private sealed class ReportAccumulator
    {
        private const double HistogramLowDb = -80;
        private readonly long[] _histogram = new long[241]; // 0.5 dB bins from −80 dB to +40 dB
        private readonly long[] _maskerHistogram = new long[241];
        private double _maxMaskerDb = double.NegativeInfinity;
        private double _sx;
        private double _sw;
        private long _tiles;
        private double _sa;
        private double _sb;
        private double _saa;
        private double _sbb;
        private double _sab;
        private double _maxRatioDb = double.NegativeInfinity;

        public void AddSample(float x, float w)
        {
            _sx += (double)x * x;
            _sw += (double)w * w;
        }

        public void AddTiles(double[] tileE, int l0, int c0, int columns, int bands, float[] gains, double[] markE, double floor,
            (int Lo, int Hi)[] criticalBand)
        {
            for (var j = 0; j < columns; j++)
            {
                for (var b = 0; b < bands; b++)
                {
                    var g = gains[(j * bands) + b];
                    var e = tileE[((c0 + j - l0) * bands) + b];
                    var w = markE[(j * bands) + b];
                    if (g == 1f || e < floor || w <= 0)
                    {
                        continue;
                    }

                    // Mark-to-audio energy ratio of the tile as analysed (a ±15% magnitude change is −16.5 dB).
                    var ratioDb = 10 * Math.Log10(w / e);
                    _maxRatioDb = Math.Max(_maxRatioDb, ratioDb);
                    _histogram[Bin(ratioDb)]++;

                    // Mark-to-masker ratio: the tile's mark against the mean tile energy of its critical band.
                    var (lo, hi) = criticalBand[b];
                    double band = 0;
                    for (var q = lo; q <= hi; q++)
                    {
                        band += tileE[((c0 + j - l0) * bands) + q];
                    }

                    var maskerDb = 10 * Math.Log10(w / (band / (hi - lo + 1)));
                    _maxMaskerDb = Math.Max(_maxMaskerDb, maskerDb);
                    _maskerHistogram[Bin(maskerDb)]++;
                    var a = Math.Log10(e);
                    var m = a + (ratioDb / 10);
                    _tiles++;
                    _sa += a;
                    _sb += m;
                    _saa += a * a;
                    _sbb += m * m;
                    _sab += a * m;
                }
            }
        }

        private static int Bin(double db) => Math.Clamp((int)Math.Round((db - HistogramLowDb) * 2), 0, 240);

        public EmbedReport Build()
        {
            if (_tiles == 0 || _sw <= 0)
            {
                return new EmbedReport { SnrDb = double.PositiveInfinity, Silent = true };
            }

            double Percentile(long[] histogram, double q)
            {
                var target = (long)Math.Ceiling(q * _tiles);
                long acc = 0;
                for (var i = 0; i < histogram.Length; i++)
                {
                    acc += histogram[i];
                    if (acc >= Math.Max(1, target))
                    {
                        return HistogramLowDb + (i / 2.0);
                    }
                }

                return 0;
            }

            var n = (double)_tiles;
            var cov = (_sab / n) - (_sa / n * (_sb / n));
            var va = (_saa / n) - (_sa / n * (_sa / n));
            var vb = (_sbb / n) - (_sb / n * (_sb / n));
            return new EmbedReport
            {
                SnrDb = 10 * Math.Log10(_sx / _sw),
                SpectralShapeCorrelation = va > 0 && vb > 0 ? cov / Math.Sqrt(va * vb) : double.NaN,
                TileRatioMedianDb = Percentile(_histogram, 0.5),
                TileRatioP95Db = Percentile(_histogram, 0.95),
                TileRatioMaxDb = _maxRatioDb,
                MaskerRatioMedianDb = Percentile(_maskerHistogram, 0.5),
                MaskerRatioP95Db = Percentile(_maskerHistogram, 0.95),
                MaskerRatioMaxDb = _maxMaskerDb,
                MarkedTiles = (int)Math.Min(int.MaxValue, _tiles),
            };
        }
    }
}

/// <summary>A window onto an unbounded stream of floats, addressed by absolute index; the front can be dropped.</summary>
internal sealed class SlidingBuffer
{
    private float[] _data = new float[4096];
    private int _offset; // index in _data of Start
    private int _count;

    /// <summary>Absolute index of the first value held.</summary>
    public long Start { get; private set; }

    /// <summary>One past the absolute index of the last value held.</summary>
    public long End => Start + _count;

    /// <summary>Most values held at once.</summary>
    public long Peak { get; private set; }

    public float this[long index]
    {
        get => _data[_offset + (int)(index - Start)];
        set => _data[_offset + (int)(index - Start)] = value;
    }

    public void Append(ReadOnlySpan<float> values)
    {
        Reserve(values.Length);
        values.CopyTo(_data.AsSpan(_offset + _count));
        _count += values.Length;
        Peak = Math.Max(Peak, _count);
    }

    /// <summary>Extends with zeros up to absolute index <paramref name="end"/> (exclusive).</summary>
    public void EnsureUpTo(long end)
    {
        if (end <= End)
        {
            return;
        }

        var add = (int)(end - End);
        Reserve(add);
        Array.Clear(_data, _offset + _count, add);
        _count += add;
        Peak = Math.Max(Peak, _count);
    }

    /// <summary>Forgets every value before absolute index <paramref name="index"/>.</summary>
    public void DropBefore(long index)
    {
        var drop = (int)Math.Clamp(index - Start, 0, _count);
        if (index > End)
        {
            Start = index;
            _offset = 0;
            _count = 0;
            return;
        }

        _offset += drop;
        _count -= drop;
        Start += drop;
    }

    private void Reserve(int more)
    {
        if (_offset + _count + more <= _data.Length)
        {
            return;
        }

        if (_count + more > _data.Length / 2)
        {
            var bigger = new float[Math.Max(_data.Length * 2, _count + more)];
            Array.Copy(_data, _offset, bigger, 0, _count);
            _data = bigger;
        }
        else
        {
            Array.Copy(_data, _offset, _data, 0, _count);
        }

        _offset = 0;
    }
}
