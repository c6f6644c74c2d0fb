using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using V2a.Model.Conditions;
using V2a.Model.Data;
using V2a.Model.FlowMatching;
using V2a.Model.Network;
using static TorchSharp.torch;

namespace V2a.Model.Training;

/// <summary>Settings of <c>v2a train</c>.</summary>
public sealed record TrainOptions
{
    public required string DataDir { get; init; }

    public required string RunDir { get; init; }

    public string Preset { get; init; } = "small";

    /// <summary>Overrides the preset's architecture (tests); data-derived fields are still filled in.</summary>
    public ModelConfig? Config { get; init; }

    /// <summary>Total optimizer steps of the run: the learning-rate schedule's length (a resumed run continues up to
    /// this many).</summary>
    public int Steps { get; init; } = 20_000;

    /// <summary>Stop after this step (a checkpoint and the package are written there) while the learning-rate schedule
    /// stays that of <see cref="Steps"/>: to take a run's intermediate checkpoint as it was, or to split a run into
    /// parts. Null: run to <see cref="Steps"/>.</summary>
    public int? StopAt { get; init; }

    /// <summary>Clips per step on short crops; long-crop steps scale it down to keep the tokens per step.</summary>
    public int BatchSize { get; init; } = 16;

    public double LearningRate { get; init; } = 5e-4;

    public int WarmupSteps { get; init; } = 500;

    /// <summary>The cosine decay ends at this fraction of the peak learning rate.</summary>
    public double MinLearningRateFraction { get; init; } = 0.1;

    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Gradients are clipped to this global L2 norm.</summary>
    public double GradClip { get; init; } = 1.0;

    public double EmaDecay { get; init; } = 0.999;

    /// <summary>Steps between checkpoints. Null: the run's own when resuming, else (or for a run recorded before it was kept)
    /// <see cref="Trainer.DefaultCheckpointEvery"/>.</summary>
    public int? CheckpointEvery { get; init; }

    public int LogEvery { get; init; } = 10;

    public long Seed { get; init; } = 1;

    /// <summary>Continue the run in <see cref="RunDir"/> from its last checkpoint, with the run's own peak learning rate,
    /// warm-up, batch and seed (these options are then ignored); <see cref="Steps"/> may lengthen or shorten its schedule.</summary>
    public bool Resume { get; init; }

    /// <summary>A model package whose weights (and architecture) a new run starts from instead of random ones; its
    /// vocabulary must be the shards'. Ignored when resuming: a checkpoint already holds the weights.</summary>
    public string? InitFrom { get; init; }

    /// <summary>Weight of the auxiliary sync loss for a new run (fresh or --init-from): overrides the preset's or the
    /// package's <see cref="ModelConfig.SyncLossWeight"/>. Null keeps it; a resumed run keeps its checkpoint's.</summary>
    public double? SyncLossWeight { get; init; }

    /// <summary>Weight of the event-class loss for a new run (fresh or --init-from): overrides the preset's or the
    /// package's <see cref="ModelConfig.EventClassLossWeight"/>, and takes the shards' event classes. Null keeps it; a
    /// resumed run keeps its checkpoint's.</summary>
    public double? EventClassLossWeight { get; init; }

    /// <summary>Extra loss weight on transients for a new run (fresh or --init-from): overrides the preset's or the
    /// package's <see cref="ModelConfig.TransientLossWeight"/>. Null keeps it; a resumed run keeps its checkpoint's.</summary>
    public double? TransientLossWeight { get; init; }

    /// <summary>Extra loss weight on tonal lines for a new run (fresh or --init-from): overrides the preset's or the
    /// package's <see cref="ModelConfig.TonalLossWeight"/>. Null keeps it; a resumed run keeps its checkpoint's.</summary>
    public double? TonalLossWeight { get; init; }

    /// <summary>Frame side the visual encoder of a fresh run sees, instead of the preset's; the preset's cell grid
    /// (and so its size) is kept with extra stride-2 stages (<see cref="ModelConfig.VisualCells"/>). Null: the preset's.</summary>
    public int? FrameSize { get; init; }

    /// <summary>Side of the pixel blocks a fresh run's visual CNN folds into channels (<see cref="ModelConfig.VisualPatch"/>):
    /// with <see cref="FrameSize"/> 128 and 2 it sees every pixel of 128×128 frames through the stages of 64×64 (the visual encoder's step about 2.5× as long in the onset probe). Null: the preset's (1).
    /// With <see cref="InitFrom"/> a package that sees F×F frames without blocks: P with <see cref="FrameSize"/> F·P (the
    /// package's first convolution widened by <see cref="Conditions.VisualEncoder.WidenInputWeight"/>).</summary>
    public int? VisualPatch { get; init; }

    /// <summary>Share of training clips whose frames are mirrored left to right, for a new run (fresh or --init-from):
    /// overrides <see cref="ModelConfig.FrameFlipProbability"/>. Null keeps it; a resumed run keeps its checkpoint's.</summary>
    public double? MirrorProbability { get; init; }

    /// <summary>Share of training clips that lose both conditions together, for a new run (fresh or --init-from):
    /// overrides <see cref="ModelConfig.BothDropProbability"/>. Null keeps it; a resumed run keeps its checkpoint's.</summary>
    public double? BothDropProbability { get; init; }

    /// <summary>Share of training clips whose video alone is replaced by the empty condition, for a new run (fresh or
    /// --init-from): overrides <see cref="ModelConfig.VisualDropProbability"/>, so the text side learns to name sounds
    /// without the picture. Null keeps it; a resumed run keeps its checkpoint's.</summary>
    public double? VisualDropProbability { get; init; }

    /// <summary>Share of training clips that get a donor clip's ambience and caption, for a new run (fresh or
    /// --init-from): overrides <see cref="ModelConfig.OverlayProbability"/>, with <see cref="OverlayClasses"/> as the
    /// donors' classes. Null keeps it; a resumed run keeps its checkpoint's.</summary>
    public double? OverlayProbability { get; init; }

