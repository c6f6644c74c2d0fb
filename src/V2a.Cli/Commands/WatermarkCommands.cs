using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using V2a.Watermark;
using V2a.Watermark.Bench;

namespace V2a.Cli.Commands;

/// <summary><c>v2a watermark detect|embed|bench</c>: the mark every generated track carries (docs/watermark.md).</summary>
public static class WatermarkCommands
{
    public static Command Create()
    {
        var cmd = new Command("watermark", "Detect or embed v2a's inaudible watermark, or run its robustness benchmark.");
        cmd.Subcommands.Add(Detect());
        cmd.Subcommands.Add(Embed());
        cmd.Subcommands.Add(BenchCommand());
        return cmd;
    }

    private static Option<string?> KeyOption() => new("--key")
    {
        Description = $"Watermark key (default: ${WatermarkKey.EnvironmentVariable}, else the public key).",
    };

    private static Command Detect()
    {
        var file = new Argument<string>("file") { Description = "An audio or video file." };
        var key = KeyOption();
        var json = CliOptions.Json();
        var cmd = new Command("detect", "Tell whether a file's audio carries the v2a watermark; decode its payload.") { file, key, json };
        cmd.SetAction(parse =>
        {
            var r = WatermarkFiles.Detect(parse.GetValue(file)!, WatermarkKey.Resolve(parse.GetValue(key)));
            if (parse.GetValue(json))
            {
                CliOptions.WriteJson(r);
                return ExitCodes.Ok;
            }

            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine($"verdict:   {VerdictText(r.Verdict)}");
            if (r.Verdict is Verdict.Watermarked or Verdict.NotWatermarked)
            {
                Console.WriteLine($"score:     {r.Score.ToString("0.00", inv)} (threshold {r.Threshold.ToString("0.00", inv)}, "
                    + $"{r.HypothesesSearched} alignments searched)");
                Console.WriteLine($"room tone: {r.RoomToneScore.ToString("0.00", inv)} (threshold {r.RoomToneThreshold.ToString("0.00", inv)}; "
                    + "the keyed room tone under v2a's own soundtracks)");
                Console.WriteLine($"false-positive probability: {FormatProbability(r)}" + (r.DecidedBy is { } by ? $" (decided by the {by} test)" : ""));
            }

            if (r.Detected)
            {
                Console.WriteLine($"payload:   {(r.Payload is { } p ? $"{p.Hex} (model {p.ModelId:x4}, generation {p.GenerationId:x8}), CRC ok" : "not decoded")}");
                foreach (var range in r.Ranges)
                {
                    Console.WriteLine($"found in:  {range.StartSeconds.ToString("0.00", inv)}–{range.EndSeconds.ToString("0.00", inv)} s (score {range.Score.ToString("0.0", inv)})");
                }
            }

            Console.WriteLine($"audio:     {r.DurationSeconds.ToString("0.00", inv)} s; key {r.KeyFingerprint}; layout {r.Layout}");
            Console.WriteLine($"note:      {r.Note}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Embed()
    {
        var input = new Argument<string>("in") { Description = "Audio or video file to mark." };
        var output = new Argument<string>("out") { Description = "Output: .wav, .flac, .mp3, .m4a, .ogg, .opus, or .mp4/.mov/.mkv for a video input." };
        var key = KeyOption();
        var payloadHex = new Option<string?>("--payload") { Description = "Payload as 12 hex digits (model 4, generation 8); default: derived from the input's SHA-256." };
        var roomTone = new Option<double?>("--room-tone")
        {
            Description = "Also lay the key's room tone under the audio at this RMS level in dBFS (v2a generate lays it at "
                + "-68 under its -23 LUFS soundtracks): a second layer, found under noise or another track and in what was "
                + "digital silence; the audio's silences become a faint hiss. Default: none, the audio's silences stay silent.",
        };
        var json = CliOptions.Json();
        var cmd = new Command("embed", "Watermark audio you bring (sample rate and channels are kept).") { input, output, key, payloadHex, roomTone, json };
        cmd.SetAction(parse =>
        {
            var inPath = parse.GetValue(input)!;
            var hex = parse.GetValue(payloadHex);
            var payload = hex is null ? WatermarkFiles.DefaultPayloadFor(inPath) : WatermarkPayload.ParseHex(hex);
            var k = WatermarkKey.Resolve(parse.GetValue(key));
            var toneDbfs = parse.GetValue(roomTone);
            if (toneDbfs is { } t && (!double.IsFinite(t) || t > -20 || t < -120))
            {
                throw new BadInputException(null, $"--room-tone {t.ToString(CultureInfo.InvariantCulture)}: give an RMS level in dBFS between -120 and -20 (v2a generate uses -68)");
            }

            var report = WatermarkFiles.Embed(inPath, parse.GetValue(output)!, payload, k, roomToneDbfs: toneDbfs);
            if (parse.GetValue(json))
            {
                CliOptions.WriteJson(new { output = parse.GetValue(output), payload = payload.Hex, key = k.ToString(), report });
                return ExitCodes.Ok;
            }

            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine(report.Silent
                ? $"{parse.GetValue(output)}: written; the input is silent, so it carries no mark"
                : $"{parse.GetValue(output)}: marked with payload {payload.Hex}, key {k}"
                  + (toneDbfs is { } level ? $", over the key's room tone at {level.ToString("0.#", inv)} dBFS" : "")
                  + $"; mark-to-audio SNR {report.SnrDb.ToString("0.0", inv)} dB, "
                  + $"per-tile mark-to-audio ratio median {report.TileRatioMedianDb.ToString("0.0", inv)} dB (95% under {report.TileRatioP95Db.ToString("0.0", inv)} dB), "
                  + $"mark-to-masker ratio median {report.MaskerRatioMedianDb.ToString("0.0", inv)} dB (95% under {report.MaskerRatioP95Db.ToString("0.0", inv)} dB), "
                  + $"spectral-shape correlation {report.SpectralShapeCorrelation.ToString("0.00", inv)}");
            if (report.Video is { Copied: false } video)
            {
                Console.WriteLine($"  note: {video.Describe()}");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command BenchCommand()
    {
        var clips = new Option<int>("--clips") { Description = "Marked clips in the robustness matrix.", DefaultValueFactory = _ => 200 };
        var unmarked = new Option<int>("--unmarked") { Description = "Unmarked clips for the false-alarm count.", DefaultValueFactory = _ => 10_000 };
        var seconds = new Option<double>("--seconds") { Description = "Length of each marked clip in seconds.", DefaultValueFactory = _ => 8 };
        var folder = new Option<string[]>("--folder") { Description = "A folder of unmarked audio/video files (corpus clips, generated output made with 'generate --no-watermark') to include; repeat for several. Some of them also serve as unmarked clips of the false-alarm count; a file that already carries a mark is refused.", AllowMultipleArgumentsPerToken = false };
        var soundtracks = new Option<string[]>("--soundtracks") { Description = "A folder of v2a soundtracks made with 'generate --no-watermark --no-room-tone': the bench lays under each the room tone generate would (the keyed one where it marks the clip, a plain one where the clip counts as unmarked), so they stand for v2a's own output. Counted like --folder.", AllowMultipleArgumentsPerToken = false };
        var folderClips = new Option<int?>("--folder-clips") { Description = "How many files of each folder to mark (spread over the folder); the other clips are synthesised. Default: as many as --clips." };
        var threads = new Option<int>("--threads") { Description = "Worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var seed = new Option<int>("--seed") { Description = "Random seed of the synthesised clips and attacks.", DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out") { Description = "Write the results as JSON to this file (e.g. bench/watermark/results.json)." };
        var cmd = new Command("bench", "Run the watermark robustness matrix, the false-alarm test and the speed test.")
        {
            clips, unmarked, seconds, folder, soundtracks, folderClips, seed, threads, output,
        };
        cmd.SetAction(parse =>
        {
            var options = new BenchOptions
            {
                Clips = parse.GetValue(clips),
                Unmarked = parse.GetValue(unmarked),
                ClipSeconds = parse.GetValue(seconds),
                Folders = parse.GetValue(folder) ?? [],
                Soundtracks = parse.GetValue(soundtracks) ?? [],
                FolderClips = parse.GetValue(folderClips),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
            };
            if (options.Clips < 2 || options.Unmarked < 1 || options.Threads < 1 || options.FolderClips is < 0)
            {
                throw new BadInputException(null, "--clips must be at least 2, --unmarked and --threads at least 1, --folder-clips not negative");
            }

            var results = WatermarkBench.Run(options, new ConsoleProgress(), Interrupt.Token);
            var text = JsonSerializer.Serialize(results, CliOptions.JsonOptions);
            if (parse.GetValue(output) is { } path)
            {
                AtomicFile.WriteAllText(path, text + "\n");
            }

            Console.WriteLine(BenchTable(results));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The results as the Markdown table docs/watermark.md shows.</summary>
    public static string BenchTable(BenchResults r)
    {
        var inv = CultureInfo.InvariantCulture;
        string P(double rate) => double.IsNaN(rate) ? "–" : (100 * rate).ToString("0.0", inv) + "%";
        var dense = $"dense (≥ {WatermarkBench.DenseSeconds.ToString("0", inv)} s above −50 dBFS)";
        var lines = new List<string>
        {
            $"{r.Options.Clips} clips of {r.Options.ClipSeconds.ToString("0.#", inv)} s ({r.Matrix[0].Clips} marked, {r.SilentClipsSkipped.Count} silent ones skipped); "
                + $"{r.Unmarked.Clips} unmarked clips; layout {r.Layout}; {r.Date}",
            "",
            $"| attack | detected | detection rate | payload decoded | payload rate | {dense}: detection | payload | mean score | min score | room tone mean / min | found by the room tone alone |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        };
        foreach (var a in r.Matrix)
        {
            lines.Add($"| {a.Attack} | {a.Detected}/{a.Clips} | {P(a.DetectionRate)} | {a.PayloadDecoded}/{a.Clips} | {P(a.PayloadRate)} | "
                + $"{a.DenseDetected}/{a.DenseClips} = {P(a.DenseDetectionRate)} | {a.DensePayloadDecoded}/{a.DenseClips} = {P(a.DensePayloadRate)} | "
                + $"{a.MeanScore.ToString("0.0", inv)} | {a.MinScore.ToString("0.0", inv)} | {a.MeanRoomToneScore.ToString("0.0", inv)} / "
                + $"{a.MinRoomToneScore.ToString("0.0", inv)} | {a.DecidedByRoomToneAlone} |");
        }

        lines.Add("");
        lines.Add("detected/payload/clips by kind: " + string.Join("; ", r.Matrix.Select(a => $"{a.Attack}: " + string.Join(' ', a.CountsByKind.Select(kv => $"{kv.Key} {kv.Value}")))));
        var u = r.Unmarked;
        lines.Add("");
        lines.Add($"unmarked: {u.FalseAlarms} false alarms in {u.Clips} clips; highest score {u.MaxScore.ToString("0.00", inv)} "
            + $"(threshold ≥ {u.Threshold.ToString("0.00", inv)}); fixed-hypothesis score mean {u.FixedHypothesisMean.ToString("0.000", inv)}, "
            + $"std {u.FixedHypothesisStd.ToString("0.000", inv)}; above 3: {u.FixedAbove3} (N(0,1) expects {u.ExpectedAbove3.ToString("0.0", inv)}), "
            + $"above 4: {u.FixedAbove4} (expects {u.ExpectedAbove4.ToString("0.00", inv)}); too short/quiet: {u.TooShortOrQuiet}; "
            + $"room tone: highest {u.MaxRoomToneScore.ToString("0.00", inv)} (threshold {u.RoomToneThreshold.ToString("0.00", inv)})");
        lines.Add($"mark-to-audio SNR: min {r.SnrDbMin.ToString("0.00", inv)} dB, median {r.SnrDbMedian.ToString("0.00", inv)} dB; "
            + $"spectral-shape correlation: min {r.ShapeCorrelationMin.ToString("0.000", inv)}, median {r.ShapeCorrelationMedian.ToString("0.000", inv)}");
        lines.Add($"per-tile mark-to-audio ratio (as analysed): median {r.TileRatioMedianDb.ToString("0.0", inv)} dB, 95th percentile "
            + $"{r.TileRatioP95DbMedian.ToString("0.0", inv)} dB on the median clip, ≤ {r.TileRatioP95DbMax.ToString("0.0", inv)} dB on every clip; "
            + $"mark-to-masker ratio: median {r.MaskerRatioMedianDb.ToString("0.0", inv)} dB, 95th percentile {r.MaskerRatioP95DbMedian.ToString("0.0", inv)} dB "
            + $"(median clip), ≤ {r.MaskerRatioP95DbMax.ToString("0.0", inv)} dB (every clip)");
        lines.Add($"speed (one thread, {r.Speed.AudioSeconds:0} s of audio): embed {r.Speed.EmbedRealTimeFactor.ToString("0", inv)}× real time, "
            + $"detect {r.Speed.DetectRealTimeFactor.ToString("0", inv)}× real time");
        return string.Join('\n', lines);
    }

    private static string VerdictText(Verdict v) => v switch
    {
        Verdict.Watermarked => "WATERMARKED (v2a mark found)",
        Verdict.NotWatermarked => "not watermarked (no v2a mark found)",
        Verdict.TooShort => "too short to decide",
        Verdict.TooQuiet => "too quiet to decide",
        _ => "no audio stream",
    };

    private static string FormatProbability(DetectionResult r) =>
        r.Log10FalsePositiveProbability < -300 || r.FalsePositiveProbability == 0
            ? $"1e{Math.Floor(r.Log10FalsePositiveProbability).ToString(CultureInfo.InvariantCulture)}"
            : r.FalsePositiveProbability.ToString("0.##e+0", CultureInfo.InvariantCulture);
}
