namespace V2a.Watermark;

/// <summary>
/// The detector's search, fed a synchronisation period at a time (<see cref="PeriodFeatures"/>) and holding a bounded
/// state, whatever the input's length. For each frame phase within a tile (T phases) the slot features are folded
/// period by period (column j goes to fold column j mod PeriodColumns); a test is a fold over a span of periods — the
/// whole input, and every window of <see cref="WatermarkSettings.WindowPeriods"/> periods — and each test is scored at
/// every rotation of the pattern (PeriodColumns rotations), i.e. at every frame offset. Score: z = Σ chip·Ỹ / √(f·Σ Ỹ²)
/// over synchronisation slots of the fold Ỹ. Given the audio, the chips are independent fair ±1 draws (they come from
/// the key), so z has mean 0 and variance exactly 1 and a tail at most that of N(0, 1) up to a small constant: the
/// threshold follows from the Gaussian tail and the number of hypotheses, with no tuning on data.
/// <para>
/// What is kept as the periods go by: per view and phase, the whole-input fold, the last window's periods, the sums of
/// the variance factor, the input folded over the payload cycle (what the coded bits are read from at any alignment), the best window so
/// far, and for every rotation the marked ranges found so far (<see cref="RangeTracker"/>).
/// </para>
/// </summary>
internal sealed class AlignmentSearch
{
    /// <summary>
    /// Two views of the same slots. <see cref="AllSlots"/>: every live slot, weighted by its steadiness — right for the
    /// audio as made, where a still scene's quiet room tone carries the mark as well as any sound. <see cref="SoundSlots"/>:
    /// each slot further weighted by the share of its tiles' energy above the input's own floor in their bands (the
    /// quietest fifth of each band's tiles around it): right when noise or another sound has been laid over the whole
    /// input, which buries the mark of the quiet stretches while the sounds above it keep theirs — there the steady slots
    /// are the added noise's, which the first view weights most. Both are functions of the audio alone, so each score
    /// keeps its null law; the decision pays for looking twice.
    /// </summary>
    public const int AllSlots = 0;

    /// <inheritdoc cref="AllSlots"/>
    public const int SoundSlots = 1;

    /// <summary>Views searched over the whole input.</summary>
    public const int Views = 2;

    /// <summary>
    /// Periods a range decision waits for (so it is judged with the variance factor of the input up to 8 s later; an
    /// input of up to this many periods is judged with the factor of the whole).
    /// </summary>
    private const int RangeDelay = 8;

    private readonly WatermarkSettings _s;
    private readonly ChipPattern _pattern;
    private readonly Lane[,] _lanes;
    private readonly int[][] _syncSlots;
    private readonly double[][] _syncChips;

    public AlignmentSearch(WatermarkSettings s, ChipPattern pattern)
    {
        if (2 * s.PredictionRadius >= s.PeriodColumns)
        {
            throw new ArgumentException("the variance factor's lags must stay within one period", nameof(s));
        }

        _s = s;
        _pattern = pattern;
        (_syncSlots, _syncChips) = SyncSlots(s, pattern);
        _lanes = new Lane[Views, s.TileFrames];
        for (var v = 0; v < Views; v++)
        {
            for (var phase = 0; phase < s.TileFrames; phase++)
            {
                _lanes[v, phase] = new Lane(this, v);
            }
        }
    }

    /// <summary>Runs the whole search on a signal in memory (mono, at the settings' rate).</summary>
    public static AlignmentSearch Run(WatermarkSettings s, ChipPattern pattern, ReadOnlySpan<float> samples)
    {
        var search = new AlignmentSearch(s, pattern);
        var feed = new DetectorFeed(s, search);
        feed.Add(samples);
        feed.Finish();
        return search;
    }

    /// <summary>One period of slot features (PeriodColumns × pairs, zeros past <paramref name="columns"/>) of a phase, in both views.</summary>
    public void AddPeriod(int phase, double[] all, double[] sound, int columns, int live)
    {
        _lanes[AllSlots, phase].Add(all, columns, live);
        _lanes[SoundSlots, phase].Add(sound, columns, live);
    }

