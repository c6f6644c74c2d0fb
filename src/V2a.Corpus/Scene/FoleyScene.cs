namespace V2a.Corpus.Scene;

/// <summary>
/// One clip's world: the set, camera, light and sources, all fixed by the clip's seed before anything is
/// drawn or heard. The renderer draws it, the synthesiser hears it and the captioner describes it.
/// </summary>
public sealed class FoleyScene
{
    public required string Id { get; init; }

    /// <summary>The clip's seed (meta "seed"): with the generator version and the class list it fixes the clip.</summary>
    public required long Seed { get; init; }

    public required double Seconds { get; init; }

    public required Stage Stage { get; init; }

    public required Camera Camera { get; init; }

    public required Lighting Lighting { get; init; }

    /// <summary>Every source: sounding ones (on or off screen) and silent props.</summary>
    public required IReadOnlyList<Source> Sources { get; init; }

    /// <summary>Seed of the random stream captions draw from (a fresh stream per call, so captions are repeatable).</summary>
    public required ulong CaptionSeed { get; init; }

    /// <summary>True for a stillness scene: nothing sounds.</summary>
    public bool Still => !Sources.Any(s => s.Sounding);

    public IEnumerable<Source> Sounding => Sources.Where(s => s.Sounding);

    /// <summary>Classes that are heard, in class order.</summary>
    public IReadOnlyList<string> SoundingClasses =>
        SoundClasses.All.Where(c => Sources.Any(s => s.Sounding && s.Class == c)).ToArray();

    /// <summary>Classes whose sounding source is visible.</summary>
    public IReadOnlyList<string> OnScreenSoundingClasses =>
        SoundClasses.All.Where(c => Sources.Any(s => s.Sounding && s.Visible && s.Class == c)).ToArray();

    /// <summary>Classes of the scene's presence as a whole for balance counts: sounding classes, or "silence".</summary>
    public IReadOnlyList<string> ClipClasses => Still ? [SoundClasses.Silence] : SoundingClasses;

    /// <summary>Wind strength in [0, 1] at t (0 without wind): sways plants.</summary>
    public double WindAt(double t) => Sources.OfType<IWindField>().Select(w => w.StrengthAt(t)).DefaultIfEmpty(0).Max();

    /// <summary>Extra camera jolt at t (explosions).</summary>
    public double ShakeAt(double t) => Sources.Sum(s => s.ShakeAt(t));

    /// <summary>What is said, in order (utterances joined), or null.</summary>
    public string? Transcript
    {
        get
        {
            var lines = Sources.OfType<ISpeaker>().Where(s => ((Source)s).Sounding).SelectMany(s => s.Utterances).OrderBy(u => u.Start).Select(u => u.Text).ToList();
            return lines.Count == 0 ? null : string.Join(" ", lines);
        }
    }
}

/// <summary>A source that moves the air: plants sway by its strength.</summary>
public interface IWindField
{
    double StrengthAt(double t);
}

/// <summary>A source that speaks.</summary>
public interface ISpeaker
{
    IReadOnlyList<(double Start, string Text)> Utterances { get; }
}
