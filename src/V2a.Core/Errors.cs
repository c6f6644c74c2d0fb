namespace V2a;

/// <summary>Process exit codes, documented in the README's CLI reference.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int InternalError = 1;
    public const int BadInput = 2;
    public const int MissingDependency = 3;

    /// <summary>Stopped by Ctrl+C or SIGTERM (128 + SIGINT, as shells report it); nothing half-written is left.</summary>
    public const int Interrupted = 130;
}

/// <summary>
/// An error a user can act on: one line naming the file (when there is one) and the reason. The CLI prints
/// <see cref="Exception.Message"/> and exits with <see cref="ExitCode"/>; anything else is an internal error.
/// </summary>
public class V2aException : Exception
{
    public V2aException(int exitCode, string? path, string reason, Exception? inner = null)
        : base(path is null ? reason : $"{path}: {reason}", inner)
    {
        ExitCode = exitCode;
        Path = path;
        Reason = reason;
    }

    public int ExitCode { get; }

    /// <summary>The file the error is about, or null when it is about no file.</summary>
    public string? Path { get; }

    public string Reason { get; }
}

/// <summary>The input (a file, an option, an argument) is unusable. Exit code 2.</summary>
public sealed class BadInputException(string? path, string reason, Exception? inner = null)
    : V2aException(ExitCodes.BadInput, path, reason, inner);

/// <summary>A program or library the project needs is not installed. Exit code 3.</summary>
public sealed class MissingDependencyException(string what, string reason)
    : V2aException(ExitCodes.MissingDependency, what, reason);
