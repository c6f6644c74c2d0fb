namespace V2a.Corpus.Captions;

/// <summary>
/// Everyday sentences for the talking figures: templates with slots, so thousands of different lines come from
/// a short list, each short enough to say within a clip.
/// </summary>
public static class Transcripts
{
    private static readonly string[] Templates =
    [
        "could you pass me the {thing}",
        "I left the {thing} in the {place}",
        "the {thing} is in the {place}",
        "let's meet at the {place} at {time}",
        "I think it is going to {weather} {when}",
        "have you seen my {thing}",
        "we should go to the {place} {when}",
        "the train leaves at {time}",
        "please close the door when you leave",
        "I can hear something outside",
        "what a {adj} day it is",
        "did you hear that noise",
        "my {person} is coming {when}",
        "the {thing} looks {adj}",
        "put the {thing} next to the {thing2}",
        "I need to buy a new {thing}",
        "we are late again",
        "thank you very much",
        "good morning everyone",
        "it is {adj} in here",
        "turn left at the {place}",
        "the {person} forgot the {thing}",
        "I will call you {when}",
        "wait for me at the {place}",
        "this {thing} is not mine",
        "where did you put the {thing}",
        "the {place} opens at {time}",
        "listen to this",
        "I like the {adj} {thing}",
        "can we talk {when}",
    ];

    private static readonly string[] Things = ["keys", "blue cup", "umbrella", "map", "book", "red bag", "ticket", "bread", "lamp", "coat", "phone", "letter", "ball", "hat", "box", "bottle", "chair", "basket", "green jacket", "camera"];
    private static readonly string[] Places = ["kitchen", "station", "garden", "library", "market", "park", "office", "corner", "bridge", "school", "harbour", "museum", "bakery", "hall"];
    private static readonly string[] Times = ["seven", "noon", "half past three", "six tonight", "ten", "nine sharp", "four", "midnight"];
    private static readonly string[] Weathers = ["rain", "snow", "clear up", "get cold", "be windy"];
    private static readonly string[] Whens = ["tomorrow", "later", "tonight", "next week", "soon", "this afternoon", "on Monday", "after lunch"];
    private static readonly string[] Adjectives = ["lovely", "strange", "quiet", "cold", "warm", "bright", "busy", "old", "wonderful", "noisy"];
    private static readonly string[] People = ["sister", "brother", "friend", "teacher", "neighbour", "uncle", "aunt", "doctor"];

    /// <summary>A sentence of at most <paramref name="maxWords"/> words (at least 2), capitalised and punctuated.</summary>
    public static string Sentence(Rng rng, int maxWords)
    {
        for (var attempt = 0; attempt < 30; attempt++)
        {
            var t = rng.Pick(Templates);
            var s = t.Replace("{thing2}", rng.Pick(Things)).Replace("{thing}", rng.Pick(Things)).Replace("{place}", rng.Pick(Places))
                .Replace("{time}", rng.Pick(Times)).Replace("{weather}", rng.Pick(Weathers)).Replace("{when}", rng.Pick(Whens))
                .Replace("{adj}", rng.Pick(Adjectives)).Replace("{person}", rng.Pick(People));
            if (s.Split(' ').Length <= Math.Max(2, maxWords))
            {
                return Finish(s);
            }
        }

        return Finish(rng.Pick(["thank you", "hello there", "listen", "look out", "over here"]));
    }

    private static string Finish(string s)
    {
        var exclaim = s.StartsWith("what a", StringComparison.Ordinal);
        string[] asks = ["could", "have", "where", "did", "can", "what"];
        var question = !exclaim && asks.Any(a => s.StartsWith(a + " ", StringComparison.Ordinal));
        return char.ToUpperInvariant(s[0]) + s[1..] + (question ? "?" : exclaim ? "!" : ".");
    }
}