    /// <summary>Shift of the training flow times towards the noise end for a new run (fresh or --init-from): overrides
    /// <see cref="ModelConfig.FlowTimeShift"/>. Null keeps it; a resumed run keeps its checkpoint's.</summary>
    public double? FlowTimeShift { get; init; }

    /// <summary>The classes an overlay donor's events may have (FoleyWorld's ambiences from the CLI).</summary>
    public IReadOnlyList<string>? OverlayClasses { get; init; }

    /// <summary>Channels of the visual encoder's event path for a fresh run (<see cref="ModelConfig.VisualEventChannels"/>;
    /// 0 turns it off). Null: the preset's. With <see cref="InitFrom"/> it may add the path to a package that has none:
    /// the path's output starts at zero, so the run starts from the package's exact function. A resumed run keeps its
    /// checkpoint's.</summary>
    public int? VisualEventChannels { get; init; }

    /// <summary>Keep the video side (visual encoder, onset and class heads) as the package of <see cref="InitFrom"/>
    /// has it: a new run from a package only (<see cref="ModelConfig.VideoFrozen"/>); a resumed run keeps its checkpoint's.</summary>
    public bool FreezeVideo { get; init; }

    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Validation clips scored at each checkpoint (EMA weights, fixed noise).</summary>
    public int ValClips { get; init; } = 64;

    /// <summary>Write a model package (RUN/model) from the EMA weights at the end.</summary>
    public bool WritePackage { get; init; } = true;
}

public sealed record TrainResult(int Step, double LastLoss, double? ValLoss, double SamplesPerSecond, long Parameters, string RunDir,
    string? PackageDir, bool Resumed);

/// <summary>
/// The training loop: flow-matching loss on shard crops, AdamW with linear warm-up and cosine decay,
/// gradient clipping, EMA weights, atomic checkpoints, a JSONL log (RUN/train.jsonl) and a PNG loss curve
/// (RUN/loss.png). Every random choice of step s (clips, crops, captions, condition dropping, noise, flow
/// times) is seeded by (seed, s), so a run resumed from its last checkpoint repeats exactly the steps an
/// unbroken run would have taken.
/// </summary>
public static class Trainer
{
    public const string LogFile = "train.jsonl";

    /// <summary>Steps between checkpoints when neither the options nor a resumed run say.</summary>
    public const int DefaultCheckpointEvery = 500;

    /// <summary>The ledger of the package a run from --init-from started from, kept in the run folder: the package
    /// the run writes lists those clips too.</summary>
    public const string BaseLedgerFile = "base-ledger.jsonl";
    public const string CurveFile = "loss.png";
    public const string PackageFolder = "model";

    /// <summary>Seed of the validation's noise and flow times, the same for every run whatever its --seed, so that
    /// the validation figures of two runs compare (1: what runs with seed 1 drew before it was fixed).</summary>
    public const long ValidationSeed = 1;

    private static readonly JsonSerializerOptions LineJson = new(ModelConfig.JsonOptions) { WriteIndented = false };

