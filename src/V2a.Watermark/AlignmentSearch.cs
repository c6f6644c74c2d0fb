namespace V2a.Watermark;

/// <summary>
/// The detector's search. For each frame phase within a tile (T phases) the slot features are computed once and
/// folded period by period (column j goes to fold column j mod PeriodColumns); a test is a fold over a span of
/// periods — the whole input, and every window of <see cref="WatermarkSettings.WindowPeriods"/> periods — and
/// each test is scored at every rotation of the pattern (PeriodColumns rotations), i.e. at every frame offset.
/// Score: z = Σ chip·Ỹ / √(Σ Ỹ²) over synchronisation slots of the fold Ỹ. Given the audio, the chips are
/// independent fair ±1 draws (they come from the key), so z has mean 0 and variance exactly 1 and a tail at most
/// that of N(0, 1) up to a small constant: the threshold follows from the Gaussian tail and the number of
/// hypotheses, with no tuning on data.
/// </summary>
internal sealed class AlignmentSearch
{
    private readonly WatermarkSettings _s;
    private readonly ChipPattern _pattern;
    private readonly int _pairs;
    private readonly int _pc;

    /// <summary>Per phase: whole columns.</summary>
    private readonly int[] _columns;

    /// <summary>Per view and phase: variance factor of the score, 1 + 2 Σ_k ρ_k r_k (see <see cref="VarianceFactor"/>).</summary>
    private readonly double[][] _factor;

    /// <summary>Per view and phase: per period, the slot features of its columns (PeriodColumns × pairs).</summary>
    private readonly List<double[]>[][] _periods;

    /// <summary>
    /// Two views of the same slots. <see cref="AllSlots"/>: every live slot, weighted by its steadiness — right for the
    /// audio as made, where a still scene's quiet room tone carries the mark as well as any sound. <see cref="SoundSlots"/>:
    /// each slot further weighted by the share of its tiles' energy above the input's own floor in their bands (the
    /// quietest fifth of each band's tiles): right when noise or another sound has been laid over the whole input, which
    /// buries the mark of the quiet stretches while the sounds above it keep theirs — there the steady slots are the
    /// added noise's, which the first view weights most. Both are functions of the audio alone, so each score keeps its
    /// null law; the decision pays for looking twice.
    /// </summary>
    public const int AllSlots = 0;

    /// <inheritdoc cref="AllSlots"/>
    public const int SoundSlots = 1;

    /// <summary>Views searched over the whole input.</summary>
    public const int Views = 2;

    public AlignmentSearch(WatermarkSettings s, ChipPattern pattern, TileFeatures features)
    {
        _s = s;
        _pattern = pattern;
        _pairs = s.PairCount;
        _pc = s.PeriodColumns;
        var phases = s.TileFrames;
        _periods = new List<double[]>[Views][];
        _factor = new double[Views][];
        for (var v = 0; v < Views; v++)
        {
            _periods[v] = new List<double[]>[phases];
            _factor[v] = new double[phases];
        }

        _columns = new int[phases];
        var liveMax = 0;
        var bestWhole = new Hit[Views];
        for (var v = 0; v < Views; v++)
        {
            bestWhole[v] = new Hit(0, 0, 0, 0, double.NegativeInfinity, v);
        }

        Hit bestWindow = new(0, 0, 0, 0, double.NegativeInfinity, AllSlots);
        var windows = 0;
        for (var phase = 0; phase < phases; phase++)
        {
            var columns = features.Columns(phase);
            var energies = features.TileEnergies(phase, columns);
            var slots = features.Slots(energies, columns);
            liveMax = Math.Max(liveMax, slots.Live);
            _columns[phase] = columns;
            var share = SlotFeatures.ShareAboveFloor(s, energies, columns, features.LiveFloor);
            var sound = new double[slots.Y.Length];
            for (var i = 0; i < sound.Length; i++)
            {
                sound[i] = slots.Y[i] * share[i];
            }

            for (var v = 0; v < Views; v++)
            {
                var y = v == AllSlots ? slots.Y : sound;
                _factor[v][phase] = VarianceFactor(y, columns);
                var list = new List<double[]>();
                for (var start = 0; start < columns; start += _pc)
                {
                    var fold = new double[_pc * _pairs];
                    var n = Math.Min(_pc, columns - start) * _pairs;
                    Array.Copy(y, start * _pairs, fold, 0, n);
                    list.Add(fold);
                }

                _periods[v][phase] = list;
                var whole = Fold(v, phase, 0, list.Count);
                for (var r = 0; r < _pc; r++)
                {
                    var z = SyncScore(whole, r, phase, v);
                    if (z > bestWhole[v].Score)
                    {
                        bestWhole[v] = new Hit(phase, r, 0, list.Count, z, v);
                    }
                }
            }

            // Windows (a mark in part of a long file) in the first view only.
            var spans = WindowSpans(_periods[AllSlots][phase].Count);
            windows = Math.Max(windows, spans.Count);
            foreach (var (from, count) in spans)
            {
                var fold = Fold(AllSlots, phase, from, count);
                for (var r = 0; r < _pc; r++)
                {
                    var z = SyncScore(fold, r, phase, AllSlots);
                    if (z > bestWindow.Score)
                    {
                        bestWindow = new Hit(phase, r, from, count, z, AllSlots);
                    }
                }
            }
        }

        LiveSlots = liveMax;
        NullProbeScore = FixedScore(AllSlots);
        Windows = windows;
        BestWhole = bestWhole;
        BestWindow = bestWindow;
    }

