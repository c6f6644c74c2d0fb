using System.Runtime.InteropServices;

namespace V2a.Cli;

/// <summary>
/// Ctrl+C and SIGTERM for the commands that can stop cleanly (generate, train, data prepare, corpus make, eval, bench,
/// watermark bench): a command that takes <see cref="Token"/> is cancelled at its next check, unwinds (temporary files
/// are deleted, no output is half-written; a training run first checkpoints the step it finished) and v2a exits with
/// <see cref="ExitCodes.Interrupted"/>. A second signal, or a signal to a command that never took the token, ends the
/// process at once as usual.
/// </summary>
public static class Interrupt
{
    private static readonly CancellationTokenSource Source = new();
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private static int _watched;
    private static int _signals;

    /// <summary>The token a long command passes down; taking it is what makes a signal stop the command cleanly.</summary>
    public static CancellationToken Token
    {
        get
        {
            Volatile.Write(ref _watched, 1);
            return Source.Token;
        }
    }

    public static void Install()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            Registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }
    }

    private static void OnSignal(PosixSignalContext context)
    {
        if (Volatile.Read(ref _watched) == 0 || Interlocked.Increment(ref _signals) > 1)
        {
            return; // the default: the process ends now
        }

        context.Cancel = true;
        Console.Error.WriteLine();
        Console.Error.WriteLine("v2a: stopping at the next safe point (press Ctrl+C again to quit at once)");
        Source.Cancel();
    }
}
