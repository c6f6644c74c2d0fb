using V2a.Corpus.Scene;

namespace V2a.Corpus.Captions;

/// <summary>
/// Writes 2–3 different captions for a scene. Every caption names every sounding source (on screen, off screen
/// and the ambience) in words from its class's caption vocabulary; silent props appear now and then, marked as
/// still or silent, so that "a clock" in a caption does not always mean ticking.
/// </summary>
public static class CaptionWriter
{
    public static IReadOnlyList<string> Write(FoleyScene scene)
    {
        var rng = new Rng(scene.CaptionSeed);
        var stage = scene.Stage;
        var captions = new List<string>();
        var styles = new List<int> { 0, 1, 2, 3 };
        rng.Shuffle(styles);
        foreach (var style in styles.Take(3))
        {
            var text = Articles(scene.Still ? StillCaption(scene, rng, style) : Caption(scene, rng, style));
            if (!captions.Contains(text))
            {
                captions.Add(text);
            }
        }

        return captions;
    }

    private static string Caption(FoleyScene scene, Rng rng, int style)
    {
        var stage = scene.Stage;
        // Foreground on-screen sources first, then ambience, then the unseen.
        var sounding = scene.Sounding.OrderBy(s => s.IsBackground ? 1 : s.Visible ? 0 : 2).ToList();
        var foreground = sounding.Where(s => !s.IsBackground).ToList();
        var background = sounding.Where(s => s.IsBackground).ToList();
        var clauses = foreground.Select(s => s.Describe(rng, stage)).ToList();
        var ambience = background.Select(s => s.Describe(rng, stage)).ToList();
        var prop = scene.Sources.Where(s => !s.Sounding).Select(s => s.Describe(rng, stage)).FirstOrDefault();
        var withProp = prop is not null && rng.Chance(0.4);
        // Say where only when no clause already names the floor ("on the wooden floor … on a wooden floor").
        var floorNamed = clauses.Concat(ambience).Any(c => c.Clause.Contains(stage.FloorNoun, StringComparison.Ordinal));
        var where = floorNamed ? rng.Pick<string>(stage.Outdoor ? ["outdoors", "outside", "in the open air"] : ["indoors", "in a room", "inside"]) : stage.Where(rng);
        string text;
        switch (style)
        {
            case 0:
            {
                // "A red ball bounces twice on the tiled floor while rain falls."
                var parts = clauses.Select(c => c.Clause).ToList();
                var main = parts.Count == 0 ? Capital(ambience[0].Clause) : Capital(Join(parts, rng));
                var rest = (parts.Count == 0 ? ambience.Skip(1) : ambience).Select(a => a.Clause).ToList();
                text = main + (rest.Count > 0 ? $" while {Join(rest, rng)}" : "") + (rng.Chance(0.5) ? $" {where}" : "");
                break;
            }

            case 1:
            {
                // "In a grassy field, a bird chirps on a branch and a car drives past."
                var all = clauses.Concat(ambience).Select(c => c.Clause).ToList();
                text = $"{Capital(where)}, {Join(all, rng)}";
                break;
            }

            case 2:
            {
                // "The sound of a bird chirping and a car driving past, with gusting wind."
                var head = rng.Pick(["The sound of", "Sounds of", "We hear", "Audio of"]);
                var g = clauses.Select(c => c.Gerund).ToList();
                var amb = ambience.Select(a => a.Gerund).ToList();
                text = g.Count == 0 ? $"{head} {Join(amb, rng)} {where}" : $"{head} {Join(g, rng)}" + (amb.Count > 0 ? $", with {Join(amb, rng)}" : "");
                break;
            }

            default:
            {
                // Short: "A bell is struck; meanwhile it is raining."
                var all = clauses.Concat(ambience).Select(c => c.Clause).ToList();
                text = all.Count == 1 ? $"{Capital(all[0])} {where}" : $"{Capital(all[0])}; {rng.Pick(["meanwhile", "at the same time", "all the while"])} {Join(all.Skip(1).ToList(), rng)}";
                break;
            }
        }

        if (withProp)
        {
            text += $", and {prop!.Clause}";
        }

        return text + ".";
    }

    private static string StillCaption(FoleyScene scene, Rng rng, int style)
    {
        var stage = scene.Stage;
        var props = scene.Sources.Select(s => s.Describe(rng, stage)).ToList();
        var where = stage.Where(rng);
        var first = props.Count > 0 ? props[0] : null;
        var text = style switch
        {
            0 => first is null ? $"A silent, still scene {where}" : $"{Capital(first.Clause)} {where}, and all is silent",
            1 => $"{Capital(where)}, nothing makes a sound" + (first is null ? "" : $"; {first.Clause}"),
            2 => first is null ? $"Silence {where}" : $"Silence: {first.Gerund} {where}",
            _ => $"A quiet, still moment {where}" + (props.Count > 0 ? $" with {Join(props.Select(p => p.Gerund).ToList(), rng)}" : ""),
        };
        return text + ".";
    }

    private static string Join(IReadOnlyList<string> parts, Rng rng) => parts.Count switch
    {
        0 => "",
        1 => parts[0],
        2 => $"{parts[0]} {rng.Pick(["and", "while", "as"])} {parts[1]}",
        _ => $"{string.Join(", ", parts.Take(parts.Count - 1))} and {parts[^1]}",
    };

    /// <summary>"a orange ball" → "an orange ball": the phrases pick colours and materials independently of
    /// their article, so the article is fixed once the sentence is whole.</summary>
    internal static string Articles(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, @"\b([Aa]) (?=[aeiouAEIOU])", "$1n ");

    private static string Capital(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
