using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace V2a.Model.Data;

/// <summary>
/// SHARDS/manifest.json: what <c>v2a data prepare</c> wrote and how — the audio/video front end, the split
/// (by clip id, recorded id by id, so evaluation never sees training clips), the normalisation statistics
/// and the shard files. Written last, so a folder with a manifest is complete.
/// </summary>
public sealed record ShardManifest
{
    public const string FileName = "manifest.json";
    public const string VocabFileName = "vocab.json";
    public const string LedgerFileName = "ledger.jsonl";
    public const string CurrentFormat = "v2a-shards/1";

    public string Format { get; init; } = CurrentFormat;

    public required string Corpus { get; init; }

    public required DateTimeOffset Created { get; init; }

    public required AudioSettings Audio { get; init; }

    public required VideoSettings Video { get; init; }

    /// <summary>Length every clip is padded or cut to, in seconds.</summary>
    public required double ClipSeconds { get; init; }

    public required int MelFrames { get; init; }

    public required int VideoFrames { get; init; }

    /// <summary>Token ids kept per text, and texts (captions) kept per clip.</summary>
    public required int TextMaxTokens { get; init; }

    public required int TextsPerClip { get; init; }

    /// <summary>Rows of the compact vocabulary (vocab.json).</summary>
    public required int VocabSize { get; init; }

    /// <summary>The rule that split clips: "sha256(id) < fraction" with the fraction given.</summary>
    public required double ValFraction { get; init; }

    public required string SplitRule { get; init; }

    /// <summary>Mel statistics of the training split; stored mel is already normalised with them.</summary>
    public required MelNormalisation Normalisation { get; init; }

    public required IReadOnlyList<ShardInfo> Shards { get; init; }

    /// <summary>Which annotated events became onset targets (the shards' onsets tensor); null for shards made before it existed.</summary>
    public string? OnsetRule { get; init; }

    /// <summary>The annotated event classes, bit k of the shards' event_classes tensor naming the k-th; null for shards
    /// made before it existed, or of a corpus without event annotations.</summary>
    public IReadOnlyList<string>? EventClasses { get; init; }

    public IEnumerable<string> ClipIds(string split) => Shards.Where(s => s.Split == split).SelectMany(s => s.Clips);

    public static ShardManifest Load(string shardsDir)
    {
        var path = Path.Combine(shardsDir, FileName);
        if (!File.Exists(path))
        {
            throw new BadInputException(shardsDir, $"has no {FileName}: not a folder written by 'v2a data prepare' (or it did not finish)");
        }

        try
        {
            var manifest = JsonSerializer.Deserialize<ShardManifest>(File.ReadAllText(path), ModelConfig.JsonOptions)
                ?? throw new BadInputException(path, "is empty");
            if (manifest.Format != CurrentFormat)
            {
                throw new BadInputException(path, $"has format '{manifest.Format}', this v2a reads '{CurrentFormat}'; run 'v2a data prepare' again");
            }

            return manifest;
        }
        catch (JsonException e)
        {
            throw new BadInputException(path, $"is not a valid shard manifest ({e.Message})");
        }
    }

    public void Save(string shardsDir) =>
        AtomicFile.WriteAllText(Path.Combine(shardsDir, FileName), JsonSerializer.Serialize(this, ModelConfig.JsonOptions));

    /// <summary>The split rule: a clip is held out when the first 8 bytes of SHA-256(id), as a fraction of
    /// 2^64, fall below <paramref name="valFraction"/>. Depends on the id alone, so adding clips to a
    /// corpus never moves an old clip across the split.</summary>
    public static bool IsValidation(string clipId, double valFraction)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(clipId));
        var u = BitConverter.ToUInt64(hash, 0) / 18446744073709551616.0;
        return u < valFraction;
    }
}

/// <summary>One shard file and the clips in it, in order.</summary>
public sealed record ShardInfo(string File, string Split, IReadOnlyList<string> Clips);
