using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace V2a.Corpus;

/// <summary>
/// One sound event of a clip. Times in seconds from the clip's start; for continuous sources (rain, wind, fire,
/// engine, rolling, speech) the event spans the active interval and <see cref="TStart"/> is where its sound starts.
/// </summary>
public sealed record CorpusEvent
{
    /// <summary>A name from <see cref="SoundClasses.All"/>.</summary>
    [JsonPropertyName("class")]
    public required string Class { get; init; }

    /// <summary>Start of the sound, seconds (sample-exact in FoleyWorld: a whole number of samples).</summary>
    public required double TStart { get; init; }

    /// <summary>End of the sound, seconds: where the event's own signal has decayed 50 dB below its peak, or the clip's end.</summary>
    public required double TEnd { get; init; }

    /// <summary>Which thing made it ("ball-1"); events of one source share it.</summary>
    public required string Source { get; init; }

    /// <summary>Whether its cause is visible in the frame at <see cref="TStart"/>.</summary>
    public required bool OnScreen { get; init; }

    /// <summary>Where the cause is at <see cref="TStart"/>, as a fraction of the frame width (0 = left); null when off-screen or unknown.</summary>
    public double? X { get; init; }

    /// <summary>Where the cause is at <see cref="TStart"/>, as a fraction of the frame height (0 = top); null when off-screen or unknown.</summary>
    public double? Y { get; init; }

    /// <summary>RMS level in dBFS of the event's own signal over [t_start, t_end], as it is in the mix.</summary>
    public required double LoudnessDb { get; init; }
}

/// <summary>SHA-256 (lower-case hex) of a clip's files.</summary>
public sealed record CorpusHashes
{
    public required string Video { get; init; }

    public required string Audio { get; init; }
}

/// <summary>
/// One line of a corpus's meta.jsonl: a clip, its captions, its events and its provenance. Paths are relative
/// to the corpus folder (use <see cref="CorpusReader.FullPath"/>).
/// </summary>
public sealed record CorpusClip
{
    public required string Id { get; init; }

    /// <summary>The MP4 (H.264 + AAC), relative to the corpus folder.</summary>
    public required string Video { get; init; }

    /// <summary>The lossless audio (16 kHz mono FLAC), relative to the corpus folder. Train on this, not on the MP4's AAC.</summary>
    public required string Audio { get; init; }

    public required double Seconds { get; init; }

    /// <summary>The clip's own seed (FoleyWorld); null for imported clips.</summary>
    public long? Seed { get; init; }

    /// <summary>"foleyworld 1.2", or "import" for real footage.</summary>
    public required string Generator { get; init; }

    public required IReadOnlyList<string> Captions { get; init; }

    /// <summary>What is spoken in the clip, or null when nobody speaks (or it is not known).</summary>
    public string? Transcript { get; init; }

    /// <summary>Sound events in start order; empty for stillness, and for imported clips (unknown).</summary>
    public required IReadOnlyList<CorpusEvent> Events { get; init; }

    /// <summary>Classes of the scene-wide ambience (rain, wind).</summary>
    public required IReadOnlyList<string> Background { get; init; }

    public required CorpusHashes Sha256 { get; init; }

    /// <summary>SPDX licence id of the clip ("CC0-1.0" for FoleyWorld).</summary>
    public required string Licence { get; init; }

    /// <summary>Where it came from: "FoleyWorld procedural generator (v2a)", or the source column of an import.</summary>
    public required string Source { get; init; }
}

/// <summary>Reads and writes meta.jsonl lines (snake_case JSON, one object a line).</summary>
public static class CorpusReader
{
    public const string MetaFile = "meta.jsonl";
    public const string ClassesFile = "classes.json";
    public const string ClipsFolder = "clips";

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>
    /// Streams the clips of the corpus in <paramref name="dir"/> (its meta.jsonl), one line at a time, so a
    /// corpus of any size reads in constant memory.
    /// </summary>
    /// <exception cref="BadInputException">No meta.jsonl, or a line that is not a clip (names the line).</exception>
    public static IEnumerable<CorpusClip> Read(string dir)
    {
        var path = Path.Combine(dir, MetaFile);
        if (!File.Exists(path))
        {
            throw new BadInputException(dir, $"is not a corpus folder (no {MetaFile})");
        }

        return ReadLines(path);
    }

    private static IEnumerable<CorpusClip> ReadLines(string path)
    {
        using var reader = new StreamReader(path);
        var lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            yield return Parse(line, $"{path}:{lineNo}");
        }
    }

    /// <summary>Parses one meta line; <paramref name="where"/> names it in errors.</summary>
    public static CorpusClip Parse(string line, string where)
    {
        try
        {
            return JsonSerializer.Deserialize<CorpusClip>(line, JsonOptions) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new BadInputException(where, $"not a corpus clip line ({e.Message})");
        }
    }

    /// <summary>One meta line (no newline).</summary>
    public static string ToJsonLine(CorpusClip clip) => JsonSerializer.Serialize(clip, JsonOptions);

    /// <summary>The absolute path of a clip's file given as in meta (relative to the corpus folder).</summary>
    public static string FullPath(string dir, string relative) => Path.GetFullPath(Path.Combine(dir, relative));

    /// <summary>Reads classes.json (the ordered class names).</summary>
    public static IReadOnlyList<string> ReadClasses(string dir)
    {
        var path = Path.Combine(dir, ClassesFile);
        if (!File.Exists(path))
        {
            throw new BadInputException(dir, $"is not a corpus folder (no {ClassesFile})");
        }

        try
        {
            return JsonSerializer.Deserialize<string[]>(File.ReadAllText(path)) ?? [];
        }
        catch (JsonException e)
        {
            throw new BadInputException(path, $"not a JSON list of class names ({e.Message})");
        }
    }

    /// <summary>Writes classes.json atomically.</summary>
    public static void WriteClasses(string dir, IReadOnlyList<string> classes) =>
        AtomicFile.WriteAllText(Path.Combine(dir, ClassesFile), JsonSerializer.Serialize(classes, new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
