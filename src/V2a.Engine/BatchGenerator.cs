using System.Diagnostics;
using V2a.Media;

namespace V2a.Engine;

/// <summary>What became of one file of a batch.</summary>
public enum BatchStatus
{
    /// <summary>Scored now.</summary>
    Generated,

    /// <summary>Its outputs were already there (an earlier, interrupted run wrote them): left as they are.</summary>
    DoneBefore,

    /// <summary>Bad input (unreadable, no video, too short …): reported, the batch goes on.</summary>
    Failed,
}

/// <param name="Outputs">The video file of each candidate, written now or before.</param>
/// <param name="Reason">Why it failed (one line), for <see cref="BatchStatus.Failed"/>.</param>
public sealed record BatchItem(string Input, BatchStatus Status, IReadOnlyList<string> Outputs, string? Reason = null, GenerateResult? Result = null);

public sealed record BatchResult(IReadOnlyList<BatchItem> Items, int OtherFiles, double ElapsedSeconds)
{
    public int Generated => Items.Count(i => i.Status == BatchStatus.Generated);

    public int DoneBefore => Items.Count(i => i.Status == BatchStatus.DoneBefore);

    public int Failed => Items.Count(i => i.Status == BatchStatus.Failed);
}

/// <summary>
/// Scores every video of a folder into an output folder with one loaded model: <c>v2a generate FOLDER -o OUT</c>.
/// Each video's candidates are written as OUT/NAME.EXT (NAME-k.EXT for k &gt; 1), the container chosen as for a folder
/// output (<see cref="OutputPlan.FolderVideoExtension"/>). Outputs are written atomically, so a file whose outputs
/// all exist is finished: running the same command again after an interruption skips it and goes on (resume). A bad
/// file is reported and the batch continues.
/// </summary>
public static class BatchGenerator
{
    /// <summary>Extensions of the files a batch takes as videos; anything else in the folder (manifests, subtitles,
    /// audio) is counted and left alone.</summary>
    public static readonly string[] InputExtensions =
        [".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts", ".m2ts", ".flv", ".wmv", ".ogv", ".gif", ".3gp", ".mxf", ".dv", ".h264", ".hevc"];

    /// <summary>Suffix of the text file beside a video that holds its prompt (NAME.prompt.txt for NAME.mp4).</summary>
    public const string PromptSuffix = ".prompt.txt";

    /// <summary>Suffix of the text file beside a video that holds its negative prompt (NAME.negative.txt).</summary>
    public const string NegativeSuffix = ".negative.txt";

    /// <summary>Suffix of the text file beside a video that holds the words spoken in it (NAME.transcript.txt).</summary>
    public const string TranscriptSuffix = ".transcript.txt";

    /// <summary>
    /// The settings <paramref name="video"/> gets in a batch: a prompt, negative prompt or transcript file beside it
    /// (<see cref="PromptSuffix"/>, <see cref="NegativeSuffix"/>, <see cref="TranscriptSuffix"/>) gives it its own, where
    /// one --prompt, --negative or --transcript gives every video the same; the file wins for its video, the option
    /// stays the default for the others.
    /// </summary>
    public static GenerateOptions OptionsFor(string video, GenerateOptions template) => template with
    {
        Prompt = TextBeside(video, PromptSuffix) ?? template.Prompt,
        Negative = TextBeside(video, NegativeSuffix) ?? template.Negative,
        Transcript = TextBeside(video, TranscriptSuffix) ?? template.Transcript,
    };

