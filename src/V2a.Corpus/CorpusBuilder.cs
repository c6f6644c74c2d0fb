using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using V2a.Corpus.Synth;

namespace V2a.Corpus;

/// <summary>Options of <see cref="CorpusBuilder.Make"/> (the <c>v2a corpus make</c> command).</summary>
public sealed record CorpusMakeOptions
{
    public required string OutDir { get; init; }

    /// <summary>Clips wanted: ids fw-000000 … fw-(N−1).</summary>
    public required int Clips { get; init; }

    public double Seconds { get; init; } = 8;

    /// <summary>Corpus seed; clip i's seed is <see cref="FoleyWorld.ClipSeed"/>(seed, i).</summary>
    public long Seed { get; init; }

    /// <summary>Classes scenes may contain (null: all).</summary>
    public IReadOnlyList<string>? Classes { get; init; }

    /// <summary>Clips rendered at once (each on one core: drawing, synthesis and an x264 thread).</summary>
    public int Jobs { get; init; } = 1;
}

/// <summary>What a make run did.</summary>
public sealed record CorpusMakeResult(int Made, int AlreadyThere, int Total, double Seconds)
{
    public double ClipsPerMinute => Seconds > 0 ? Made / Seconds * 60 : 0;
}

/// <summary>
/// Builds (or completes) a FoleyWorld corpus folder. Resumable: a clip is done when clips/ID.json (its meta line,
/// written last and atomically) exists beside its .mp4 and .flac; a re-run renders only what is missing.
/// meta.jsonl is rebuilt from the per-clip files, in id order, every few seconds and at the end (written only when it
/// changed), always atomically, so a killed run leaves a valid meta.jsonl (possibly missing the newest clips until the
/// next run).
/// </summary>
public static class CorpusBuilder
{
    public const string SettingsFile = "corpus.json";

    private static readonly JsonSerializerOptions SettingsJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The settings that fix a corpus's clips; a re-run must match them.</summary>
    public sealed record CorpusSettings
    {
        public required string Generator { get; init; }

        public required long Seed { get; init; }

        public required double Seconds { get; init; }

        public required IReadOnlyList<string>? Classes { get; init; }

        public required int SampleRate { get; init; }

        public required double Fps { get; init; }

        public required int FrameSize { get; init; }
    }

    public static CorpusMakeResult Make(CorpusMakeOptions options, IProgressSink? progress = null, CancellationToken cancel = default)
    {
        progress ??= NullProgress.Instance;
        Validate(options);
        var dir = Path.GetFullPath(options.OutDir);
        Directory.CreateDirectory(dir);
        AtomicFile.EnsureWritableFolder(dir, options.OutDir);
        var clipsDir = Path.Combine(dir, CorpusReader.ClipsFolder);
        Directory.CreateDirectory(clipsDir);
        CheckSettings(dir, options);
        CorpusReader.WriteClasses(dir, SoundClasses.All);
        RemoveLeftovers(clipsDir);

        var missing = Enumerable.Range(0, options.Clips).Where(i => !IsDone(dir, FoleyWorld.ClipId(i))).ToList();
        var already = options.Clips - missing.Count;
        var clock = Stopwatch.StartNew();
        var made = 0;
        var lastMeta = Stopwatch.StartNew();
        var gate = new object();
        var speech = new SpeechSynth();
        progress.Report("corpus", already, options.Clips, already > 0 ? $"{already} already there" : null);
        try
        {
            Parallel.ForEach(missing, new ParallelOptions { MaxDegreeOfParallelism = options.Jobs, CancellationToken = cancel }, index =>
            {
                var id = FoleyWorld.ClipId(index);
                var scene = FoleyWorld.Plan(FoleyWorld.ClipSeed(options.Seed, index), id, options.Seconds, options.Classes);
                var clip = FoleyWorld.Render(scene, dir, speech);
                AtomicFile.WriteAllText(ClipJsonPath(dir, id), CorpusReader.ToJsonLine(clip) + "\n");
                lock (gate)
                {
                    made++;
                    var rate = made / Math.Max(1e-9, clock.Elapsed.TotalMinutes);
                    progress.Report("corpus", already + made, options.Clips, $"{rate.ToString("0.0", CultureInfo.InvariantCulture)} clips/min");
                    if (lastMeta.Elapsed.TotalSeconds > 15)
                    {
                        WriteMeta(dir);
                        lastMeta.Restart();
                    }
                }
            });
        }
        finally
        {
            // Even after a failure or a cancel, index what was finished.
            WriteMeta(dir);
        }

        return new CorpusMakeResult(made, already, options.Clips, clock.Elapsed.TotalSeconds);
    }

