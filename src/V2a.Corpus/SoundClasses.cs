using System.Text.RegularExpressions;

namespace V2a.Corpus;

/// <summary>How an event's sound begins, which decides whether its t_start is a sharp audio onset.</summary>
public enum OnsetKind
{
    /// <summary>A percussive attack (under 2 ms) at t_start: impacts, steps, knocks, ticks, strikes, notes,
    /// drips, chirps, wing beats, explosions. Checked against the audio onset detector within 10 ms.</summary>
    Sharp,

    /// <summary>A sound that grows in (rain, wind, fire, an engine, rolling, speech): t_start is where it starts,
    /// but no detector can place a fade-in to 10 ms, so these are not in the onset test.</summary>
    Gradual,

    /// <summary>No events (stillness).</summary>
    None,
}

/// <summary>What the corpus knows about a class: its name, a description, its onset kind and the words that
/// name it in a caption.</summary>
public sealed record SoundClassInfo(string Name, string Description, OnsetKind Onset, IReadOnlyList<string> CaptionWords);

/// <summary>
/// The sound classes of FoleyWorld, in a fixed order (the order of classes.json; models index classes by it).
/// New classes are only ever appended.
/// </summary>
public static class SoundClasses
{
    public const string ImpactWood = "impact_wood";
    public const string ImpactMetal = "impact_metal";
    public const string ImpactGlass = "impact_glass";
    public const string ImpactRubber = "impact_rubber";
    public const string ImpactStone = "impact_stone";
    public const string Rolling = "rolling";
    public const string Footsteps = "footsteps";
    public const string Engine = "engine";
    public const string Rain = "rain";
    public const string Wind = "wind";
    public const string Fire = "fire";
    public const string WaterDrip = "water_drip";
    public const string Bird = "bird";
    public const string ClockTick = "clock_tick";
    public const string Bell = "bell";
    public const string DoorKnock = "door_knock";
    public const string Explosion = "explosion";
    public const string KeyboardMusic = "keyboard_music";
    public const string Speech = "speech";
    public const string Silence = "silence";

    private static readonly SoundClassInfo[] Infos =
    [
        new(ImpactWood, "a wooden object dropped on the floor, bouncing", OnsetKind.Sharp, ["wood", "wooden"]),
        new(ImpactMetal, "a metal object dropped on the floor, bouncing", OnsetKind.Sharp, ["metal", "metallic", "steel", "iron", "brass", "copper", "tin"]),
        new(ImpactGlass, "a glass object dropped on the floor, bouncing", OnsetKind.Sharp, ["glass"]),
        new(ImpactRubber, "a rubber ball bouncing", OnsetKind.Sharp, ["rubber", "bouncy"]),
        new(ImpactStone, "a stone dropped on the floor, bouncing", OnsetKind.Sharp, ["stone", "rock", "pebble", "granite", "marble"]),
        new(Rolling, "a ball rolling across the floor", OnsetKind.Gradual, ["rolls", "rolling", "rolled"]),
        new(Footsteps, "footsteps of a walking figure", OnsetKind.Sharp, ["footsteps", "steps", "walks", "walking", "walker", "paces", "strolls", "footfalls"]),
        new(Engine, "a vehicle engine whose pitch follows its speed", OnsetKind.Gradual, ["engine", "car", "motor", "van", "truck", "vehicle"]),
        new(Rain, "rain, as loud as it is dense", OnsetKind.Gradual, ["rain", "raining", "rainfall", "downpour", "drizzle", "shower"]),
        new(Wind, "wind swaying grass and trees", OnsetKind.Gradual, ["wind", "windy", "breeze", "gust", "gusts", "gusty"]),
        new(Fire, "a fire flickering and crackling", OnsetKind.Gradual, ["fire", "flames", "campfire", "bonfire", "crackling", "crackles", "burning", "fireplace", "hearth"]),
        new(WaterDrip, "water drips and splashes", OnsetKind.Sharp, ["drip", "drips", "dripping", "drop", "drops", "droplets", "splash", "splashes", "splashing", "plinks", "plink", "plop"]),
        new(Bird, "a bird chirping and flapping", OnsetKind.Sharp, ["bird", "birds", "chirps", "chirping", "tweets", "sparrow", "songbird", "finch", "sings", "singing"]),
        new(ClockTick, "a pendulum clock ticking", OnsetKind.Sharp, ["clock", "ticking", "ticks", "tick", "pendulum"]),
        new(Bell, "a bell or chime struck by a mallet", OnsetKind.Sharp, ["bell", "bells", "chime", "chimes", "gong"]),
        new(DoorKnock, "knocks on a door, or a door slammed shut", OnsetKind.Sharp, ["knock", "knocks", "knocking", "slam", "slams", "slammed", "slamming", "door", "knocker"]),
        new(Explosion, "an explosion with a flash", OnsetKind.Sharp, ["explosion", "explosions", "explodes", "blast", "blasts", "boom", "booms", "detonation", "bang"]),
        new(KeyboardMusic, "a keyboard whose lit keys play notes", OnsetKind.Sharp, ["keyboard", "piano", "keys", "melody", "notes", "tune", "music", "organ", "synthesizer"]),
        new(Speech, "a figure speaking, its mouth moving with the words", OnsetKind.Gradual, ["says", "speaks", "talks", "voice", "speaking", "talking", "saying", "said"]),
        new(Silence, "stillness: nothing moves that makes a sound", OnsetKind.None, ["silent", "silence", "quiet", "still", "stillness", "nothing"]),
    ];

    /// <summary>Every class, in the stable order of classes.json.</summary>
    public static IReadOnlyList<string> All { get; } = Infos.Select(i => i.Name).ToArray();

    /// <summary>The classes a scene can have a sounding source of (all but <see cref="Silence"/>).</summary>
    public static IReadOnlyList<string> Sounding { get; } = All.Where(c => c != Silence).ToArray();

    /// <summary>The five impact materials.</summary>
    public static IReadOnlyList<string> Impacts { get; } = [ImpactWood, ImpactMetal, ImpactGlass, ImpactRubber, ImpactStone];

    /// <summary>Sounds of a whole scene rather than of one visible event: what a user may ask to add to any video.</summary>
    public static IReadOnlyList<string> Ambience { get; } = [Rain, Wind, Fire];

    public static SoundClassInfo Info(string name) =>
        Infos.FirstOrDefault(i => i.Name == name) ?? throw new ArgumentException($"unknown sound class '{name}'", nameof(name));

    public static bool IsKnown(string name) => Infos.Any(i => i.Name == name);

    /// <summary>Whether <paramref name="text"/> names <paramref name="className"/> by one of its caption words (whole words, any case).</summary>
    public static bool IsNamedIn(string className, string text)
    {
        foreach (var word in Info(className).CaptionWords)
        {
            if (Regex.IsMatch(text, $@"\b{Regex.Escape(word)}\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Parses a comma-separated class list (the --classes option); throws naming unknown names.</summary>
    public static IReadOnlyList<string> Parse(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => n.ToLowerInvariant()).Distinct().ToList();
        var unknown = names.Where(n => !IsKnown(n)).ToList();
        if (unknown.Count > 0)
        {
            throw new BadInputException(null, $"--classes: unknown class {string.Join(", ", unknown.Select(u => $"'{u}'"))}; known: {string.Join(", ", All)}");
        }

        if (names.Count == 0)
        {
            throw new BadInputException(null, "--classes: the list is empty");
        }

        // Keep the canonical order whatever order the user typed.
        return All.Where(names.Contains).ToArray();
    }
}