    public static TrainResult Run(TrainOptions o, IProgressSink progress, CancellationToken cancel = default)
    {
        TorchRuntime.Initialise();
        var device = TorchRuntime.Device;
        Directory.CreateDirectory(o.RunDir);
        AtomicFile.EnsureWritableFolder(o.RunDir);
        var latest = Checkpoint.Latest(o.RunDir);
        if (latest is not null && !o.Resume)
        {
            throw new BadInputException(o.RunDir, $"already holds a training run ({Path.GetFileName(latest)}); pass --resume to continue it or choose another --out");
        }

        using var data = ShardDataset.Load(o.DataDir, "train");
        var manifest = data.Manifest;
        var hasVal = manifest.Shards.Any(s => s.Split == "val");
        using var val = hasVal ? ShardDataset.Load(o.DataDir, "val") : null;
        var tokenizer = TextTokenizer.Load(Path.Combine(o.DataDir, ShardManifest.VocabFileName));

        var initFrom = latest is null ? o.InitFrom : null;
        var sourceConfig = initFrom is not null ? InitialConfig(initFrom, manifest, o.DataDir) : null;
        var packageConfig = sourceConfig;
        // A package without an event path may grow one (it starts silent, below); any other change of it would
        // leave weights without a place.
        var addsEventPath = false;
        if (packageConfig is not null && o.VisualEventChannels is { } addEvents && addEvents != packageConfig.VisualEventChannels)
        {
            if (packageConfig.VisualEventChannels != 0)
            {
                throw new BadInputException(initFrom, $"has a visual event path of {packageConfig.VisualEventChannels} channels; --visual-events can add one to a package without, not change or remove it");
            }

            packageConfig = packageConfig with { VisualEventChannels = addEvents };
            addsEventPath = addEvents > 0;
        }

        // A package may also be given a finer picture folded into the same grid (--frame-size F·P --visual-patch P on
        // a package that sees F×F frames without blocks): its first convolution is widened to match (below).
        var widens = 1;
        if (packageConfig is not null && ((o.FrameSize is { } finer && finer != packageConfig.Video.FrameSize) || (o.VisualPatch is { } blocks && blocks != packageConfig.VisualPatch)))
        {
            var (size, patch) = (o.FrameSize ?? packageConfig.Video.FrameSize, o.VisualPatch ?? packageConfig.VisualPatch);
            var had = packageConfig.Video.FrameSize;
            if (packageConfig.VisualPatch != 1 || patch < 2 || size != had * patch)
            {
                throw new BadInputException(initFrom, $"sees {had}x{had} frames{(packageConfig.VisualPatch > 1 ? $" in {packageConfig.VisualPatch}x{packageConfig.VisualPatch} blocks" : "")}; a run from it may only see a finer picture folded into the same grid (--frame-size {had * 2} --visual-patch 2, or {had * 4} and 4), or keep its frames (leave out --frame-size and --visual-patch)");
            }

            packageConfig = packageConfig with { VisualPatch = patch, Video = packageConfig.Video with { FrameSize = size } };
            widens = patch;
        }

        var config = latest is not null
            ? ModelConfig.FromJson(File.ReadAllText(Path.Combine(latest, Checkpoint.ConfigFile)), Path.Combine(latest, Checkpoint.ConfigFile))
            : packageConfig ?? ConfigFor(o, manifest);
        if (latest is null && o.SyncLossWeight is { } syncWeight)
        {
            config = config with { SyncLossWeight = syncWeight };
        }

        if (latest is null && o.TransientLossWeight is { } transient)
        {
            config = config with { TransientLossWeight = transient };
        }

        if (latest is null && o.TonalLossWeight is { } tonal)
        {
            config = config with { TonalLossWeight = tonal };
        }

        if (latest is null && o.MirrorProbability is { } mirror)
        {
            config = config with { FrameFlipProbability = mirror };
        }

        if (latest is null && o.BothDropProbability is { } both)
        {
            config = config with { BothDropProbability = both };
        }

        if (latest is null && o.VisualDropProbability is { } videoDrop)
        {
            config = config with { VisualDropProbability = videoDrop };
        }

        if (latest is null && o.FlowTimeShift is { } shift)
        {
            config = config with { FlowTimeShift = shift };
        }

        if (latest is null && o.OverlayProbability is { } overlay)
        {
            config = config with { OverlayProbability = overlay, OverlayClasses = overlay > 0 ? [.. o.OverlayClasses ?? []] : null };
            if (overlay > 0 && data.OverlayDonors(config.OverlayClasses!).Length == 0)
            {
                throw new BadInputException(o.DataDir, $"has no training clip whose annotated events are all {string.Join(" or ", config.OverlayClasses!)} to lend its sound to an overlay; leave out --overlay");
            }
        }

        if (latest is null)
        {
            if (o.FreezeVideo && initFrom is null)
            {
                throw new BadInputException(o.RunDir, "--freeze-video keeps the video side of the package a run starts from; add --init-from PACKAGE");
            }

            config = config with { VideoFrozen = o.FreezeVideo };
        }

        if (latest is null && o.EventClassLossWeight is { } classWeight)
        {
            if (classWeight > 0 && manifest.EventClasses is not { Count: > 0 })
            {
                throw new BadInputException(o.DataDir, "has no event classes (shards made before them, or a corpus without event annotations); run 'v2a data prepare' again or leave out --class-loss");
            }

            if (classWeight > 0 && config.EventClasses is { } had && !had.SequenceEqual(manifest.EventClasses!))
            {
                throw new BadInputException(o.DataDir, $"names other event classes than the package's class head ({string.Join(", ", had)})");
            }

            config = config with { EventClassLossWeight = classWeight, EventClasses = classWeight > 0 ? [.. manifest.EventClasses!] : config.EventClasses };
        }

        CheckDataFits(config, manifest, o.DataDir);

        torch.manual_seed(o.Seed);
        using var net = new SoundtrackNetwork(config);
        net.to(device);
        using var ema = new SoundtrackNetwork(config);
        ema.to(device);
        ema.eval();
        if (initFrom is not null)
        {
            // Load into the package's own architecture, then copy by name: every weight of the package must
            // find its place; the onset head, when the new run adds one, keeps its fresh initialisation.
            using var source = new SoundtrackNetwork(sourceConfig!);
            source.load_safetensors(Path.Combine(initFrom, ModelPackage.WeightsFile));
            CopyWeights(source, net, targetMayHaveMore: true, widenVisualInput: widens);
            if (addsEventPath)
            {
                net.SilenceEventPath();
            }
        }

        CopyWeights(net, ema);
        if (config.VideoFrozen)
        {
            net.FreezeVideoSide();
        }

        var parameters = net.parameters().Where(p => p.requires_grad).ToList();
        var optimizer = optim.AdamW(parameters, o.LearningRate, weight_decay: o.WeightDecay);

        var state = new TrainingState
        {
            Step = 0, SamplesSeen = 0, Seed = o.Seed, TrainingSeconds = 0, TotalSteps = o.Steps,
            StartedFrom = initFrom is not null ? ModelPackage.ModelIdOf(Path.Combine(initFrom, ModelPackage.WeightsFile), sourceConfig!) : null,
        };
        if (initFrom is not null)
        {
            // The package's training clips are part of what the new model learned: its ledger goes into the run's.
            var baseLedger = Path.Combine(initFrom, ModelPackage.LedgerFile);
            var kept = Path.Combine(o.RunDir, BaseLedgerFile);
            if (File.Exists(baseLedger))
            {
                AtomicFile.WriteAllText(kept, File.ReadAllText(baseLedger));
            }
            else if (File.Exists(kept))
            {
                File.Delete(kept);
            }
        }

        if (latest is not null)
        {
            net.load_safetensors(Path.Combine(latest, Checkpoint.ModelFile));
            ema.load_safetensors(Path.Combine(latest, Checkpoint.EmaFile));
            optimizer.load_state_dict(Path.Combine(latest, Checkpoint.OptimizerFile));
            state = Checkpoint.ReadState(latest) with { TotalSteps = o.Steps };

            // A resumed run keeps its own schedule and seed (checkpoints before they were recorded: the options').
            o = o with
            {
                LearningRate = state.PeakLearningRate ?? o.LearningRate, WarmupSteps = state.WarmupSteps ?? o.WarmupSteps,
                BatchSize = state.BatchSize ?? o.BatchSize, Seed = state.Seed,
                CheckpointEvery = o.CheckpointEvery ?? state.CheckpointEvery,
            };
        }

        var logPath = Path.Combine(o.RunDir, LogFile);
        var history = TrimLog(logPath, state.Step);
        AtomicFile.WriteAllText(Path.Combine(o.RunDir, Checkpoint.ConfigFile), config.ToJson());

        var plan = new BatchPlan(data.Count, state.Seed);
        var clock = Stopwatch.StartNew();
        var windowClock = Stopwatch.StartNew();
        long windowSamples = 0;
        double windowLoss = 0, windowGrad = 0, windowSync = 0, windowClass = 0;
        var windowSteps = 0;
        var lastLoss = state.LastLoss;
        double? lastVal = state.ValLoss;
        var samplesPerSecond = 0.0;
        var step = state.Step;
        var samplesSeen = state.SamplesSeen;
        var end = Math.Min(o.Steps, o.StopAt ?? o.Steps);
        var checkpointEvery = o.CheckpointEvery ?? DefaultCheckpointEvery;
        var checkpointed = step;
        progress.Report("training", step, end, latest is null ? "starting" : $"resumed from step {step}");
        using (var log = new StreamWriter(logPath, append: true) { AutoFlush = true })
        {
            net.train();
            while (step < end)
            {
                if (cancel.IsCancellationRequested)
                {
                    // Stopped by the user: keep every finished step, so --resume goes on from here, not from the last
                    // scheduled checkpoint (minutes or hours back). No validation pass: the user is waiting.
                    if (step > checkpointed)
                    {
                        SaveCheckpoint();
                        progress.Report("training", step, end, $"interrupted; checkpoint {Checkpoint.Name(step)} written");
                    }

                    cancel.ThrowIfCancellationRequested();
                }

                var current = step + 1;
                var lr = LearningRate(o, current);
                foreach (var group in optimizer.ParamGroups)
                {
                    group.LearningRate = lr;
                }

                var (seconds, batchSize) = CropFor(config, manifest, o.BatchSize, current);
                double loss, gradNorm, syncLoss, classLoss;
                using (torch.NewDisposeScope())
                {
                    var random = new Random(Seeds.Int(state.Seed, current, 1));
                    var generator = new Generator((ulong)Seeds.Mix(state.Seed, current, 2));
                    var batch = data.Batch(plan.Indices(samplesSeen, batchSize), seconds, config, random);
                    var (dropText, dropVisual) = ConditionDrops(config, batch.HasText, generator, batch.Overlaid);
                    var losses = BatchLoss(net, batch, dropText, dropVisual, generator, device);
                    var lossTensor = losses.Loss;
                    optimizer.zero_grad();
                    lossTensor.backward();
                    gradNorm = nn.utils.clip_grad_norm_(parameters, o.GradClip);
                    optimizer.step();
                    UpdateEma(net, ema, Math.Min(o.EmaDecay, (1.0 + current) / (10.0 + current)));
                    loss = lossTensor.item<float>();
                    syncLoss = losses.Sync?.item<float>() ?? 0;
                    classLoss = losses.Classes?.item<float>() ?? 0;
                }

                step = current;
                samplesSeen += batchSize;
                windowSamples += batchSize;
                windowLoss += loss;
                windowSync += syncLoss;
                windowClass += classLoss;
                windowGrad += gradNorm;
                windowSteps++;
                if (windowClock.Elapsed.TotalSeconds > 0)
                {
                    samplesPerSecond = windowSamples / windowClock.Elapsed.TotalSeconds;
                }

                var syncText = (net.HasOnsetHead ? string.Create(CultureInfo.InvariantCulture, $", sync {windowSync / windowSteps:0.0000}") : "")
                    + (net.HasClassHead ? string.Create(CultureInfo.InvariantCulture, $", class {windowClass / windowSteps:0.0000}") : "");
                progress.Report("training", step, end,
                    string.Create(CultureInfo.InvariantCulture, $"loss {windowLoss / windowSteps:0.0000}{syncText}, {samplesPerSecond:0.0} samples/s, lr {lr:0.0e+0}"));

                var checkpointNow = step % checkpointEvery == 0 || step == end;
                if (step % o.LogEvery == 0 || checkpointNow)
                {
                    ValidationScores? scores = null;
                    double? trainFromNoise = null;
                    if (checkpointNow && val is not null)
                    {
                        scores = Validate(ema, val, config, o, device);
                        lastVal = scores.Loss;

                        // The same estimate on training clips: its distance below ValFromNoise is what the model
                        // knows of the clips it trained on and not of others.
                        trainFromNoise = Validate(ema, data, config, o, device).FromNoise;
                    }

                    var entry = new LogEntry(step, windowLoss / windowSteps, scores?.Loss, lr, windowGrad / windowSteps, samplesPerSecond,
                        samplesSeen, state.TrainingSeconds + clock.Elapsed.TotalSeconds, scores?.FromNoise, scores?.FromNoiseEmpty,
                        net.HasOnsetHead ? windowSync / windowSteps : null, scores?.Sync, scores?.OnsetAuc, scores?.OnsetF1, trainFromNoise,
                        net.HasClassHead ? windowClass / windowSteps : null, scores?.Classes, scores?.ClassTopOne);
                    log.WriteLine(JsonSerializer.Serialize(entry, LineJson));
                    history.Add(entry);
                    lastLoss = entry.Loss; // the mean over the log window, not one step's (steps swing by 2× or more)
                    windowClock.Restart();
                    windowSamples = 0;
                    windowLoss = windowGrad = windowSync = windowClass = 0;
                    windowSteps = 0;
                }

                if (checkpointNow)
                {
                    SaveCheckpoint();
                    checkpointed = step;
                }
            }
        }

        void SaveCheckpoint()
        {
            var snapshot = new TrainingState
            {
                Step = step, SamplesSeen = samplesSeen, Seed = state.Seed, TotalSteps = o.Steps, LastLoss = lastLoss, ValLoss = lastVal,
                TrainingSeconds = state.TrainingSeconds + clock.Elapsed.TotalSeconds, StartedFrom = state.StartedFrom,
                PeakLearningRate = o.LearningRate, WarmupSteps = o.WarmupSteps, BatchSize = o.BatchSize, CheckpointEvery = checkpointEvery,
            };
            Checkpoint.Write(o.RunDir, step, dir =>
            {
                net.save_safetensors(Path.Combine(dir, Checkpoint.ModelFile));
                ema.save_safetensors(Path.Combine(dir, Checkpoint.EmaFile));
                optimizer.save_state_dict(Path.Combine(dir, Checkpoint.OptimizerFile));
                Checkpoint.WriteState(dir, snapshot);
                File.WriteAllText(Path.Combine(dir, Checkpoint.ConfigFile), config.ToJson());
                File.Copy(Path.Combine(o.DataDir, ShardManifest.VocabFileName), Path.Combine(dir, Checkpoint.VocabFile));
            }, o.KeepCheckpoints);
            LossCurve.Write(Path.Combine(o.RunDir, CurveFile),
                history.Select(h => (h.Step, h.Loss)).ToList(),
                history.Where(h => h.ValLoss is not null).Select(h => (h.Step, h.ValLoss!.Value)).ToList(),
                $"v2a {config.Preset}: flow-matching loss (blue: train, orange: validation, EMA weights)");
        }

        string? package = null;
        if (o.WritePackage)
        {
            var trainingSeconds = state.TrainingSeconds + clock.Elapsed.TotalSeconds;
            package = Path.Combine(o.RunDir, PackageFolder);
            ModelPackage.Save(package, ema, tokenizer, new ModelCardFacts
            {
                Steps = step, ScheduleSteps = o.Steps, SamplesSeen = samplesSeen, TrainingHours = trainingSeconds / 3600, FinalLoss = lastLoss, ValLoss = lastVal,
                BatchSize = o.BatchSize, LearningRate = o.LearningRate, TrainClips = data.Count, ValClips = val?.Count ?? 0,
                Corpus = manifest.Corpus, DataCreated = manifest.Created, Seed = state.Seed, StartedFrom = state.StartedFrom,
            }, Path.Combine(o.DataDir, ShardManifest.LedgerFileName), state.StartedFrom is not null ? Path.Combine(o.RunDir, BaseLedgerFile) : null);
        }

        return new TrainResult(step, lastLoss, lastVal, samplesPerSecond, net.ParameterCount, o.RunDir, package, latest is not null);
    }

