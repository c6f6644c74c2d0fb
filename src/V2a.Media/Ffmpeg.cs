using System.Diagnostics;
using System.Text;

namespace V2a.Media;

/// <summary>
/// Locates ffmpeg and ffprobe (Debian package "ffmpeg"; override with V2A_FFMPEG / V2A_FFPROBE) and runs
/// them as child processes. Media always flows through pipes, never through whole-file buffers.
/// </summary>
public static class Ffmpeg
{
    private static readonly Lazy<string?> FfmpegPath = new(() => Locate("V2A_FFMPEG", "ffmpeg"));
    private static readonly Lazy<string?> FfprobePath = new(() => Locate("V2A_FFPROBE", "ffprobe"));

    /// <exception cref="MissingDependencyException">ffmpeg is not installed.</exception>
    public static string FfmpegExe => FfmpegPath.Value ?? throw Missing("ffmpeg");

    /// <exception cref="MissingDependencyException">ffprobe is not installed.</exception>
    public static string FfprobeExe => FfprobePath.Value ?? throw Missing("ffprobe");

    private static MissingDependencyException Missing(string tool) =>
        new(tool, "not found on PATH; run ./setup (or 'apt-get install ffmpeg')");

    private static string? Locate(string envVar, string name)
    {
        var fromEnv = Environment.GetEnvironmentVariable(envVar);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return File.Exists(fromEnv) ? fromEnv : null;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (dir.Length == 0)
            {
                continue;
            }

            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Starts a tool with stdout piped (binary) and stderr collected in the background.</summary>
    internal static ToolProcess Start(string exe, IEnumerable<string> args, bool pipeStdin = false)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = pipeStdin,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return new ToolProcess(Process.Start(psi) ?? throw new MissingDependencyException(exe, "could not be started"));
    }

    /// <summary>Runs a tool to completion and returns its stdout as text; throws on a non-zero exit.</summary>
    internal static string RunText(string exe, IEnumerable<string> args, string subjectPath)
    {
        using var p = Start(exe, args);
        var text = new StreamReader(p.StandardOutput, Encoding.UTF8).ReadToEnd();
        p.WaitForExitOrThrow(subjectPath);
        return text;
    }
}

/// <summary>A running ffmpeg/ffprobe with its stderr drained on a background task (kept: the last lines).</summary>
internal sealed class ToolProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    public ToolProcess(Process process)
    {
        _process = process;
        _stderr = Task.Run(() =>
        {
            var tail = new Queue<string>();
            string? line;
            while ((line = process.StandardError.ReadLine()) is not null)
            {
                tail.Enqueue(line);
                if (tail.Count > 20)
                {
                    tail.Dequeue();
                }
            }

            return string.Join('\n', tail);
        });
    }

    public Stream StandardOutput => _process.StandardOutput.BaseStream;

    public Stream StandardInput => _process.StandardInput.BaseStream;

    public int WaitForExit()
    {
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>The last lines ffmpeg printed on stderr (at most 20).</summary>
    public string ErrorText() => _stderr.Result;

    /// <summary>The last line ffmpeg printed on stderr, the usual place of its reason.</summary>
    public string LastError()
    {
        var all = _stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return all.Length == 0 ? "" : all[^1];
    }

    /// <summary>Waits, then throws <see cref="BadInputException"/> naming <paramref name="subjectPath"/> on failure.</summary>
    public void WaitForExitOrThrow(string subjectPath, string what = "ffmpeg could not read it")
    {
        if (WaitForExit() != 0)
        {
            var reason = LastError();
            throw new BadInputException(subjectPath, reason.Length == 0 ? what : $"{what} ({reason})");
        }
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
