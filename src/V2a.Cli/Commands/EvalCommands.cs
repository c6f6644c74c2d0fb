using System.CommandLine;
using System.Globalization;
using V2a.Eval;
using V2a.Eval.Bench;
using V2a.Eval.Reference;
using V2a.Eval.Report;

namespace V2a.Cli.Commands;

/// <summary>
/// <c>v2a eval</c> (measure a model on a corpus split), <c>v2a bench</c> (time each pipeline stage) and
/// <c>v2a reference train</c> (train the reference classifier the metrics use).
/// </summary>
public static class EvalCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static IEnumerable<Command> Create() => [Eval(), Bench(), Reference()];

    private static Command Eval()
    {
        var model = new Option<string?>("--model") { Description = "Model package folder to evaluate." };
        var oracle = new Option<bool>("--oracle") { Description = "Evaluate the corpus's own audio instead of a model: the ceiling of every metric." };
        var vocoded = new Option<bool>("--vocoded") { Description = "With --oracle: pass the corpus's audio through log-mel and the vocoder first (the ceiling of a perfect mel generator)." };
        var data = new Option<string>("--data") { Description = "Corpus folder (meta.jsonl, classes.json, clips/).", Required = true };
        var split = new Option<string>("--split") { Description = "val (the held-out ids of the shard manifest or the model's ledger), train, or all.", DefaultValueFactory = _ => "val" };
        var shards = new Option<string?>("--shards") { Description = "Folder 'v2a data prepare' wrote: its manifest names the val ids." };
        var clips = new Option<int>("--clips") { Description = "Score only the first N clips of the split (0 = all).", DefaultValueFactory = _ => 0 };
        var steps = new Option<int?>("--steps") { Description = "Sampling steps (default: the model's)." };
        var cfg = new Option<double?>("--cfg") { Description = "Classifier-free guidance weight (default: the model's)." };
        var negativeStrength = new Option<double?>("--negative-strength") { Description = "How hard a negative prompt pushes away (default: the generator's)." };
        var promptStrength = new Option<double?>("--prompt-strength") { Description = "How much more a prompt counts than the video alone (default: the generator's)." };
        var seeds = new Option<int>("--seeds") { Description = "Candidates per clip (K) for diversity; the first is scored.", DefaultValueFactory = _ => 3 };
        var seed = new Option<long>("--seed") { Description = "Seed of each clip's first candidate (candidate k uses seed + k).", DefaultValueFactory = _ => 1 };
        var noPromptTests = new Option<bool>("--no-prompt-tests") { Description = "Skip the negative-prompt and prompt tests (up to 4 generations a clip)." };
        var reference = new Option<string?>("--reference") { Description = "Reference classifier package (default: models/reference)." };
        var json = new Option<string>("--json") { Description = "Write the results as JSON to this file.", Required = true };
        var report = new Option<string?>("--report") { Description = "Write report.md and PNG figures into this folder." };
        var cmd = new Command("eval", "Generate for each clip of a corpus split and measure: FD beside its real-vs-real floor, KL and class agreement, onset accuracy, audio-video offset, diversity, prompt effects, speed.")
        {
            model, oracle, vocoded, data, split, shards, clips, steps, cfg, negativeStrength, promptStrength, seeds, seed, noPromptTests, reference, json, report,
        };
        cmd.Subcommands.Add(Compare());
        cmd.SetAction(parse =>
        {
            var modelDir = parse.GetValue(model);
            var isOracle = parse.GetValue(oracle);
            if (isOracle == (modelDir is not null))
            {
                throw new BadInputException(null, "give exactly one of --model DIR and --oracle");
            }

            var isVocoded = parse.GetValue(vocoded);
            if (isVocoded && !isOracle)
            {
                throw new BadInputException(null, "--vocoded goes with --oracle");
            }

            var jsonPath = parse.GetValue(json)!;
            var jsonFolder = Path.GetDirectoryName(Path.GetFullPath(jsonPath)) ?? ".";
            AtomicFile.EnsureCreatableFolder(jsonFolder, jsonPath); // made when the results are written; like --report, needs no mkdir
            var options = new EvalOptions
            {
                CorpusDir = parse.GetValue(data)!,
                Split = parse.GetValue(split)!,
                ShardsDir = parse.GetValue(shards),
                ModelDir = modelDir,
                Clips = parse.GetValue(clips),
                Steps = parse.GetValue(steps),
                Cfg = parse.GetValue(cfg),
                Seeds = parse.GetValue(seeds),
                Seed = parse.GetValue(seed),
                PromptTests = !parse.GetValue(noPromptTests),
                ReportDir = parse.GetValue(report),
            };
            using var classifier = ReferenceClassifier.Load(ResolveReference(parse.GetValue(reference)));
            using ISoundtrackSource source = isVocoded ? new VocodedCorpusAudioSource()
                : isOracle ? new CorpusAudioSource() : SoundtrackSources.Open(modelDir!, options.Steps, options.Cfg, parse.GetValue(negativeStrength),
                    parse.GetValue(promptStrength));
            var result = Evaluator.Run(options, source, classifier, new ConsoleProgress(), Interrupt.Token);
            Evaluator.WriteJson(result, jsonPath);
            PrintSummary(result, jsonPath, options.ReportDir);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Compare()
    {
        var a = new Argument<string>("a") { Description = "Eval result (--json of 'v2a eval') to compare against: the baseline." };
        var b = new Argument<string>("b") { Description = "Eval result of the candidate, on the same corpus split." };
        var resamples = new Option<int>("--resamples") { Description = "Bootstrap resamples of the clips.", DefaultValueFactory = _ => EvalComparison.DefaultResamples };
        var json = CliOptions.Json();
        var cmd = new Command("compare", "Compare two eval results clip by clip: each per-clip figure's difference B - A with a 95 % paired bootstrap interval, and whether it is more than noise.")
        {
            a, b, resamples, json,
        };
        cmd.SetAction(parse =>
        {
            var n = parse.GetValue(resamples);
            if (n < 100)
            {
                throw new BadInputException(null, $"--resamples {n}: at least 100");
            }

            var result = EvalComparison.Compare(EvalComparison.Read(parse.GetValue(a)!), EvalComparison.Read(parse.GetValue(b)!), n);
            if (parse.GetValue(json))
            {
                CliOptions.WriteJson(result);
                return ExitCodes.Ok;
            }

            PrintComparison(result);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Bench()
    {
        var json = new Option<string?>("--json") { Description = "Write the results as JSON to this file." };
        var smoke = new Option<bool>("--smoke") { Description = "Only the 8 s video with 2 sampling steps (what CI runs)." };
        var steps = new Option<int>("--steps") { Description = "Sampling steps per window (default: the generator's).", DefaultValueFactory = _ => V2a.Model.Generation.GenerationRequest.DefaultSteps };
        var preset = new Option<string?>("--preset") { Description = "Generator preset the stage rows time (random weights). Default: the network of the model package run end to end, else small." };
        var sizes = new Option<string>("--sizes") { Description = "Video lengths in seconds, comma-separated.", DefaultValueFactory = _ => "8,60,600" };
        var baseline = new Option<string?>("--baseline") { Description = "Baseline to compare with (default: bench/baseline.json when present)." };
        var update = new Option<bool>("--update-baseline") { Description = "Write this run as the new baseline file." };
        var model = new Option<string?>("--model") { Description = "Model package for the end-to-end run (default: models/default when present)." };
        var noEndToEnd = new Option<bool>("--no-end-to-end") { Description = "Skip the end-to-end run through the engine." };
        var cmd = new Command("bench", "Time each stage (decode, conditions, a sampling step, all steps, vocoder, watermark, mux) for 8 s, 60 s and 10 min videos, with peak memory, against bench/baseline.json.")
        {
            json, smoke, steps, preset, sizes, baseline, update, model, noEndToEnd,
        };
        cmd.SetAction(parse =>
        {
            double[] lengths;
            try
            {
                lengths = parse.GetValue(sizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(s => double.Parse(s, Inv)).ToArray();
            }
            catch (FormatException)
            {
                throw new BadInputException(null, $"--sizes '{parse.GetValue(sizes)}': expected seconds like 8,60,600");
            }

            var result = Benchmark.Run(new BenchOptions
            {
                Smoke = parse.GetValue(smoke),
                Steps = parse.GetValue(steps),
                Preset = parse.GetValue(preset),
                Sizes = lengths,
                ModelDir = parse.GetValue(model),
                SkipEndToEnd = parse.GetValue(noEndToEnd),
            }, new ConsoleProgress(), Interrupt.Token);
            var baselinePath = parse.GetValue(baseline) ?? FindBaseline();
            IReadOnlyList<BenchComparison> comparison = [];
            if (baselinePath is not null && File.Exists(baselinePath))
            {
                comparison = Benchmark.Compare(result, Benchmark.ReadBaseline(baselinePath));
            }

            if (parse.GetValue(json) is { } path)
            {
                Benchmark.Write(result, path);
            }

            if (parse.GetValue(update))
            {
                var target = parse.GetValue(baseline) ?? FindBaseline() ?? Path.Combine("bench", "baseline.json");
                Benchmark.Write(result, target);
                Console.WriteLine($"baseline written: {target}");
            }

            PrintBench(result, comparison, baselinePath);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Reference()
    {
        var data = new Option<string>("--data") { Description = "Corpus of REAL audio to train on (never generated audio).", Required = true };
        var output = new Option<string>("--out") { Description = "Package folder to write (config.json, model.safetensors, MODEL_CARD.md).", DefaultValueFactory = _ => Path.Combine("models", "reference") };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training clips.", DefaultValueFactory = _ => 30 };
        var batch = new Option<int>("--batch") { Description = "Crops per step.", DefaultValueFactory = _ => 32 };
        var lr = new Option<double>("--lr") { Description = "Peak AdamW learning rate.", DefaultValueFactory = _ => 2e-3 };
        var crop = new Option<double>("--crop") { Description = "Seconds of each random training crop.", DefaultValueFactory = _ => 4 };
        var heldOut = new Option<double>("--held-out") { Description = "Fraction of clips (by id hash) held out for the card's scores.", DefaultValueFactory = _ => 0.15 };
        var seed = new Option<long>("--seed") { Description = "Seed of initialisation and crops.", DefaultValueFactory = _ => 1 };
        var max = new Option<int>("--max-clips") { Description = "Use at most this many clips (0 = all).", DefaultValueFactory = _ => 0 };
        var train = new Command("train", "Train the reference audio classifier on real corpus audio and write its package with held-out scores.")
        {
            data, output, epochs, batch, lr, crop, heldOut, seed, max,
        };
        train.SetAction(parse =>
        {
            var options = new ReferenceTrainOptions
            {
                CorpusDir = parse.GetValue(data)!,
                OutDir = parse.GetValue(output)!,
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                CropSeconds = parse.GetValue(crop),
                HeldOutFraction = parse.GetValue(heldOut),
                Seed = parse.GetValue(seed),
                MaxClips = parse.GetValue(max),
                Command = "v2a " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            };
            var config = ReferenceTrainer.Train(options, new ConsoleProgress());
            var h = config.Training!.HeldOut!;
            Console.WriteLine($"reference classifier written to {options.OutDir}");
            Console.WriteLine(string.Create(Inv, $"held-out ({h.Clips} clips): top-1 {h.Top1Accuracy:0.000}, subset accuracy {h.SubsetAccuracy:0.000}, micro F1 {h.MicroF1:0.000}, mAP {h.MeanAveragePrecision:0.000}"));
            return ExitCodes.Ok;
        });
        return new Command("reference", "The reference audio classifier that v2a eval measures with.") { train };
    }

    private static string ResolveReference(string? given)
    {
        var dir = given ?? ReferenceClassifier.FindDefault()
            ?? throw new BadInputException("models/reference", "no reference classifier found; train one with 'v2a reference train --data CORPUS' or give --reference DIR");
        return dir;
    }

    private static string? FindBaseline()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "baseline.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static void PrintSummary(EvalResult r, string jsonPath, string? reportDir)
    {
        string F(double x, string format = "0.000") => double.IsNaN(x) ? "n/a" : x.ToString(format, Inv);
        Console.WriteLine($"evaluated: {r.Evaluated}");
        Console.WriteLine($"clips:     {r.Clips} ({r.Split} of {r.Corpus})");
        Console.WriteLine($"FD:        {F(r.Fd.Generated, "0.00")} (half-size {F(r.Fd.GeneratedHalves, "0.00")}, real-vs-real floor {F(r.Fd.Floor, "0.00")})");
        Console.WriteLine($"KL:        softmax {F(r.Classes.KlSoftmax)}, Bernoulli {F(r.Classes.KlBernoulli)}; top-1 agreement {F(r.Classes.Top1Agreement)}, label F1 vs truth {F(r.Classes.GeneratedVsTruthF1)} (real {F(r.Classes.RealVsTruthF1)})");
        Console.WriteLine($"onsets:    F1 {F(r.Onsets.F1At50)} @50 ms, {F(r.Onsets.F1At100)} @100 ms; error median {F(r.Onsets.MedianErrorMs, "0.0")} ms, p90 {F(r.Onsets.P90ErrorMs, "0.0")} ms (real audio F1 {F(r.RealOnsets.F1At50)} @50 ms)");
        if (r.OnsetF1BySeed is { } bySeed && r.OnsetF1BestSeed is { } bestSeed)
        {
            Console.WriteLine($"           by seed: F1 {string.Join(" / ", bySeed.Select(f => F(f)))} @50 ms (candidates 0–{bySeed.Count - 1}); each clip's best-timed candidate {F(bestSeed)}");
        }

        Console.WriteLine($"AV offset: mean |lag| {F(r.Offset.MeanAbsSeconds)} s, median lag {F(r.Offset.MedianSignedSeconds, "+0.000;-0.000")} s, in sync {F(r.Offset.InSyncFraction)} (real audio {F(r.Offset.RealMeanAbsSeconds)} s, {F(r.Offset.RealMedianSignedSeconds, "+0.000;-0.000")} s, {F(r.Offset.RealInSyncFraction)})");
        Console.WriteLine($"diversity: {F(r.Diversity.MeanPairwise)} (different real clips: {F(r.Diversity.RealAcrossClips)})");
        Console.WriteLine($"negative:  lowers the named class in {F(r.NegativePrompt.Fraction)} of {r.NegativePrompt.Trials}, mean {F(r.NegativePrompt.MeanChange, "+0.000;-0.000")}");
        var ns = r.NegativeSideEffects;
        Console.WriteLine($"           and moves the other true classes by {F(ns.OthersChange, "+0.000;-0.000")}, the raw level by {F(ns.RawLufsChange, "+0.0;-0.0")} dB, onset F1 {F(ns.OnsetF1At50)} (without it {F(ns.PlainOnsetF1At50)}), {F(ns.ClippedFraction)} beyond ±1");
        Console.WriteLine($"prompt:    raises the named class in {F(r.PromptAdherence.Fraction)} of {r.PromptAdherence.Trials}, mean {F(r.PromptAdherence.MeanChange, "+0.000;-0.000")}");
        if (r.PromptAddsAbsent is { } added)
        {
            Console.WriteLine($"adds:      an ambience the clip lacks, asked for, is heard in {F(added.HeardWith)} of {added.Trials} (without the prompt {F(added.HeardWithout)}), mean {F(added.MeanChange, "+0.000;-0.000")}");
        }

        Console.WriteLine($"level:     raw output {F(r.Level.GeneratedLufs, "0.0")} LUFS, {F(r.Level.ClippedFraction)} of clips beyond ±1 (real audio {F(r.Level.RealLufs, "0.0")} LUFS); measured level-matched to real");
        Console.WriteLine($"speed:     {F(r.Speed.RealTimeFactor, "0.00")}x real time");
        Console.WriteLine($"json:      {jsonPath}" + (reportDir is null ? "" : $"; report: {Path.Combine(reportDir, "report.md")}"));
    }

    private static void PrintComparison(ComparisonResult r)
    {
        string F(double x, string format = "0.000") => double.IsNaN(x) ? "n/a" : x.ToString(format, Inv);
        Console.WriteLine($"A: {r.A}");
        Console.WriteLine($"B: {r.B}");
        Console.WriteLine($"{r.Clips} clips in both (A {r.ClipsA}, B {r.ClipsB}); 95 % paired bootstrap over clips, {r.Resamples} resamples");
        if (r.Clips < EvalComparison.FewClips)
        {
            Console.WriteLine($"note: only {r.Clips} clips; a bootstrap over fewer than {EvalComparison.FewClips} gives rough intervals (too narrow), read the verdicts with care");
        }

        Console.WriteLine();
        Console.WriteLine($"{"figure",-40} {"clips",5} {"A",8} {"B",8} {"B - A",8}  {"95 % interval",-19} verdict");
        foreach (var m in r.Metrics)
        {
            var verdict = m.Verdict switch
            {
                ComparisonVerdict.BBetter => "B better",
                ComparisonVerdict.BWorse => "B worse",
                ComparisonVerdict.WithinNoise => "within noise",
                _ => "not scored",
            };
            var interval = $"[{F(m.Low, "+0.000;-0.000")}, {F(m.High, "+0.000;-0.000")}]";
            Console.WriteLine($"{m.Metric,-40} {m.Clips,5} {F(m.A),8} {F(m.B),8} {F(m.Difference, "+0.000;-0.000"),8}  {interval,-19} {verdict} ({(m.Better == BetterWhen.Higher ? "higher" : "lower")} is better)");
        }

        if (r.FdHalvesA is { } fa && r.FdHalvesB is { } fb)
        {
            Console.WriteLine($"{"FD, half-size sets (no interval)",-40} {"",5} {F(fa, "0.0"),8} {F(fb, "0.0"),8} {F(fb - fa, "+0.0;-0.0"),8}");
        }

        Console.WriteLine();
        Console.WriteLine("named right, by the real audio's top class (A → B of clips): "
            + string.Join(", ", r.ByClass.Select(c => $"{c.RealTopClass} {c.RightA}→{c.RightB}/{c.Clips}")));
    }

    private static void PrintBench(BenchResult result, IReadOnlyList<BenchComparison> comparison, string? baselinePath)
    {
        Console.WriteLine($"machine: {result.Machine}");
        Console.WriteLine($"network: {result.Network}, {result.Steps} steps");
        foreach (var size in result.Sizes)
        {
            Console.WriteLine();
            var engineMemory = size.EnginePeakWorkingSetBytes is { } ews
                ? string.Create(Inv, $"; end-to-end run alone {ews / 1048576.0:0} MiB resident, {size.EnginePeakManagedBytes.GetValueOrDefault() / 1048576.0:0} MiB managed")
                : "";
            Console.WriteLine(string.Create(Inv, $"{size.VideoSeconds:0} s video — peak memory {size.PeakWorkingSetBytes / 1048576.0:0} MiB resident, {size.PeakManagedBytes / 1048576.0:0} MiB managed") + engineMemory);
            foreach (var stage in size.Stages)
            {
                var c = comparison.FirstOrDefault(x => x.Stage == stage.Stage && Math.Abs(x.VideoSeconds - size.VideoSeconds) < 1e-6);
                var time = stage.Seconds is { } s ? string.Create(Inv, $"{s,9:0.000} s") : "        — ";
                var vs = c is null ? "" : string.Create(Inv, $"  ×{c.Ratio:0.00} vs baseline{(c.Slower ? "  SLOWER" : "")}");
                Console.WriteLine($"  {stage.Stage,-16}{time}{vs}{(stage.Note is null ? "" : $"  ({stage.Note})")}");
            }
        }

        if (baselinePath is null)
        {
            Console.WriteLine();
            Console.WriteLine("no baseline to compare with (bench/baseline.json); write one with --update-baseline");
        }
        else if (comparison.Any(c => c.Slower))
        {
            Console.WriteLine();
            Console.WriteLine($"slower than {baselinePath}: {string.Join(", ", comparison.Where(c => c.Slower).Select(c => string.Create(Inv, $"{c.Stage} at {c.VideoSeconds:0} s (×{c.Ratio:0.00})")))}");
        }
    }
}