    /// <summary>The input has ended: settles the pending range decisions and picks the best hypotheses.</summary>
    public void Finish()
    {
        var phases = _s.TileFrames;
        var bestWhole = new Hit[Views];
        for (var v = 0; v < Views; v++)
        {
            bestWhole[v] = new Hit(0, 0, 0, 0, double.NegativeInfinity, v);
            for (var phase = 0; phase < phases; phase++)
            {
                var lane = _lanes[v, phase];
                lane.Finish();
                for (var r = 0; r < _s.PeriodColumns; r++)
                {
                    var z = SyncScore(lane.Whole, r, lane.Factor);
                    if (z > bestWhole[v].Score)
                    {
                        bestWhole[v] = new Hit(phase, r, 0, lane.Periods, z, v);
                    }
                }
            }
        }

        Hit bestWindow = new(0, 0, 0, 0, double.NegativeInfinity, AllSlots);
        for (var phase = 0; phase < phases; phase++)
        {
            var lane = _lanes[AllSlots, phase];
            Windows = Math.Max(Windows, lane.WindowCount);
            if (lane.WindowCount > 0 && lane.BestWindowFold is { } fold)
            {
                var z = SyncScore(fold, lane.BestWindowRotation, lane.Factor);
                if (z > bestWindow.Score)
                {
                    bestWindow = new Hit(phase, lane.BestWindowRotation, lane.BestWindowFrom, _s.WindowPeriods, z, AllSlots);
                }
            }

            LiveSlots = Math.Max(LiveSlots, lane.Live);
        }

        BestWhole = bestWhole;
        BestWindow = bestWindow;
        NullProbeScore = FixedScore(AllSlots);
    }

    /// <summary>Score of one fixed hypothesis (phase 0, rotation 0, whole input): N(0, 1) on unmarked audio; the bench checks that.</summary>
    public double NullProbeScore { get; private set; }

    /// <summary>Score of one fixed hypothesis (phase 0, rotation 0, whole input) in a view.</summary>
    public double FixedScore(int view)
    {
        var lane = _lanes[view, 0];
        return lane.Periods > 0 ? SyncScore(lane.Whole, 0, lane.Factor) : 0;
    }

    /// <summary>Largest number of live slots over phases (how much audible content there is to judge).</summary>
    public int LiveSlots { get; private set; }

    /// <summary>Windows per phase and rotation (0 when the input is too short for windows to add anything).</summary>
    public int Windows { get; private set; }

    /// <summary>Best alignment over the whole input, per view (<see cref="AllSlots"/>, <see cref="SoundSlots"/>).</summary>
    public IReadOnlyList<Hit> BestWhole { get; private set; } = [];

    /// <summary>Best alignment and window among the windows (Score −∞ when there are none).</summary>
    public Hit BestWindow { get; private set; }

    /// <summary>Alignment hypotheses per test: every frame offset within a period.</summary>
    public int Hypotheses => _s.Offsets;

    /// <summary>Offset of the mark's grid in the input, in frames modulo one period, at a hit's alignment.</summary>
    public int AlignmentFrames(Hit hit)
    {
        // Received column j of phase φ is pattern column (j + r) mod PC: the mark's grid starts at frame φ − T·r.
        var period = _s.PeriodFrames;
        return (((hit.Phase - (_s.TileFrames * hit.Rotation)) % period) + period) % period;
    }

    /// <summary>
    /// The payload at a hit's alignment — the whole input's (<see cref="BestWhole"/>) or the best window's
    /// (<see cref="BestWindow"/>) — for each position within the payload cycle (the sync search cannot tell which period of
    /// a cycle a period is), through Viterbi + CRC. Returns the first payload whose CRC checks, or null;
    /// <see cref="ChipPattern.CyclePeriods"/> CRC tests in all.
    /// </summary>
    public WatermarkPayload? DecodePayload(Hit hit)
    {
        for (var parity = 0; parity < ChipPattern.CyclePeriods; parity++)
        {
            if (PayloadCode.Decode(SoftBits(hit, parity)) is { } payload)
            {
                return payload;
            }
        }

        return null;
    }

