namespace V2a.Watermark;

/// <summary>
/// One frame phase's path from band energies to the detector's slot features, a synchronisation period at a time, in
/// bounded memory. Frames arrive one by one; every <see cref="WatermarkSettings.TileFrames"/> frames from the phase on
/// make a tile column; a period's features are computed once the columns they depend on have arrived — the prediction
/// and variance context (<see cref="SlotFeatures.Context"/>) and, for the sound view, the band floors over
/// ±<see cref="SlotFeatures.FloorRadiusPeriods"/> periods — and handed to the search. What is held is that window of
/// columns (about 18 s), whatever the input's length.
/// </summary>
internal sealed class PeriodFeatures
{
    private readonly WatermarkSettings _s;
    private readonly int _phase;
    private readonly double _liveFloor;
    private readonly int _bands;
    private readonly int _pairs;
    private readonly int _pc;
    private readonly int _context;
    private readonly int _radius;
    private readonly AlignmentSearch _search;

    /// <summary>Tile energies (bands) of columns [_first, _first + _columns.Count).</summary>
    private readonly List<double[]> _columns = [];

    /// <summary>Per band, the live tile energies of columns [_removed, _added), sorted: the floor's window.</summary>
    private readonly SortedWindow[] _live;

    /// <summary>Per band, the live tile energies entering and leaving the window at this period (scratch).</summary>
    private readonly List<double>[] _entering;

    private readonly List<double>[] _leaving;

    private double[] _building;
    private int _first;
    private int _framesInColumn;
    private int _frames;
    private int _added;
    private int _removed;
    private int _nextPeriod;

    public PeriodFeatures(WatermarkSettings s, int phase, AlignmentSearch search)
    {
        _s = s;
        _phase = phase;
        _search = search;
        _liveFloor = TileFeatures.LiveFloorOf(s);
        _bands = s.BandCount;
        _pairs = s.PairCount;
        _pc = s.PeriodColumns;
        _context = SlotFeatures.Context(s);
        _radius = SlotFeatures.FloorRadiusPeriods;
        if (_radius * _pc < _context)
        {
            throw new ArgumentException("the floor's window must cover the features' context", nameof(s));
        }

        _live = new SortedWindow[_bands];
        _entering = new List<double>[_bands];
        _leaving = new List<double>[_bands];
        for (var b = 0; b < _bands; b++)
        {
            (_live[b], _entering[b], _leaving[b]) = (new SortedWindow(), [], []);
        }

        _building = new double[_bands];
    }

    /// <summary>Columns that have arrived.</summary>
    private int Arrived => _first + _columns.Count;

    /// <summary>Adds the next frame's band energies.</summary>
    public void AddFrame(float[] bands)
    {
        if (_frames++ < _phase)
        {
            return;
        }

        for (var b = 0; b < _bands; b++)
        {
            _building[b] += bands[b];
        }

        if (++_framesInColumn == _s.TileFrames)
        {
            _columns.Add(_building);
            _building = new double[_bands];
            _framesInColumn = 0;
            Process(final: false);
        }
    }

    /// <summary>The input has ended: the features of the periods still waiting (a partial last column is dropped).</summary>
    public void Finish() => Process(final: true);

    private void Process(bool final)
    {
        while (true)
        {
            var k = _nextPeriod;
            var c0 = k * _pc;
            if (final ? c0 >= Arrived : Arrived < (k + _radius + 1) * _pc)
            {
                return;
            }

            var c1 = Math.Min(Arrived, c0 + _pc);
            for (; _added < Math.Min(Arrived, (k + _radius + 1) * _pc); _added++)
            {
                CollectLive(_added, _entering);
            }

            for (; _removed < (k - _radius) * _pc; _removed++)
            {
                CollectLive(_removed, _leaving);
            }

            for (var b = 0; b < _bands; b++)
            {
                _live[b].Update(_entering[b], _leaving[b]);
            }

            var b0 = Math.Max(0, c0 - _context);
            var b1 = Math.Min(Arrived, c1 + _context);
            var block = new double[(b1 - b0) * _bands];
            for (var j = b0; j < b1; j++)
            {
                _columns[j - _first].CopyTo(block, (j - b0) * _bands);
            }

            var features = SlotFeatures.Compute(_s, block, b1 - b0, _liveFloor);
            var share = SlotFeatures.ShareAboveFloor(_s, block, c0 - b0, c1 - b0, _liveFloor, SlotFeatures.BandFloors(_live));
            var all = new double[_pc * _pairs];
            var sound = new double[_pc * _pairs];
            var live = 0;
            var offset = (c0 - b0) * _pairs;
            for (var i = 0; i < (c1 - c0) * _pairs; i++)
            {
                all[i] = features.Y[offset + i];
                sound[i] = all[i] * share[i];
                live += features.Weight[offset + i] > 0 ? 1 : 0;
            }

            _search.AddPeriod(_phase, all, sound, c1 - c0, live);
            _nextPeriod++;
            // Keep the columns the floor's window will still remove and the next period's context needs.
            var keep = Math.Min(_removed, (_nextPeriod * _pc) - _context);
            if (keep > _first)
            {
                _columns.RemoveRange(0, keep - _first);
                _first = keep;
            }
        }
    }

    /// <summary>Adds a column's live tile energies to each band's list.</summary>
    private void CollectLive(int column, List<double>[] lists)
    {
        var e = _columns[column - _first];
        for (var b = 0; b < _bands; b++)
        {
            if (e[b] >= _liveFloor)
            {
                lists[b].Add(e[b]);
            }
        }
    }
}

/// <summary>
/// A multiset of values kept sorted and updated a batch at a time — values in, values out — by one merge pass, so a
/// window that slides by a period costs a pass over it rather than a search and a shift per value.
/// </summary>
internal sealed class SortedWindow
{
    private double[] _values = new double[256];
    private double[] _spare = new double[256];

    public int Count { get; private set; }

    public double this[int i] => i < Count ? _values[i] : throw new ArgumentOutOfRangeException(nameof(i));

    /// <summary>Adds <paramref name="entering"/> and removes <paramref name="leaving"/> (values that are in the window); clears both lists.</summary>
    public void Update(List<double> entering, List<double> leaving)
    {
        entering.Sort();
        leaving.Sort();
        var size = Count + entering.Count;
        if (_spare.Length < size)
        {
            _spare = new double[Math.Max(size, 2 * _spare.Length)];
        }

        var (i, a, r, n) = (0, 0, 0, 0);
        while (i < Count || a < entering.Count)
        {
            if (i < Count && r < leaving.Count && _values[i] >= leaving[r])
            {
                if (_values[i] != leaving[r])
                {
                    throw new InvalidOperationException("a value left the window that was not in it");
                }

                i++;
                r++;
            }
            else if (a < entering.Count && (i == Count || entering[a] <= _values[i]))
            {
                _spare[n++] = entering[a++];
            }
            else
            {
                _spare[n++] = _values[i++];
            }
        }

        if (r != leaving.Count)
        {
            throw new InvalidOperationException("a value left the window that was not in it");
        }

        (_values, _spare) = (_spare, _values);
        Count = n;
        entering.Clear();
        leaving.Clear();
    }
}
