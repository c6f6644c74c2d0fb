using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using TorchSharp.PyBridge;
using V2a.Corpus;
using V2a.Media;
using V2a.Model;
using V2a.Model.Audio;
using static TorchSharp.torch;

namespace V2a.Eval.Reference;

/// <summary>Settings of <see cref="ReferenceTrainer"/>.</summary>
public sealed record ReferenceTrainOptions
{
    public required string CorpusDir { get; init; }

    public required string OutDir { get; init; }

    public int Epochs { get; init; } = 30;

    public int BatchSize { get; init; } = 32;

    /// <summary>Peak AdamW learning rate (linear warm-up over the first epoch, cosine decay after).</summary>
    public double LearningRate { get; init; } = 2e-3;

    public double WeightDecay { get; init; } = 1e-2;

    /// <summary>Length in seconds of the random crops trained on; held-out scoring uses whole clips.</summary>
    public double CropSeconds { get; init; } = 4;

    /// <summary>Fraction of the corpus's clips (chosen by a hash of the id) kept out of training for scoring.</summary>
    public double HeldOutFraction { get; init; } = 0.15;

    public long Seed { get; init; } = 1;

    /// <summary>Use at most this many clips (0 = all); for quick runs and tests.</summary>
    public int MaxClips { get; init; }

    /// <summary>The command line that started training, recorded in the card.</summary>
    public string Command { get; init; } = "";
}

/// <summary>One corpus clip ready for training: its log-mel and its labelled events.</summary>
internal sealed record LabelledClip(string Id, float[,] LogMel, double Seconds, IReadOnlyList<(int Class, double Start, double End, OnsetKind Kind)> Events, IReadOnlyList<int> Background);

/// <summary>
/// Trains the reference audio classifier on real corpus audio (the FLAC files, never generated audio) and
/// writes the package (config.json, model.safetensors, MODEL_CARD.md) with its held-out scores.
/// </summary>
public static class ReferenceTrainer
{
    /// <summary>A sharp event belongs to a crop only when its attack lies inside it by at least this much (seconds).</summary>
    internal const double AttackMarginSeconds = 0.03;

    /// <summary>A gradual event belongs to a crop when it overlaps it by at least this long (seconds).</summary>
    internal const double MinOverlapSeconds = 0.25;

    public static ReferenceConfig Train(ReferenceTrainOptions options, IProgressSink? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        progress ??= NullProgress.Instance;
        if (options.Epochs < 1 || options.BatchSize < 2 || options.CropSeconds <= 0 || options.HeldOutFraction <= 0 || options.HeldOutFraction >= 1)
        {
            throw new BadInputException(null, "reference train: need epochs ≥ 1, batch ≥ 2, crop > 0 s and a held-out fraction in (0, 1)");
        }

        Directory.CreateDirectory(options.OutDir);
        AtomicFile.EnsureWritableFolder(options.OutDir);
        TorchRuntime.Initialise();
        var clock = Stopwatch.StartNew();
        var classes = CorpusReader.ReadClasses(options.CorpusDir);
        var audio = AudioSettings.Default;
        var meta = CorpusReader.Read(options.CorpusDir).ToList();
        if (options.MaxClips > 0)
        {
            meta = meta.Take(options.MaxClips).ToList();
        }

        var heldOutIds = meta.Where(c => IsHeldOut(c.Id, options.HeldOutFraction)).Select(c => c.Id).ToHashSet();
        if (heldOutIds.Count == 0 || heldOutIds.Count == meta.Count)
        {
            throw new BadInputException(options.CorpusDir, $"{meta.Count} clips are too few to hold some out for scoring");
        }

        var clips = new List<LabelledClip>(meta.Count);
        using var frontEnd = new MelSpectrogram(audio);
        foreach (var clip in meta)
        {
            clips.Add(Load(options.CorpusDir, clip, classes, frontEnd));
            progress.Report("loading audio", clips.Count, meta.Count);
        }

        var train = clips.Where(c => !heldOutIds.Contains(c.Id)).ToList();
        var heldOut = clips.Where(c => heldOutIds.Contains(c.Id)).ToList();
        var (mean, std) = MelStatistics(train.Select(c => c.LogMel), audio.MelBins);
        foreach (var c in clips)
        {
            ReferenceClassifier.Normalise(c.LogMel, mean, std);
        }

        var config = new ReferenceConfig { Classes = classes, Audio = audio, MelMean = mean, MelStd = std };
        torch.manual_seed(options.Seed);
        using var network = new ReferenceNetwork(config);
        TrainLoop(network, config, train, options, progress);

        network.eval();
        var scores = Score(network, config, heldOut);
        config = config with
        {
            Training = new ReferenceTrainingInfo
            {
                Corpus = Path.GetFullPath(options.CorpusDir),
                CorpusDescription = DescribeCorpus(options.CorpusDir, meta.Count).Description,
                CorpusCommand = DescribeCorpus(options.CorpusDir, meta.Count).Command,
                TrainClips = train.Count,
                HeldOutClips = heldOut.Count,
                Epochs = options.Epochs,
                Seed = options.Seed,
                CropSeconds = options.CropSeconds,
                TrainSeconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
                Command = options.Command,
                TrainedAt = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                HeldOut = scores,
            },
        };
        WritePackage(options.OutDir, config, network);
        return config;
    }