    /// <summary>
    /// The coded bits' soft values at a hit's alignment (<see cref="DecodePayload"/>), for the period of the payload cycle
    /// that the input's first period is at (<paramref name="parity"/>): Σ chip·Ỹ over each bit's slots.
    /// </summary>
    public double[] SoftBits(Hit hit, int parity)
    {
        var lane = _lanes[hit.View, hit.Phase];
        var window = hit.Count != lane.Periods || hit.From != 0;
        if (window && (hit.From != lane.BestWindowFrom || hit.Rotation != lane.BestWindowRotation))
        {
            throw new InvalidOperationException("only the best window's coded bits are kept");
        }

        var cycle = window ? lane.BestWindowCycle! : lane.Cycle;
        var pc = _s.PeriodColumns;
        var pairs = _s.PairCount;
        var cycleColumns = pc * ChipPattern.CyclePeriods;
        // Fold column c holds the input's columns j ≡ c (mod cycle): at this alignment, cycle column (c + r + PC·parity) mod cycle.
        var soft = new double[PayloadCode.CodedBits];
        for (var c = 0; c < cycleColumns; c++)
        {
            var ccol = (c + hit.Rotation + (pc * parity)) % cycleColumns;
            for (var p = 0; p < pairs; p++)
            {
                var idx = (ccol * pairs) + p;
                var role = _pattern.Roles[idx];
                if (role != ChipPattern.Sync)
                {
                    soft[role] += _pattern.Chips[idx] * cycle[(c * pairs) + p];
                }
            }
        }

        return soft;
    }

    /// <summary>
    /// What a soft value of the whole input's fold is worth at a hit's alignment, as a log-likelihood ratio per unit (up
    /// to a factor 2 common to every layer): a/σ² of a slot's feature Ỹ = a·chip + noise, estimated on the synchronisation
    /// slots as Σ chip·Ỹ / Σ Ỹ² (0 where that is negative: no mark seen). Folding more periods scales a and σ² alike, so
    /// the weight holds for the payload cycle's fold too.
    /// </summary>
    public double SoftWeight(Hit hit)
    {
        var (num, den) = Correlate(_lanes[hit.View, hit.Phase].Whole, hit.Rotation);
        return den > 0 ? Math.Max(0, num / den) : 0;
    }

    /// <summary>
    /// The whole input's hypothesis in a view for a known alignment: the input's first frame is frame
    /// <paramref name="gridFrame"/> of the mark's grid (the frame of the embedder's input, modulo the payload cycle; the
    /// keyed room tone tells it, <see cref="RoomToneSearch.GridFrame"/>). Returns the hit, scored, and the payload cycle's
    /// parity to read its bits with.
    /// </summary>
    public (Hit Hit, int Parity) At(int view, int gridFrame)
    {
        // Input frame f is grid frame f + D: phase φ ≡ −D (mod T) puts the input's tile columns on the grid's, and input
        // column j is grid column j + (φ + D)/T, whose cycle position is r + PC·parity.
        var t = _s.TileFrames;
        var cycleColumns = _s.PeriodColumns * ChipPattern.CyclePeriods;
        var phase = ((-gridFrame % t) + t) % t;
        var column = (((phase + gridFrame) / t % cycleColumns) + cycleColumns) % cycleColumns;
        var lane = _lanes[view, phase];
        var rotation = column % _s.PeriodColumns;
        var score = lane.Periods > 0 ? SyncScore(lane.Whole, rotation, lane.Factor) : 0;
        return (new Hit(phase, rotation, 0, lane.Periods, score, view), column / _s.PeriodColumns);
    }

    /// <summary>
    /// Where the mark is: every window (of <see cref="WatermarkSettings.WindowPeriods"/> periods, one period apart)
    /// whose score at the hit's alignment passes a per-window threshold (false-positive rate 1e-4 per window, no
    /// search left at a fixed alignment); overlapping windows are merged, then each merged range loses the end periods
    /// whose own score shows no mark (under 1.5), since a window passes with only part of it marked. Seconds from the
    /// start of the input.
    /// </summary>
    public IReadOnlyList<MarkedRange> Ranges(Hit hit, double score, double durationSeconds)
    {
        var pc = _s.PeriodColumns;
        var secondsPerColumn = _s.TileFrames * _s.SecondsPerFrame;
        var ranges = new List<MarkedRange>();
        foreach (var (from, to, z) in _lanes[hit.View, hit.Phase].Trackers[hit.Rotation].Spans())
        {
            // Column j spans frames φ + T·j … φ + T·j + T − 1; frame m is centred on m·hop.
            var start = Math.Max(0, (hit.Phase * _s.SecondsPerFrame) + (from * pc * secondsPerColumn) - (_s.SecondsPerFrame / 2));
            var end = Math.Min(durationSeconds, (hit.Phase * _s.SecondsPerFrame) + (to * pc * secondsPerColumn) + (_s.SecondsPerFrame / 2));
            ranges.Add(new MarkedRange(start, end, z));
        }

        if (ranges.Count == 0)
        {
            ranges.Add(new MarkedRange(0, durationSeconds, score));
        }

        return ranges;
    }

