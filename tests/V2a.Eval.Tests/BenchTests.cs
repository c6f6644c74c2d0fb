using V2a.Eval.Bench;

namespace V2a.Eval.Tests;

public class BenchTests
{
    [Fact]
    public void Smoke_bench_times_every_stage_it_can_and_compares_with_a_baseline()
    {
        // Given the smoke size (an 8 s video, 2 steps)
        var result = Benchmark.Run(new BenchOptions { Smoke = true });

        // Then one size is reported, with every stage but end-to-end timed and memory sampled
        var size = Assert.Single(result.Sizes);
        Assert.Equal(8, size.VideoSeconds);
        string[] timed = ["decode", "conditions", "sampling_step", "sampling", "vocoder", "watermark", "mux"];
        foreach (var stage in timed)
        {
            var s = Assert.Single(size.Stages, x => x.Stage == stage);
            Assert.True(s.Seconds > 0, $"{stage} was not timed");
        }

        Assert.True(size.PeakWorkingSetBytes > size.PeakManagedBytes && size.PeakManagedBytes > 0);
        Assert.Equal(size.Stages.Single(s => s.Stage == "end_to_end").Seconds is null, size.EnginePeakWorkingSetBytes is null);

        // And the stage rows time the network of the package the end-to-end row runs (the bundled default: its frames)
        var package = V2a.Engine.SoundtrackEngine.DefaultModelDir();
        var config = V2a.Model.ModelConfig.FromJson(File.ReadAllText(Path.Combine(package, V2a.Model.ModelPackage.ConfigFile)), package);
        Assert.NotNull(size.Stages.Single(s => s.Stage == "end_to_end").Seconds);
        Assert.Contains($"{config.Video.FrameSize}x{config.Video.FrameSize} frames", result.Network, StringComparison.Ordinal);
        Assert.Contains($"{config.Video.FrameSize}x{config.Video.FrameSize}", size.Stages.Single(s => s.Stage == "decode").Note, StringComparison.Ordinal);

        // And against a baseline twice as fast every stage is flagged slower (×2)
        var fast = result with
        {
            Sizes = [size with { Stages = size.Stages.Select(s => s with { Seconds = s.Seconds / 2 }).ToList() }],
        };
        var comparison = Benchmark.Compare(result, fast);
        Assert.Equal(size.Stages.Count(s => s.Seconds is not null), comparison.Count);
        Assert.All(comparison, c => Assert.Equal(2.0, c.Ratio, 9));
        Assert.Contains(comparison, c => c.Stage == "vocoder" && c.Slower);

        // And a baseline run with other step counts is not compared on the step-dependent stages
        var otherSteps = Benchmark.Compare(result, fast with { Steps = result.Steps + 10 });
        Assert.DoesNotContain(otherSteps, c => c.Stage == "sampling");
        Assert.Contains(otherSteps, c => c.Stage == "sampling_step");
    }
}
