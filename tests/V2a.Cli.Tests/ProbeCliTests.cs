using System.Text.Json;
using V2a.Media.Tests;

namespace V2a.Cli.Tests;

public sealed class ProbeCliTests : IDisposable
{
    private readonly TestMedia _media = new();

    public void Dispose() => _media.Dispose();

    [Fact]
    public void Probe_json_reports_what_the_media_layer_sees()
    {
        var path = _media.Video("clip.mp4", seconds: 2, width: 96, height: 64);

        var r = CliProcess.Run("probe", path, "--json");

        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(2.0, doc.RootElement.GetProperty("durationSeconds").GetDouble(), 1);
        Assert.Equal(96, doc.RootElement.GetProperty("video").GetProperty("width").GetInt32());
        Assert.False(doc.RootElement.GetProperty("video").GetProperty("variableFrameRate").GetBoolean());
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("random")]
    [InlineData("text")]
    [InlineData("truncated")]
    [InlineData("missing")]
    [InlineData("folder")]
    public void Bad_files_give_one_line_naming_the_file_and_exit_2(string kind)
    {
        var path = _media.Bad(kind);

        var r = CliProcess.Run("probe", path);

        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"v2a: {path}: ", line);
        Assert.Empty(r.Stdout);
    }

    [Fact]
    public void Missing_ffmpeg_is_a_missing_dependency_exit_3()
    {
        var path = _media.Video("clip.mp4", seconds: 1);

        var r = CliProcess.Run(["probe", path], new Dictionary<string, string> { ["V2A_FFPROBE"] = "/nonexistent/ffprobe" });

        Assert.Equal(ExitCodes.MissingDependency, r.ExitCode);
        Assert.Contains("ffprobe", r.Stderr);
        Assert.Contains("./setup", r.Stderr);
    }

    [Fact]
    public void Usage_errors_exit_2_and_version_and_help_work()
    {
        Assert.Equal(ExitCodes.BadInput, CliProcess.Run("probe").ExitCode);
        Assert.Equal(ExitCodes.BadInput, CliProcess.Run("no-such-command").ExitCode);
        var version = CliProcess.Run("--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Stdout.Trim());
    }

    [Fact]
    public void Every_command_has_help()
    {
        var root = CliProcess.Run("--help");
        Assert.Equal(0, root.ExitCode);
        var commands = root.Stdout.Split('\n')
            .SkipWhile(l => !l.StartsWith("Commands:", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' ')[0])
            .Where(c => c.Length > 0)
            .ToList();

        Assert.Contains("probe", commands);
        foreach (var c in commands)
        {
            var r = CliProcess.Run(c, "--help");
            Assert.True(r.ExitCode == 0, $"v2a {c} --help exited {r.ExitCode}: {r.Stderr}");
            Assert.Contains("Usage:", r.Stdout);
        }
    }
}