    /// <summary>z = Σ c·Ỹ / √(f·Σ Ỹ²) over synchronisation slots: given the audio, mean 0 and variance 1 over random chips.</summary>
    private double SyncScore(double[] fold, int rotation, double factor)
    {
        var (num, den) = Correlate(fold, rotation);
        return den > 0 ? num / Math.Sqrt(den * factor) : 0;
    }

    /// <summary>Σ c·Ỹ and Σ Ỹ² over the synchronisation slots of a fold at a rotation.</summary>
    private (double Num, double Den) Correlate(double[] fold, int rotation)
    {
        var slots = _syncSlots[rotation];
        var chips = _syncChips[rotation];
        double num = 0, den = 0;
        for (var i = 0; i < slots.Length; i++)
        {
            var v = fold[slots[i]];
            num += chips[i] * v;
            den += v * v;
        }

        return (num, den);
    }

    /// <summary>Per rotation r, the fold positions (column q, pair p; ascending) that meet a synchronisation slot of the pattern — pattern column (q + r) mod PC — and its chips.</summary>
    private static (int[][] Slots, double[][] Chips) SyncSlots(WatermarkSettings s, ChipPattern pattern)
    {
        var pc = s.PeriodColumns;
        var pairs = s.PairCount;
        var slots = new int[pc][];
        var chips = new double[pc][];
        for (var r = 0; r < pc; r++)
        {
            var (at, chip) = (new List<int>(), new List<double>());
            for (var q = 0; q < pc; q++)
            {
                for (var p = 0; p < pairs; p++)
                {
                    var idx = (((q + r) % pc) * pairs) + p;
                    if (pattern.Roles[idx] == ChipPattern.Sync)
                    {
                        at.Add((q * pairs) + p);
                        chip.Add(pattern.Chips[idx]);
                    }
                }
            }

            (slots[r], chips[r]) = ([.. at], [.. chip]);
        }

        return (slots, chips);
    }

    /// <summary>The search's state for one view and one frame phase.</summary>
    private sealed class Lane
    {
        private readonly AlignmentSearch _owner;
        private readonly int _view;
        private readonly int _pc;
        private readonly int _pairs;
        private readonly int _w;

        /// <summary>The last <see cref="_w"/> periods' features (ring, by period index mod w).</summary>
        private readonly double[][] _recent;

        /// <summary>Σ y² and, per lag k = 1 … 2·PredictionRadius columns, Σ y_i·y_(i+k) over the input so far (see <see cref="Factor"/>).</summary>
        private readonly double[] _lagSums;

        private readonly Queue<(int Period, double[] Single, double[]? Window)> _pending = new();
        private double _energy;
        private double _bestWindowZ0 = double.NegativeInfinity;

        public Lane(AlignmentSearch owner, int view)
        {
            _owner = owner;
            _view = view;
            var s = owner._s;
            _pc = s.PeriodColumns;
            _pairs = s.PairCount;
            _w = s.WindowPeriods;
            Whole = new double[_pc * _pairs];
            _recent = new double[_w][];
            _lagSums = new double[(2 * s.PredictionRadius) + 1];
            Cycle = new double[_pc * ChipPattern.CyclePeriods * _pairs];

            Trackers = new RangeTracker[_pc];
            for (var r = 0; r < _pc; r++)
            {
                Trackers[r] = new RangeTracker(_w);
            }
        }

        public int Periods { get; private set; }

        /// <summary>Real columns so far.</summary>
        public int Columns { get; private set; }

        public int Live { get; private set; }

        /// <summary>The fold of every period.</summary>
        public double[] Whole { get; }

