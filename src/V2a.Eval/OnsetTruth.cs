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
/// <item>Set aside, for a matching tolerance τ: a sharp event the video does not show (off-screen) is not
/// expected of a model, so its span from <c>t_start</c> − τ to <c>t_end</c> is set aside; a gradual sound
/// (fire, rain, speech, an engine, rolling) is full of acoustic onsets that no event lists (crackles,
/// syllables), so its span from <c>t_start</c> − τ to <c>t_end</c> is set aside too; and so is the rest of
/// every on-screen sharp sound after its first τ (its <i>body</i>): the corpus lists one event per sound, but a
/// sound can have inner attacks — a two-tone chirp's second tone, a drip's splash after its plink, the rattle
/// of an explosion's debris, a bell's beating ring.</item>
/// <item>Masked: an on-screen sharp event heard under another source that is sounding at its start at least
/// <see cref="MaskingDb"/> louder (a clock's tick under loud rain, a last bounce under an engine) is not a
/// reference — no listener or detector can be asked to find it — and its span from <c>t_start</c> − τ to
/// <c>t_end</c> is set aside like an unseen sound's.</item>
/// </list>
/// A detection inside a set-aside stretch is dropped before matching unless a reference onset lies within
/// τ of it (so it could match); every other detection counts, so onsets in stillness are false alarms, and
/// so is a second detection of one sound within τ of its start.
/// </summary>
/// <param name="Reference">Reference onset times in seconds, ascending.</param>
/// <param name="Stretches">The events behind the set-aside stretches (see <see cref="SetAside"/>).</param>
/// <param name="Classes">The sound class of each reference onset (of the first event where several were merged), or
/// null when unknown.</param>
public sealed record OnsetTruth(IReadOnlyList<double> Reference, IReadOnlyList<OnsetTruth.Stretch> Stretches,
    IReadOnlyList<string>? Classes = null)
{
    /// <summary>Reference onsets closer than this (seconds) to the previous kept one are merged into it.</summary>
    public const double MergeSeconds = 0.05;

    /// <summary>An event whose span is set aside: from <see cref="Start"/> − τ to <see cref="End"/> when
    /// <see cref="Body"/> is false (an unseen or gradual sound), from <see cref="Start"/> + τ when true (the body
    /// of an on-screen sharp sound).</summary>
    public readonly record struct Stretch(double Start, double End, bool Body);

    /// <summary>No reference onsets and nothing set aside: every detection counts against an empty list.</summary>
    public static OnsetTruth Plain(IReadOnlyList<double> reference) => new(reference, []);

    public static OnsetTruth For(CorpusClip clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var reference = new List<(double Time, string Class)>();
        var stretches = new List<Stretch>();
        foreach (var e in clip.Events)
        {
            var kind = SoundClasses.IsKnown(e.Class) ? SoundClasses.Info(e.Class).Onset : OnsetKind.Gradual;
            if (kind == OnsetKind.Sharp && e.OnScreen && Masked(e, clip.Events))
            {
                // Heard under a louder sound: neither expected nor wrong (see class notes).
                stretches.Add(new Stretch(e.TStart, e.TEnd, Body: false));
            }
            else if (kind == OnsetKind.Sharp && e.OnScreen)
            {
                reference.Add((e.TStart, e.Class));
                stretches.Add(new Stretch(e.TStart, e.TEnd, Body: true));
            }
            else if (kind is OnsetKind.Sharp or OnsetKind.Gradual)
            {
                stretches.Add(new Stretch(e.TStart, e.TEnd, Body: false));
            }
        }

        var merged = new List<double>(reference.Count);
        var classes = new List<string>(reference.Count);
        foreach (var (time, cls) in reference.OrderBy(r => r.Time)) // stable: events at one time keep the corpus's order
        {
            if (merged.Count == 0 || time - merged[^1] >= MergeSeconds)
            {
                merged.Add(time);
                classes.Add(cls);
            }
        }

        return new OnsetTruth(merged, stretches, classes);
    }

    /// <summary>A sharp event is masked when another source is sounding at its start at least this many dB louder
    /// (each event's loudness is the RMS of its own sound over its extent, in the mix).</summary>
    public const double MaskingDb = 12;

    private static bool Masked(CorpusEvent e, IReadOnlyList<CorpusEvent> all) =>
        all.Any(o => o.Source != e.Source && o.TStart <= e.TStart && o.TEnd > e.TStart && o.LoudnessDb >= e.LoudnessDb + MaskingDb);

    /// <summary>The set-aside stretches [start, end] in seconds for matching tolerance <paramref name="toleranceSeconds"/>.</summary>
    public IReadOnlyList<(double Start, double End)> SetAside(double toleranceSeconds)
    {
        var aside = new List<(double, double)>(Stretches.Count);
        foreach (var s in Stretches)
        {
            if (s.Body)
            {
                if (s.End > s.Start + toleranceSeconds)
                {
                    aside.Add((s.Start + toleranceSeconds, s.End));
                }
            }
            else
            {
                aside.Add((s.Start - toleranceSeconds, Math.Max(s.End, s.Start + toleranceSeconds)));
            }
        }

        return aside;
    }

    /// <summary>The detections that count at tolerance τ: those within τ of a reference onset or outside every
    /// set-aside stretch.</summary>
    public IReadOnlyList<double> Counted(IReadOnlyList<double> detected, double toleranceSeconds)
    {
        ArgumentNullException.ThrowIfNull(detected);
        var aside = SetAside(toleranceSeconds);
        if (aside.Count == 0)
        {
            return detected;
        }

        return detected.Where(d =>
            Reference.Any(r => Math.Abs(r - d) <= toleranceSeconds) || !aside.Any(a => d >= a.Start && d <= a.End)).ToList();
    }
}