    private static void Validate(CorpusMakeOptions o)
    {
        if (o.Clips < 0)
        {
            throw new BadInputException(null, $"--clips must be 0 or more, got {o.Clips}");
        }

        if (o.Seconds is < 1 or > 60 || double.IsNaN(o.Seconds))
        {
            throw new BadInputException(null, $"--seconds must be between 1 and 60, got {o.Seconds.ToString(CultureInfo.InvariantCulture)}");
        }

        if (o.Jobs < 1)
        {
            throw new BadInputException(null, $"--jobs must be 1 or more, got {o.Jobs}");
        }

        if (o.Seed < 0)
        {
            throw new BadInputException(null, $"--seed must be 0 or more, got {o.Seed}");
        }
    }

    /// <summary>The per-clip meta file: its presence marks the clip done.</summary>
    public static string ClipJsonPath(string dir, string id) => Path.Combine(dir, CorpusReader.ClipsFolder, $"{id}.json");

    private static bool IsDone(string dir, string id) =>
        File.Exists(ClipJsonPath(dir, id))
        && File.Exists(Path.Combine(dir, CorpusReader.ClipsFolder, $"{id}.mp4"))
        && File.Exists(Path.Combine(dir, CorpusReader.ClipsFolder, $"{id}.flac"));

    private static void CheckSettings(string dir, CorpusMakeOptions o)
    {
        var wanted = new CorpusSettings
        {
            Generator = FoleyWorld.Generator,
            Seed = o.Seed,
            Seconds = o.Seconds,
            Classes = o.Classes,
            SampleRate = AudioSettings.Default.SampleRate,
            Fps = VideoSettings.Default.Fps,
            FrameSize = FoleyWorld.FrameSize,
        };
        var path = Path.Combine(dir, SettingsFile);
        if (File.Exists(path))
        {
            CorpusSettings? have;
            try
            {
                have = JsonSerializer.Deserialize<CorpusSettings>(File.ReadAllText(path), SettingsJson);
            }
            catch (JsonException e)
            {
                throw new BadInputException(path, $"not a corpus settings file ({e.Message}); remove it or choose another --out");
            }

            if (have is null || have.Generator != wanted.Generator || have.Seed != wanted.Seed || have.Seconds != wanted.Seconds
                || !(have.Classes ?? SoundClasses.All).SequenceEqual(wanted.Classes ?? SoundClasses.All) || have.SampleRate != wanted.SampleRate
                || have.Fps != wanted.Fps || have.FrameSize != wanted.FrameSize)
            {
                var inv = CultureInfo.InvariantCulture;
                throw new BadInputException(path,
                    $"this corpus was made with {have?.Generator}, --seed {have?.Seed}, --seconds {have?.Seconds.ToString(inv)}, --classes {(have?.Classes is null ? "all" : string.Join(",", have.Classes))}; "
                    + "re-run with the same options to add clips, or choose another --out");
            }

            return;
        }

        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(wanted, SettingsJson) + "\n");
    }

    /// <summary>Deletes temporary files of a killed run (AtomicFile's hidden ".*.v2a-tmp*" names).</summary>
    private static void RemoveLeftovers(string clipsDir)
    {
        foreach (var f in Directory.EnumerateFiles(clipsDir, ".*v2a-tmp*"))
        {
            try
            {
                File.Delete(f);
            }
            catch (IOException)
            {
                // Another run may be writing it right now; it is harmless either way.
            }
        }
    }

    /// <summary>Rewrites meta.jsonl from the finished clips' files, sorted by id, atomically.</summary>
    public static int WriteMeta(string dir)
    {
        var clipsDir = Path.Combine(dir, CorpusReader.ClipsFolder);
        var files = Directory.Exists(clipsDir)
            ? Directory.EnumerateFiles(clipsDir, "*.json").Where(f => !Path.GetFileName(f).StartsWith('.')).OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToList()
            : [];
        var text = new StringBuilder();
        var count = 0;
        foreach (var f in files)
        {
            var id = Path.GetFileNameWithoutExtension(f);
            if (!IsDone(dir, id))
            {
                continue;
            }

            var line = File.ReadAllText(f).Trim();
            if (line.Length > 0)
            {
                text.Append(line).Append('\n');
                count++;
            }
        }

        // Unchanged text is not written again: a rerun of a finished corpus leaves meta.jsonl's time alone, so shards
        // made from it do not look stale to a script that compares the two (scripts/train-default.sh).
        var meta = Path.Combine(dir, CorpusReader.MetaFile);
        var content = text.ToString();
        if (!File.Exists(meta) || File.ReadAllText(meta) != content)
        {
            AtomicFile.WriteAllText(meta, content);
        }

        return count;
    }
}