        /// <summary>The input folded over the payload cycle (its columns j summed at j mod PeriodColumns·CyclePeriods): what the coded bits are read from at any alignment.</summary>
        public double[] Cycle { get; }

        public RangeTracker[] Trackers { get; }

        /// <summary>Windows per rotation once the input has ended (0 when it is too short for windows to add anything).</summary>
        public int WindowCount => Periods > _w + 1 ? Periods - _w + 1 : 0;

        public double[]? BestWindowFold { get; private set; }

        public int BestWindowFrom { get; private set; } = -1;

        public int BestWindowRotation { get; private set; }

        /// <summary>The best window's periods folded over the payload cycle.</summary>
        public double[]? BestWindowCycle { get; private set; }

        /// <summary>
        /// The factor by which the host's correlation between slots of the same band pair up to 2·PredictionRadius
        /// columns apart (they share terms of the prediction) and the key's own chip pattern inflate the score's
        /// variance: 1 + 2 Σ_k ρ_k r_k, with ρ_k the features' lag-k correlation measured on the input (the mark, with
        /// its random chips, adds nothing to it on average) and r_k the pattern's (<see cref="ChipPattern.LagCorrelation"/>).
        /// Over random keys r_k averages 0 and the factor 1; for one fixed key it corrects that key's coincidences.
        /// </summary>
        public double Factor
        {
            get
            {
                if (_energy <= 0)
                {
                    return 1;
                }

                var f = 1.0;
                for (var lag = 1; lag < _lagSums.Length; lag++)
                {
                    f += 2 * (_lagSums[lag] / _energy) * _owner._pattern.LagCorrelation(lag);
                }

                return Math.Max(f, 0.5);
            }
        }

        public void Add(double[] y, int columns, int live)
        {
            var c0 = Columns;
            var previous = Periods > 0 ? _recent[(Periods - 1) % _w] : null;
            var n = columns * _pairs;
            for (var i = 0; i < n; i++)
            {
                _energy += y[i] * y[i];
            }

            for (var lag = 1; lag < _lagSums.Length; lag++)
            {
                var back = lag * _pairs;
                for (var i = 0; i < n; i++)
                {
                    // y_(i−back) is in this period or, near its start, at the end of the previous one (a full period).
                    var earlier = i >= back ? y[i - back] : previous?[(_pc * _pairs) + i - back];
                    if (earlier is { } e)
                    {
                        _lagSums[lag] += e * y[i];
                    }
                }
            }

            for (var i = 0; i < Whole.Length; i++)
            {
                Whole[i] += y[i];
            }

            AddCycle(Cycle, y, c0, columns);
            _recent[Periods % _w] = y;
            Periods++;
            Columns += columns;
            Live += live;

            var single = new double[_pc];
            for (var r = 0; r < _pc; r++)
            {
                single[r] = Z0(y, r);
            }

            double[]? window = null;
            if (Periods >= _w)
            {
                var from = Periods - _w;
                var fold = RecentFold();
                window = new double[_pc];
                for (var r = 0; r < _pc; r++)
                {
                    window[r] = Z0(fold, r);
                    if (_view == AllSlots && window[r] > _bestWindowZ0)
                    {
                        _bestWindowZ0 = window[r];
                        BestWindowFold = fold;
                        BestWindowFrom = from;
                        BestWindowRotation = r;
                    }
                }

                if (BestWindowFrom == from)
                {
                    BestWindowCycle = new double[Cycle.Length];
                    for (var k = from; k < Periods; k++)
                    {
                        AddCycle(BestWindowCycle, _recent[k % _w], k * _pc, k == Periods - 1 ? columns : _pc);
                    }
                }
            }

            _pending.Enqueue((Periods - 1, single, window));
            while (_pending.Count > RangeDelay)
            {
                Settle(Factor);
            }
        }

        public void Finish()
        {
            var f = Factor;
            while (_pending.Count > 0)
            {
                Settle(f);
            }

            if (Periods > 0 && Periods < _w)
            {
                // Shorter than a window: the one window is the whole input.
                for (var r = 0; r < _pc; r++)
                {
                    Trackers[r].Window(0, Periods, _owner.SyncScore(Whole, r, f));
                }
            }
        }

