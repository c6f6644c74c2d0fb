using System.CommandLine;
using System.Globalization;
using V2a.Engine;
using V2a.Media;

namespace V2a.Cli.Commands;

/// <summary><c>v2a generate INPUT -o OUTPUT ...</c>: score a video with the model.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input")
        {
            Description = "The video to score (any file ffmpeg reads), or a folder: each of its videos is scored into the -o folder; "
                + "NAME.prompt.txt, NAME.negative.txt or NAME.transcript.txt beside a video gives it its own (the options give the rest); "
                + "run again after an interruption and the videos already done are skipped.",
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "A video (.mp4 .mov .m4v .mkv .webm: muxed; video stream copied where the container holds its codec, else re-encoded), audio alone (.wav .flac), "
                + "or a folder (per candidate: video, audio and a JSON of its settings).",
            Required = true,
        };
        var prompt = new Option<string?>("--prompt") { Description = "What the soundtrack should contain, e.g. \"waves on rocks, gulls\"." };
        var negative = new Option<string?>("--negative") { Description = "What it should not contain, e.g. \"music\"." };
        var transcript = new Option<string?>("--transcript") { Description = "Words spoken in the video, for speech: the model was trained on captions followed by their transcript, and makes speech only when given words. For a folder of videos, NAME.transcript.txt beside one gives it its own." };
        var candidates = new Option<int>("--candidates", "-n") { Description = "How many candidate soundtracks (seeds seed, seed+1, ...).", DefaultValueFactory = _ => 1 };
        var seed = new Option<long?>("--seed") { Description = "Seed of the first candidate (default: random, reported)." };
        var steps = new Option<int?>("--steps") { Description = "Sampling steps (default: the model's)." };
        var cfg = new Option<double?>("--cfg") { Description = "Guidance weight (default: the model's; 1 = no guidance)." };
        var negativeStrength = new Option<double?>("--negative-strength") { Description = $"How hard --negative pushes away from what it names (default {V2a.Model.Generation.GenerationRequest.DefaultNegativeStrength}; 0 ignores it). The negative prompt is weighed against the video alone, so it doubles the sampling time." };
        var promptStrength = new Option<double?>("--prompt-strength") { Description = $"How much more --prompt counts than the video on its own (default {V2a.Model.Generation.GenerationRequest.DefaultPromptStrength}; 0: the prompt counts only beside the video). Above 0 the prompt is weighed against the video alone: 1.5× the sampling time without --negative." };
        var model = new Option<string?>("--model") { Description = "Model package folder (default: models/default or V2A_MODEL)." };
        var original = new Option<OriginalAudio>("--original")
        {
            Description = "The video's own audio: replace it, mix the new track under it, or keep it as a second track.",
            DefaultValueFactory = _ => OriginalAudio.Replace,
        };
        var noRoomTone = new Option<bool>("--no-room-tone")
        {
            Description = $"Leave silence digital: no room tone ({V2a.Audio.RoomTone.DefaultLevelDbfs} dBFS) under the soundtrack. Silent stretches then carry no watermark, and the mark's second layer (the room tone keyed by the watermark key, found under added noise or another track) is gone.",
        };
        var noWatermark = new Option<bool>("--no-watermark") { Description = "Do not watermark (recorded in the manifest)." };
        var key = new Option<string?>("--watermark-key") { Description = "Watermark key (default: V2A_WATERMARK_KEY or the public key)." };
        var json = CliOptions.Json();
        var cmd = new Command("generate", "Generate soundtracks that fit a video.")
        {
            input, output, prompt, negative, transcript, candidates, seed, steps, cfg, negativeStrength, promptStrength, model, original, noRoomTone, noWatermark, key, json,
        };
        cmd.SetAction(parse =>
        {
            var options = new GenerateOptions
            {
                InputPath = parse.GetValue(input)!,
                OutputPath = parse.GetValue(output)!,
                Prompt = parse.GetValue(prompt),
                Negative = parse.GetValue(negative),
                Transcript = parse.GetValue(transcript),
                Candidates = parse.GetValue(candidates),
                Seed = parse.GetValue(seed),
                Steps = parse.GetValue(steps),
                Cfg = parse.GetValue(cfg),
                NegativeStrength = parse.GetValue(negativeStrength),
                PromptStrength = parse.GetValue(promptStrength),
                ModelDir = parse.GetValue(model),
                Original = parse.GetValue(original),
                RoomTone = !parse.GetValue(noRoomTone),
                Watermark = !parse.GetValue(noWatermark),
                WatermarkKey = parse.GetValue(key),
            };
            if (options.Candidates is < 1 or > 64)
            {
                throw new BadInputException(null, "--candidates must be between 1 and 64");
            }

            if (options.Steps is < 1 or > 200)
            {
                throw new BadInputException(null, "--steps must be between 1 and 200");
            }

            if (options.Cfg is { } w && (w < 0 || w > 20 || !double.IsFinite(w)))
            {
                throw new BadInputException(null, "--cfg must be between 0 and 20");
            }

            if (options.NegativeStrength is { } ns && (ns < 0 || ns > 20 || !double.IsFinite(ns)))
            {
                throw new BadInputException(null, "--negative-strength must be between 0 and 20");
            }

            if (options.PromptStrength is { } ps && (ps < 0 || ps > 20 || !double.IsFinite(ps)))
            {
                throw new BadInputException(null, "--prompt-strength must be between 0 and 20");
            }

            if (Directory.Exists(options.InputPath))
            {
                return RunBatch(options, parse.GetValue(json));
            }

            // Check the input and the output before loading the model: bad paths fail at once.
            var probed = MediaProbe.ProbeVideo(options.InputPath);
            OutputPlan.KindOf(options.OutputPath);
            using var engine = new SoundtrackEngine(options.ModelDir);
            var result = engine.Generate(options, new ConsoleProgress(), Interrupt.Token, probed);
            if (parse.GetValue(json))
            {
                CliOptions.WriteJson(result);
                return ExitCodes.Ok;
            }

            var inv = CultureInfo.InvariantCulture;
            foreach (var c in result.Candidates)
            {
                Console.WriteLine($"candidate {c.Index + 1}: seed {c.Seed}, generation {c.GenerationId}");
                foreach (var path in new[] { c.VideoPath, c.AudioPath, c.ManifestPath })
                {
                    if (path is not null)
                    {
                        Console.WriteLine($"  {path}");
                    }
                }

                if (c.Video is { Copied: false } video)
                {
                    Console.WriteLine($"  note: {video.Describe()}");
                }
            }

            Console.WriteLine(string.Format(inv, "{0:0.0} s of video, {1} candidate(s) in {2:0.0} s: {3:0.00}x real time (model {4})",
                result.VideoSeconds, result.Candidates.Count, result.ElapsedSeconds, result.RealTimeFactor, result.ModelId));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary><c>v2a generate FOLDER -o OUT</c>: every video of FOLDER with one loaded model, resumable.</summary>
    private static int RunBatch(GenerateOptions options, bool json)
    {
        BatchGenerator.CheckFolders(options.InputPath, options.OutputPath); // before the model loads
        var (videos, _) = BatchGenerator.Inputs(options.InputPath);
        if (videos.Count == 0)
        {
            throw new BadInputException(options.InputPath, $"holds no videos ({string.Join(' ', BatchGenerator.InputExtensions)})");
        }

        using var engine = new SoundtrackEngine(options.ModelDir);
        var console = new ConsoleProgress();
        var result = BatchGenerator.Run(engine, options.InputPath, options.OutputPath, options, console, item =>
        {
            var name = Path.GetFileName(item.Input);
            switch (item.Status)
            {
                case BatchStatus.Failed:
                    console.ErrorLine($"v2a: {item.Reason}"); // with --json too: stdout keeps the JSON alone
                    break;
                case var _ when json:
                    break;
                case BatchStatus.DoneBefore:
                    console.Line($"{name}: done before, kept ({string.Join(", ", item.Outputs)})");
                    break;
                default:
                    var seeds = string.Join(", ", item.Result!.Candidates.Select(c => c.Seed));
                    var notes = item.Result.Candidates.Select(c => c.Video).OfType<VideoHandling>().Where(v => !v.Copied).Select(v => $"; note: {v.Describe()}").FirstOrDefault() ?? "";
                    console.Line($"{name} -> {string.Join(", ", item.Outputs)} (seed {seeds}){notes}");
                    break;
            }
        }, Interrupt.Token);
        if (json)
        {
            CliOptions.WriteJson(result);
        }
        else
        {
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "{0} video(s): {1} generated, {2} done before, {3} failed in {4:0.0} s{5}",
                result.Items.Count, result.Generated, result.DoneBefore, result.Failed, result.ElapsedSeconds,
                result.OtherFiles > 0 ? $"; {result.OtherFiles} other file(s) left alone" : ""));
        }

        return result.Failed > 0 ? ExitCodes.BadInput : ExitCodes.Ok;
    }
}
