using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using V2a.Engine;
using V2a.Media;
using V2a.Model;
using V2a.Model.Audio;
using V2a.Model.Network;
using V2a.Watermark;
using static TorchSharp.torch;

namespace V2a.Eval.Bench;

/// <summary>Settings of <c>v2a bench</c>.</summary>
public sealed record BenchOptions
{
    /// <summary>Only the 8 s size with 2 sampling steps: what a CI test runs.</summary>
    public bool Smoke { get; init; }

    /// <summary>Video lengths in seconds (8 s, 60 s, 10 minutes).</summary>
    public IReadOnlyList<double> Sizes { get; init; } = [8, 60, 600];

    /// <summary>Model preset whose generator network the stage rows time (random weights cost the same as trained ones);
    /// null = the network of the package the end-to-end rows run (its preset and frame size), else <c>small</c>.</summary>
    public string? Preset { get; init; }

    /// <summary>Sampling steps per window: the generator's default (MMAudio's is 25).</summary>
    public int Steps { get; init; } = V2a.Model.Generation.GenerationRequest.DefaultSteps;

    /// <summary>Where to make the test videos; null = a new temporary folder, deleted afterwards.</summary>
    public string? WorkDir { get; init; }

    /// <summary>Model package for the end-to-end run through the engine; null = the bundled default when
    /// there is one (models/default or V2A_MODEL), else end to end is not timed.</summary>
    public string? ModelDir { get; init; }

    /// <summary>Skip the end-to-end run even when a model package is found.</summary>
    public bool SkipEndToEnd { get; init; }
}

/// <summary>One stage's time for one video size.</summary>
/// <param name="Seconds">Wall-clock seconds, or null when the stage could not be timed (see <paramref name="Note"/>).</param>
/// <param name="Note">How it was timed, when that is not simply "the whole video once".</param>
public sealed record StageTime(string Stage, double? Seconds, string? Note = null);

/// <summary>Every stage for one video length, with the process's peak memory while it ran.</summary>
/// <param name="PeakWorkingSetBytes">Largest resident set sampled (every 20 ms) while this size ran: managed + native (libtorch, ffmpeg pipes).
/// It includes the stage timings, some of which hold the whole length in memory (the vocoder's and watermark's signal).</param>
/// <param name="PeakManagedBytes">Largest managed heap size sampled.</param>
/// <param name="EnginePeakWorkingSetBytes">The same while only the end-to-end engine run ran (after a full collection): what a
/// user's <c>v2a generate</c> needs. Null without an end-to-end run.</param>
/// <param name="EnginePeakManagedBytes">Largest managed heap size sampled during the end-to-end run.</param>
public sealed record SizeResult(double VideoSeconds, IReadOnlyList<StageTime> Stages, long PeakWorkingSetBytes, long PeakManagedBytes,
    long? EnginePeakWorkingSetBytes = null, long? EnginePeakManagedBytes = null);

/// <summary>The output of <c>v2a bench</c> (also the format of bench/baseline.json).</summary>
public sealed record BenchResult
{
    public required string Machine { get; init; }

    public required string CreatedAt { get; init; }

    public required string Network { get; init; }

    public required int Steps { get; init; }

    public required IReadOnlyList<SizeResult> Sizes { get; init; }
}

/// <summary>A stage timed both now and in the baseline.</summary>
/// <param name="Ratio">Current / baseline: above 1 is slower.</param>
/// <param name="Slower">Ratio above <see cref="Benchmark.SlowdownRatio"/> and more than 50 ms lost.</param>
public sealed record BenchComparison(double VideoSeconds, string Stage, double Baseline, double Current, double Ratio, bool Slower);

