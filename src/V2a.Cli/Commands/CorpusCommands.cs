using System.CommandLine;
using System.Globalization;
using V2a.Corpus;
using V2a.Corpus.Import;
using V2a.Corpus.Render;

namespace V2a.Cli.Commands;

/// <summary>
/// <c>v2a corpus make | show | import</c>: build a FoleyWorld corpus (procedural clips with exact events), draw a
/// clip's contact sheet, or bring real footage with captions into the same format.
/// </summary>
public static class CorpusCommands
{
    public static Command Create()
    {
        var cmd = new Command("corpus", "Build, inspect and import training corpora (FoleyWorld clips or your own footage).");
        cmd.Subcommands.Add(Make());
        cmd.Subcommands.Add(Show());
        cmd.Subcommands.Add(Import());
        return cmd;
    }

    private static Command Make()
    {
        var outDir = new Option<string>("--out") { Description = "Corpus folder (created; an existing one is completed).", Required = true };
        var clips = new Option<int>("--clips") { Description = "Number of clips wanted (ids fw-000000 …).", Required = true };
        var seconds = new Option<double>("--seconds") { Description = "Length of each clip in seconds.", DefaultValueFactory = _ => 8 };
        var seed = new Option<long>("--seed") { Description = "Corpus seed; clip i's seed derives from (seed, i).", DefaultValueFactory = _ => 0 };
        var classes = new Option<string?>("--classes") { Description = $"Comma-separated classes scenes may contain (default all): {string.Join(",", SoundClasses.All)}." };
        var jobs = new Option<int>("--jobs") { Description = "Clips rendered at once (one core each).", DefaultValueFactory = _ => Math.Max(1, Environment.ProcessorCount) };
        var json = CliOptions.Json();
        var cmd = new Command("make", "Render FoleyWorld clips (MP4 + FLAC + meta.jsonl). Re-running fills in what is missing.")
        {
            outDir, clips, seconds, seed, classes, jobs, json,
        };
        cmd.SetAction(parse =>
        {
            var list = parse.GetValue(classes) is { } text ? SoundClasses.Parse(text) : null;
            var options = new CorpusMakeOptions
            {
                OutDir = parse.GetValue(outDir)!,
                Clips = parse.GetValue(clips),
                Seconds = parse.GetValue(seconds),
                Seed = parse.GetValue(seed),
                Classes = list,
                Jobs = parse.GetValue(jobs),
            };
            var result = CorpusBuilder.Make(options, new ConsoleProgress(), Interrupt.Token);
            if (parse.GetValue(json))
            {
                CliOptions.WriteJson(new { result.Made, result.AlreadyThere, result.Total, result.Seconds, result.ClipsPerMinute, Out = Path.GetFullPath(options.OutDir) });
            }
            else
            {
                var inv = CultureInfo.InvariantCulture;
                Console.WriteLine($"corpus: {Path.GetFullPath(options.OutDir)}: {result.Total} clips ({result.Made} made, {result.AlreadyThere} already there) "
                    + $"in {result.Seconds.ToString("0.0", inv)} s, {result.ClipsPerMinute.ToString("0.0", inv)} clips/min");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Show()
    {
        var clip = new Argument<string>("clip") { Description = "A clip: its .mp4 (or .flac/.json) in a corpus's clips/ folder, an id with --corpus, or any video." };
        var corpus = new Option<string?>("--corpus") { Description = "Corpus folder, when CLIP is an id." };
        var outPng = new Option<string>("--out") { Description = "PNG to write.", Required = true };
        var cmd = new Command("show", "Draw a contact sheet: frames along the top, the spectrogram below with the events marked.")
        {
            clip, corpus, outPng,
        };
        cmd.SetAction(parse =>
        {
            var (video, audio, meta) = Locate(parse.GetValue(clip)!, parse.GetValue(corpus));
            var output = parse.GetValue(outPng)!;
            ContactSheet.Write(video, audio, meta, output);
            Console.WriteLine($"contact sheet: {Path.GetFullPath(output)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Finds a clip's video, lossless audio and meta line from a path or an id.</summary>
    private static (string Video, string? Audio, CorpusClip? Meta) Locate(string clip, string? corpusDir)
    {
        string? dir = corpusDir;
        string id;
        if (File.Exists(clip))
        {
            id = Path.GetFileNameWithoutExtension(clip);
            var parent = Path.GetDirectoryName(Path.GetFullPath(clip))!;
            dir ??= Path.GetFileName(parent) == CorpusReader.ClipsFolder ? Path.GetDirectoryName(parent) : null;
            if (dir is null || !File.Exists(Path.Combine(dir, CorpusReader.MetaFile)))
            {
                // Any video: frames and its own audio, no events.
                return (clip, null, null);
            }
        }
        else
        {
            if (dir is null)
            {
                throw new BadInputException(clip, "does not exist (to name a clip by id, pass --corpus DIR)");
            }

            id = clip;
        }

        var meta = CorpusReader.Read(dir).FirstOrDefault(c => c.Id == id)
            ?? throw new BadInputException(Path.Combine(dir, CorpusReader.MetaFile), $"has no clip '{id}'");
        var video = CorpusReader.FullPath(dir, meta.Video);
        var audio = CorpusReader.FullPath(dir, meta.Audio);
        return (video, File.Exists(audio) ? audio : null, meta);
    }

    private static Command Import()
    {
        var videos = new Option<string>("--videos") { Description = "Folder holding the videos the CSV names.", Required = true };
        var captions = new Option<string>("--captions") { Description = "CSV with a header: file,caption[,transcript,licence,source].", Required = true };
        var outDir = new Option<string>("--out") { Description = "Corpus folder to write.", Required = true };
        var skip = new Option<bool>("--skip-bad", "--skip-missing")
        {
            Description = "Import the usable rows and list the others: missing files, files with no sound, unreadable ones (otherwise any of them is an error, before anything is written).",
        };
        var link = new Option<bool>("--link") { Description = "Symlink the videos instead of copying them." };
        var cmd = new Command("import", "Bring your own videos with captions into the corpus format (16 kHz FLAC extracted, meta.jsonl written).")
        {
            videos, captions, outDir, skip, link,
        };
        cmd.SetAction(parse =>
        {
            var result = CorpusImporter.Import(new ImportOptions
            {
                VideosDir = parse.GetValue(videos)!,
                CaptionsCsv = parse.GetValue(captions)!,
                OutDir = parse.GetValue(outDir)!,
                SkipMissing = parse.GetValue(skip),
                Link = parse.GetValue(link),
            }, new ConsoleProgress());
            foreach (var m in result.Missing)
            {
                Console.Error.WriteLine($"v2a: skipped (missing): {m}");
            }

            foreach (var u in result.Unusable)
            {
                Console.Error.WriteLine($"v2a: skipped: {u}");
            }

            var skipped = result.Missing.Count + result.Unusable.Count;
            Console.WriteLine($"imported {result.Imported} clips into {Path.GetFullPath(parse.GetValue(outDir)!)}"
                + (skipped > 0 ? $", skipped {result.Missing.Count} missing and {result.Unusable.Count} unusable" : ""));
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
