namespace V2a.Watermark;

/// <summary>
/// The detector's search. For each frame phase within a tile (T phases) the tile features are computed once and
/// folded period by period (column j goes to fold column j mod PeriodColumns); a test is a fold over a span of
/// periods — the whole input, and every window of <see cref="WatermarkSettings.WindowPeriods"/> periods — and
/// each test is scored at every rotation of the pattern (PeriodColumns rotations), i.e. at every frame offset.
/// Score: z = Σ chip·Ỹ / √(Σ Ỹ²) over synchronisation tiles of the fold Ỹ. Given the audio, the chips are
/// independent fair ±1 draws (they come from the key), so z has mean 0 and variance exactly 1 and a tail at most
/// that of N(0, 1) up to a small constant: the threshold follows from the Gaussian tail and the number of
/// hypotheses, with no tuning on data.
/// </summary>
internal sealed class AlignmentSearch
{
    private readonly WatermarkSettings _s;
    private readonly ChipPattern _pattern;
    private readonly int _bands;
    private readonly int _pc;

    /// <summary>Per phase: per period, the tile features of its columns (PeriodColumns × bands).</summary>
    private readonly List<double[]>[] _periods;

    public AlignmentSearch(WatermarkSettings s, ChipPattern pattern, TileFeatures features)
    {
        _s = s;
        _pattern = pattern;
        _bands = s.BandCount;
        _pc = s.PeriodColumns;
        _periods = new List<double[]>[s.TileFrames];
        var liveMax = 0;
        var bestScore = double.NegativeInfinity;
        Hit best = default;
        var tests = 1;
        for (var phase = 0; phase < s.TileFrames; phase++)
        {
            var columns = features.Columns(phase);
            var y = features.Features(features.TileEnergies(phase, columns), columns, out var live);
            liveMax = Math.Max(liveMax, live);
            var list = new List<double[]>();
            for (var start = 0; start < columns; start += _pc)
            {
                var fold = new double[_pc * _bands];
                var n = Math.Min(_pc, columns - start) * _bands;
                Array.Copy(y, start * _bands, fold, 0, n);
                list.Add(fold);
            }

            _periods[phase] = list;
            foreach (var (from, count) in Spans(list.Count))
            {
                var fold = Fold(phase, from, count);
                for (var r = 0; r < _pc; r++)
                {
                    var z = SyncScore(fold, r);
                    if (z > bestScore)
                    {
                        bestScore = z;
                        best = new Hit(phase, r, from, count, z, AlignmentFrames: 0);
                    }
                }
            }

            tests = Math.Max(tests, Spans(list.Count).Count);
        }

        LiveTiles = liveMax;
        NullProbeScore = _periods[0].Count > 0 ? SyncScore(Fold(0, 0, _periods[0].Count), 0) : 0;
        Tests = tests;
        // Received column j of phase φ is pattern column (j + r) mod PC: the mark's grid starts at frame
        // φ − T·r (mod one period) of the input.
        var period = s.PeriodFrames;
        Best = best with { AlignmentFrames = (((best.Phase - (s.TileFrames * best.Rotation)) % period) + period) % period };
    }

    /// <summary>Score of one fixed hypothesis (phase 0, rotation 0, whole input): N(0, 1) on unmarked audio; the bench checks that.</summary>
    public double NullProbeScore { get; }

    /// <summary>Largest number of live tiles over phases (how much audible content there is to judge).</summary>
    public int LiveTiles { get; }

    /// <summary>Tests per phase and rotation: the whole input plus the windows (the multiple-comparison factor).</summary>
    public int Tests { get; }

    public Hit Best { get; }

    /// <summary>Whole input, then the sliding windows when the input is longer than a window plus a period.</summary>
    private List<(int From, int Count)> Spans(int periods)
    {
        var spans = new List<(int, int)> { (0, periods) };
        var w = _s.WindowPeriods;
        if (periods > w + 1)
        {
            for (var k = 0; k + w <= periods; k++)
            {
                spans.Add((k, w));
            }
        }

        return spans;
    }

