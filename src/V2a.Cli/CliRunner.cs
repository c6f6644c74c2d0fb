using System.CommandLine;

namespace V2a.Cli;

/// <summary>
/// Runs the command tree with v2a's error contract: usage errors exit 2; a <see cref="V2aException"/> prints
/// one line "v2a: FILE: reason" and exits with its code; anything else is an internal error, exit 1, with
/// the stack trace only when V2A_DEBUG=1.
/// </summary>
public static class CliRunner
{
    public static int Run(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                Console.Error.WriteLine($"v2a: {error.Message}");
            }

            Console.Error.WriteLine("Run 'v2a --help' (or 'v2a COMMAND --help') for usage.");
            return ExitCodes.BadInput;
        }

        Interrupt.Install();
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (V2aException e)
        {
            Console.Error.WriteLine($"v2a: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("v2a: interrupted; no output is half-written (a training run checkpointed the step it finished: --resume goes on from there)");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"v2a: internal error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("V2A_DEBUG") == "1")
            {
                Console.Error.WriteLine(e);
            }
            else
            {
                Console.Error.WriteLine("v2a: set V2A_DEBUG=1 for the stack trace, and please report it.");
            }

            return ExitCodes.InternalError;
        }
    }
}