    /// <summary>Score of one fixed hypothesis (phase 0, rotation 0, whole input): N(0, 1) on unmarked audio; the bench checks that.</summary>
    public double NullProbeScore { get; }

    /// <summary>Score of one fixed hypothesis (phase 0, rotation 0, whole input) in a view.</summary>
    public double FixedScore(int view)
    {
        var periods = _periods[view][0];
        return periods.Count > 0 ? SyncScore(Fold(view, 0, 0, periods.Count), 0, 0, view) : 0;
    }

    /// <summary>Largest number of live slots over phases (how much audible content there is to judge).</summary>
    public int LiveSlots { get; }

    /// <summary>Windows per phase and rotation (0 when the input is too short for windows to add anything).</summary>
    public int Windows { get; }

    /// <summary>Best alignment over the whole input, per view (<see cref="AllSlots"/>, <see cref="SoundSlots"/>).</summary>
    public IReadOnlyList<Hit> BestWhole { get; }

    /// <summary>Best alignment and window among the windows (Score −∞ when there are none).</summary>
    public Hit BestWindow { get; }

    /// <summary>Alignment hypotheses per test: every frame offset within a period.</summary>
    public int Hypotheses => _s.Offsets;

    /// <summary>Offset of the mark's grid in the input, in frames modulo one period, at a hit's alignment.</summary>
    public int AlignmentFrames(Hit hit)
    {
        // Received column j of phase φ is pattern column (j + r) mod PC: the mark's grid starts at frame φ − T·r.
        var period = _s.PeriodFrames;
        return (((hit.Phase - (_s.TileFrames * hit.Rotation)) % period) + period) % period;
    }