        /// <summary>The oldest pending period's range evidence, judged with the variance factor <paramref name="f"/>.</summary>
        private void Settle(double f)
        {
            var (period, single, window) = _pending.Dequeue();
            var scale = 1 / Math.Sqrt(f);
            for (var r = 0; r < _pc; r++)
            {
                Trackers[r].Period(period, single[r] * scale);
                if (window is not null)
                {
                    Trackers[r].Window(period - _w + 1, period + 1, window[r] * scale);
                }
            }
        }

        /// <summary>Σ c·Ỹ / √(Σ Ỹ²) (the score before the variance factor).</summary>
        private double Z0(double[] fold, int rotation)
        {
            var (num, den) = _owner.Correlate(fold, rotation);
            return den > 0 ? num / Math.Sqrt(den) : 0;
        }

        /// <summary>The fold of the last window's periods, oldest first (the ring holds exactly them).</summary>
        private double[] RecentFold()
        {
            var fold = new double[_pc * _pairs];
            for (var k = Periods - _w; k < Periods; k++)
            {
                var p = _recent[k % _w];
                for (var i = 0; i < fold.Length; i++)
                {
                    fold[i] += p[i];
                }
            }

            return fold;
        }

        /// <summary>Adds one period's features (its columns from absolute column <paramref name="c0"/>) to a fold over the payload cycle.</summary>
        private void AddCycle(double[] cycle, double[] y, int c0, int columns)
        {
            var cycleColumns = _pc * ChipPattern.CyclePeriods;
            for (var q = 0; q < columns; q++)
            {
                var row = ((c0 + q) % cycleColumns) * _pairs;
                for (var p = 0; p < _pairs; p++)
                {
                    cycle[row + p] += y[(q * _pairs) + p];
                }
            }
        }
    }

    /// <summary>
    /// The marked ranges at one alignment, decided as the periods go by: windows whose score passes 1e-4 (a fixed
    /// alignment) merge while they overlap; a merged range loses its leading and trailing periods whose own score is under
    /// 1.5. Holds the last window's period verdicts and the open range; closed ranges are the answer.
    /// </summary>
    internal sealed class RangeTracker(int windowPeriods)
    {
        private const double EdgeEvidence = 1.5;
        private static readonly double Local = Gaussian.InverseUpperTail(1e-4);
        private readonly bool[] _low = new bool[windowPeriods];
        private readonly List<(int From, int To, double Score)> _closed = [];
        private Span? _open;

        public void Period(int period, double z) => _low[period % windowPeriods] = z < EdgeEvidence;

        /// <summary>The window of periods [from, to) scored <paramref name="z"/>; its periods' own verdicts are in.</summary>
        public void Window(int from, int to, double z)
        {
            if (z < Local)
            {
                return;
            }

            var span = _open;
            if (span is not null && from <= span.To)
            {
                span.Score = Math.Max(span.Score, z);
            }
            else
            {
                if (span is not null)
                {
                    _closed.Add(span.Trimmed());
                }

                span = _open = new Span { From = from, To = from, Score = z };
            }

            while (span.To < to)
            {
                span.Append(_low[span.To % windowPeriods]);
            }
        }

        /// <summary>The ranges found, in periods [From, To), with each range's best window score.</summary>
        public IEnumerable<(int From, int To, double Score)> Spans() =>
            _open is null ? _closed : [.. _closed, _open.Trimmed()];

        private sealed class Span
        {
            public int From;
            public int To;
            public double Score;
            private int _lead;
            private int _trail;
            private bool _allLow = true;

            public void Append(bool low)
            {
                To++;
                if (low)
                {
                    _trail++;
                    _lead += _allLow ? 1 : 0;
                }
                else
                {
                    _trail = 0;
                    _allLow = false;
                }
            }

            /// <summary>Without the leading and trailing periods that show no mark (one period at least is kept).</summary>
            public (int From, int To, double Score) Trimmed() =>
                _allLow ? (To - 1, To, Score) : (From + _lead, To - _trail, Score);
        }
    }

    /// <summary>One alignment hypothesis: frame phase, pattern rotation, span of periods, its score, and the view it was scored in.</summary>
    internal readonly record struct Hit(int Phase, int Rotation, int From, int Count, double Score, int View);
}
