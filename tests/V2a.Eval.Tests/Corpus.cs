using V2a.Corpus;

namespace V2a.Eval.Tests;

/// <summary>Hand-built corpus records (meta only, no media).</summary>
internal static class Corpus
{
    public static CorpusEvent Event(string cls, double start, bool onScreen = true, double length = 0.5) => new()
    {
        Class = cls,
        TStart = start,
        TEnd = start + length,
        Source = $"{cls}-1",
        OnScreen = onScreen,
        LoudnessDb = -20,
    };

    public static CorpusClip Clip(params CorpusEvent[] events) => Clip("clip-0", events);

    public static CorpusClip Clip(string id, params CorpusEvent[] events) => new()
    {
        Id = id,
        Video = $"clips/{id}.mp4",
        Audio = $"clips/{id}.flac",
        Seconds = 8,
        Generator = "test",
        Captions = ["a test clip"],
        Events = events,
        Background = [],
        Sha256 = new CorpusHashes { Video = "", Audio = "" },
        Licence = "CC0-1.0",
        Source = "test",
    };

    /// <summary>Writes meta.jsonl and classes.json for <paramref name="clips"/> into a new folder.</summary>
    public static string WriteMeta(string dir, IEnumerable<CorpusClip> clips)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllLines(Path.Combine(dir, CorpusReader.MetaFile), clips.Select(CorpusReader.ToJsonLine));
        CorpusReader.WriteClasses(dir, SoundClasses.All);
        return dir;
    }
}