    /// <summary>The preset (or given config) completed with what the data fixes: vocabulary, normalisation, audio front end.</summary>
    internal static ModelConfig ConfigFor(TrainOptions o, ShardManifest manifest)
    {
        var config = o.Config ?? ModelConfig.FromPreset(o.Preset);
        if (o.VisualEventChannels is { } events)
        {
            config = config with { VisualEventChannels = events };
        }

        var size = o.FrameSize ?? config.Video.FrameSize;
        var patch = o.VisualPatch ?? config.VisualPatch;
        if (size != config.Video.FrameSize || patch != config.VisualPatch)
        {
            config = config with
            {
                VisualCells = config.VisualCells ?? config.Video.FrameSize / 8,
                VisualPatch = patch,
                Video = config.Video with { FrameSize = size },
            };
            try
            {
                config.Validate();
            }
            catch (InvalidOperationException e)
            {
                throw new BadInputException(null, $"--frame-size {size} --visual-patch {patch}: {e.Message}");
            }
        }

        return config with
        {
            TextVocabSize = manifest.VocabSize,
            Normalisation = manifest.Normalisation,
            Audio = manifest.Audio,
            TextMaxTokens = Math.Min(config.TextMaxTokens, manifest.TextMaxTokens),
            WindowSeconds = Math.Min(config.WindowSeconds, Math.Floor((manifest.ClipSeconds / config.AlignmentSeconds) + 1e-9) * config.AlignmentSeconds),
        };
    }

