using V2a.Corpus;

namespace V2a.Eval;

/// <summary>
/// The onset times a clip's audio should have, from the corpus's event list, and the stretches where
/// onsets are neither expected nor wrong.
/// <list type="bullet">
/// <item>Reference: the <c>t_start</c> of every on-screen event whose class starts with a sharp attack
/// (<see cref="OnsetKind.Sharp"/>): the sounds a video-to-audio model can and must place on the frame.
/// Reference onsets closer than <see cref="MergeSeconds"/> to the previous one kept count once: no onset
/// detector separates them (its minimum gap is 40 ms), and at ±50 ms one detection could be either.</item>
/// <item>Set aside: a sharp event the video does not show (off-screen) is not expected of a model, so its
/// span from <c>t_start</c> − tolerance to <c>t_end</c> is set aside; a gradual sound (fire, rain, speech,
/// an engine, rolling) is full of acoustic onsets that no event lists (crackles, syllables), so its span
/// from <c>t_start</c> − tolerance to <c>t_end</c> is set aside too; so is the decay of a sharp sound
/// longer than <see cref="LongSoundSeconds"/> (an explosion's rumble and debris, a bell's ring) after its
/// first tolerance.</item>
/// </list>
/// A detection inside a set-aside stretch is dropped before matching unless a reference onset lies within
/// the tolerance of it; every other detection counts, so onsets in stillness are false alarms.
/// </summary>
/// <param name="Reference">Reference onset times in seconds, ascending.</param>
/// <param name="SetAside">Set-aside stretches [start, end] in seconds.</param>
public sealed record OnsetTruth(IReadOnlyList<double> Reference, IReadOnlyList<(double Start, double End)> SetAside)
{
    /// <summary>Reference onsets closer than this (seconds) to the previous kept one are merged into it.</summary>
    public const double MergeSeconds = 0.05;

    /// <summary>A sharp sound lasting longer than this (seconds, t_end − t_start) has its decay set aside.</summary>
    public const double LongSoundSeconds = 0.5;

    /// <param name="toleranceSeconds">Half-width of the stretch set aside around an off-screen sharp onset,
    /// and the lead before a gradual sound (its start may be detected a little early).</param>
    public static OnsetTruth For(CorpusClip clip, double toleranceSeconds)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var reference = new List<double>();
        var aside = new List<(double, double)>();
        foreach (var e in clip.Events)
        {
            var kind = SoundClasses.IsKnown(e.Class) ? SoundClasses.Info(e.Class).Onset : OnsetKind.Gradual;
            var end = Math.Max(e.TEnd, e.TStart + toleranceSeconds);
            if (kind == OnsetKind.Sharp && e.OnScreen)
            {
                reference.Add(e.TStart);
                if (e.TEnd - e.TStart > LongSoundSeconds)
                {
                    aside.Add((e.TStart + toleranceSeconds, e.TEnd));
                }
            }
            else if (kind is OnsetKind.Sharp or OnsetKind.Gradual)
            {
                aside.Add((e.TStart - toleranceSeconds, end));
            }
        }

        reference.Sort();
        var merged = new List<double>(reference.Count);
        foreach (var r in reference)
        {
            if (merged.Count == 0 || r - merged[^1] >= MergeSeconds)
            {
                merged.Add(r);
            }
        }

        return new OnsetTruth(merged, aside);
    }

    /// <summary>The detections that count: those near a reference onset or outside every set-aside stretch.</summary>
    public IReadOnlyList<double> Counted(IReadOnlyList<double> detected, double toleranceSeconds)
    {
        ArgumentNullException.ThrowIfNull(detected);
        if (SetAside.Count == 0)
        {
            return detected;
        }

        return detected.Where(d =>
            Reference.Any(r => Math.Abs(r - d) <= toleranceSeconds) || !SetAside.Any(a => d >= a.Start && d <= a.End)).ToList();
    }
}
