using System.Text.Json;
using TorchSharp;
using TorchSharp.PyBridge;
using V2a.Model.Data;
using V2a.Model.Network;
using V2a.Model.Training;
using static TorchSharp.torch;

namespace V2a.Model.Tests.Training;

/// <summary>Four synthetic clips (one held out for validation), prepared once for the training tests.</summary>
public sealed class TrainingCorpusFixture : IDisposable
{
    public TrainingCorpusFixture()
    {
        TorchRuntime.Initialise();
        Root = TestSupport.TempDir("train");
        Clips = SyntheticCorpus.Make(count: 4, seconds: 2.56, eventsPerClip: 3, seed: 11);
        var corpus = SyntheticCorpus.Write(Path.Combine(Root, "corpus"), Clips);
        ShardsDir = Path.Combine(Root, "shards");
        Manifest = DataPreparer.Prepare(new DataPrepareOptions
        {
            CorpusDir = corpus, OutDir = ShardsDir, ValFraction = 0.25, FrameSize = 16, TextMaxTokens = 12,
        }, NullProgress.Instance);
    }

    public string Root { get; }

    public List<SyntheticCorpus.Clip> Clips { get; }

    public string ShardsDir { get; }

    public ShardManifest Manifest { get; }

    /// <summary>The debug preset on 1.28 s crops, with a full 2.56 s clip every 4th step.</summary>
    public static ModelConfig Config => ModelConfig.FromPreset("debug") with { TrainSeconds = 1.28, WindowSeconds = 2.56 };

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

public class TrainerTests(TrainingCorpusFixture fixture) : IClassFixture<TrainingCorpusFixture>
{
    private sealed class CancelAt(int step, CancellationTokenSource source) : IProgressSink
    {
        public void Report(string stage, long done, long total, string? detail = null)
        {
            if (stage == "training" && done == step)
            {
                source.Cancel();
            }
        }
    }

    private TrainOptions Options(string run, int steps) => new()
    {
        DataDir = fixture.ShardsDir, RunDir = run, Config = TrainingCorpusFixture.Config, Steps = steps, BatchSize = 4,
        LearningRate = 1e-3, WarmupSteps = 2, CheckpointEvery = 2, LogEvery = 1, Seed = 3, WritePackage = false,
    };

    /// <summary>The run's train.jsonl, line by line.</summary>
    private static List<Trainer.LogEntry> ReadLog(string run) => File.ReadAllLines(Path.Combine(run, Trainer.LogFile))
        .Select(l => JsonSerializer.Deserialize<Trainer.LogEntry>(l, ModelConfig.JsonOptions)!).ToList();

    [Fact]
    public void Interrupted_run_checkpoints_where_it_stopped_and_resumes_to_the_unbroken_runs_weights()
    {
        // Given an unbroken 6-step run, and the same run interrupted (Ctrl+C) during step 5, past the checkpoint at 4
        var unbroken = Path.Combine(fixture.Root, "unbroken");
        Trainer.Run(Options(unbroken, 6), NullProgress.Instance);
        var killed = Path.Combine(fixture.Root, "killed");
        using (var cts = new CancellationTokenSource())
        {
            Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Run(Options(killed, 6), new CancelAt(5, cts), cts.Token));
        }

        // Then it finished step 5 and kept it in an off-schedule checkpoint, the scheduled one at 4 beside it
        Assert.Equal("ckpt-00000005", File.ReadAllText(Path.Combine(killed, Checkpoint.LatestFile)).Trim());
        Assert.Equal(5, Checkpoint.ReadState(Path.Combine(killed, "ckpt-00000005")).Step);
        Assert.True(Directory.Exists(Path.Combine(killed, "ckpt-00000004")));

        // When it is resumed
        var result = Trainer.Run(Options(killed, 6) with { Resume = true }, NullProgress.Instance);

