using System.Diagnostics;

namespace V2a.Cli.Tests;

/// <summary>The result of running the real v2a executable.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the built v2a CLI as a separate process, as a user would.</summary>
public static class CliProcess
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "v2a.dll");

    public static CliResult Run(IEnumerable<string> args, IDictionary<string, string>? env = null, string? workDir = null, int timeoutSeconds = 300)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workDir ?? Environment.CurrentDirectory,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"v2a {string.Join(' ', args)} ran over {timeoutSeconds} s");
        }

        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static CliResult Run(params string[] args) => Run((IEnumerable<string>)args);

    /// <summary>Runs v2a and sends it SIGTERM (as `kill` or a service manager would) once its stderr shows
    /// <paramref name="marker"/>.</summary>
    public static CliResult RunAndTerminate(IEnumerable<string> args, string marker, int timeoutSeconds = 300)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = new System.Text.StringBuilder();
        string? line;
        var sent = false;
        while ((line = p.StandardError.ReadLine()) is not null)
        {
            stderr.AppendLine(line);
            if (!sent && line.Contains(marker, StringComparison.Ordinal))
            {
                using var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                kill.WaitForExit();
                sent = true;
            }
        }

        if (!p.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"v2a {string.Join(' ', args)} ran over {timeoutSeconds} s");
        }

        return new CliResult(p.ExitCode, stdout.Result, stderr.ToString());
    }
}
