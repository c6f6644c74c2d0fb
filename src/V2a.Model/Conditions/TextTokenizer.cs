using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace V2a.Model.Conditions;

/// <summary>
/// Prompt text → token ids for the text encoder. Tokenising is GPT-2's byte-level BPE (Microsoft.ML.Tokenizers,
/// data shipped in a package, so it works offline); its 50k ids are then mapped through a compact vocabulary
/// built at <c>data prepare</c> from the ids the training text uses, so the embedding table stays small.
/// Compact id 0 pads, 1 stands for every GPT-2 id the training text never used.
/// </summary>
public sealed class TextTokenizer
{
    public const int PadId = 0;
    public const int OovId = 1;
    private const int FirstWordId = 2;

    private static readonly Lazy<Tokenizer> Gpt2 = new(() => TiktokenTokenizer.CreateForModel("gpt2"));
    private readonly Dictionary<int, int> _compact;

    /// <param name="gpt2Ids">The GPT-2 ids that get their own row, in compact-id order (compact id = index + 2).</param>
    public TextTokenizer(IReadOnlyList<int> gpt2Ids)
    {
        Gpt2Ids = gpt2Ids;
        _compact = new Dictionary<int, int>(gpt2Ids.Count);
        for (var i = 0; i < gpt2Ids.Count; i++)
        {
            _compact[gpt2Ids[i]] = i + FirstWordId;
        }
    }

    /// <summary>Rows the embedding table needs (pad + OOV + known ids).</summary>
    public int VocabSize => Gpt2Ids.Count + FirstWordId;

    public IReadOnlyList<int> Gpt2Ids { get; }

    /// <summary>The text a clip's condition is made of: the caption, then the transcript (speech) if any.
    /// Lower-cased so "Dog" and "dog" share ids.</summary>
    public static string ComposeText(string? caption, string? transcript)
    {
        var c = (caption ?? "").Trim();
        var t = (transcript ?? "").Trim();
        var text = t.Length == 0 ? c : c.Length == 0 ? $"speech: {t}" : $"{c}. speech: {t}";
        return text.ToLowerInvariant();
    }

    /// <summary>GPT-2 BPE ids of <paramref name="text"/> (lower-cased, trimmed).</summary>
    public static IReadOnlyList<int> Gpt2Encode(string text) => Gpt2.Value.EncodeToIds(text.Trim().ToLowerInvariant());

    /// <summary>
    /// Builds the compact vocabulary from training texts: ids used at least <paramref name="minCount"/>
    /// times, most frequent first, at most <paramref name="maxSize"/> (ties broken by id, so the result is
    /// deterministic).
    /// </summary>
    public static TextTokenizer Build(IEnumerable<string> texts, int maxSize = 2048, int minCount = 1)
    {
        var counts = new Dictionary<int, int>();
        foreach (var text in texts)
        {
            foreach (var id in Gpt2Encode(text))
            {
                counts[id] = counts.GetValueOrDefault(id) + 1;
            }
        }

        var ids = counts.Where(kv => kv.Value >= minCount)
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key)
            .Take(Math.Max(0, maxSize - FirstWordId))
            .Select(kv => kv.Key).ToList();
        return new TextTokenizer(ids);
    }

    /// <summary>Compact ids of <paramref name="text"/>, cut to <paramref name="maxTokens"/>; empty for blank text.</summary>
    public int[] Encode(string? text, int maxTokens)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        return Gpt2Encode(text).Take(maxTokens).Select(id => _compact.TryGetValue(id, out var c) ? c : OovId).ToArray();
    }

    /// <summary>Writes the id map as JSON: {"tokenizer":"gpt2","gpt2_ids":[...]}.</summary>
    public void Save(string path) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new VocabFile("gpt2", [.. Gpt2Ids]), ModelConfig.JsonOptions));

    public static TextTokenizer Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new BadInputException(path, "does not exist (expected the text vocabulary written by 'v2a data prepare')");
        }

        try
        {
            var file = JsonSerializer.Deserialize<VocabFile>(File.ReadAllText(path), ModelConfig.JsonOptions);
            if (file is null || file.Tokenizer != "gpt2" || file.Gpt2Ids is null)
            {
                throw new BadInputException(path, "is not a v2a text vocabulary (expected tokenizer \"gpt2\" and gpt2_ids)");
            }

            return new TextTokenizer(file.Gpt2Ids);
        }
        catch (JsonException e)
        {
            throw new BadInputException(path, $"is not valid JSON ({e.Message})");
        }
    }

    private sealed record VocabFile(string Tokenizer, int[] Gpt2Ids);
}