        // Then it continued from step 5, logged each step once, and holds the same weights as the unbroken run
        Assert.True(result.Resumed);
        Assert.Equal(6, result.Step);
        var steps = File.ReadAllLines(Path.Combine(killed, Trainer.LogFile))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()).ToList();
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 6 }, steps);
        using var scope = torch.NewDisposeScope();
        foreach (var file in new[] { Checkpoint.ModelFile, Checkpoint.EmaFile })
        {
            var a = Safetensors.LoadStateDict(Path.Combine(unbroken, "ckpt-00000006", file));
            var b = Safetensors.LoadStateDict(Path.Combine(killed, "ckpt-00000006", file));
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            foreach (var key in a.Keys)
            {
                Assert.True(a[key].equal(b[key]).all().item<bool>(), $"{file}: {key} differs after resume");
            }
        }

        Assert.True(File.Exists(Path.Combine(killed, Trainer.CurveFile)));
        Assert.False(Directory.Exists(Path.Combine(killed, "ckpt-00000002")), "only the newest two checkpoints are kept");
    }

    [Fact]
    public void A_run_stopped_early_keeps_its_schedule_and_resumes_to_the_unbroken_runs_weights()
    {
        // Given a 6-step run told to stop at step 3, with its package written
        var stopped = Path.Combine(fixture.Root, "stopped");
        var result = Trainer.Run(Options(stopped, 6) with { StopAt = 3, WritePackage = true }, NullProgress.Instance);

        // Then it stopped at 3 with a checkpoint there, on the 6-step schedule's learning rate, and its card says so
        Assert.Equal(3, result.Step);
        Assert.Equal("ckpt-00000003", File.ReadAllText(Path.Combine(stopped, Checkpoint.LatestFile)).Trim());
        var last = JsonSerializer.Deserialize<Trainer.LogEntry>(File.ReadAllLines(Path.Combine(stopped, Trainer.LogFile))[^1], ModelConfig.JsonOptions)!;
        Assert.Equal(3, last.Step);
        Assert.Equal(Trainer.LearningRate(Options(stopped, 6), 3), last.Lr, 12);
        Assert.NotEqual(Trainer.LearningRate(Options(stopped, 3), 3), last.Lr, 6);
        Assert.Contains("3 steps (stopped there; its learning-rate schedule runs to 6)", File.ReadAllText(Path.Combine(stopped, "model", ModelPackage.CardFile)), StringComparison.Ordinal);

        // When it is resumed to the end, it holds the weights of a run that never stopped
        Trainer.Run(Options(stopped, 6) with { Resume = true }, NullProgress.Instance);
        var unbroken = Path.Combine(fixture.Root, "never-stopped");
        Trainer.Run(Options(unbroken, 6), NullProgress.Instance);
        AssertSameEmaAt6(unbroken, stopped);
    }

    /// <summary>The EMA weights of two runs' step-6 checkpoints are equal, bit for bit.</summary>
    private static void AssertSameEmaAt6(string runA, string runB)
    {
        using var scope = torch.NewDisposeScope();
        var a = Safetensors.LoadStateDict(Path.Combine(runA, "ckpt-00000006", Checkpoint.EmaFile));
        var b = Safetensors.LoadStateDict(Path.Combine(runB, "ckpt-00000006", Checkpoint.EmaFile));
        Assert.All(a.Keys, key => Assert.True(a[key].equal(b[key]).all().item<bool>(), $"{key} differs"));
    }

    [Fact]
    public void A_resumed_run_keeps_its_own_learning_rate_warm_up_batch_and_seed_whatever_the_options_say()
    {
        // Given a run with its own peak learning rate, warm-up, batch and seed, stopped at step 3 of 6
        TrainOptions Own(string run) => Options(run, 6) with { LearningRate = 3e-3, WarmupSteps = 1, BatchSize = 3, Seed = 11 };
        var resumed = Path.Combine(fixture.Root, "own-schedule");
        Trainer.Run(Own(resumed) with { StopAt = 3 }, NullProgress.Instance);

        // When it is resumed with options that name other values (as the CLI's defaults would)
        Trainer.Run(Options(resumed, 6) with { Resume = true }, NullProgress.Instance);

        // Then it followed its own schedule (the log's learning rate) and holds the weights of its unbroken twin
        var lr = ReadLog(resumed).Single(e => e.Step == 5).Lr;
        Assert.Equal(Trainer.LearningRate(Own(resumed), 5), lr, 12);
        var unbroken = Path.Combine(fixture.Root, "own-schedule-unbroken");
        Trainer.Run(Own(unbroken), NullProgress.Instance);
        AssertSameEmaAt6(unbroken, resumed);
    }

    [Fact]
    public void A_resumed_run_keeps_its_own_checkpoint_interval_unless_told_another()
    {
        // Given a run checkpointing every 3 steps, stopped at step 3 of 9
        var run = Path.Combine(fixture.Root, "own-interval");
        Trainer.Run(Options(run, 9) with { CheckpointEvery = 3, StopAt = 3 }, NullProgress.Instance);

        // When it is resumed without an interval, it checkpoints (and validates) at 6 and 9, not only at its end
        Trainer.Run(Options(run, 9) with { Resume = true, CheckpointEvery = null }, NullProgress.Instance);
        var validated = ReadLog(run).Where(e => e.ValLoss is not null).Select(e => e.Step);
        Assert.Equal([3, 6, 9], validated);

        // And told another when resumed again for longer, it takes that one
        Trainer.Run(Options(run, 13) with { Resume = true, CheckpointEvery = 2 }, NullProgress.Instance);
        validated = ReadLog(run).Where(e => e.ValLoss is not null).Select(e => e.Step);
        Assert.Equal([3, 6, 9, 10, 12, 13], validated);
    }

    [Fact]
    public void Checkpoints_log_validation_loss_and_the_estimate_from_pure_noise_with_and_without_conditions_and_on_training_clips()
    {
        // Given a short run with a held-out clip
        var run = Path.Combine(fixture.Root, "validated");
        Trainer.Run(Options(run, 4), NullProgress.Instance);

        // Then every checkpoint's log line carries the three validation figures and the estimate on training clips, and other lines none
        var log = ReadLog(run);
        Assert.Equal([2, 4], log.Where(e => e.ValLoss is not null).Select(e => e.Step));
        Assert.All(log, e => Assert.Equal(e.ValLoss is null, e.ValFromNoise is null));
        Assert.All(log, e => Assert.Equal(e.ValLoss is null, e.TrainFromNoise is null));
        Assert.All(log.Where(e => e.ValLoss is not null), e =>
        {
            Assert.InRange(e.ValFromNoise!.Value, 1e-6, 100);
            Assert.InRange(e.ValFromNoiseEmpty!.Value, 1e-6, 100);
            Assert.InRange(e.TrainFromNoise!.Value, 1e-6, 100);
            Assert.NotEqual(e.ValFromNoise!.Value, e.TrainFromNoise!.Value); // other clips, not the held-out ones again
        });
        var text = File.ReadAllText(Path.Combine(run, Trainer.LogFile));
        Assert.Contains("\"val_from_noise\"", text, StringComparison.Ordinal);
        Assert.Contains("\"train_from_noise\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_final_training_loss_is_the_mean_of_the_last_log_window_not_one_steps_loss()
    {
        // Given the same 4-step run logged every step, and logged once at its end with its package written
        var everyStep = Path.Combine(fixture.Root, "loss-every-step");
        Trainer.Run(Options(everyStep, 4) with { CheckpointEvery = 4 }, NullProgress.Instance);
        var once = Path.Combine(fixture.Root, "loss-once");
        var result = Trainer.Run(Options(once, 4) with { CheckpointEvery = 4, LogEvery = 10, WritePackage = true }, NullProgress.Instance);

        // Then the single log line, the result and the card give the mean of the four steps' losses
        var steps = ReadLog(everyStep);
        Assert.Equal([1, 2, 3, 4], steps.Select(e => e.Step));
        var mean = steps.Average(e => e.Loss);
        Assert.NotEqual(steps[^1].Loss, mean, 6);
        Assert.Equal(mean, Assert.Single(ReadLog(once)).Loss, 5);
        Assert.Equal(mean, result.LastLoss, 5);
        var card = File.ReadAllText(Path.Combine(once, "model", ModelPackage.CardFile));
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Final training loss {mean:0.0000} (mean over the last log window)"), card, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_told_a_larger_frame_size_keeps_the_presets_cell_grid_and_its_package_records_both()
    {
        // Given a preset that sees 8×8 frames (a 1×1 cell grid) and the fixture's 16×16 shards
        var preset = TrainingCorpusFixture.Config with { Video = TrainingCorpusFixture.Config.Video with { FrameSize = 8 } };
        var run = Path.Combine(fixture.Root, "larger-frames");

        // When a run is told --frame-size 16
        var result = Trainer.Run(Options(run, 2) with { Config = preset, FrameSize = 16, WritePackage = true }, NullProgress.Instance);

        // Then its package sees 16×16 frames through one more stride-2 stage down to the preset's 1×1 grid
        using var model = SoundtrackModel.Load(result.PackageDir!);
        Assert.Equal(16, model.Config.Video.FrameSize);
        Assert.Equal(1, model.Config.VisualCells);
        Assert.Equal(4, model.Config.VisualStages);

        // And without it the preset's own frame size does not fit the shards, and the error names the way out
        var e = Assert.Throws<BadInputException>(() => Trainer.Run(Options(Path.Combine(fixture.Root, "small-frames"), 2) with { Config = preset }, NullProgress.Instance));
        Assert.Contains("--frame-size", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_told_a_visual_patch_sees_larger_frames_through_the_presets_stages_and_its_package_keeps_it()
    {
        // Given a preset that sees 8×8 frames (a 1×1 cell grid) and the fixture's 16×16 shards
        var preset = TrainingCorpusFixture.Config with { Video = TrainingCorpusFixture.Config.Video with { FrameSize = 8 } };
        var run = Path.Combine(fixture.Root, "patched-frames");

        // When a run is told --frame-size 16 --visual-patch 2
        var result = Trainer.Run(Options(run, 2) with { Config = preset, FrameSize = 16, VisualPatch = 2, WritePackage = true }, NullProgress.Instance);

        // Then its package sees 16×16 frames as 8×8 blocks of 2×2 pixels, through the preset's three stages, and loads so
        using var model = SoundtrackModel.Load(result.PackageDir!);
        Assert.Equal((16, 2, 8, 3, 1), (model.Config.Video.FrameSize, model.Config.VisualPatch, model.Config.VisualInputSide, model.Config.VisualStages, model.Config.VisualCells));

        // And a patch that leaves the CNN no multiple of 8 is refused before any training, naming the options
        var e = Assert.Throws<BadInputException>(() => Trainer.Run(Options(Path.Combine(fixture.Root, "bad-patch"), 2) with { Config = preset, FrameSize = 16, VisualPatch = 4 }, NullProgress.Instance));
        Assert.Contains("--visual-patch 4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_run_can_start_from_a_packages_weights()
    {
        // Given a package from a short run
        var first = Path.Combine(fixture.Root, "first");
        var package = Trainer.Run(Options(first, 2) with { WritePackage = true }, NullProgress.Instance).PackageDir!;

        // When a new run starts from it (zero steps: nothing but the initialisation)
        var second = Path.Combine(fixture.Root, "second");
        var result = Trainer.Run(Options(second, 2) with { InitFrom = package, Seed = 99, LearningRate = 0, WritePackage = true }, NullProgress.Instance);

        // Then its weights are the package's (a learning rate of 0 keeps them), not a fresh draw of seed 99
        using var a = SoundtrackModel.Load(package);
        using var b = SoundtrackModel.Load(result.PackageDir!);
        var pa = a.Network.parameters().ToList();
        var pb = b.Network.parameters().ToList();
        Assert.Equal(pa.Count, pb.Count);
        for (var i = 0; i < pa.Count; i++)
        {
            Assert.True(pa[i].allclose(pb[i], rtol: 0, atol: 1e-6), $"parameter {i} differs");
        }

        // And its card names the package it started from, and its ledger lists the package's clips too (a clip only the
        // package was trained on is added; the shared ones are listed once)
        Assert.Contains($"Started from the weights of model `{a.ModelId}`", File.ReadAllText(Path.Combine(result.PackageDir!, ModelPackage.CardFile)), StringComparison.Ordinal);
        var ledger = File.ReadAllLines(Path.Combine(result.PackageDir!, ModelPackage.LedgerFile));
        Assert.Equal(File.ReadAllLines(Path.Combine(package, ModelPackage.LedgerFile)).Length, ledger.Length);
        var third = Path.Combine(fixture.Root, "from-wider");
        File.AppendAllText(Path.Combine(package, ModelPackage.LedgerFile), "{\"id\":\"only-in-the-package\",\"licence\":\"CC0-1.0\"}\n");
        var wider = Trainer.Run(Options(third, 2) with { InitFrom = package, LearningRate = 0, WritePackage = true }, NullProgress.Instance);
        var widerLedger = File.ReadAllLines(Path.Combine(wider.PackageDir!, ModelPackage.LedgerFile));
        Assert.Equal(ledger.Length + 1, widerLedger.Length);
        Assert.Contains(widerLedger, l => l.Contains("only-in-the-package", StringComparison.Ordinal));

        // And a folder that is not a package is refused with its reason
        var e = Assert.Throws<BadInputException>(() => Trainer.Run(Options(Path.Combine(fixture.Root, "not-a-package"), 2) with { InitFrom = fixture.Root }, NullProgress.Instance));
        Assert.Contains("not a model package", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Runs_with_different_seeds_validate_on_the_same_noise_so_their_figures_compare()
    {
        // Given one package, and two runs from it that cannot move its weights (learning rate 0) with different seeds
        var package = Trainer.Run(Options(Path.Combine(fixture.Root, "val-base"), 2) with { WritePackage = true }, NullProgress.Instance).PackageDir!;
        var one = Trainer.Run(Options(Path.Combine(fixture.Root, "val-seed-1"), 2) with { InitFrom = package, LearningRate = 0, Seed = 1 },
            NullProgress.Instance);
        var other = Trainer.Run(Options(Path.Combine(fixture.Root, "val-seed-99"), 2) with { InitFrom = package, LearningRate = 0, Seed = 99 },
            NullProgress.Instance);

        // Then they trained on other batches and noise, but validated the same weights on the same noise and times
        Assert.NotEqual(one.LastLoss, other.LastLoss, 6);
        Assert.Equal(one.ValLoss!.Value, other.ValLoss!.Value, 6);
        var (a, b) = (ReadLog(Path.Combine(fixture.Root, "val-seed-1")).Last(), ReadLog(Path.Combine(fixture.Root, "val-seed-99")).Last());
        Assert.Equal(a.ValFromNoise!.Value, b.ValFromNoise!.Value, 6);
    }

    [Fact]
    public void A_run_with_overlays_records_them_and_a_run_without_donors_is_refused()
    {
        // Given a fresh run asked to overlay half its clips with the sound and caption of a clip of beeps alone
        var dir = Path.Combine(fixture.Root, "overlaid");
        var result = Trainer.Run(Options(dir, 2) with { OverlayProbability = 0.5, OverlayClasses = ["beep"], WritePackage = true }, NullProgress.Instance);

        // Then it trains, and its package and card record the overlay
        Assert.True(double.IsFinite(result.LastLoss));
        using var model = SoundtrackModel.Load(result.PackageDir!);
        Assert.Equal(0.5, model.Config.OverlayProbability);
        Assert.Equal(["beep"], model.Config.OverlayClasses);
        Assert.Contains("a donor's beep and caption overlaid on 50 %", File.ReadAllText(Path.Combine(result.PackageDir!, ModelPackage.CardFile)), StringComparison.Ordinal);

        // And asked for donors of a class no clip has, a run stops before training with a one-line reason
        var error = Assert.Throws<BadInputException>(() => Trainer.Run(Options(Path.Combine(fixture.Root, "no-donor"), 2) with
        {
            OverlayProbability = 0.5, OverlayClasses = ["rain"],
        }, NullProgress.Instance));
        Assert.Contains("to lend its sound to an overlay", error.Message, StringComparison.Ordinal);
        Assert.Null(Checkpoint.Latest(Path.Combine(fixture.Root, "no-donor")));
    }

    [Fact]
    public void A_run_that_freezes_the_video_side_trains_only_the_generator_and_a_resumed_run_keeps_it_frozen()
    {
        // Given a package with an onset head and a class head on its video features
        var package = Trainer.Run(Options(Path.Combine(fixture.Root, "to-freeze"), 2) with
        {
            SyncLossWeight = 0.5, EventClassLossWeight = 1, WritePackage = true,
        }, NullProgress.Instance).PackageDir!;

        // When a run starts from it with the video side frozen, is stopped, and resumed without the flag
        var dir = Path.Combine(fixture.Root, "frozen");
        Trainer.Run(Options(dir, 4) with { InitFrom = package, FreezeVideo = true, StopAt = 2 }, NullProgress.Instance);
        var result = Trainer.Run(Options(dir, 4) with { Resume = true, WritePackage = true }, NullProgress.Instance);

        // Then the visual encoder and both heads are the package's to the bit, in the trained and the EMA weights,
        // while the generator learned
        using var before = SoundtrackModel.Load(package);
        using var after = SoundtrackModel.Load(result.PackageDir!);
        using var trained = new SoundtrackNetwork(after.Config);
        trained.load_safetensors(Path.Combine(Checkpoint.Latest(dir)!, Checkpoint.ModelFile));
        var old = before.Network.state_dict();
        var ema = after.Network.state_dict();
        var raw = trained.state_dict();
        var videoSide = old.Keys.Where(k => k.StartsWith("visual.", StringComparison.Ordinal) || k.StartsWith("onset_head.", StringComparison.Ordinal)
            || k.StartsWith("class_head.", StringComparison.Ordinal)).ToList();
        Assert.Contains(videoSide, k => k.StartsWith("onset_head.", StringComparison.Ordinal));
        Assert.Contains(videoSide, k => k.StartsWith("class_head.", StringComparison.Ordinal));
        foreach (var name in videoSide)
        {
            Assert.True(old[name].allclose(ema[name], rtol: 0, atol: 0), $"EMA {name} moved");
            Assert.True(old[name].allclose(raw[name], rtol: 0, atol: 0), $"{name} moved");
        }

        Assert.False(old["out_proj.weight"].allclose(raw["out_proj.weight"], rtol: 0, atol: 1e-7), "the generator did not learn");

        // And the package and its card record it
        Assert.True(after.Config.VideoFrozen);
        Assert.Contains("video side (visual encoder, onset and class heads) kept as the package it started from",
            File.ReadAllText(Path.Combine(result.PackageDir!, ModelPackage.CardFile)), StringComparison.Ordinal);

        // And a fresh run has no video side to keep: refused before training with what to add
        var e = Assert.Throws<BadInputException>(() => Trainer.Run(Options(Path.Combine(fixture.Root, "frozen-fresh"), 2) with { FreezeVideo = true },
            NullProgress.Instance));
        Assert.Contains("--init-from", e.Message, StringComparison.Ordinal);
        Assert.Null(Checkpoint.Latest(Path.Combine(fixture.Root, "frozen-fresh")));
    }

    [Fact]
    public void A_new_run_records_its_mirroring_and_drops_and_a_resumed_run_keeps_them()
    {
        // Given a fresh run asked to mirror half its clips, to drop both conditions of a fifth of them and the video of 30 %
        var dir = Path.Combine(fixture.Root, "mirrored");
        Trainer.Run(Options(dir, 2) with { MirrorProbability = 0.5, BothDropProbability = 0.2, VisualDropProbability = 0.3 }, NullProgress.Instance);

        // When it is resumed with other values
        var result = Trainer.Run(Options(dir, 3) with { Resume = true, MirrorProbability = 0.1, BothDropProbability = 0.9, VisualDropProbability = 0.05, WritePackage = true },
            NullProgress.Instance);

        // Then its checkpoint, its package and its card keep the run's own values (a resumed run does not change its recipe)
        Assert.True(result.Resumed);
        using var model = SoundtrackModel.Load(result.PackageDir!);
        Assert.Equal(0.5, model.Config.FrameFlipProbability);
        Assert.Equal(0.2, model.Config.BothDropProbability);
        Assert.Equal(0.3, model.Config.VisualDropProbability);
        var card = File.ReadAllText(Path.Combine(result.PackageDir!, ModelPackage.CardFile));
        Assert.Contains("both together 20 %", card, StringComparison.Ordinal);
        Assert.Contains("video dropped 30 %", card, StringComparison.Ordinal);
    }

    [Fact]
    public void The_joint_drop_empties_both_conditions_of_its_share_of_clips_and_at_zero_draws_what_runs_before_it_drew()
    {
        var config = TestSupport.Debug(16) with { TextDropProbability = 0.15, VisualDropProbability = 0.1 };
        const int n = 200_000;
        var hasText = torch.ones(n, ScalarType.Bool);

        // At rate 0: exactly the two independent draws runs made before the joint drop existed
        var (text0, visual0) = Trainer.ConditionDrops(config, hasText, new Generator(7));
        var old = new Generator(7);
        Assert.True(text0.eq(torch.rand(n, generator: old).LessThan(0.15)).all().item<bool>());
        Assert.True(visual0.eq(torch.rand(n, generator: old).LessThan(0.1)).all().item<bool>());
        var bothShare0 = text0.logical_and(visual0).to(ScalarType.Float64).mean().item<double>();
        Assert.Equal(0.015, bothShare0, 0.002);

        // At 0.2: both empty in 1 − (1 − 0.015)(1 − 0.2) = 21.2 % of clips; each alone still at its own rate or above
        var (text, visual) = Trainer.ConditionDrops(config with { BothDropProbability = 0.2 }, hasText, new Generator(7));
        Assert.Equal(0.212, text.logical_and(visual).to(ScalarType.Float64).mean().item<double>(), 0.004);
        Assert.Equal(1 - 0.85 * 0.8, text.to(ScalarType.Float64).mean().item<double>(), 0.004);

        // A clip without text always has its text dropped
        var (noText, _) = Trainer.ConditionDrops(config, torch.zeros(5, ScalarType.Bool), new Generator(7));
        Assert.True(noText.all().item<bool>());

        // Clips flagged to keep (overlaid) lose neither condition, whatever was drawn; the others' draws are unchanged
        var keep = torch.arange(n).remainder(2).eq(0);
        var (keptText, keptVisual) = Trainer.ConditionDrops(config with { BothDropProbability = 0.2 }, hasText, new Generator(7), keep);
        Assert.False(keptText.logical_or(keptVisual).logical_and(keep).any().item<bool>());
        Assert.True(keptText.eq(text).logical_or(keep).all().item<bool>());
        Assert.True(keptVisual.eq(visual).logical_or(keep).all().item<bool>());
    }

    [Fact]
    public void Transient_weighting_changes_the_training_loss_not_the_validation_loss_and_is_recorded()
    {
        // Given two runs that cannot move their weights (learning rate 0), same seed, one weighting transients
        var plain = Trainer.Run(Options(Path.Combine(fixture.Root, "unweighted"), 2) with { LearningRate = 0 }, NullProgress.Instance);
        var weighted = Trainer.Run(Options(Path.Combine(fixture.Root, "transients"), 2) with { LearningRate = 0, TransientLossWeight = 3, WritePackage = true },
            NullProgress.Instance);

        // Then the loss they train on differs, the validation loss (unweighted, so runs compare) does not
        Assert.NotEqual(plain.LastLoss, weighted.LastLoss, 4);
        Assert.Equal(plain.ValLoss!.Value, weighted.ValLoss!.Value, 6);

        // And the package's config and card say how it was trained
        using var model = SoundtrackModel.Load(weighted.PackageDir!);
        Assert.Equal(3, model.Config.TransientLossWeight);
        Assert.Contains("on transients", File.ReadAllText(Path.Combine(weighted.PackageDir!, ModelPackage.CardFile)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_flow_time_shift_changes_the_training_loss_not_the_validation_loss_and_is_recorded_and_kept_on_resume()
    {
        // Given two runs that cannot move their weights (learning rate 0), same seed, from a trained package (a fresh
        // network predicts zero velocity whatever t), one training nearer the noise end
        var package = Trainer.Run(Options(Path.Combine(fixture.Root, "before-shift"), 2) with { WritePackage = true }, NullProgress.Instance).PackageDir!;
        var plain = Trainer.Run(Options(Path.Combine(fixture.Root, "unshifted"), 2) with { InitFrom = package, LearningRate = 0 }, NullProgress.Instance);
        var shifted = Trainer.Run(Options(Path.Combine(fixture.Root, "shifted"), 2) with { InitFrom = package, LearningRate = 0, FlowTimeShift = 3, WritePackage = true },
            NullProgress.Instance);

        // Then the loss they train on differs, the validation loss (unshifted times, so runs compare) does not
        Assert.NotEqual(plain.LastLoss, shifted.LastLoss, 6);
        Assert.Equal(plain.ValLoss!.Value, shifted.ValLoss!.Value, 6);

        // And the package's config and card say how it was trained; a resumed run keeps it
        using (var model = SoundtrackModel.Load(shifted.PackageDir!))
        {
            Assert.Equal(3, model.Config.FlowTimeShift);
        }

        Assert.Contains("shifted towards noise by 3", File.ReadAllText(Path.Combine(shifted.PackageDir!, ModelPackage.CardFile)), StringComparison.Ordinal);
        var resumed = Trainer.Run(Options(Path.Combine(fixture.Root, "shifted"), 3) with { Resume = true, FlowTimeShift = 1, WritePackage = true }, NullProgress.Instance);
        using var again = SoundtrackModel.Load(resumed.PackageDir!);
        Assert.Equal(3, again.Config.FlowTimeShift);
    }

    [Fact]
    public void A_new_run_can_add_the_visual_event_path_and_a_run_from_its_package_cannot_remove_it()
    {
        // Given a fresh run asked for an event path of 8 channels
        var dir = Path.Combine(fixture.Root, "events");
        var result = Trainer.Run(Options(dir, 2) with { VisualEventChannels = 8, WritePackage = true }, NullProgress.Instance);

        // Then its package records the path and loads with it (its weights are in the package)
        using (var model = SoundtrackModel.Load(result.PackageDir!))
        {
            Assert.Equal(8, model.Config.VisualEventChannels);
        }

        // And a new run from that package cannot remove the path
        var e = Assert.Throws<BadInputException>(() => Trainer.Run(Options(Path.Combine(fixture.Root, "events-again"), 2)
            with { InitFrom = result.PackageDir, VisualEventChannels = 0 }, NullProgress.Instance));
        Assert.Contains("--visual-events", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_from_a_package_can_add_the_visual_event_path_which_starts_silent()
    {
        // Given a package trained without an event path
        var package = Trainer.Run(Options(Path.Combine(fixture.Root, "no-events"), 2) with { WritePackage = true }, NullProgress.Instance).PackageDir!;

        // When a new run starts from it with an event path of 8 channels (learning rate 0: nothing but the initialisation)
        var grown = Trainer.Run(Options(Path.Combine(fixture.Root, "grown-events"), 2)
            with { InitFrom = package, VisualEventChannels = 8, LearningRate = 0, WritePackage = true }, NullProgress.Instance);

        // Then the new package has the path, every old weight unchanged
        using var a = SoundtrackModel.Load(package);
        using var b = SoundtrackModel.Load(grown.PackageDir!);
        Assert.Equal(0, a.Config.VisualEventChannels);
        Assert.Equal(8, b.Config.VisualEventChannels);
        var after = b.Network.state_dict();
        foreach (var (name, p) in a.Network.state_dict())
        {
            Assert.True(p.allclose(after[name], rtol: 0, atol: 1e-6), $"{name} differs");
        }

        // And it predicts exactly what the package does: the new path adds nothing until training grows it
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var seq = a.Config.Sequence(1.28);
        var (frames, ids, mask) = TestSupport.Inputs(a.Config, seq, 2);
        var x = torch.randn([2, a.Config.Audio.MelBins, seq.MelFrames], generator: new torch.Generator(5));
        var t = torch.tensor(new[] { 0.3f, 0.8f });
        Tensor Velocity(SoundtrackModel m) => m.Network.PredictVelocity(x, t,
            m.Network.PrepareConditions(frames, ids, mask, TestSupport.Flags(false, false), TestSupport.Flags(false, false), seq));
        Assert.True(Velocity(a).allclose(Velocity(b), rtol: 0, atol: 1e-6));

        // And a package that has a path cannot have it changed
        var e = Assert.Throws<BadInputException>(() => Trainer.Run(Options(Path.Combine(fixture.Root, "regrown-events"), 2)
            with { InitFrom = grown.PackageDir, VisualEventChannels = 16 }, NullProgress.Instance));
        Assert.Contains("--visual-events", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_from_a_package_can_see_frames_twice_as_fine_in_blocks_and_starts_as_the_package_on_their_average()
    {
        // Given a package trained on the corpus's 16×16 frames, and the same corpus prepared at 32×32
        var package = Trainer.Run(Options(Path.Combine(fixture.Root, "coarse"), 2) with { WritePackage = true }, NullProgress.Instance).PackageDir!;
        var fine = DataPreparer.Prepare(new DataPrepareOptions
        {
            CorpusDir = Path.Combine(fixture.Root, "corpus"), OutDir = Path.Combine(fixture.Root, "shards32"), ValFraction = 0.25, FrameSize = 32,
            TextMaxTokens = 12, Vocabulary = Path.Combine(fixture.ShardsDir, ShardManifest.VocabFileName),
        }, NullProgress.Instance);
        Assert.Equal(32, fine.Video.FrameSize);

        // When a new run starts from it seeing 32×32 frames in 2×2 blocks (learning rate 0: nothing but the initialisation)
        var finer = Trainer.Run(Options(Path.Combine(fixture.Root, "finer"), 2) with
        {
            DataDir = Path.Combine(fixture.Root, "shards32"), InitFrom = package, FrameSize = 32, VisualPatch = 2, LearningRate = 0, WritePackage = true,
        }, NullProgress.Instance);

        // Then its package sees 32×32 frames in blocks, every weight but the first convolution's the package's
        using var a = SoundtrackModel.Load(package);
        using var b = SoundtrackModel.Load(finer.PackageDir!);
        Assert.Equal((16, 1), (a.Config.Video.FrameSize, a.Config.VisualPatch));
        Assert.Equal((32, 2), (b.Config.Video.FrameSize, b.Config.VisualPatch));
        var after = b.Network.state_dict();
        foreach (var (name, p) in a.Network.state_dict().Where(kv => kv.Key != Trainer.VisualInputWeight))
        {
            Assert.True(p.equal(after[name]).all().item<bool>(), $"{name} differs");
        }

        using (var widened = V2a.Model.Conditions.VisualEncoder.WidenInputWeight(a.Network.state_dict()[Trainer.VisualInputWeight], 2))
        {
            Assert.True(widened.equal(after[Trainer.VisualInputWeight]).all().item<bool>(), "the first convolution is not the package's, widened");
        }

        // And on frames whose 2×2 blocks are each one colour it computes exactly what the package computes on one pixel a
        // block: the same visual features, the same velocity
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var seq = a.Config.Sequence(1.28);
        var (frames, ids, mask) = TestSupport.Inputs(a.Config, seq, 2);
        var blocks = frames.repeat_interleave(2, dim: 2).repeat_interleave(2, dim: 3);
        var x = torch.randn([2, a.Config.Audio.MelBins, seq.MelFrames], generator: new torch.Generator(5));
        var t = torch.tensor(new[] { 0.3f, 0.8f });
        var coarse = a.Network.PrepareConditions(frames, ids, mask, TestSupport.Flags(false, false), TestSupport.Flags(false, false), seq);
        var folded = b.Network.PrepareConditions(blocks, ids, mask, TestSupport.Flags(false, false), TestSupport.Flags(false, false), seq);
        Assert.True(coarse.AudioAdd.abs().max().item<float>() > 1e-3, "the visual features are not trivial");
        Assert.True(coarse.AudioAdd.allclose(folded.AudioAdd, rtol: 0, atol: 1e-5), $"max difference {(coarse.AudioAdd - folded.AudioAdd).abs().max().item<float>()}");
        Assert.True(a.Network.PredictVelocity(x, t, coarse).allclose(b.Network.PredictVelocity(x, t, folded), rtol: 0, atol: 1e-5));

        // And a package cannot be given frames that do not fold into its grid
        var e = Assert.Throws<BadInputException>(() => Trainer.Run(Options(Path.Combine(fixture.Root, "unfolded"), 2) with
        {
            DataDir = Path.Combine(fixture.Root, "shards32"), InitFrom = package, FrameSize = 32,
        }, NullProgress.Instance));
        Assert.Contains("--visual-patch 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_from_a_package_can_add_the_sync_head()
    {
        // Given a package trained without the sync loss
        var first = Path.Combine(fixture.Root, "plain");
        var package = Trainer.Run(Options(first, 2) with { WritePackage = true }, NullProgress.Instance).PackageDir!;

        // When a new run starts from it with the sync loss (learning rate 0: nothing but the initialisation)
        var second = Path.Combine(fixture.Root, "with-sync");
        var result = Trainer.Run(Options(second, 2) with { InitFrom = package, SyncLossWeight = 0.5, LearningRate = 0, WritePackage = true },
            NullProgress.Instance);

        // Then the new package has the onset head and the weight in its config, and every old weight unchanged
        using var a = SoundtrackModel.Load(package);
        using var b = SoundtrackModel.Load(result.PackageDir!);
        Assert.False(a.Network.HasOnsetHead);
        Assert.True(b.Network.HasOnsetHead);
        Assert.Equal(0.5, b.Config.SyncLossWeight);
        var after = b.Network.state_dict();
        foreach (var (name, p) in a.Network.state_dict())
        {
            Assert.True(p.allclose(after[name], rtol: 0, atol: 1e-6), $"{name} differs");
        }

        // And every log line carries the sync loss, every checkpoint line its validation figure
        var log = ReadLog(second);
        Assert.All(log, e => Assert.InRange(e.SyncLoss!.Value, 1e-9, 100));
        Assert.All(log.Where(e => e.ValLoss is not null), e => Assert.InRange(e.ValSync!.Value, 1e-9, 100));

        // And, the synthetic clips' flashes being annotated events, the head is scored as an onset detector there
        Assert.All(log.Where(e => e.ValLoss is not null), e =>
        {
            Assert.InRange(e.ValOnsetAuc!.Value, 0, 1);
            Assert.InRange(e.ValOnsetF1!.Value, 0, 1);
        });
        Assert.All(log.Where(e => e.ValLoss is null), e => Assert.Null(e.ValOnsetAuc));
    }

    [Fact]
    public void A_run_from_a_package_can_add_the_event_class_head_which_learns_and_a_resumed_run_keeps_it()
    {
        // Given a package trained without the class loss
        var first = Path.Combine(fixture.Root, "plain-for-classes");
        var package = Trainer.Run(Options(first, 2) with { WritePackage = true }, NullProgress.Instance).PackageDir!;

        // When a new run starts from it with the class loss, then is resumed with another weight
        var second = Path.Combine(fixture.Root, "with-classes");
        Trainer.Run(Options(second, 20) with { InitFrom = package, EventClassLossWeight = 1, StopAt = 10, CheckpointEvery = 10, LogEvery = 5 },
            NullProgress.Instance);
        var result = Trainer.Run(Options(second, 20) with { Resume = true, EventClassLossWeight = 0, CheckpointEvery = 10, LogEvery = 5, WritePackage = true },
            NullProgress.Instance);

        // Then the package has the head, its weight and the shards' classes in its config (the resume kept them)
        using var a = SoundtrackModel.Load(package);
        using var b = SoundtrackModel.Load(result.PackageDir!);
        Assert.False(a.Network.HasClassHead);
        Assert.True(b.Network.HasClassHead);
        Assert.Equal(1, b.Config.EventClassLossWeight);
        Assert.Equal(["beep", "click"], b.Config.EventClasses!);

        // And every log line carries the class loss, which falls as the head learns the flashes' colours, and every
        // checkpoint line the head's validation loss and top-1 share
        var log = ReadLog(second);
        Assert.Equal([5, 10, 15, 20], log.Select(e => e.Step));
        Assert.All(log, e => Assert.InRange(e.ClassLoss!.Value, 1e-9, 100));
        Assert.True(log[^1].ClassLoss < log[0].ClassLoss * 0.8, $"class loss {log[0].ClassLoss} → {log[^1].ClassLoss}");
        Assert.All(log.Where(e => e.ValLoss is not null), e =>
        {
            Assert.InRange(e.ValClass!.Value, 1e-9, 100);
            Assert.InRange(e.ValClassTop1!.Value, 0, 1);
        });
    }

    [Fact]
    public void The_class_loss_needs_shards_with_event_classes()
    {
        // Given shards without event classes (a copy of the fixture's whose manifest names none)
        var shards = Path.Combine(fixture.Root, "shards-no-classes");
        Directory.CreateDirectory(shards);
        foreach (var f in Directory.GetFiles(fixture.ShardsDir))
        {
            File.Copy(f, Path.Combine(shards, Path.GetFileName(f)), overwrite: true);
        }

        (fixture.Manifest with { EventClasses = null }).Save(shards);

        // When a run asks for the class loss, then it is refused naming the shards and what to do
        var e = Assert.Throws<BadInputException>(() => Trainer.Run(Options(Path.Combine(fixture.Root, "no-classes"), 2)
            with { DataDir = shards, EventClassLossWeight = 1 }, NullProgress.Instance));
        Assert.Contains("event classes", e.Message, StringComparison.Ordinal);
        Assert.Contains("data prepare", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_to_overwrite_a_run_without_resume()
    {
        // Given a run folder that holds a checkpoint
        var run = Path.Combine(fixture.Root, "twice");
        Trainer.Run(Options(run, 2), NullProgress.Instance);

        // When training into it again without --resume, then it is refused with a hint
        var e = Assert.Throws<BadInputException>(() => Trainer.Run(Options(run, 2), NullProgress.Instance));
        Assert.Contains("--resume", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Learning_rate_warms_up_then_decays_to_its_floor()
    {
        var o = Options("unused", 100) with { WarmupSteps = 10, LearningRate = 1e-3, MinLearningRateFraction = 0.1 };
        Assert.Equal(1e-4, Trainer.LearningRate(o, 1), 12);
        Assert.Equal(1e-3, Trainer.LearningRate(o, 10), 12);
        Assert.Equal(1e-4, Trainer.LearningRate(o, 100), 12);
        Assert.True(Trainer.LearningRate(o, 50) < 1e-3 && Trainer.LearningRate(o, 50) > 1e-4);
    }
}