    private double[] Fold(int phase, int from, int count)
    {
        var fold = new double[_pc * _bands];
        var list = _periods[phase];
        for (var k = from; k < from + count && k < list.Count; k++)
        {
            var p = list[k];
            for (var i = 0; i < fold.Length; i++)
            {
                fold[i] += p[i];
            }
        }

        return fold;
    }

    private double SyncScore(double[] fold, int rotation)
    {
        double num = 0, den = 0;
        for (var q = 0; q < _pc; q++)
        {
            var pcol = ((q + rotation) % _pc) * _bands;
            var row = q * _bands;
            for (var b = 0; b < _bands; b++)
            {
                var p = pcol + b;
                if (_pattern.Roles[p] != ChipPattern.Sync)
                {
                    continue;
                }

                var v = fold[row + b];
                num += _pattern.Chips[p] * v;
                den += v * v;
            }
        }

        return den > 0 ? num / Math.Sqrt(den) : 0;
    }

    /// <summary>Soft payload bits from the fold at the hit's alignment, then Viterbi + CRC. Tries the hit's own span, then the whole input.</summary>
    public WatermarkPayload? DecodePayload(Hit hit)
    {
        var spans = new List<(int, int)> { (hit.From, hit.Count), (0, _periods[hit.Phase].Count) };
        foreach (var (from, count) in spans.Distinct())
        {
            var fold = Fold(hit.Phase, from, count);
            var soft = new double[PayloadCode.CodedBits];
            for (var q = 0; q < _pc; q++)
            {
                var pcol = ((q + hit.Rotation) % _pc) * _bands;
                for (var b = 0; b < _bands; b++)
                {
                    var p = pcol + b;
                    var role = _pattern.Roles[p];
                    if (role != ChipPattern.Sync)
                    {
                        soft[role] += _pattern.Chips[p] * fold[(q * _bands) + b];
                    }
                }
            }

            if (PayloadCode.Decode(soft) is { } payload)
            {
                return payload;
            }
        }

        return null;
    }

    /// <summary>
    /// Where the mark is: every window (of <see cref="WatermarkSettings.WindowPeriods"/> periods, one period apart)
    /// whose score at the found alignment passes a per-window threshold (false-positive rate 1e-4 per window, no
    /// search left at a fixed alignment); overlapping windows are merged. Seconds from the start of the input.
    /// </summary>
    public IReadOnlyList<MarkedRange> Ranges(Hit hit, double durationSeconds)
    {
        var local = Gaussian.InverseUpperTail(1e-4);
        var list = _periods[hit.Phase];
        var w = Math.Min(_s.WindowPeriods, list.Count);
        var secondsPerColumn = _s.TileFrames * _s.SecondsPerFrame;
        var ranges = new List<MarkedRange>();
        for (var k = 0; k + w <= list.Count; k++)
        {
            var z = SyncScore(Fold(hit.Phase, k, w), hit.Rotation);
            if (z < local)
            {
                continue;
            }

            // Column j spans frames φ + T·j … φ + T·j + T − 1; frame m is centred on m·hop.
            var start = Math.Max(0, ((hit.Phase * _s.SecondsPerFrame) + (k * _pc * secondsPerColumn)) - (_s.SecondsPerFrame / 2));
            var end = Math.Min(durationSeconds,
                (hit.Phase * _s.SecondsPerFrame) + ((k + w) * _pc * secondsPerColumn) + (_s.SecondsPerFrame / 2));
            if (ranges.Count > 0 && start <= ranges[^1].EndSeconds)
            {
                var last = ranges[^1];
                ranges[^1] = last with { EndSeconds = end, Score = Math.Max(last.Score, z) };
            }
            else
            {
                ranges.Add(new MarkedRange(start, end, z));
            }
        }

        if (ranges.Count == 0)
        {
            ranges.Add(new MarkedRange(0, durationSeconds, hit.Score));
        }

        return ranges;
    }

    /// <summary>One alignment hypothesis: frame phase, pattern rotation, span of periods, its score.</summary>
    internal readonly record struct Hit(int Phase, int Rotation, int From, int Count, double Score, int AlignmentFrames);
}
