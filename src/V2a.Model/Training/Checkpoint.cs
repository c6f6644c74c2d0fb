using System.Text.Json;

namespace V2a.Model.Training;

/// <summary>Counters a resumed run needs besides the weights (state.json of a checkpoint).</summary>
public sealed record TrainingState
{
    /// <summary>Optimizer steps finished.</summary>
    public required int Step { get; init; }

    /// <summary>Samples consumed so far; the next batch starts here in the seeded order.</summary>
    public required long SamplesSeen { get; init; }

    public required long Seed { get; init; }

    /// <summary>Wall-clock seconds spent training before this checkpoint (over all resumed parts).</summary>
    public required double TrainingSeconds { get; init; }

    public required int TotalSteps { get; init; }

    public double LastLoss { get; init; }

    public double? ValLoss { get; init; }

    /// <summary>Model id of the package a run from <c>--init-from</c> started from (its ledger is kept in the run
    /// folder as <see cref="Trainer.BaseLedgerFile"/>); null for a run from random weights.</summary>
    public string? StartedFrom { get; init; }

    /// <summary>The run's schedule, which a resumed run keeps: peak learning rate, warm-up steps, clips per step. Null in
    /// checkpoints written before they were recorded.</summary>
    public double? PeakLearningRate { get; init; }

    public int? WarmupSteps { get; init; }

    public int? BatchSize { get; init; }

    /// <summary>Steps between checkpoints, which a resumed run keeps unless told another; null in checkpoints written
    /// before it was recorded.</summary>
    public int? CheckpointEvery { get; init; }
}

/// <summary>
/// A run folder's checkpoints: RUN/ckpt-00001000/ holding model.safetensors (raw weights), ema.safetensors
/// (EMA weights), optimizer.bin (AdamW moments, TorchSharp format), state.json, config.json and vocab.json.
/// A checkpoint is written whole in a hidden temporary folder, renamed into place, and only then named in
/// RUN/latest (written atomically): a kill at any moment leaves the previous checkpoint usable.
/// </summary>
public static class Checkpoint
{
    public const string LatestFile = "latest";
    public const string ModelFile = "model.safetensors";
    public const string EmaFile = "ema.safetensors";
    public const string OptimizerFile = "optimizer.bin";
    public const string StateFile = "state.json";
    public const string ConfigFile = "config.json";
    public const string VocabFile = "vocab.json";

    public static string Name(int step) => $"ckpt-{step:D8}";

    /// <summary>The folder RUN/latest names, or null when the run has none yet.</summary>
    public static string? Latest(string runDir)
    {
        var pointer = Path.Combine(runDir, LatestFile);
        if (!File.Exists(pointer))
        {
            return null;
        }

        var dir = Path.Combine(runDir, File.ReadAllText(pointer).Trim());
        if (!Directory.Exists(dir))
        {
            throw new BadInputException(pointer, $"names checkpoint '{Path.GetFileName(dir)}', which is missing");
        }

        return dir;
    }

    /// <summary>Writes a checkpoint via <paramref name="writeFiles"/> (which fills the folder it is given),
    /// publishes it, and keeps only the newest <paramref name="keep"/>.</summary>
    public static string Write(string runDir, int step, Action<string> writeFiles, int keep = 2)
    {
        var temp = Path.Combine(runDir, $".ckpt-tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            writeFiles(temp);
            var final = Path.Combine(runDir, Name(step));
            if (Directory.Exists(final))
            {
                Directory.Delete(final, recursive: true);
            }

            Directory.Move(temp, final);
            AtomicFile.WriteAllText(Path.Combine(runDir, LatestFile), Name(step) + "\n");
        }
        catch
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }

            throw;
        }

        Prune(runDir, keep);
        return Path.Combine(runDir, Name(step));
    }

    public static void WriteState(string dir, TrainingState state) =>
        File.WriteAllText(Path.Combine(dir, StateFile), JsonSerializer.Serialize(state, ModelConfig.JsonOptions));

    public static TrainingState ReadState(string dir)
    {
        var path = Path.Combine(dir, StateFile);
        try
        {
            return JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(path), ModelConfig.JsonOptions)
                ?? throw new BadInputException(path, "is empty");
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw new BadInputException(path, $"cannot be read ({e.Message})");
        }
    }

    private static void Prune(string runDir, int keep)
    {
        var all = Directory.GetDirectories(runDir, "ckpt-*").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        foreach (var old in all.Take(Math.Max(0, all.Count - keep)))
        {
            Directory.Delete(Path.Combine(runDir, old), recursive: true);
        }

        foreach (var stale in Directory.GetDirectories(runDir, ".ckpt-tmp-*"))
        {
            // A temporary folder left by a killed run is never a checkpoint.
            Directory.Delete(stale, recursive: true);
        }
    }
}