    /// <summary>The trimmed text of <paramref name="video"/>'s side file with <paramref name="suffix"/>, or null when it
    /// has none (or an empty one).</summary>
    public static string? TextBeside(string video, string suffix)
    {
        var path = Path.Combine(Path.GetDirectoryName(video) ?? ".", Path.GetFileNameWithoutExtension(video) + suffix);
        try
        {
            return File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } text ? text : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException(path, $"cannot be read: {e.Message}");
        }
    }

    /// <summary>The folder's videos in name order, and how many other files it holds.</summary>
    public static (IReadOnlyList<string> Videos, int Others) Inputs(string folder)
    {
        var files = Directory.GetFiles(folder)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToList();
        var videos = files.Where(f => InputExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).ToList();
        return (videos, files.Count - videos.Count);
    }

    /// <summary>Checks the folders before the model loads: the input folder exists, the output is a folder that is not
    /// the input folder, and it can be created and written.</summary>
    public static void CheckFolders(string inputFolder, string outputFolder)
    {
        var ext = Path.GetExtension(outputFolder.TrimEnd('/')).ToLowerInvariant();
        if (File.Exists(outputFolder) || OutputPlan.VideoExtensions.Contains(ext) || OutputPlan.AudioExtensions.Contains(ext))
        {
            throw new BadInputException(inputFolder, $"is a folder: its videos are scored into a folder (-o FOLDER), not into '{outputFolder}'");
        }

        var input = Path.GetFullPath(inputFolder).TrimEnd('/');
        var output = Path.GetFullPath(outputFolder).TrimEnd('/');
        if (input == output)
        {
            throw new BadInputException(outputFolder, "is the input folder; write the soundtracks to another folder");
        }

        if (!Directory.Exists(output))
        {
            AtomicFile.EnsureWritableFolder(Path.GetDirectoryName(output) ?? ".", outputFolder);
        }
        else
        {
            AtomicFile.EnsureWritableFolder(output, outputFolder);
        }
    }

    /// <summary>Scores the folder. <paramref name="template"/> gives every setting but the paths; <paramref name="onItem"/>
    /// hears of each file as it is finished.</summary>
    public static BatchResult Run(SoundtrackEngine engine, string inputFolder, string outputFolder, GenerateOptions template,
        IProgressSink progress, Action<BatchItem>? onItem = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        CheckFolders(inputFolder, outputFolder);
        Directory.CreateDirectory(outputFolder);
        var (videos, others) = Inputs(inputFolder);
        var names = OutputNames(videos);
        var items = new List<BatchItem>(videos.Count);
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < videos.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var input = videos[i];
            BatchItem item;
            try
            {
                var info = MediaProbe.ProbeVideo(input);
                var ext = OutputPlan.FolderVideoExtension(Path.GetExtension(input), info.Video!.Codec);
                var output = Path.Combine(outputFolder, names[i] + ext);
                if (!used.Add(output))
                {
                    output = Path.Combine(outputFolder, Path.GetFileName(input) + ext); // two inputs would share it
                    used.Add(output);
                }

                var plan = OutputPlan.Plan(output, template.Candidates, Path.GetExtension(input), info.Video.Codec);
                var planned = plan.Select(p => p.VideoPath!).ToList();
                if (plan.All(p => File.Exists(p.VideoPath) && File.Exists(p.ManifestPath))) // the manifest is written last
                {
                    item = new BatchItem(input, BatchStatus.DoneBefore, planned);
                }
                else
                {
                    var result = engine.Generate(OptionsFor(input, template) with { InputPath = input, OutputPath = output },
                        new FileProgress(progress, i, videos.Count, Path.GetFileName(input)), cancellationToken, info);
                    item = new BatchItem(input, BatchStatus.Generated, planned, Result: result);
                }
            }
            catch (BadInputException e)
            {
                item = new BatchItem(input, BatchStatus.Failed, [], e.Message.ReplaceLineEndings(" "));
            }

            items.Add(item);
            onItem?.Invoke(item);
        }

        return new BatchResult(items, others, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Output names without extension: the input's name less its extension where no other input shares it, or
    /// where the input is already in a container v2a writes (clip.mp4 → clip.mp4); else its whole name (clip.gif beside
    /// clip.mp4 → clip.gif.mp4), so no output overwrites another.</summary>
    private static List<string> OutputNames(IReadOnlyList<string> videos)
    {
        var stems = videos.Select(v => Path.GetFileNameWithoutExtension(v)!).ToList();
        var shared = stems.GroupBy(s => s, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        return videos.Select((v, i) =>
            shared.Contains(stems[i]) && !OutputPlan.VideoExtensions.Contains(Path.GetExtension(v).ToLowerInvariant())
                ? Path.GetFileName(v)
                : stems[i]).ToList();
    }

    /// <summary>Maps one file's progress onto the batch ("generating", permille of all files), naming the file.</summary>
    private sealed class FileProgress(IProgressSink inner, int index, int count, string name) : IProgressSink
    {
        private const long Scale = 1000;

        public void Report(string stage, long done, long total, string? detail = null)
        {
            var own = total > 0 ? Math.Clamp((double)done / total, 0, 1) : 0;
            var overall = (long)Math.Round((index + own) * Scale);
            inner.Report("generating", overall, count * Scale, $"file {index + 1}/{count} {name}" + (detail is null ? "" : $": {detail}"));
        }
    }
}
