using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using TorchSharp.PyBridge;
using V2a.Model.Conditions;
using V2a.Model.Network;
using static TorchSharp.torch;

namespace V2a.Model;

/// <summary>What a model card says about how the model was trained.</summary>
public sealed record ModelCardFacts
{
    public int Steps { get; init; }

    /// <summary>The learning-rate schedule's length; more than <see cref="Steps"/> when the run was stopped early.</summary>
    public int ScheduleSteps { get; init; }

    public long SamplesSeen { get; init; }

    public double TrainingHours { get; init; }

    public double FinalLoss { get; init; }

    public double? ValLoss { get; init; }

    public int BatchSize { get; init; }

    public double LearningRate { get; init; }

    public int TrainClips { get; init; }

    public int ValClips { get; init; }

    public string Corpus { get; init; } = "";

    public DateTimeOffset DataCreated { get; init; }

    public long Seed { get; init; }

    /// <summary>Model id of the package whose weights the run started from (--init-from); null: random weights.</summary>
    public string? StartedFrom { get; init; }
}

/// <summary>
/// A model package folder (DESIGN.md, "Model package"): config.json (architecture, audio/video front end,
/// normalisation statistics), model.safetensors (EMA weights), vocab.json (the compact text vocabulary over
/// GPT-2 ids), MODEL_CARD.md and ledger.jsonl (every training clip: id, source, licence, hashes).
/// Written whole into a temporary folder and renamed into place.
/// </summary>
public static class ModelPackage
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string VocabFile = "vocab.json";
    public const string CardFile = "MODEL_CARD.md";
    public const string LedgerFile = "ledger.jsonl";

    /// <summary>Largest weights file a package may ship (the issue's budget).</summary>
    public const long MaxWeightsBytes = 40_000_000;

    /// <param name="baseLedgerPath">The ledger of the package the run started from: its clips are listed too (once each,
    /// by id, after the run's own).</param>
    public static void Save(string dir, SoundtrackNetwork network, TextTokenizer tokenizer, ModelCardFacts facts, string? ledgerPath,
        string? baseLedgerPath = null)
    {
        var full = Path.GetFullPath(dir);
        var parent = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}-tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            File.WriteAllText(Path.Combine(temp, ConfigFile), network.Config.ToJson());
            network.save_safetensors(Path.Combine(temp, WeightsFile));
            tokenizer.Save(Path.Combine(temp, VocabFile));
            WriteLedger(Path.Combine(temp, LedgerFile), ledgerPath, baseLedgerPath);

            var weightsBytes = new FileInfo(Path.Combine(temp, WeightsFile)).Length;
            File.WriteAllText(Path.Combine(temp, CardFile), Card(network, facts, ModelIdOf(Path.Combine(temp, WeightsFile), network.Config), weightsBytes));
            if (Directory.Exists(full))
            {
                Directory.Delete(full, recursive: true);
            }

            Directory.Move(temp, full);
        }
        catch
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }

            throw;
        }
    }

    /// <summary>The run's ledger lines, then the base package's lines whose clip id the run's do not list.</summary>
    private static void WriteLedger(string path, string? ledgerPath, string? baseLedgerPath)
    {
        var sources = new[] { ledgerPath, baseLedgerPath }.Where(p => p is not null && File.Exists(p)).Select(p => p!).ToList();
        if (sources.Count == 0)
        {
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var writer = new StreamWriter(path);
        foreach (var line in sources.SelectMany(File.ReadLines).Where(l => !string.IsNullOrWhiteSpace(l)))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            var id = doc.RootElement.TryGetProperty("id", out var v) ? v.GetString() : null;
            if (id is null || seen.Add(id))
            {
                writer.WriteLine(line);
            }
        }
    }

    /// <summary>"small-1a2b3c4d5e6f": the preset and the start of the weights' SHA-256.</summary>
    public static string ModelIdOf(string weightsPath, ModelConfig config)
    {
        using var s = File.OpenRead(weightsPath);
        return $"{config.Preset}-{Convert.ToHexStringLower(SHA256.HashData(s))[..12]}";
    }

    private static string Card(SoundtrackNetwork net, ModelCardFacts f, string modelId, long weightsBytes)
    {
        var c = net.Config;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"# v2a model `{modelId}`");
        sb.AppendLine();
        sb.AppendLine("A video-to-audio generator: normalised log-mel by conditional flow matching, vocoded to 16 kHz mono.");
        sb.AppendLine();
        sb.AppendLine("## Architecture");
        sb.AppendLine(inv, $"- Preset `{c.Preset}`: {net.ParameterCount:N0} parameters ({weightsBytes / 1e6:0.0} MB fp32 safetensors, EMA weights).");
        sb.AppendLine(inv, $"- Transformer over audio tokens ({c.MelFramesPerToken} mel frames each, {c.TokenRate:0.##}/s): width {c.Dim}, {c.Layers} blocks, {c.Heads} heads; self-attention with rotary positions in time, cross-attention to text tokens and to visual tokens at {c.VisualTokenFps} fps (time-aligned rotary positions), frame-aligned visual features added to the audio tokens, adaLN timestep/condition modulation.");
        sb.AppendLine(inv, $"- Visual encoder from scratch: {c.Video.FrameSize}×{c.Video.FrameSize} RGB frames plus frame differences at {c.Video.Fps} fps, per-frame CNN ({c.VisualStages} stride-2 stages), temporal convolutions.");
        sb.AppendLine(inv, $"- Text encoder: GPT-2 BPE (Microsoft.ML.Tokenizers) mapped to a compact vocabulary of {c.TextVocabSize} rows, {c.TextLayers} transformer layer(s), up to {c.TextMaxTokens} tokens; captions and transcripts both feed it.");
        sb.AppendLine(inv, $"- Audio: {c.Audio.SampleRate} Hz, n_fft {c.Audio.NFft}, hop {c.Audio.HopLength}, {c.Audio.MelBins} mel bins; vocoder Griffin-Lim.");
        sb.AppendLine();
        sb.AppendLine("## Training");
        sb.AppendLine(inv, $"- Data: {f.TrainClips} training clips from `{f.Corpus}` (shards of {f.DataCreated:yyyy-MM-dd}); {f.ValClips} clips held out by clip id. Every training clip is listed in `{LedgerFile}` with its source, licence and hashes.");
        if (f.StartedFrom is not null)
        {
            sb.AppendLine(inv, $"- Started from the weights of model `{f.StartedFrom}` (`--init-from`); the figures below are this run's alone, and `{LedgerFile}` lists that model's training clips too.");
        }

        var schedule = f.ScheduleSteps > f.Steps ? string.Create(inv, $" (stopped there; its learning-rate schedule runs to {f.ScheduleSteps:N0})") : "";
        sb.AppendLine(inv, $"- {f.Steps:N0} steps{schedule}, {f.SamplesSeen:N0} samples ({f.TrainingHours:0.00} h), batch {f.BatchSize}, AdamW peak lr {f.LearningRate:0.0e+0}, warm-up then cosine decay, gradient clipping, EMA; crops of {c.TrainSeconds} s with every {c.LongCropEvery}th step on {c.WindowSeconds} s; text dropped {c.TextDropProbability:P0}, video dropped {c.VisualDropProbability:P0} of the time{(c.BothDropProbability > 0 ? string.Create(inv, $", both together {c.BothDropProbability:P0}") : "")}{(c.FrameFlipProbability > 0 ? string.Create(inv, $", frames mirrored {c.FrameFlipProbability:P0}") : "")}{(c.OverlayProbability > 0 ? string.Create(inv, $", a donor's {string.Join("/", c.OverlayClasses ?? [])} and caption overlaid on {c.OverlayProbability:P0}") : "")}{(c.FlowTimeShift != 1 ? string.Create(inv, $", flow times shifted towards noise by {c.FlowTimeShift:0.##}") : "")}{(c.VisualEventChannels > 0 ? string.Create(inv, $", visual event path of {c.VisualEventChannels} channels") : "")}{(c.VideoFrozen ? ", video side (visual encoder, onset and class heads) kept as the package it started from" : "")}; seed {f.Seed}.");
        var valText = f.ValLoss is { } v ? string.Create(inv, $"; validation loss {v:0.0000}.") : ".";
        var weighted = new List<string>();
        if (c.TransientLossWeight > 0)
        {
            weighted.Add(string.Create(inv, $"1 + {c.TransientLossWeight} on transients"));
        }

        if (c.TonalLossWeight > 0)
        {
            weighted.Add(string.Create(inv, $"1 + {c.TonalLossWeight} on tonal lines"));
        }

        var flowPart = weighted.Count > 0 ? ", flow weighted up to " + string.Join(" and ", weighted) : "";
        var lossParts = flowPart + (c.SyncLossWeight > 0 ? string.Create(inv, $", {(flowPart.Length > 0 ? "" : "flow ")}+ {c.SyncLossWeight} × sync") : "");
        sb.AppendLine(string.Create(inv, $"- Final training loss {f.FinalLoss:0.0000} (mean over the last log window{lossParts})") + valText);
        sb.AppendLine();
        sb.AppendLine("## Evaluation");
        sb.AppendLine("Not measured by training. Run `v2a eval` on the held-out clips and record onset F1, onset error, class agreement, FD, negative-prompt suppression and speed here.");
        sb.AppendLine();
        sb.AppendLine("## Limits");
        sb.AppendLine("- Trained only on the corpus above: sounds, scenes and words outside it are out of reach, and real footage differs from synthetic scenes.");
        sb.AppendLine("- Griffin-Lim vocoding is phasey; timing is limited to 40 ms video frames and 32 ms audio tokens.");
        sb.AppendLine("- Speech is at most babble in the transcript's rhythm, not intelligible words.");
        return sb.ToString();
    }
}