/// <summary>
/// <c>v2a bench</c>: times each stage of the pipeline on synthetic videos (made with ffmpeg's lavfi test
/// source at 25 fps) of 8 s, 60 s and 10 minutes, with peak memory, and compares with bench/baseline.json.
/// Stages timed directly: decode (FrameReader at the model's rate and frame size, whole video), conditions
/// and sampling (the generator network of the model package run end to end, or of the preset, with random weights;
/// one 8 s window with classifier-free guidance, i.e. batch 2; longer videos are reported as windows × the
/// per-window time, marked as such), vocoder (Griffin-Lim over the whole length in 8 s windows), watermark (the
/// whole length) and mux; then end to
/// end through <see cref="SoundtrackEngine"/> when a model package is there, with the decode, sampling and
/// vocoder seconds the generator itself measured.
/// </summary>
public static class Benchmark
{
    /// <summary>A stage is flagged as a slowdown above this ratio to the baseline.</summary>
    public const double SlowdownRatio = 1.25;

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static BenchResult Run(BenchOptions options, IProgressSink? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        progress ??= NullProgress.Instance;
        var sizes = options.Smoke ? [8.0] : options.Sizes;
        var steps = options.Smoke ? 2 : options.Steps;
        if (steps < 1 || sizes.Count == 0 || sizes.Any(s => s <= 0))
        {
            throw new BadInputException(null, "bench: need at least one step and positive video lengths");
        }

        TorchRuntime.Initialise();
        var (engine, engineNote) = OpenEngine(options);
        using var owned = engine;
        var config = options.Preset is { } preset ? ModelConfig.FromPreset(preset) : engine?.Model.Config ?? ModelConfig.FromPreset("small");
        var ownDir = options.WorkDir is null;
        var work = options.WorkDir ?? Path.Combine(Path.GetTempPath(), $"v2a-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            torch.manual_seed(0);
            using var network = new SoundtrackNetwork(config);
            network.eval();
            using var vocoder = new GriffinLimVocoder(config.Audio);
            // Warm-up, untimed: the first call of each operator pays one-off costs (allocation, kernel choice).
            TimeWindow(network, config, 1);
            var results = new List<SizeResult>();
            foreach (var seconds in sizes)
            {
                progress.Report("bench", results.Count, sizes.Count, $"{seconds:0} s video");
                results.Add(RunSize(seconds, steps, config, network, vocoder, engine, engineNote, work, progress, cancel));
            }

            progress.Report("bench", sizes.Count, sizes.Count);
            return new BenchResult
            {
                Machine = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription.Trim()}, {RuntimeInformation.ProcessArchitecture}, torch threads {torch.get_num_threads()}",
                CreatedAt = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                Network = $"{config.Preset} preset generator ({network.ParameterCount:N0} parameters, random weights, {config.Video.FrameSize}x{config.Video.FrameSize} frames), {config.WindowSeconds:0} s windows",
                Steps = steps,
                Sizes = results,
            };
        }
        finally
        {
            if (ownDir)
            {
                try
                {
                    Directory.Delete(work, recursive: true);
                }
                catch (IOException)
                {
                    // A leftover temp folder is harmless.
                }
            }
        }
    }

    /// <summary>The engine for the end-to-end run, or null and the reason there is none.</summary>
    private static (SoundtrackEngine? Engine, string Note) OpenEngine(BenchOptions options)
    {
        if (options.SkipEndToEnd)
        {
            return (null, "skipped (--no-end-to-end)");
        }

        string dir;
        try
        {
            dir = options.ModelDir ?? SoundtrackEngine.DefaultModelDir();
        }
        catch (MissingDependencyException)
        {
            return (null, "no model package (models/default, V2A_MODEL or --model) to run the engine with");
        }

        var engine = new SoundtrackEngine(dir);
        return (engine, $"SoundtrackEngine with {Path.GetFullPath(dir)} ({engine.Model.Config.Preset}), one candidate, watermark on, muxed into MP4");
    }

    private static SizeResult RunSize(double seconds, int steps, ModelConfig config, SoundtrackNetwork network, GriffinLimVocoder vocoder,
        SoundtrackEngine? engine, string engineNote, string work, IProgressSink progress, CancellationToken cancel)
    {
        var inv = CultureInfo.InvariantCulture;
        var video = Path.Combine(work, $"bench-{seconds.ToString("0", inv)}s.mp4");
        MakeVideo(video, seconds, config.Video.Fps);
        using var memory = new MemorySampler();
        var stages = new List<StageTime>();

        // Decode: every frame at the model's rate and size, streamed (only one frame alive at a time).
        var clock = Stopwatch.StartNew();
        var frames = 0;
        foreach (var _ in FrameReader.Read(video, config.Video.Fps, config.Video.FrameSize, config.Video.FrameSize))
        {
            frames++;
            if (frames % 250 == 0)
            {
                cancel.ThrowIfCancellationRequested();
            }
        }

        stages.Add(new StageTime("decode", clock.Elapsed.TotalSeconds, $"{frames} frames at {config.Video.FrameSize}x{config.Video.FrameSize}"));

        // Generator: one window, guided (batch 2), measured; longer videos scale by the number of windows.
        cancel.ThrowIfCancellationRequested();
        var windows = (int)Math.Ceiling(seconds / config.WindowSeconds - 1e-9);
        var (conditions, step, all) = TimeWindow(network, config, steps);
        var scaled = windows == 1 ? null : $"{windows} windows × one {config.WindowSeconds:0} s window measured (estimate until the engine reports its stage times)";
        stages.Add(new StageTime("conditions", conditions * windows, scaled ?? "one 8 s window, batch 2 (guided)"));
        stages.Add(new StageTime("sampling_step", step, "one step of one window, batch 2, median"));
        stages.Add(new StageTime("sampling", all * windows, scaled ?? $"{steps} steps"));
        progress.Report("bench", 0, 0, $"{seconds:0} s: generator timed");

        // Vocoder: Griffin-Lim over the whole length, window by window (memory stays one window's).
        var audio = config.Audio;
        var windowFrames = audio.FramesFor(config.WindowSeconds);
        var totalFrames = audio.FramesFor(seconds);
        var samples = new float[audio.SamplesFor(seconds)];
        clock.Restart();
        for (var start = 0; start < totalFrames; start += windowFrames)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var n = Math.Min(windowFrames, totalFrames - start);
            var logMel = torch.randn(1, audio.MelBins, n) - 4; // (1, M, T) a quiet, noisy log-mel
            var wave = vocoder.Vocode(logMel)[0].data<float>().ToArray();
            Array.Copy(wave, 0, samples, (long)start * audio.HopLength, Math.Min(wave.Length, samples.Length - ((long)start * audio.HopLength)));
        }

        stages.Add(new StageTime("vocoder", clock.Elapsed.TotalSeconds, $"Griffin-Lim, {config.WindowSeconds:0} s windows"));
        progress.Report("bench", 0, 0, $"{seconds:0} s: vocoder timed");

        cancel.ThrowIfCancellationRequested();
        clock.Restart();
        var marked = Watermarker.Embed(samples, audio.SampleRate, WatermarkPayload.FromIds("bench", "bench"), WatermarkKey.Public);
        stages.Add(new StageTime("watermark", clock.Elapsed.TotalSeconds));

        var wav = Path.Combine(work, $"bench-{seconds.ToString("0", inv)}s.wav");
        var output = Path.Combine(work, $"bench-{seconds.ToString("0", inv)}s-out.mp4");
        clock.Restart();
        AudioWriter.WriteFile(wav, marked, audio.SampleRate);
        Muxer.Mux(video, wav, output);
        stages.Add(new StageTime("mux", clock.Elapsed.TotalSeconds, "WAV write + mux (video stream copied)"));

        File.Delete(wav);
        File.Delete(output);
        samples = marked = [];
        (long WorkingSet, long Managed)? enginePeak = null;
        if (engine is null)
        {
            stages.Add(new StageTime("end_to_end", null, engineNote));
        }
        else
        {
            // The real pipeline, file to file; its own sampling statistics split the time where it can. Its memory is
            // sampled apart, after the stage timings' whole-length arrays are collected.
            var generated = Path.Combine(work, $"bench-{seconds.ToString("0", inv)}s-generated.mp4");
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            using var engineMemory = new MemorySampler();
            clock.Restart();
            engine.Generate(new GenerateOptions { InputPath = video, OutputPath = generated, Seed = 1, Steps = steps }, NullProgress.Instance, cancel);
            enginePeak = engineMemory.Stop();
            stages.Add(new StageTime("end_to_end", clock.Elapsed.TotalSeconds, engineNote));
            if (engine.LastStats is { } st)
            {
                stages.Add(new StageTime("engine_decode", st.DecodeSeconds, "inside end_to_end, as the generator measured it"));
                stages.Add(new StageTime("engine_sampling", st.SamplingSeconds, $"inside end_to_end: conditions + all steps of {st.Windows} windows"));
                stages.Add(new StageTime("engine_vocoder", st.VocoderSeconds, "inside end_to_end"));
            }

            File.Delete(generated);
            foreach (var side in Directory.GetFiles(work, $"bench-{seconds.ToString("0", inv)}s-generated*"))
            {
                File.Delete(side);
            }
        }

        File.Delete(video);
        var (peakWs, peakManaged) = memory.Stop();
        return new SizeResult(seconds, stages, peakWs, peakManaged, enginePeak?.WorkingSet, enginePeak?.Managed);
    }

    /// <summary>Conditions once, then <paramref name="steps"/> guided Euler steps of one window: seconds of each part.</summary>
    private static (double Conditions, double Step, double All) TimeWindow(SoundtrackNetwork network, ModelConfig config, int steps)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var seq = config.Sequence(config.WindowSeconds);
        var frames = torch.randint(0, 256, [2, seq.VideoFrames, config.Video.FrameSize, config.Video.FrameSize, 3], dtype: ScalarType.Byte);
        var text = torch.randint(2, Math.Max(3, config.TextVocabSize), [2, Math.Min(12, config.TextMaxTokens)], dtype: ScalarType.Int64);
        var mask = torch.ones(text.shape, dtype: ScalarType.Bool);
        var dropText = torch.tensor(new[] { false, true });
        var dropVisual = torch.tensor(new[] { false, false });
        var clock = Stopwatch.StartNew();
        var cond = network.PrepareConditions(frames, text, mask, dropText, dropVisual, seq);
        var conditions = clock.Elapsed.TotalSeconds;
        var x = torch.randn(1, config.Audio.MelBins, seq.MelFrames);
        var times = new List<double>();
        clock.Restart();
        for (var i = 0; i < steps; i++)
        {
            using var stepScope = torch.NewDisposeScope();
            var t0 = Stopwatch.GetTimestamp();
            var t = torch.full([2], (double)i / steps);
            var v = network.PredictVelocity(torch.cat([x, x], 0), t, cond); // (2, M, T)
            var guided = v[1].Plus((v[0] - v[1]).Times(4.5)); // HeldScalars: no transient Scalar for a collection to free mid-operation
            x.copy_(x.Plus(guided.unsqueeze(0).DividedBy(steps)));
            times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }

        var all = clock.Elapsed.TotalSeconds;
        return (conditions, Metrics.Stats.Percentile(times, 50), all);
    }

    /// <summary>An H.264 + AAC test video (lavfi testsrc2 at 160×120 and a 440 Hz tone) of the given length.</summary>
    internal static void MakeVideo(string path, double seconds, double fps)
    {
        var inv = CultureInfo.InvariantCulture;
        var d = seconds.ToString("0.###", inv);
        var psi = new ProcessStartInfo(Ffmpeg.FfmpegExe)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "-v", "error", "-nostdin", "-y",
            "-f", "lavfi", "-i", $"testsrc2=size=160x120:rate={fps.ToString("0.###", inv)}:duration={d}",
            "-f", "lavfi", "-i", $"sine=frequency=440:sample_rate=16000:duration={d}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", path,
        })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new MissingDependencyException("ffmpeg", "could not be started");
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new MissingDependencyException("ffmpeg", $"could not make the bench video ({stderr.Result.Trim()})");
        }
    }

    /// <summary>Stages whose time depends on the number of sampling steps: compared only between runs with the same steps.</summary>
    private static readonly string[] StepDependent = ["sampling", "end_to_end", "engine_sampling"];

    /// <summary>Stages timed in both runs, current against baseline, for the sizes both have (and, for the
    /// step-dependent stages, only when both ran the same number of steps).</summary>
    public static IReadOnlyList<BenchComparison> Compare(BenchResult current, BenchResult baseline)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(baseline);
        var sameSteps = current.Steps == baseline.Steps;
        var result = new List<BenchComparison>();
        foreach (var size in current.Sizes)
        {
            var old = baseline.Sizes.FirstOrDefault(s => Math.Abs(s.VideoSeconds - size.VideoSeconds) < 1e-6);
            if (old is null)
            {
                continue;
            }

            foreach (var stage in size.Stages)
            {
                if (!sameSteps && StepDependent.Contains(stage.Stage))
                {
                    continue;
                }

                var before = old.Stages.FirstOrDefault(s => s.Stage == stage.Stage);
                if (stage.Seconds is not { } now || before?.Seconds is not { } then || then <= 0)
                {
                    continue;
                }

                var ratio = now / then;
                result.Add(new BenchComparison(size.VideoSeconds, stage.Stage, then, now, ratio, ratio > SlowdownRatio && now - then > 0.05));
            }
        }

        return result;
    }

    public static BenchResult ReadBaseline(string path)
    {
        if (!File.Exists(path))
        {
            throw new BadInputException(path, "bench baseline not found (write one with 'v2a bench --update-baseline')");
        }

        try
        {
            return JsonSerializer.Deserialize<BenchResult>(File.ReadAllText(path), JsonOptions)
                ?? throw new BadInputException(path, "is empty, expected a bench result");
        }
        catch (JsonException e)
        {
            throw new BadInputException(path, $"is not a bench result ({e.Message})");
        }
    }

    public static void Write(BenchResult result, string path) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(result, JsonOptions) + "\n");

    /// <summary>Samples the process's resident set and managed heap every 20 ms on a background thread.</summary>
    private sealed class MemorySampler : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _peakWs;
        private long _peakManaged;

        public MemorySampler()
        {
            _thread = new Thread(Loop) { IsBackground = true, Name = "v2a bench memory" };
            _thread.Start();
        }

        public (long WorkingSet, long Managed) Stop()
        {
            _stop = true;
            _thread.Join();
            Sample();
            return (_peakWs, _peakManaged);
        }

        private void Loop()
        {
            while (!_stop)
            {
                Sample();
                Thread.Sleep(20);
            }
        }

        private void Sample()
        {
            using var self = Process.GetCurrentProcess();
            _peakWs = Math.Max(_peakWs, self.WorkingSet64);
            _peakManaged = Math.Max(_peakManaged, GC.GetTotalMemory(false));
        }

        public void Dispose()
        {
            if (!_stop)
            {
                Stop();
            }
        }
    }
}
