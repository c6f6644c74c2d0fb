namespace V2a.Watermark;

/// <summary>
/// Detection of a signal that arrives in chunks (a decoder pipe, a live stream), in memory that does not grow with its
/// length: the frames' band energies go straight into each frame phase's <see cref="PeriodFeatures"/>, which hands the
/// search (<see cref="AlignmentSearch"/>) a period of slot features at a time. Feeding the same samples in any chunks
/// gives the same result, and <see cref="Watermarker.Detect(float[], int, WatermarkKey, WatermarkSettings?)"/> is this
/// class fed once.
/// </summary>
/// <example>
/// <code>
/// var detector = new WatermarkDetector(16000, WatermarkKey.Public);
/// foreach (var chunk in chunks) detector.Process(chunk);   // mono [-1, 1] at 16 kHz, any sizes
/// DetectionResult result = detector.Finish();
/// </code>
/// </example>
public sealed class WatermarkDetector
{
    private readonly WatermarkSettings _s;
    private readonly WatermarkKey _key;
    private readonly AlignmentSearch _search;
    private readonly RoomToneSearch _roomTone;
    private readonly DetectorFeed _feed;
    private DetectionResult? _result;

    public WatermarkDetector(int sampleRate, WatermarkKey key, WatermarkSettings? settings = null)
    {
        _s = settings ?? WatermarkSettings.Default;
        Watermarker.CheckRate(sampleRate, _s);
        _key = key;
        _search = new AlignmentSearch(_s, PatternCache.Get(_s, key));
        _roomTone = new RoomToneSearch(key, _s.Hop);
        _feed = new DetectorFeed(_s, _search, _roomTone);
    }

    /// <summary>Samples received so far.</summary>
    public long Samples => _feed.Samples;

    /// <summary>Feeds the next samples (mono, at the settings' rate).</summary>
    public void Process(ReadOnlySpan<float> samples)
    {
        if (_result is not null)
        {
            throw new InvalidOperationException("the detector has finished; make a new one for another signal");
        }

        _feed.Add(samples);
    }

    /// <summary>The input has ended: the decision (the same object on every later call).</summary>
    public DetectionResult Finish()
    {
        if (_result is null)
        {
            _feed.Finish();
            _result = Watermarker.Decide(_search, _roomTone, _feed.Samples, _key, _s);
        }

        return _result;
    }
}

/// <summary>Samples → band energies per frame (<see cref="StreamingAnalyzer"/>) → each phase's period features → the search;
/// and the same samples to the room tone's search (<see cref="RoomToneSearch"/>).</summary>
internal sealed class DetectorFeed
{
    private readonly StreamingAnalyzer _analyzer;
    private readonly PeriodFeatures[] _phases;
    private readonly AlignmentSearch _search;
    private readonly RoomToneSearch? _roomTone;

    public DetectorFeed(WatermarkSettings s, AlignmentSearch search, RoomToneSearch? roomTone = null)
    {
        _search = search;
        _roomTone = roomTone;
        _phases = new PeriodFeatures[s.TileFrames];
        for (var phase = 0; phase < _phases.Length; phase++)
        {
            _phases[phase] = new PeriodFeatures(s, phase, search);
        }

        _analyzer = new StreamingAnalyzer(s, bands =>
        {
            foreach (var phase in _phases)
            {
                phase.AddFrame(bands);
            }
        });
    }

    public long Samples => _analyzer.Samples;

    public void Add(ReadOnlySpan<float> samples)
    {
        _analyzer.Add(samples);
        _roomTone?.Add(samples);
    }

    public void Finish()
    {
        _analyzer.Finish();
        _roomTone?.Finish();
        foreach (var phase in _phases)
        {
            phase.Finish();
        }

        _search.Finish();
    }
}
