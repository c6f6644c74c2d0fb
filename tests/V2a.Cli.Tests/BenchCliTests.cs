namespace V2a.Cli.Tests;

/// <summary>The long benchmark commands stop cleanly on a signal.</summary>
public sealed class BenchCliTests
{
    [Fact]
    public void Sigterm_stops_the_watermark_bench_with_exit_130_and_removes_its_scratch_folder()
    {
        // Given the scratch folders already there
        var before = Directory.GetDirectories(Path.GetTempPath(), "v2a-wm-bench-*").ToHashSet();

        // When the watermark bench is sent SIGTERM while it marks clips
        var r = CliProcess.RunAndTerminate(["watermark", "bench", "--clips", "400", "--unmarked", "2000", "--threads", "1"], "marking clips");

        // Then it stops with exit 130 and one line saying so, its scratch folder deleted
        Assert.True(r.ExitCode == ExitCodes.Interrupted, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains("v2a: interrupted", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetDirectories(Path.GetTempPath(), "v2a-wm-bench-*"), d => !before.Contains(d));
    }
}
