using System.CommandLine;
using System.Globalization;
using V2a.Model;
using V2a.Model.Training;

namespace V2a.Cli.Commands;

/// <summary><c>v2a train --data SHARDS --preset small --out RUN [--resume] [--steps N] [--init-from PACKAGE]</c>.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new TrainOptions { DataDir = "", RunDir = "" };
        var data = new Option<string>("--data") { Description = "Shard folder from 'v2a data prepare'.", Required = true };
        var preset = new Option<string>("--preset") { Description = $"Model size: {string.Join(", ", ModelConfig.PresetNames)}.", DefaultValueFactory = _ => "small" };
        var output = new Option<string>("--out", "-o") { Description = "Run folder: checkpoints, train.jsonl, loss.png, and the model package (RUN/model).", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its last checkpoint." };
        var initFrom = new Option<string?>("--init-from") { Description = "Start a new run from a model package's weights (same architecture, prepared with the same vocabulary) instead of random ones." };
        var sync = new Option<double?>("--sync-loss") { Description = "Weight of the auxiliary sync loss (an onset head on the video features) for a new run; default: the preset's." };
        var classLoss = new Option<double?>("--class-loss") { Description = "Weight of the auxiliary event-class loss (a head on the video features naming the on-screen events sounding at each token; shards from 'v2a data prepare' with event annotations) for a new run; default: the preset's or package's (0)." };
        var transient = new Option<double?>("--transient-weight") { Description = "Extra flow-matching loss weight on the ~100 ms after each rise of the real mel (frames there weigh up to 1 + this) for a new run; default: the preset's or package's (0)." };
        var tonal = new Option<double?>("--tonal-weight") { Description = "Extra flow-matching loss weight on tonal lines — mel cells standing above their neighbours for 80 ms, the rings of bells, glass, metal and notes (they weigh up to 1 + this) — for a new run; default: the preset's or package's (0)." };
        var mirror = new Option<double?>("--mirror") { Description = "Share of training clips whose frames are mirrored left to right, for a new run (0 … 1); default: the preset's (0)." };
        var dropVideo = new Option<double?>("--drop-video") { Description = "Share of training clips whose video alone is replaced by the learned empty condition (so the text side learns to name sounds without the picture), for a new run (0 … 1); default: the preset's or package's (" + ModelConfig.FromPreset("small").VisualDropProbability.ToString(CultureInfo.InvariantCulture) + " for small)." };
        var timeShift = new Option<double?>("--time-shift") { Description = "Moves training flow times towards the noise end, where the conditions alone must say what the sound is, for a new run: each time's odds t/(1-t) divided by this (1: none; 2 doubles the share of times under 0.2); default: the preset's or package's (1)." };
        var overlay = new Option<double?>("--overlay") { Description = "Share of training clips that get a sound their picture does not show — an ambience (rain, wind, fire) from another training clip mixed under theirs, its caption added to their text — for a new run (0 … 1), so that a prompt can ask for what the video lacks; default: the preset's or package's (0)." };
        var freezeVideo = new Option<bool>("--freeze-video") { Description = "With --init-from: keep the package's video side (visual encoder, onset and class heads) as it is and train only the generator and the text side, so that what the video knows of timing cannot move." };
        var dropBoth = new Option<double?>("--drop-both") { Description = "Share of training clips that lose video and text together (the side guidance steers away from), on top of each one's own drop, for a new run (0 … 1); default: the preset's or package's (0)." };
        var events = new Option<int?>("--visual-events") { Description = "Channels of the visual encoder's event path for a fresh run (a temporal convolution per grid cell, the strongest cell per frame); 0: none. Default: the preset's (0). With --init-from it adds the path to a package without one, starting silent." };
        var patch = new Option<int?>("--visual-patch") { Description = "For a new run: fold P×P pixel blocks into channels before the visual CNN, so --frame-size 128 --visual-patch 2 sees every pixel through the stages of 64×64 (the visual encoder's step took about 2.5× as long in the onset probe). With --init-from a package that sees F×F frames: --frame-size 2F --visual-patch 2 starts from its weights, the first convolution widened to see each block as the package saw its average. Default: 1 (none)." };
        var frameSize = new Option<int?>("--frame-size") { Description = "Frame side the visual encoder of a new run sees (shards prepared with the same --frame-size); extra stride-2 stages keep the preset's size. Default: the preset's, or with --init-from the package's (see --visual-patch)." };
        var steps = new Option<int?>("--steps") { Description = $"Total optimizer steps of the run: the learning-rate schedule's length. Default: {defaults.Steps}; with --resume, the run's own." };
        var stopAt = new Option<int?>("--stop-at") { Description = "Stop after this step (checkpoint and package written there), keeping the schedule of --steps." };
        var batch = new Option<int>("--batch") { Description = "Clips per step (short crops); a resumed run keeps its own.", DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (AdamW); a resumed run keeps its own.", DefaultValueFactory = _ => defaults.LearningRate };
        var warmup = new Option<int>("--warmup") { Description = "Warm-up steps; a resumed run keeps its own.", DefaultValueFactory = _ => defaults.WarmupSteps };
        var every = new Option<int?>("--checkpoint-every") { Description = $"Steps between checkpoints. Default: {Trainer.DefaultCheckpointEvery}; with --resume, the run's own." };
        var seed = new Option<long>("--seed") { Description = "Seed of initialisation and of every random choice of training; a resumed run keeps its own.", DefaultValueFactory = _ => defaults.Seed };
        var json = CliOptions.Json();
        var cmd = new Command("train", "Train a generator with flow matching; checkpoints are atomic and --resume continues after a kill.")
        {
            data, preset, output, resume, initFrom, sync, classLoss, transient, tonal, mirror, dropBoth, dropVideo, overlay, timeShift, freezeVideo, events, frameSize, patch, steps, stopAt, batch, lr, warmup, every, seed, json,
        };
        cmd.SetAction(parse =>
        {
            var options = new TrainOptions
            {
                DataDir = parse.GetValue(data)!,
                RunDir = parse.GetValue(output)!,
                Preset = parse.GetValue(preset)!,
                Resume = parse.GetValue(resume),
                InitFrom = parse.GetValue(initFrom),
                SyncLossWeight = parse.GetValue(sync) is { } w && w < 0 ? throw new BadInputException(null, "--sync-loss must be >= 0") : parse.GetValue(sync),
                EventClassLossWeight = parse.GetValue(classLoss) is { } cw && (cw < 0 || !double.IsFinite(cw)) ? throw new BadInputException(null, "--class-loss must be >= 0") : parse.GetValue(classLoss),
                TransientLossWeight = parse.GetValue(transient) is { } tw && (tw < 0 || !double.IsFinite(tw)) ? throw new BadInputException(null, "--transient-weight must be >= 0") : parse.GetValue(transient),
                TonalLossWeight = parse.GetValue(tonal) is { } tn && (tn < 0 || !double.IsFinite(tn)) ? throw new BadInputException(null, "--tonal-weight must be >= 0") : parse.GetValue(tonal),
                MirrorProbability = parse.GetValue(mirror) is { } m && (m < 0 || m > 1) ? throw new BadInputException(null, "--mirror must be between 0 and 1") : parse.GetValue(mirror),
                BothDropProbability = parse.GetValue(dropBoth) is { } b && (b < 0 || b > 1) ? throw new BadInputException(null, "--drop-both must be between 0 and 1") : parse.GetValue(dropBoth),
                VisualDropProbability = parse.GetValue(dropVideo) is { } dv && (dv < 0 || dv > 1) ? throw new BadInputException(null, "--drop-video must be between 0 and 1") : parse.GetValue(dropVideo),
                FlowTimeShift = parse.GetValue(timeShift) is { } ts && !(ts > 0 && ts <= 100) ? throw new BadInputException(null, "--time-shift must be above 0 and at most 100") : parse.GetValue(timeShift),
                OverlayProbability = parse.GetValue(overlay) is { } ov && (ov < 0 || ov > 1) ? throw new BadInputException(null, "--overlay must be between 0 and 1") : parse.GetValue(overlay),
                OverlayClasses = V2a.Corpus.SoundClasses.Ambience,
                FreezeVideo = parse.GetValue(freezeVideo),
                VisualEventChannels = parse.GetValue(events) is { } e && e < 0 ? throw new BadInputException(null, "--visual-events must be >= 0") : parse.GetValue(events),
                FrameSize = parse.GetValue(frameSize) is { } f ? Positive(f, "--frame-size") : null,
                VisualPatch = parse.GetValue(patch) is { } vp ? Positive(vp, "--visual-patch") : null,
                Steps = Positive(parse.GetValue(steps) ?? ScheduleOf(parse.GetValue(output)!, parse.GetValue(resume)) ?? defaults.Steps, "--steps"),
                StopAt = parse.GetValue(stopAt) is { } stop ? Positive(stop, "--stop-at") : null,
                BatchSize = Positive(parse.GetValue(batch), "--batch"),
                LearningRate = parse.GetValue(lr),
                WarmupSteps = parse.GetValue(warmup),
                CheckpointEvery = parse.GetValue(every) is { } e2 ? Positive(e2, "--checkpoint-every") : null,
                Seed = parse.GetValue(seed),
            };
            _ = ModelConfig.FromPreset(options.Preset); // an unknown preset fails before any data is loaded
            var result = Trainer.Run(options, new ConsoleProgress(), Interrupt.Token);
            if (parse.GetValue(json))
            {
                CliOptions.WriteJson(result);
            }
            else
            {
                var inv = CultureInfo.InvariantCulture;
                var validation = result.ValLoss is { } v ? string.Create(inv, $", validation {v:0.0000}") : "";
                var package = result.PackageDir is null ? "" : $", model {result.PackageDir}";
                Console.WriteLine(string.Create(inv, $"trained to step {result.Step} ({result.Parameters:N0} parameters): loss {result.LastLoss:0.0000}")
                    + validation
                    + string.Create(inv, $", {result.SamplesPerSecond:0.0} samples/s; log {Path.Combine(result.RunDir, Trainer.LogFile)}, curve {Path.Combine(result.RunDir, Trainer.CurveFile)}")
                    + package);
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A resumed run's schedule length, from its last checkpoint; null for a fresh run.</summary>
    private static int? ScheduleOf(string runDir, bool resume) =>
        resume && Checkpoint.Latest(runDir) is { } latest ? Checkpoint.ReadState(latest).TotalSteps : null;

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new BadInputException(null, $"{name} must be positive (got {value})");
}