    /// <summary>The config of a run started from <paramref name="package"/>: the package's architecture and training
    /// settings, the shards' normalisation (the data is normalised with it from now on).</summary>
    private static ModelConfig InitialConfig(string package, ShardManifest manifest, string dataDir)
    {
        var configPath = Path.Combine(package, ModelPackage.ConfigFile);
        var weightsPath = Path.Combine(package, ModelPackage.WeightsFile);
        if (!File.Exists(configPath) || !File.Exists(weightsPath))
        {
            throw new BadInputException(package, $"is not a model package (needs {ModelPackage.ConfigFile} and {ModelPackage.WeightsFile})");
        }

        var vocab = Path.Combine(package, ModelPackage.VocabFile);
        if (!File.Exists(vocab) || !TextTokenizer.Load(vocab).Gpt2Ids.SequenceEqual(TextTokenizer.Load(Path.Combine(dataDir, ShardManifest.VocabFileName)).Gpt2Ids))
        {
            throw new BadInputException(package, $"has another text vocabulary than {dataDir}: its text embedding would not fit; prepare the shards with the package's vocabulary ('v2a data prepare --vocab PACKAGE') or train from scratch");
        }

        return ModelConfig.FromJson(File.ReadAllText(configPath), configPath) with { Normalisation = manifest.Normalisation };
    }

    private static void CheckDataFits(ModelConfig config, ShardManifest manifest, string dataDir)
    {
        if (config.Video.FrameSize != manifest.Video.FrameSize || Math.Abs(config.Video.Fps - manifest.Video.Fps) > 1e-9)
        {
            throw new BadInputException(dataDir,
                $"holds {manifest.Video.FrameSize}x{manifest.Video.FrameSize} frames at {manifest.Video.Fps} fps, the '{config.Preset}' model needs {config.Video.FrameSize}x{config.Video.FrameSize} at {config.Video.Fps}; prepare them with 'v2a data prepare --frame-size {config.Video.FrameSize}' or train a new run with 'v2a train --frame-size {manifest.Video.FrameSize}'");
        }

        if (config.Audio != manifest.Audio)
        {
            throw new BadInputException(dataDir, "was prepared with other audio settings than the model's");
        }

        if (config.EventClassLossWeight > 0 && (manifest.EventClasses is null || !manifest.EventClasses.SequenceEqual(config.EventClasses ?? [])))
        {
            throw new BadInputException(dataDir, "has other event classes than the run's class head was trained on: resume with the data it was trained on");
        }

        if (config.TextVocabSize != manifest.VocabSize)
        {
            throw new BadInputException(dataDir, $"has a vocabulary of {manifest.VocabSize}, the checkpoint {config.TextVocabSize}: resume with the data it was trained on");
        }
    }

