using System.Text.Json;

namespace V2a.Cli.Tests;

/// <summary><c>v2a eval</c> from the command line, on a tiny corpus the CLI makes itself.</summary>
public sealed class EvalCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("v2a-evalcli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Oracle_eval_writes_its_json_and_report_into_a_folder_it_makes_and_scores_the_ceiling()
    {
        // Given a 3-clip corpus made by the CLI
        var corpus = Path.Combine(_dir, "corpus");
        var made = CliProcess.Run("corpus", "make", "--out", corpus, "--clips", "3", "--seconds", "2", "--jobs", "1");
        Assert.True(made.ExitCode == 0, made.Stderr);

        // When the corpus's own audio is evaluated into folders that do not exist yet
        var run = Path.Combine(_dir, "runs", "oracle");
        var r = CliProcess.Run("eval", "--oracle", "--data", corpus, "--split", "all", "--seeds", "1",
            "--json", Path.Combine(run, "eval.json"), "--report", run);

        // Then both land there, and the real audio scores the ceiling against its own annotations
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json")));
        Assert.Equal(3, json.RootElement.GetProperty("clips").GetInt32());
        Assert.Equal(1.0, json.RootElement.GetProperty("onsets").GetProperty("f1_at50").GetDouble(), 6);
        var report = File.ReadAllText(Path.Combine(run, "report.md"));
        Assert.Contains("## By class", report, StringComparison.Ordinal);
        Assert.Contains("onsets:", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_corpus_is_one_line_exit_2_and_leaves_no_output_folder()
    {
        var run = Path.Combine(_dir, "runs", "none");

        var r = CliProcess.Run("eval", "--oracle", "--data", Path.Combine(_dir, "no-corpus"), "--json", Path.Combine(run, "eval.json"), "--report", run);

        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("no-corpus", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "runs")));
    }

    [Fact]
    public void Compare_reads_two_results_and_says_which_gap_is_more_than_noise_and_refuses_garbage_in_one_line()
    {
        // Given two results on the same 12 clips: B finds twice the onsets A finds on every clip, and names the same classes
        string Result(double f1) => "{ \"evaluated\": \"m\", \"per_clip\": [" + string.Join(",", Enumerable.Range(0, 12).Select(i =>
            $"{{\"id\": \"c{i}\", \"true_classes\": [\"rain\"], \"real_top_class\": \"rain\", \"generated_top_class\": \"rain\", \"kl_softmax\": 1, " +
            $"\"reference_onsets\": 4, \"generated_onsets\": 4, \"onset_f1_at50\": {f1 + (0.01 * i):0.00}, \"real_time_factor\": 3}}")) + "] }";
        var a = Path.Combine(_dir, "a.json");
        var b = Path.Combine(_dir, "b.json");
        File.WriteAllText(a, Result(0.3));
        File.WriteAllText(b, Result(0.6));

        var r = CliProcess.Run("eval", "compare", a, b);

        Assert.True(r.ExitCode == 0, r.Stderr);
        var onsets = r.Stdout.Split('\n').Single(l => l.StartsWith("onset F1", StringComparison.Ordinal));
        Assert.Contains("+0.300", onsets, StringComparison.Ordinal);
        Assert.Contains("B better", onsets, StringComparison.Ordinal);
        Assert.Contains("within noise", r.Stdout.Split('\n').Single(l => l.StartsWith("top-1", StringComparison.Ordinal)), StringComparison.Ordinal);

        // And a file that is not an eval result is one line naming it, exit 2
        var garbage = Path.Combine(_dir, "garbage.json");
        File.WriteAllText(garbage, "\u0001\u0002 not json");
        var bad = CliProcess.Run("eval", "compare", a, garbage);
        Assert.Equal(ExitCodes.BadInput, bad.ExitCode);
        Assert.StartsWith("v2a: " + garbage + ": ", Assert.Single(bad.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }
}