    /// <summary>What corpus.json (written by <c>v2a corpus make</c>) says about the corpus, and the command that
    /// remakes it; both "" without one.</summary>
    public static (string Description, string Command) DescribeCorpus(string corpusDir, int clips)
    {
        var path = Path.Combine(corpusDir, CorpusBuilder.SettingsFile);
        if (!File.Exists(path))
        {
            return ("", "");
        }

        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            var generator = root.TryGetProperty("generator", out var g) ? g.GetString() : "?";
            var seed = root.TryGetProperty("seed", out var sd) ? sd.ToString() : "?";
            var seconds = root.TryGetProperty("seconds", out var sc) ? sc.ToString() : "?";
            return ($"{generator}, seed {seed}, {clips} clips of {seconds} s",
                $"v2a corpus make --clips {clips} --seed {seed} --seconds {seconds} --out {corpusDir} --jobs 1");
        }
        catch (System.Text.Json.JsonException)
        {
            return ("", "");
        }
    }

    /// <summary>Whether a clip is held out: a stable hash of its id (FNV-1a), not its position in the file.</summary>
    internal static bool IsHeldOut(string id, double fraction) => Rng.Hash(id) % 10_000 < (ulong)Math.Round(fraction * 10_000);

    internal static LabelledClip Load(string corpusDir, CorpusClip clip, IReadOnlyList<string> classes, MelSpectrogram frontEnd)
    {
        var audio = frontEnd.Settings;
        var path = CorpusReader.FullPath(corpusDir, clip.Audio);
        var samples = AudioReader.ReadAll(path, audio.SampleRate);
        if (samples.Length < audio.NFft)
        {
            throw new BadInputException(path, $"has {samples.Length} samples, too short to classify");
        }

        var events = new List<(int, double, double, OnsetKind)>();
        foreach (var e in clip.Events)
        {
            var index = IndexOf(classes, e.Class, path);
            var kind = SoundClasses.IsKnown(e.Class) ? SoundClasses.Info(e.Class).Onset : OnsetKind.Gradual;
            events.Add((index, e.TStart, e.TEnd, kind));
        }

        var background = clip.Background.Select(b => IndexOf(classes, b, path)).ToList();
        return new LabelledClip(clip.Id, ReferenceClassifier.LogMelOf(samples, frontEnd), clip.Seconds, events, background);
    }

    private static int IndexOf(IReadOnlyList<string> classes, string name, string where)
    {
        for (var i = 0; i < classes.Count; i++)
        {
            if (classes[i] == name)
            {
                return i;
            }
        }

        throw new BadInputException(where, $"names class '{name}', which is not in the corpus's classes.json");
    }

    /// <summary>
    /// The classes audible in [<paramref name="start"/>, <paramref name="end"/>) seconds: sharp events whose
    /// attack lies inside, gradual events overlapping by <see cref="MinOverlapSeconds"/>, the scene's
    /// background, and "silence" when nothing else is there (if the corpus has that class).
    /// </summary>
    internal static HashSet<int> Labels(LabelledClip clip, IReadOnlyList<string> classes, double start, double end)
    {
        var set = new HashSet<int>(clip.Background);
        foreach (var (c, s, e, kind) in clip.Events)
        {
            var inside = kind == OnsetKind.Sharp
                ? s >= start - AttackMarginSeconds && s < end - AttackMarginSeconds
                : Math.Min(end, e) - Math.Max(start, s) >= Math.Min(MinOverlapSeconds, (e - s) * 0.9);
            if (inside)
            {
                set.Add(c);
            }
        }

        var silence = -1;
        for (var i = 0; i < classes.Count; i++)
        {
            if (classes[i] == SoundClasses.Silence)
            {
                silence = i;
            }
        }

        if (silence >= 0)
        {
            if (set.Count == 0)
            {
                set.Add(silence);
            }
            else
            {
                set.Remove(silence);
            }
        }

        return set;
    }

    /// <summary>Per-bin mean and standard deviation of log-mel over every frame of the given clips.</summary>
    internal static (float[] Mean, float[] Std) MelStatistics(IEnumerable<float[,]> logMels, int bins)
    {
        var sum = new double[bins];
        var sumSq = new double[bins];
        long frames = 0;
        foreach (var m in logMels)
        {
            var t = m.GetLength(1);
            for (var i = 0; i < bins; i++)
            {
                for (var j = 0; j < t; j++)
                {
                    sum[i] += m[i, j];
                    sumSq[i] += (double)m[i, j] * m[i, j];
                }
            }

            frames += t;
        }

        var mean = new float[bins];
        var std = new float[bins];
        for (var i = 0; i < bins; i++)
        {
            var mu = sum[i] / frames;
            mean[i] = (float)mu;
            std[i] = (float)Math.Sqrt(Math.Max(sumSq[i] / frames - mu * mu, 1e-8));
        }

        return (mean, std);
    }

    private static void TrainLoop(ReferenceNetwork network, ReferenceConfig config, List<LabelledClip> train, ReferenceTrainOptions options, IProgressSink progress)
    {
        var audio = config.Audio;
        var crop = audio.FramesFor(options.CropSeconds); // mel frames
        var bins = audio.MelBins;
        var k = config.Classes.Count;
        var rng = new Random((int)options.Seed);
        var stepsPerEpoch = Math.Max(1, train.Count / options.BatchSize);
        var totalSteps = stepsPerEpoch * options.Epochs;
        using var optimizer = torch.optim.AdamW(network.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
        network.train();
        var step = 0;
        var order = Enumerable.Range(0, train.Count).ToArray();
        var clock = Stopwatch.StartNew();
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            rng.Shuffle(order);
            var epochLoss = 0.0;
            for (var b = 0; b < stepsPerEpoch; b++)
            {
                using var scope = torch.NewDisposeScope();
                var x = new float[options.BatchSize * bins * crop];
                var y = new float[options.BatchSize * k];
                for (var i = 0; i < options.BatchSize; i++)
                {
                    var clip = train[order[((b * options.BatchSize) + i) % order.Length]];
                    FillCrop(clip, config, crop, rng, x.AsSpan(i * bins * crop, bins * crop), y.AsSpan(i * k, k));
                }

                var lr = LearningRate(options.LearningRate, step, stepsPerEpoch, totalSteps);
                foreach (var group in optimizer.ParamGroups)
                {
                    group.LearningRate = lr;
                }

                var input = torch.tensor(x, [options.BatchSize, bins, crop]); // (B, M, T)
                var target = torch.tensor(y, [options.BatchSize, k]); // (B, K)
                var loss = nn.functional.binary_cross_entropy_with_logits(network.forward(input), target);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                var value = loss.item<float>();
                epochLoss += value;
                step++;
                var rate = step * options.BatchSize / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
                progress.Report("training", step, totalSteps,
                    string.Create(CultureInfo.InvariantCulture, $"epoch {epoch + 1}/{options.Epochs}, loss {value:0.0000}, {rate:0.0} crops/s"));
            }
        }
    }

    /// <summary>Linear warm-up over the first epoch, then cosine decay to 2% of the peak.</summary>
    private static double LearningRate(double peak, int step, int warmup, int total)
    {
        if (step < warmup)
        {
            return peak * (step + 1) / warmup;
        }

        var progress = (double)(step - warmup) / Math.Max(1, total - warmup);
        return peak * (0.02 + (0.98 * 0.5 * (1 + Math.Cos(Math.PI * progress))));
    }

    /// <summary>
    /// A random crop of a clip's normalised log-mel, with augmentation (a random gain of ±6 dB, two frequency
    /// masks of up to 8 bins and two time masks of up to 0.3 s), and its labels.
    /// </summary>
    private static void FillCrop(LabelledClip clip, ReferenceConfig config, int crop, Random rng, Span<float> x, Span<float> y)
    {
        var (bins, frames) = (clip.LogMel.GetLength(0), clip.LogMel.GetLength(1));
        var start = frames > crop ? rng.Next(frames - crop + 1) : 0;
        var fps = config.Audio.FramesPerSecond;
        var gainNepers = (rng.NextDouble() * 2 - 1) * 6 / 20 * Math.Log(10); // ±6 dB as a shift of the natural-log mel
        for (var m = 0; m < bins; m++)
        {
            var shift = (float)(gainNepers / Math.Max(config.MelStd[m], 1e-3f));
            for (var t = 0; t < crop; t++)
            {
                var src = start + t;
                x[(m * crop) + t] = src < frames ? clip.LogMel[m, src] + shift : 0;
            }
        }

        for (var mask = 0; mask < 2; mask++)
        {
            var width = rng.Next(9);
            var f0 = rng.Next(Math.Max(1, bins - width));
            for (var m = f0; m < f0 + width; m++)
            {
                x.Slice(m * crop, crop).Clear();
            }

            var tw = rng.Next((int)(0.3 * fps) + 1);
            var t0 = rng.Next(Math.Max(1, crop - tw));
            for (var m = 0; m < bins; m++)
            {
                x.Slice((m * crop) + t0, Math.Min(tw, crop - t0)).Clear();
            }
        }

        foreach (var c in Labels(clip, config.Classes, start / fps, (start + crop) / fps))
        {
            y[c] = 1;
        }
    }

    /// <summary>Scores whole held-out clips.</summary>
    internal static ClassifierScores Score(ReferenceNetwork network, ReferenceConfig config, IReadOnlyList<LabelledClip> clips)
    {
        using var classifier = ReferenceClassifier.FromNetwork(config, network);
        var probs = new List<float[]>();
        var truth = new List<IReadOnlySet<int>>();
        foreach (var clip in clips)
        {
            probs.Add(classifier.Analyse(clip.LogMel).Probabilities);
            truth.Add(Labels(clip, config.Classes, 0, clip.Seconds));
        }

        return ClassifierScoring.Score(config.Classes, probs, truth);
    }

    private static void WritePackage(string dir, ReferenceConfig config, ReferenceNetwork network)
    {
        using (var weights = AtomicFile.Create(Path.Combine(dir, ReferenceConfig.WeightsFile)))
        {
            network.save_safetensors(weights.TempPath);
            weights.Commit();
        }

        AtomicFile.WriteAllText(Path.Combine(dir, ReferenceConfig.ConfigFile), config.ToJson() + "\n");
        AtomicFile.WriteAllText(Path.Combine(dir, ReferenceConfig.CardFile), ReferenceCard.Render(config));
    }
}
