namespace V2a.Corpus.Synth;

/// <summary>
/// One source's audio track ("stem") being built, event by event. It keeps each event's own signal so that the
/// event's end (where it has decayed 50 dB below its peak) and its loudness are measured from what was actually
/// synthesised, not guessed.
/// </summary>
public sealed class StemBuilder
{
    private readonly List<(int Start, float[] Signal)>[] _segments;

    public StemBuilder(int sampleRate, int length, int eventCount)
    {
        SampleRate = sampleRate;
        Samples = new float[length];
        _segments = new List<(int, float[])>[eventCount];
        for (var i = 0; i < eventCount; i++)
        {
            _segments[i] = [];
        }
    }

    public int SampleRate { get; }

    /// <summary>The stem, at synthesis scale (normalised later by the source's level).</summary>
    public float[] Samples { get; }

    public int Length => Samples.Length;

    /// <summary>When set, every added signal is low-passed at this frequency first (a source heard from out of view, muffled).
    /// The filter is linear and its tail is under a millisecond, so filtering each part equals filtering the sum.</summary>
    public double? LowPassHz { get; init; }

    /// <summary>Adds <paramref name="signal"/> × <paramref name="gain"/> starting at time <paramref name="tSeconds"/>, as part of event <paramref name="eventIndex"/>.</summary>
    public void Add(int eventIndex, double tSeconds, ReadOnlySpan<float> signal, double gain = 1) =>
        AddAt(eventIndex, (int)Math.Round(tSeconds * SampleRate), signal, gain);

    /// <summary>Adds at a sample index; parts before 0 or past the end are dropped.</summary>
    public void AddAt(int eventIndex, int start, ReadOnlySpan<float> signal, double gain = 1)
    {
        var from = Math.Max(0, -start);
        var to = Math.Min(signal.Length, Samples.Length - start);
        if (to <= from)
        {
            return;
        }

        var part = new float[to - from];
        var g = (float)gain;
        if (LowPassHz is { } cutoff)
        {
            var filtered = signal.ToArray();
            Sounds.Muffle(filtered, cutoff, SampleRate);
            signal = filtered;
        }

        for (var i = from; i < to; i++)
        {
            var v = signal[i] * g;
            part[i - from] = v;
            Samples[start + i] += v;
        }

        _segments[eventIndex].Add((start + from, part));
    }

    /// <summary>
    /// The event's own signal (every part added for it, summed; synthesis scale) and the sample where that signal
    /// array starts: <paramref name="fromSample"/> or the event's first part, whichever is earlier.
    /// </summary>
    public (int Start, float[] Signal) EventSignal(int eventIndex, int fromSample)
    {
        var segs = _segments[eventIndex];
        if (segs.Count == 0)
        {
            return (fromSample, []);
        }

        var lo = Math.Min(fromSample, segs.Min(s => s.Start));
        var hi = segs.Max(s => s.Start + s.Signal.Length);
        var merged = new float[hi - lo];
        foreach (var (s, sig) in segs)
        {
            for (var i = 0; i < sig.Length; i++)
            {
                merged[s - lo + i] += sig[i];
            }
        }

        return (lo, merged);
    }

    /// <summary>
    /// The event's measured extent and level, for a stem later scaled by <paramref name="gain"/>: end sample
    /// (exclusive) where its own signal was last within 50 dB of its peak, and its RMS in dBFS over [start, end).
    /// </summary>
    public (int EndSample, double LoudnessDb) Measure(int eventIndex, int startSample, double gain)
    {
        if (_segments[eventIndex].Count == 0)
        {
            return (startSample, -120);
        }

        var (lo, merged) = EventSignal(eventIndex, startSample);

        var peak = Dsp.Peak(merged);
        if (peak <= 0)
        {
            return (startSample, -120);
        }

        var floor = peak * Dsp.DbToGain(-50);
        var last = merged.Length - 1;
        while (last > 0 && Math.Abs(merged[last]) < floor)
        {
            last--;
        }

        var from = startSample - lo;
        var end = Math.Max(from + 1, last + 1);
        var rms = Dsp.Rms(merged.AsSpan(from, end - from)) * gain;
        return (lo + end, Math.Max(-120, Dsp.GainToDb(rms)));
    }
}
