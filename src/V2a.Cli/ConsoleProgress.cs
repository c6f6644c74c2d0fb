using System.Diagnostics;

namespace V2a.Cli;

/// <summary>
/// Progress on stderr: a redrawn bar when stderr is a terminal, otherwise a plain line at most every few
/// seconds (and at the end of each stage), so logs of CI and batch runs stay readable.
/// </summary>
public sealed class ConsoleProgress : IProgressSink
{
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();
    private string? _stage;
    private TimeSpan _lastDraw = TimeSpan.MinValue;
    private bool _lineOpen;

    public void Report(string stage, long done, long total, string? detail = null)
    {
        lock (_gate)
        {
            var now = _clock.Elapsed;
            var finished = total > 0 && done >= total;
            var newStage = stage != _stage;
            if (newStage && _lineOpen)
            {
                Console.Error.WriteLine();
                _lineOpen = false;
            }

            _stage = stage;
            var interval = _interactive ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(5);
            if (!newStage && !finished && now - _lastDraw < interval)
            {
                return;
            }

            _lastDraw = now;
            var text = Format(stage, done, total, detail, _interactive);
            if (_interactive)
            {
                Console.Error.Write($"\r{text}\u001b[K");
                _lineOpen = !finished;
                if (finished)
                {
                    Console.Error.WriteLine();
                }
            }
            else
            {
                Console.Error.WriteLine(text);
            }
        }
    }

    /// <summary>Writes a line of results to stdout, first ending a bar left open on the terminal.</summary>
    public void Line(string text) => WriteLine(Console.Out, text);

    /// <summary>Writes an error line to stderr, first ending a bar left open.</summary>
    public void ErrorLine(string text) => WriteLine(Console.Error, text);

    private void WriteLine(TextWriter writer, string text)
    {
        lock (_gate)
        {
            if (_lineOpen)
            {
                Console.Error.WriteLine();
                _lineOpen = false;
                _stage = null;
            }

            writer.WriteLine(text);
        }
    }

    internal static string Format(string stage, long done, long total, string? detail, bool bar)
    {
        var tail = detail is null ? "" : $"  {detail}";
        if (total <= 0)
        {
            return $"{stage}: {done}{tail}";
        }

        var fraction = Math.Clamp((double)done / total, 0, 1);
        if (!bar)
        {
            return $"{stage}: {done}/{total} ({fraction:P0}){tail}";
        }

        const int width = 30;
        var filled = (int)Math.Round(fraction * width);
        return $"{stage,-12} [{new string('#', filled)}{new string('-', width - filled)}] {done}/{total}{tail}";
    }
}