    /// <summary>Linear warm-up to the peak, then cosine decay to MinLearningRateFraction × peak at the last step.</summary>
    internal static double LearningRate(TrainOptions o, int step)
    {
        if (step <= o.WarmupSteps)
        {
            return o.LearningRate * step / Math.Max(1, o.WarmupSteps);
        }

        var progress = Math.Clamp((double)(step - o.WarmupSteps) / Math.Max(1, o.Steps - o.WarmupSteps), 0, 1);
        var floor = o.MinLearningRateFraction;
        return o.LearningRate * (floor + ((1 - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress))));
    }

    /// <summary>Crop length (seconds) and batch size of a step: short crops, and every LongCropEvery-th step
    /// a whole window with the batch scaled to the same number of tokens.</summary>
    internal static (double Seconds, int BatchSize) CropFor(ModelConfig config, ShardManifest manifest, int batchSize, int step)
    {
        var clip = Math.Floor((manifest.ClipSeconds / config.AlignmentSeconds) + 1e-9) * config.AlignmentSeconds;
        var shortCrop = Math.Min(config.TrainSeconds, clip);
        if (config.LongCropEvery <= 0 || step % config.LongCropEvery != 0)
        {
            return (shortCrop, batchSize);
        }

        var longCrop = Math.Min(config.WindowSeconds, clip);
        return (longCrop, Math.Max(1, (int)Math.Round(batchSize * shortCrop / longCrop)));
    }

    /// <summary>(B) masks of the clips whose text, and whose video, training replaces by the empty condition: each
    /// dropped on its own at its rate, both together at <see cref="ModelConfig.BothDropProbability"/>; text also where
    /// the clip has none. Draws nothing for the joint drop when its rate is 0, so runs made before it repeat exactly.
    /// Clips flagged in <paramref name="keep"/> (overlaid: their sound has what their text names and their picture shows)
    /// keep both conditions.</summary>
    internal static (Tensor Text, Tensor Visual) ConditionDrops(ModelConfig config, Tensor hasText, Generator generator, Tensor? keep = null)
    {
        var n = hasText.shape[0];
        var text = torch.rand(n, generator: generator).LessThan(config.TextDropProbability).logical_or(hasText.logical_not());
        var visual = torch.rand(n, generator: generator).LessThan(config.VisualDropProbability);
        if (config.BothDropProbability > 0)
        {
            var both = torch.rand(n, generator: generator).LessThan(config.BothDropProbability);
            text = text.logical_or(both);
            visual = visual.logical_or(both);
        }

        if (keep is not null)
        {
            text = text.logical_and(keep.logical_not());
            visual = visual.logical_and(keep.logical_not());
        }

        return (text, visual);
    }

    /// <summary>The losses of a batch (see <see cref="BatchLoss"/>).</summary>
    /// <param name="Loss">What is minimised: flow matching plus the weighted auxiliary losses.</param>
    /// <param name="Flow">The flow-matching loss alone.</param>
    /// <param name="Sync">The sync loss alone and <paramref name="Onsets"/> the onset head's output (B, N); null without an onset head.</param>
    /// <param name="Classes">The event-class loss alone and <paramref name="ClassLogits"/> the class head's output (B, N, C);
    /// null without a class head or without class targets.</param>
    private sealed record BatchLosses(Tensor Loss, Tensor Flow, Tensor? Sync, Tensor? Onsets, Tensor? Classes, Tensor? ClassLogits);

    /// <summary>The loss to minimise (flow matching — weighted towards transients when the config says so and
    /// <paramref name="training"/> — plus the weighted sync loss when the network has an onset head and the weighted
    /// event-class loss when it has a class head) and its parts.</summary>
    private static BatchLosses BatchLoss(SoundtrackNetwork net, TrainingBatch batch, Tensor dropText, Tensor dropVisual,
        Generator generator, Device device, bool training = true)
    {
        var cond = net.PrepareConditions(batch.Frames.to(device), batch.TextIds.to(device), batch.TextMask.to(device), dropText.to(device),
            dropVisual.to(device), batch.Sequence);
        var mel = batch.Mel.to(device);
        var weights = training ? LossWeights(mel, net.Config) : null;
        // Validation keeps the plain loss (no transient weights, unshifted times), so runs of any recipe compare.
        var flow = FlowMatchingLoss.Loss((x, t) => net.PredictVelocity(x, t, cond), mel, generator, net.Config.UniformTimeFraction, weights,
            training ? net.Config.FlowTimeShift : 1);
        var loss = flow;
        var shown = dropVisual.logical_not();
        Tensor? sync = null, predicted = null, classes = null, classLogits = null;
        if (net.HasOnsetHead)
        {
            predicted = net.PredictOnsets(cond);
            sync = batch.Onsets is { } onsets
                ? SyncLoss.EventLoss(predicted, SyncLoss.EventTarget(onsets.to(device), net.Config.MelFramesPerToken),
                    shown.logical_and(batch.OnsetsAnnotated!))
                : SyncLoss.Loss(predicted, SyncLoss.OnsetTarget(mel, net.Config.MelFramesPerToken), shown);
            loss = loss.Plus(sync.Times(net.Config.SyncLossWeight));
        }

        if (net.HasClassHead && batch.EventClasses is { } flags)
        {
            classLogits = net.PredictEventClasses(cond);
            classes = EventClassLoss.Loss(classLogits, EventClassLoss.Target(flags.to(device), net.Config.MelFramesPerToken),
                shown.logical_and(batch.OnsetsAnnotated!));
            loss = loss.Plus(classes.Times(net.Config.EventClassLossWeight));
        }

        return new BatchLosses(loss, flow, sync, predicted, classes, classLogits);
    }

    /// <summary>The flow loss's weights for a training batch's mel (B, M, T): (B, T) on transients, (B, M, T) on tonal
    /// lines (times the transients' when both are set), or null for the plain loss.</summary>
    private static Tensor? LossWeights(Tensor mel, ModelConfig config)
    {
        var transient = config.TransientLossWeight > 0 ? FlowMatchingLoss.TransientWeights(mel, config.TransientLossWeight) : null;
        if (config.TonalLossWeight <= 0)
        {
            return transient;
        }

        var tonal = FlowMatchingLoss.TonalWeights(mel, config.TonalLossWeight);
        return transient is null ? tonal : tonal * transient.unsqueeze(1);
    }

    /// <summary>Validation scores of the EMA weights at a checkpoint (see <see cref="LogEntry"/>).</summary>
    private sealed record ValidationScores(double Loss, double FromNoise, double FromNoiseEmpty, double? Sync, double? OnsetAuc = null,
        double? OnsetF1 = null, double? Classes = null, double? ClassTopOne = null);

    /// <summary>Over up to ValClips clips of <paramref name="clips"/> — the validation split, or the training split for
    /// TrainFromNoise — (first window-length crop, first caption, no dropping, fixed
    /// noise and times — <see cref="ValidationSeed"/> — so checkpoints and runs compare like with like): the mean loss, and the mean squared error of the
    /// clip's mel as estimated from pure noise (t = 0: x0 + v̂(x0, 0)) with its video and caption and with the
    /// empty conditions.</summary>
    private static ValidationScores Validate(SoundtrackNetwork ema, ShardDataset clips, ModelConfig config, TrainOptions o, Device device)
    {
        var n = Math.Min(o.ValClips, clips.Count);
        var seconds = CropFor(config, clips.Manifest, o.BatchSize, 1).Seconds;
        var generator = new Generator((ulong)Seeds.Mix(ValidationSeed, 0x7a1));
        double total = 0, fromNoise = 0, fromNoiseEmpty = 0, sync = 0, classes = 0;
        int classTokens = 0, classRight = 0;
        var onsetScores = new List<float>();
        var onsetLabels = new List<float>();
        var tokensPerRow = 0;
        using var noGrad = torch.no_grad();
        for (var start = 0; start < n; start += o.BatchSize)
        {
            using var scope = torch.NewDisposeScope();
            var idx = Enumerable.Range(start, Math.Min(o.BatchSize, n - start)).ToArray();
            var batch = clips.Batch(idx, seconds, config, random: null);
            var no = torch.zeros(idx.Length, dtype: ScalarType.Bool);
            var noText = no.logical_or(batch.HasText.logical_not());
            var losses = BatchLoss(ema, batch, noText, no, generator, device, training: false);
            var onsetOutput = losses.Onsets;
            total += losses.Flow.item<float>() * idx.Length;
            sync += (losses.Sync?.item<float>() ?? 0) * idx.Length;
            classes += (losses.Classes?.item<float>() ?? 0) * idx.Length;
            if (losses.ClassLogits is { } classLogits)
            {
                // The class head as a namer of what sounds on screen, on the annotated clips' tokens where something does.
                var logits = classLogits.cpu();
                var target = EventClassLoss.Target(batch.EventClasses!, config.MelFramesPerToken);
                var annotated = batch.OnsetsAnnotated!.data<bool>().ToArray();
                for (var r = 0; r < idx.Length; r++)
                {
                    if (annotated[r])
                    {
                        var (tokens, right) = EventClassLoss.TopOne(logits[r].data<float>().ToArray(), target[r].data<float>().ToArray(), (int)logits.shape[2]);
                        classTokens += tokens;
                        classRight += right;
                    }
                }
            }

            if (onsetOutput is not null && batch.Onsets is { } onsets)
            {
                // The head as an onset detector (video shown), on the clips whose events are annotated.
                var logits = onsetOutput.cpu();
                var labels = SyncLoss.EventTarget(onsets, config.MelFramesPerToken);
                tokensPerRow = (int)logits.shape[1];
                var annotated = batch.OnsetsAnnotated!.data<bool>().ToArray();
                for (var r = 0; r < idx.Length; r++)
                {
                    if (annotated[r])
                    {
                        onsetScores.AddRange(logits[r].data<float>().ToArray());
                        onsetLabels.AddRange(labels[r].data<float>().ToArray());
                    }
                }
            }

            var x1 = batch.Mel.to(device);
            var x0 = torch.randn(x1.shape, generator: generator).to(device);
            var t0 = torch.zeros(idx.Length, device: device);
            var all = torch.ones(idx.Length, dtype: ScalarType.Bool);
            foreach (var (drop, empty) in new[] { (noText, false), (all, true) })
            {
                var cond = ema.PrepareConditions(batch.Frames.to(device), batch.TextIds.to(device), batch.TextMask.to(device),
                    drop.to(device), (empty ? all : no).to(device), batch.Sequence);
                var estimate = x0.Plus(ema.PredictVelocity(x0, t0, cond));
                var mse = nn.functional.mse_loss(estimate, x1).item<float>() * idx.Length;
                if (empty)
                {
                    fromNoiseEmpty += mse;
                }
                else
                {
                    fromNoise += mse;
                }
            }
        }

        double? auc = null, f1 = null;
        if (onsetLabels.Any(v => v > 0.5f))
        {
            auc = SyncLoss.Auc(onsetScores, onsetLabels);
            f1 = SyncLoss.PeakF1(onsetScores, onsetLabels, tokensPerRow, OnsetTolerance(config)).F1;
        }

        var hasClasses = ema.HasClassHead && clips.Manifest.EventClasses is not null;
        return new ValidationScores(total / n, fromNoise / n, fromNoiseEmpty / n, ema.HasOnsetHead ? sync / n : null, auc, f1,
            hasClasses ? classes / n : null, hasClasses && classTokens > 0 ? (double)classRight / classTokens : null);
    }

    /// <summary>Tokens either side within which the onset head's peak counts as a hit: one token (32 ms for the presets).</summary>
    private static int OnsetTolerance(ModelConfig config) => Math.Max(1, (int)Math.Round(0.04 * config.TokenRate));

    /// <summary>Copies every weight of <paramref name="from"/> into the same-named one of <paramref name="to"/>. Unless
    /// <paramref name="targetMayHaveMore"/>, both must hold the same names; either way every source weight must land.</summary>
    /// <param name="widenVisualInput">P > 1: the target's visual encoder folds P×P blocks the source's did not see;
    /// its first convolution gets <see cref="VisualEncoder.WidenInputWeight"/> of the source's.</param>
    internal static void CopyWeights(nn.Module from, nn.Module to, bool targetMayHaveMore = false, int widenVisualInput = 1)
    {
        using var noGrad = torch.no_grad();
        var source = from.state_dict();
        var target = to.state_dict();
        var missing = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var extra = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
        if (missing.Count > 0 || (!targetMayHaveMore && extra.Count > 0))
        {
            throw new InvalidOperationException($"weights do not match: {string.Join(", ", missing.Concat(extra).Take(5))}");
        }

        foreach (var (name, p) in source)
        {
            if (widenVisualInput > 1 && name == VisualInputWeight)
            {
                using var widened = VisualEncoder.WidenInputWeight(p, widenVisualInput);
                target[name].copy_(widened);
                continue;
            }

            target[name].copy_(p);
        }
    }

    /// <summary>The name of the visual encoder's first convolution weight in the network's state.</summary>
    internal const string VisualInputWeight = "visual.conv1.weight";

    private static void UpdateEma(nn.Module net, nn.Module ema, double decay)
    {
        using var noGrad = torch.no_grad();
        using var keep = decay.ToScalar(); // held across the native calls (see HeldScalars)
        using var take = (1 - decay).ToScalar();
        foreach (var (e, p) in ema.parameters().Zip(net.parameters()))
        {
            if (!p.requires_grad)
            {
                continue; // frozen (ModelConfig.VideoFrozen): the EMA copy stays bit-exact
            }

            e.mul_(keep).add_(p, take);
        }
    }

    /// <summary>Reads RUN/train.jsonl, dropping (and rewriting away) entries after <paramref name="step"/>:
    /// a killed run may have logged steps its last checkpoint does not hold.</summary>
    private static List<LogEntry> TrimLog(string path, int step)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var kept = new List<LogEntry>();
        var keptLines = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                var entry = JsonSerializer.Deserialize<LogEntry>(line, ModelConfig.JsonOptions);
                if (entry is not null && entry.Step <= step)
                {
                    kept.Add(entry);
                    keptLines.Add(line);
                }
            }
            catch (JsonException)
            {
                // A line cut short by a kill: drop it.
            }
        }

        AtomicFile.WriteAllText(path, keptLines.Count == 0 ? "" : string.Join('\n', keptLines) + "\n");
        return kept;
    }

    /// <summary>One line of RUN/train.jsonl (averages over the steps since the previous line).</summary>
    /// <param name="ValFromNoise">At checkpoints: MSE of the validation clips' normalised mel as the EMA model
    /// estimates it from pure noise with their video and caption — what sampling's first step sees.</param>
    /// <param name="ValFromNoiseEmpty">The same with the empty conditions. A model that uses what it is shown has
    /// ValFromNoise well under this; equal means it ignores video and text and can only denoise.</param>
    /// <param name="SyncLoss">The auxiliary sync loss over the same steps (when the network has an onset head); Loss
    /// includes it, weighted.</param>
    /// <param name="ValSync">At checkpoints: the EMA model's sync loss on the validation clips.</param>
    /// <param name="ValOnsetAuc">At checkpoints, with annotated onsets: how well the onset head ranks onset tokens above the
    /// rest on the validation clips (<see cref="Training.SyncLoss.Auc"/>; 0.5 is chance).</param>
    /// <param name="ValOnsetF1">The same head as a peak-picking onset detector, F1 within ±1 token (<see cref="Training.SyncLoss.PeakF1"/>).</param>
    /// <param name="TrainFromNoise">At checkpoints with a validation split: <paramref name="ValFromNoise"/>'s estimate on the
    /// first training clips (same count, crop and noise). They are other clips, some harder than others, so read the two
    /// side by side over the checkpoints: a gap that opens as training goes on is the model learning its training clips
    /// more than the world they come from.</param>
    /// <param name="ClassLoss">The event-class loss over the same steps (when the network has a class head); Loss includes it, weighted.</param>
    /// <param name="ValClass">At checkpoints: the EMA model's event-class loss on the validation clips.</param>
    /// <param name="ValClassTop1">At checkpoints: on the validation tokens where an on-screen event sounds, the share whose
    /// highest class logit names one of the classes sounding (<see cref="EventClassLoss.TopOne"/>).</param>
    public sealed record LogEntry(int Step, double Loss, double? ValLoss, double Lr, double GradNorm, double SamplesPerSecond,
        long SamplesSeen, double ElapsedSeconds, double? ValFromNoise = null, double? ValFromNoiseEmpty = null,
        double? SyncLoss = null, double? ValSync = null, double? ValOnsetAuc = null, double? ValOnsetF1 = null, double? TrainFromNoise = null,
        double? ClassLoss = null, double? ValClass = null, double? ValClassTop1 = null);
}