    /// <summary>Windows of <see cref="WatermarkSettings.WindowPeriods"/> periods, one period apart, when the input is longer than a window plus a period.</summary>
    private List<(int From, int Count)> WindowSpans(int periods)
    {
        var spans = new List<(int, int)>();
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

    private double[] Fold(int view, int phase, int from, int count)
    {
        var fold = new double[_pc * _pairs];
        var list = _periods[view][phase];
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

    /// <summary>
    /// The factor by which the host's correlation between slots of the same band pair up to 2·PredictionRadius columns
    /// apart (they share terms of the prediction) and the key's own chip pattern inflate the score's variance:
    /// 1 + 2 Σ_k ρ_k r_k, with ρ_k the features' lag-k correlation measured on this input (the mark, with its random
    /// chips, adds nothing to it on average) and r_k the pattern's (<see cref="ChipPattern.LagCorrelation"/>). Over
    /// random keys r_k averages 0 and the factor 1; for one fixed key it corrects that key's coincidences.
    /// </summary>
    private double VarianceFactor(double[] y, int columns)
    {
        var f = 1.0;
        double energy = 0;
        foreach (var v in y)
        {
            energy += v * v;
        }

        if (energy <= 0)
        {
            return 1;
        }

        for (var lag = 1; lag <= 2 * _s.PredictionRadius; lag++)
        {
            double c = 0;
            for (var i = 0; i + (lag * _pairs) < y.Length; i++)
            {
                c += y[i] * y[i + (lag * _pairs)];
            }

            f += 2 * (c / energy) * _pattern.LagCorrelation(lag);
        }

        return Math.Max(f, 0.5);
    }

    /// <summary>z = Σ c·Ỹ / √(f·Σ Ỹ²) over synchronisation slots: given the audio, mean 0 and variance 1 over random chips.</summary>
    private double SyncScore(double[] fold, int rotation, int phase, int view)
    {
        double num = 0, den = 0;
        for (var q = 0; q < _pc; q++)
        {
            var pcol = ((q + rotation) % _pc) * _pairs;
            var row = q * _pairs;
            for (var p = 0; p < _pairs; p++)
            {
                var idx = pcol + p;
                if (_pattern.Roles[idx] != ChipPattern.Sync)
                {
                    continue;
                }

                var v = fold[row + p];
                num += _pattern.Chips[idx] * v;
                den += v * v;
            }
        }

        return den > 0 ? num / Math.Sqrt(den * _factor[view][phase]) : 0;
    }

    /// <summary>
    /// Soft payload bits at a hit's alignment over a span of periods, for each position within the payload cycle
    /// (the sync search cannot tell which period of a cycle a period is), then Viterbi + CRC. Returns the first
    /// payload whose CRC checks, or null; <see cref="ChipPattern.CyclePeriods"/> CRC tests in all.
    /// </summary>
    public WatermarkPayload? DecodePayload(Hit hit, int from, int count)
    {
        var periods = _periods[hit.View][hit.Phase]; // column j's slot features: periods[j / PC] at (j mod PC) × pairs
        var c0 = from * _pc;
        var c1 = Math.Min(_columns[hit.Phase], (from + count) * _pc);
        var cycleColumns = _pc * ChipPattern.CyclePeriods;
        for (var parity = 0; parity < ChipPattern.CyclePeriods; parity++)
        {
            var soft = new double[PayloadCode.CodedBits];
            for (var j = c0; j < c1; j++)
            {
                var ccol = (j + hit.Rotation + (_pc * parity)) % cycleColumns;
                var period = periods[j / _pc];
                var row = j % _pc * _pairs;
                for (var p = 0; p < _pairs; p++)
                {
                    var idx = (ccol * _pairs) + p;
                    var role = _pattern.Roles[idx];
                    if (role != ChipPattern.Sync)
                    {
                        soft[role] += _pattern.Chips[idx] * period[row + p];
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
    /// search left at a fixed alignment); overlapping windows are merged, then each merged range loses the end periods
    /// whose own score shows no mark (under 1.5), since a window passes with only part of it marked. Seconds from the
    /// start of the input.
    /// </summary>
    public IReadOnlyList<MarkedRange> Ranges(Hit hit, double score, double durationSeconds)
    {
        const double edgeEvidence = 1.5;
        var local = Gaussian.InverseUpperTail(1e-4);
        var list = _periods[hit.View][hit.Phase];
        var w = Math.Min(_s.WindowPeriods, list.Count);
        var spans = new List<(int From, int To, double Score)>(); // periods [From, To)
        for (var k = 0; k + w <= list.Count; k++)
        {
            var z = SyncScore(Fold(hit.View, hit.Phase, k, w), hit.Rotation, hit.Phase, hit.View);
            if (z < local)
            {
                continue;
            }

            if (spans.Count > 0 && k <= spans[^1].To)
            {
                spans[^1] = (spans[^1].From, k + w, Math.Max(spans[^1].Score, z));
            }
            else
            {
                spans.Add((k, k + w, z));
            }
        }

        var secondsPerColumn = _s.TileFrames * _s.SecondsPerFrame;
        var ranges = new List<MarkedRange>();
        foreach (var (from0, to0, z) in spans)
        {
            var (from, to) = (from0, to0);
            while (to - from > 1 && SyncScore(Fold(hit.View, hit.Phase, from, 1), hit.Rotation, hit.Phase, hit.View) < edgeEvidence)
            {
                from++;
            }

            while (to - from > 1 && SyncScore(Fold(hit.View, hit.Phase, to - 1, 1), hit.Rotation, hit.Phase, hit.View) < edgeEvidence)
            {
                to--;
            }

            // Column j spans frames φ + T·j … φ + T·j + T − 1; frame m is centred on m·hop.
            var start = Math.Max(0, (hit.Phase * _s.SecondsPerFrame) + (from * _pc * secondsPerColumn) - (_s.SecondsPerFrame / 2));
            var end = Math.Min(durationSeconds, (hit.Phase * _s.SecondsPerFrame) + (to * _pc * secondsPerColumn) + (_s.SecondsPerFrame / 2));
            ranges.Add(new MarkedRange(start, end, z));
        }

        if (ranges.Count == 0)
        {
            ranges.Add(new MarkedRange(0, durationSeconds, score));
        }

        return ranges;
    }

    /// <summary>One alignment hypothesis: frame phase, pattern rotation, span of periods, its score, and the view it was scored in.</summary>
    internal readonly record struct Hit(int Phase, int Rotation, int From, int Count, double Score, int View);
}