/// <summary>A loaded model package, ready to generate: the network (EMA weights, eval mode), config and tokenizer.</summary>
public sealed class SoundtrackModel : IDisposable
{
    private readonly Tensor _mean;
    private readonly Tensor _std;

    public SoundtrackModel(SoundtrackNetwork network, TextTokenizer tokenizer, string modelId, string? packageDir = null)
    {
        var norm = network.Config.Normalisation
            ?? throw new InvalidOperationException("the model config carries no normalisation statistics");
        Network = network;
        Tokenizer = tokenizer;
        ModelId = modelId;
        PackageDir = packageDir;
        var device = network.parameters().First().device;
        _mean = torch.tensor(norm.Mean, device: device).view(1, -1, 1).DetachFromDisposeScope();
        _std = torch.tensor(norm.Std, device: device).view(1, -1, 1).DetachFromDisposeScope();
        network.eval();
    }

    public ModelConfig Config => Network.Config;

    public string ModelId { get; }

    public string? PackageDir { get; }

    public SoundtrackNetwork Network { get; }

    public TextTokenizer Tokenizer { get; }

    /// <summary>Loads a package folder onto <see cref="TorchRuntime.Device"/>.</summary>
    public static SoundtrackModel Load(string packageDir)
    {
        TorchRuntime.Initialise();
        if (!Directory.Exists(packageDir))
        {
            throw new BadInputException(packageDir, "is not a folder (expected a model package: config.json, model.safetensors, vocab.json)");
        }

        var configPath = Path.Combine(packageDir, ModelPackage.ConfigFile);
        var weights = Path.Combine(packageDir, ModelPackage.WeightsFile);
        foreach (var needed in new[] { configPath, weights })
        {
            if (!File.Exists(needed))
            {
                throw new BadInputException(needed, "is missing: not a complete model package");
            }
        }

        var config = ModelConfig.FromJson(File.ReadAllText(configPath), configPath);
        var tokenizer = TextTokenizer.Load(Path.Combine(packageDir, ModelPackage.VocabFile));
        var network = new SoundtrackNetwork(config);
        try
        {
            network.load_safetensors(weights);
        }
        catch (Exception e) when (e is not V2aException)
        {
            network.Dispose();
            throw new BadInputException(weights, $"does not match config.json ({e.Message})");
        }

        network.to(TorchRuntime.Device);
        return new SoundtrackModel(network, tokenizer, ModelPackage.ModelIdOf(weights, config), packageDir);
    }

    /// <summary>Normalised log-mel (B, M, T) → natural-log mel.</summary>
    public Tensor Denormalise(Tensor mel) => (mel * _std) + _mean;

    /// <summary>Natural-log mel (B, M, T) → normalised.</summary>
    public Tensor Normalise(Tensor logMel) => (logMel - _mean) / _std;

    public void Dispose()
    {
        Network.Dispose();
        _mean.Dispose();
        _std.Dispose();
    }
}
