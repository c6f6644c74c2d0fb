using System.Text.Json;
using System.Text.Json.Serialization;

namespace V2a.Model.Data;

/// <summary>One annotated sound event of a clip: its class, when it starts, and whether its cause is in the frame.</summary>
internal sealed record CorpusMetaEvent
{
    public string? Class { get; init; }

    public double TStart { get; init; }

    /// <summary>When it ends; null (old corpora) counts as one mel frame after its start.</summary>
    public double? TEnd { get; init; }

    public bool OnScreen { get; init; }
}

/// <summary>
/// The fields of a corpus's meta.jsonl line that training needs (the corpus format is owned by V2a.Corpus;
/// this reader keeps V2a.Model independent of it). Paths are relative to the corpus folder.
/// </summary>
internal sealed record CorpusMetaClip
{
    public required string Id { get; init; }

    public required string Video { get; init; }

    public required string Audio { get; init; }

    public double Seconds { get; init; }

    public string? Generator { get; init; }

    public IReadOnlyList<string> Captions { get; init; } = [];

    public string? Transcript { get; init; }

    public Dictionary<string, string>? Sha256 { get; init; }

    public string? Licence { get; init; }

    public JsonElement? Source { get; init; }

    /// <summary>Annotated sound events (FoleyWorld writes them); null when the corpus has none.</summary>
    public IReadOnlyList<CorpusMetaEvent>? Events { get; init; }

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>Reads DIR/meta.jsonl; one-line errors name the file, the line and the reason.</summary>
    public static List<CorpusMetaClip> Read(string corpusDir)
    {
        if (!Directory.Exists(corpusDir))
        {
            throw new BadInputException(corpusDir, "does not exist or is not a folder (expected a corpus folder with meta.jsonl)");
        }

        var path = Path.Combine(corpusDir, "meta.jsonl");
        if (!File.Exists(path))
        {
            throw new BadInputException(path, "does not exist: not a corpus folder (see 'v2a corpus build')");
        }

        var clips = new List<CorpusMetaClip>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            CorpusMetaClip? clip;
            try
            {
                clip = JsonSerializer.Deserialize<CorpusMetaClip>(line, Options);
            }
            catch (JsonException e)
            {
                throw new BadInputException(path, $"line {lineNo} is not a valid clip record ({e.Message})");
            }

            if (clip is null || string.IsNullOrWhiteSpace(clip.Id))
            {
                throw new BadInputException(path, $"line {lineNo} has no clip id");
            }

            if (!ids.Add(clip.Id))
            {
                throw new BadInputException(path, $"line {lineNo}: clip id '{clip.Id}' appears twice");
            }

            clips.Add(clip);
        }

        if (clips.Count == 0)
        {
            throw new BadInputException(path, "lists no clips");
        }

        return clips;
    }

    /// <summary>The texts that condition this clip: each caption with the transcript appended; the
    /// transcript alone when there is no caption; none when there is neither.</summary>
    public IReadOnlyList<string> Texts(int max)
    {
        var texts = Captions.Where(c => !string.IsNullOrWhiteSpace(c))
            .Select(c => Conditions.TextTokenizer.ComposeText(c, Transcript)).Take(max).ToList();
        if (texts.Count == 0 && !string.IsNullOrWhiteSpace(Transcript))
        {
            texts.Add(Conditions.TextTokenizer.ComposeText(null, Transcript));
        }

        return texts;
    }
}
