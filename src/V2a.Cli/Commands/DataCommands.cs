using System.CommandLine;
using System.Globalization;
using V2a.Model.Data;

namespace V2a.Cli.Commands;

/// <summary><c>v2a data prepare CORPUS --out SHARDS [--split val=0.05]</c>: corpus → training shards.</summary>
public static class DataCommands
{
    public static Command Create()
    {
        var data = new Command("data", "Prepare training data.");
        data.Subcommands.Add(Prepare());
        return data;
    }

    private static Command Prepare()
    {
        var corpus = new Argument<string>("corpus") { Description = "A corpus folder (meta.jsonl + clips/), e.g. from 'v2a corpus build'." };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the shards, manifest, vocabulary and ledger.", Required = true };
        var split = new Option<string>("--split") { Description = "Held-out fraction by clip id, as val=FRACTION.", DefaultValueFactory = _ => "val=0.05" };
        var frameSize = new Option<int>("--frame-size") { Description = "Square frame size in pixels (the preset's: small 32, medium/large 64).", DefaultValueFactory = _ => new DataPrepareOptions { CorpusDir = "", OutDir = "" }.FrameSize };
        var maxVocab = new Option<int>("--max-vocab") { Description = "Largest compact text vocabulary (embedding rows).", DefaultValueFactory = _ => 2048 };
        var vocab = new Option<string?>("--vocab") { Description = "Use this text vocabulary (a model package's vocab.json, or the package folder) instead of building one from the captions: shards a run from 'v2a train --init-from' that package can use." };
        var onsetClasses = new Option<string>("--onset-classes")
        {
            Description = "Annotated event classes whose on-screen starts become the sync loss's onset targets: a comma list, "
                + "'all', or the default 'sharp' (FoleyWorld's sharp-onset classes).",
            DefaultValueFactory = _ => "sharp",
        };
        var json = CliOptions.Json();
        var cmd = new Command("prepare", "Decode a corpus once into safetensors shards (normalised log-mel, frames at 25 fps, caption tokens) with a manifest; split by clip id.")
        {
            corpus, output, split, frameSize, maxVocab, vocab, onsetClasses, json,
        };
        cmd.SetAction(parse =>
        {
            var started = DateTime.UtcNow;
            var manifest = DataPreparer.Prepare(new DataPrepareOptions
            {
                CorpusDir = parse.GetValue(corpus)!,
                OutDir = parse.GetValue(output)!,
                ValFraction = ParseSplit(parse.GetValue(split)!),
                FrameSize = parse.GetValue(frameSize),
                MaxVocab = parse.GetValue(maxVocab),
                Vocabulary = parse.GetValue(vocab),
                OnsetClasses = ParseOnsetClasses(parse.GetValue(onsetClasses)!),
            }, new ConsoleProgress(), Interrupt.Token);
            var train = manifest.ClipIds("train").Count();
            var val = manifest.ClipIds("val").Count();
            var seconds = (DateTime.UtcNow - started).TotalSeconds;
            if (parse.GetValue(json))
            {
                CliOptions.WriteJson(new
                {
                    output = Path.GetFullPath(parse.GetValue(output)!), trainClips = train, valClips = val, shards = manifest.Shards.Count,
                    vocabSize = manifest.VocabSize, clipSeconds = manifest.ClipSeconds, frameSize = manifest.Video.FrameSize, seconds,
                });
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"prepared {train} training + {val} held-out clips into {manifest.Shards.Count} shards in {parse.GetValue(output)} ({manifest.ClipSeconds} s clips, {manifest.Video.FrameSize}x{manifest.Video.FrameSize} frames, vocabulary {manifest.VocabSize}) in {seconds:0.0} s"));
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>"val=0.05" → 0.05.</summary>
    internal static double ParseSplit(string text)
    {
        var parts = text.Split('=', 2);
        if (parts.Length != 2 || parts[0].Trim() != "val"
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) || fraction is < 0 or >= 1)
        {
            throw new BadInputException(null, $"--split '{text}': expected val=FRACTION with FRACTION in [0, 1), e.g. val=0.05");
        }

        return fraction;
    }

    /// <summary>"sharp" → FoleyWorld's sharp-onset classes; "all" → null (every on-screen event); else the comma list.</summary>
    internal static IReadOnlySet<string>? ParseOnsetClasses(string value) => value.Trim() switch
    {
        "sharp" => V2a.Corpus.SoundClasses.All.Where(c => V2a.Corpus.SoundClasses.Info(c).Onset == V2a.Corpus.OnsetKind.Sharp).ToHashSet(StringComparer.Ordinal),
        "all" => null,
        var list when list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } names
            => names.ToHashSet(StringComparer.Ordinal),
        _ => throw new BadInputException(null, "--onset-classes needs 'sharp', 'all' or a comma list of class names"),
    };
}
