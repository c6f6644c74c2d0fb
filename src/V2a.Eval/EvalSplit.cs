using System.Text.Json;
using V2a.Corpus;
using V2a.Model.Data;

namespace V2a.Eval;

/// <summary>
/// Which corpus clips eval scores. <c>val</c> is exactly the held-out ids that <c>v2a data prepare</c>
/// recorded in its shard manifest (SHARDS/manifest.json, shards of split "val"), which must have been
/// prepared from this corpus folder; without the shards folder, it is every corpus clip that is not in the
/// model package's training ledger (ledger.jsonl: the training split, id and SHA-256 of each clip), which is
/// the same set for the corpus the model was prepared from. The ledger is matched by id and audio hash,
/// because FoleyWorld ids (fw-000000 …) repeat across corpora made with other seeds. <c>train</c> is the
/// opposite, <c>all</c> every clip (for a corpus made apart from training, e.g. with other seeds).
/// </summary>
public static class EvalSplit
{
    public static IReadOnlyList<string> Names { get; } = ["val", "train", "all"];

    /// <summary>The clips of <paramref name="split"/>, in the corpus's order.</summary>
    /// <param name="shardsDir">The folder <c>v2a data prepare</c> wrote, or null.</param>
    /// <param name="modelDir">The model package (its training ledger is used when no shards folder is given), or null.</param>
    public static IReadOnlyList<CorpusClip> Select(string corpusDir, string split, string? shardsDir, string? modelDir)
    {
        var clips = CorpusReader.Read(corpusDir).ToList();
        if (split == "all")
        {
            return clips;
        }

        if (split is not ("val" or "train"))
        {
            throw new BadInputException(null, $"--split '{split}': expected one of {string.Join(", ", Names)}");
        }

        HashSet<string> heldOut;
        string source;
        if (shardsDir is not null)
        {
            var manifest = ShardManifest.Load(shardsDir);
            if (!SameFolder(manifest.Corpus, corpusDir))
            {
                throw new BadInputException(shardsDir, $"was prepared from {manifest.Corpus}, not {Path.GetFullPath(corpusDir)}: its split does not apply (use --split all for a corpus kept apart from training)");
            }

            heldOut = manifest.ClipIds("val").ToHashSet(StringComparer.Ordinal);
            var trainIds = manifest.ClipIds("train").ToList();

            source = Path.Combine(shardsDir, ShardManifest.FileName);
            if (split == "train")
            {
                var train = trainIds.ToHashSet(StringComparer.Ordinal);
                return clips.Where(c => train.Contains(c.Id)).ToList();
            }
        }
        else if (modelDir is not null && FindLedger(modelDir) is { } ledger)
        {
            var trained = ReadLedger(ledger);
            bool Trained(CorpusClip c) => trained.TryGetValue(c.Id, out var hash) && (hash is null || hash == c.Sha256.Audio);
            heldOut = clips.Where(c => !Trained(c)).Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
            source = ledger;
            if (split == "train")
            {
                return clips.Where(Trained).ToList();
            }
        }
        else
        {
            throw new BadInputException(null, "--split val needs the held-out ids: give --shards DIR (the folder 'v2a data prepare' wrote) or a model package with its training ledger, or use --split all for a corpus kept apart from training");
        }

        var selected = clips.Where(c => heldOut.Contains(c.Id)).ToList();
        if (selected.Count == 0)
        {
            throw new BadInputException(source, $"holds out none of the clips of {corpusDir}");
        }

        return selected;
    }

    /// <summary>The training ledger inside a model package (ledger.jsonl, at its root or in a data folder).</summary>
    internal static string? FindLedger(string modelDir)
    {
        if (!Directory.Exists(modelDir))
        {
            return null;
        }

        return Directory.EnumerateFiles(modelDir, "*ledger*.jsonl", SearchOption.AllDirectories).OrderBy(p => p.Length).FirstOrDefault();
    }

    private static bool SameFolder(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)), StringComparison.Ordinal);

    /// <summary>Ledger id → audio SHA-256 (null when the line has none).</summary>
    internal static Dictionary<string, string?> ReadLedger(string path)
    {
        var ids = new Dictionary<string, string?>(StringComparer.Ordinal);
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.TryGetProperty("id", out var id) && id.GetString() is { } s)
                {
                    string? audioHash = null;
                    if (root.TryGetProperty("sha256", out var hashes) && hashes.ValueKind == JsonValueKind.Object
                        && hashes.TryGetProperty("audio", out var audio) && audio.ValueKind == JsonValueKind.String)
                    {
                        audioHash = audio.GetString();
                    }

                    ids[s] = audioHash;
                }
            }
            catch (JsonException e)
            {
                throw new BadInputException($"{path}:{lineNo}", $"not a ledger line ({e.Message})");
            }
        }

        return ids;
    }
}
