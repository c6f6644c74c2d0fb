using V2a.Corpus.Scene;

namespace V2a.Corpus.Synth;

/// <summary>A scene's soundtrack and its measured events.</summary>
public sealed record MixedAudio(float[] Samples, IReadOnlyList<CorpusEvent> Events, double MixGainDb);

/// <summary>
/// Hears a scene: each sounding source synthesises its stem from the same event plan the renderer draws, the
/// stem is scaled to the source's level, stems are summed, and one gain brings the mix's peak to at most −1 dBFS
/// (no clipping, no per-source limiting). Events are then measured from their own signals.
/// </summary>
public static class SceneMixer
{
    /// <summary>Highest allowed peak of the mix, dBFS.</summary>
    public const double PeakCeilingDb = -1;

    /// <summary>Cut-off of the low-pass that muffles sources heard from out of view, Hz.</summary>
    public const double OffScreenLowPassHz = 3000;

    public static MixedAudio Mix(FoleyScene scene, int sampleRate) => Mix(scene, sampleRate, null);

    /// <summary>As <see cref="Mix(FoleyScene, int)"/>; <paramref name="eventSounds"/>, when given, receives each
    /// event (in the returned order) with its own sound alone at mix scale, starting at the returned sample —
    /// what a test needs to check every event, masked or not, against its <c>t_start</c>.</summary>
    internal static MixedAudio Mix(FoleyScene scene, int sampleRate, List<(CorpusEvent Event, int Start, float[] Sound)>? eventSounds)
    {
        var length = (int)Math.Round(scene.Seconds * sampleRate);
        var mix = new double[length];
        var stems = new List<(Source Source, StemBuilder Stem, double Gain)>();
        foreach (var source in scene.Sounding)
        {
            var stem = new StemBuilder(sampleRate, length, source.Events.Count)
            {
                LowPassHz = source.Visible ? null : OffScreenLowPassHz,
            };
            source.Synthesize(stem);
            var peak = Dsp.Peak(stem.Samples);
            var gain = peak > 0 ? Dsp.DbToGain(source.LevelDb) / peak : 0;
            for (var i = 0; i < length; i++)
            {
                mix[i] += stem.Samples[i] * gain;
            }

            stems.Add((source, stem, gain));
        }

        var mixPeak = mix.Length == 0 ? 0 : mix.Max(Math.Abs);
        var ceiling = Dsp.DbToGain(PeakCeilingDb);
        var mixGain = mixPeak > ceiling ? ceiling / mixPeak : 1;
        var samples = new float[length];
        for (var i = 0; i < length; i++)
        {
            samples[i] = (float)(mix[i] * mixGain);
        }

        var events = new List<CorpusEvent>();
        var sounds = new Dictionary<CorpusEvent, (int, float[])>(ReferenceEqualityComparer.Instance);
        foreach (var (source, stem, gain) in stems)
        {
            for (var e = 0; e < source.Events.Count; e++)
            {
                var ev = source.Events[e];
                var start = (int)Math.Round(ev.TStart * sampleRate);
                var (end, loudness) = stem.Measure(e, start, gain * mixGain);
                double? x = null, y = null;
                var onScreen = false;
                if (source.Visible)
                {
                    var (fx, fy) = source.IsBackground ? (0.5, 0.5) : scene.Camera.Project(ev.X, ev.Y, ev.TStart, scene.ShakeAt(ev.TStart));
                    onScreen = fx is >= 0 and <= 1 && fy is >= 0 and <= 1;
                    if (onScreen)
                    {
                        (x, y) = (Math.Round(fx, 3), Math.Round(fy, 3));
                    }
                }

                var corpusEvent = new CorpusEvent
                {
                    Class = source.Class,
                    TStart = ev.TStart,
                    TEnd = Math.Min(scene.Seconds, Math.Max(end, start + 1) / (double)sampleRate),
                    Source = source.Id,
                    OnScreen = onScreen,
                    X = x,
                    Y = y,
                    LoudnessDb = Math.Round(loudness, 1),
                };
                events.Add(corpusEvent);
                if (eventSounds is not null)
                {
                    var (from, own) = stem.EventSignal(e, start);
                    var scale = (float)(gain * mixGain);
                    sounds[corpusEvent] = (from, own.Select(v => v * scale).ToArray());
                }
            }
        }

        var ordered = events.OrderBy(e => e.TStart).ThenBy(e => e.Source, StringComparer.Ordinal).ToList();
        eventSounds?.AddRange(ordered.Select(e => (e, sounds[e].Item1, sounds[e].Item2)));
        return new MixedAudio(samples, ordered, Math.Round(Dsp.GainToDb(mixGain), 2));
    }
}
