using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using V2a.Audio;
using V2a.Corpus;
using V2a.Eval.Metrics;
using V2a.Eval.Reference;
using V2a.Eval.Report;
using V2a.Media;

namespace V2a.Eval;

/// <summary>Settings of one <c>v2a eval</c> run.</summary>
public sealed record EvalOptions
{
    public required string CorpusDir { get; init; }

    public string Split { get; init; } = "val";

    /// <summary>The folder <c>v2a data prepare</c> wrote (its manifest names the val ids), or null.</summary>
    public string? ShardsDir { get; init; }

    /// <summary>The model package, or null for the oracle (its ledger also names the training clips).</summary>
    public string? ModelDir { get; init; }

    /// <summary>Clips to score, the first N of the split (0 = all).</summary>
    public int Clips { get; init; }

    public int? Steps { get; init; }

    public double? Cfg { get; init; }

    /// <summary>Seeds per clip (K): the first is scored, all K give diversity.</summary>
    public int Seeds { get; init; } = 3;

    /// <summary>Seed of each clip's first candidate; candidate k uses Seed + k.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Run the negative-prompt and prompt tests (up to four more generations a clip).</summary>
    public bool PromptTests { get; init; } = true;

    /// <summary>Where to write the markdown report and its PNGs, or null.</summary>
    public string? ReportDir { get; init; }

    /// <summary>Clips drawn as spectrogram figures in the report.</summary>
    public int FigureClips { get; init; } = 4;
}

/// <summary>
/// <c>v2a eval</c>: generates a soundtrack for each clip of a corpus split and measures it against the clip's
/// real audio and known events with the reference classifier, the onset detector and the video's motion
/// (docs/eval.md defines every figure). Streams clip by clip: memory holds one clip's audio plus a few
/// numbers a clip.
/// </summary>
public static class Evaluator
{
    /// <summary>Frame size (pixels a side) the motion envelope is measured at.</summary>
    public const int MotionFrameSize = 64;

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static EvalResult Run(EvalOptions options, ISoundtrackSource source, ReferenceClassifier classifier, IProgressSink? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(classifier);
        progress ??= NullProgress.Instance;
        if (options.Seeds < 1)
        {
            throw new BadInputException(null, $"--seeds {options.Seeds}: need at least 1");
        }

        var audio = classifier.Config.Audio;
        var video = VideoSettings.Default;
        CheckClasses(options.CorpusDir, classifier);
        var selected = EvalSplit.Select(options.CorpusDir, options.Split, options.ShardsDir, options.ModelDir);
        if (options.Clips > 0)
        {
            selected = selected.Take(options.Clips).ToList();
        }

        if (options.ReportDir is not null)
        {
            Directory.CreateDirectory(options.ReportDir);
            AtomicFile.EnsureWritableFolder(options.ReportDir);
        }

        var classes = classifier.Classes;
        var realEmbeddings = new List<float[]>();
        var generatedEmbeddings = new List<float[]>();
        var onsets = new OnsetAccuracy();
        var realOnsets = new OnsetAccuracy();
        var clipResults = new List<ClipResult>();
        var kls = new List<double>();
        var klBernoulli = new List<double>();
        var top1 = new List<double>();
        var agreement = new List<double>();
        var genTruth = new List<double>();
        var realTruth = new List<double>();
        var offsets = new List<double>();
        var realOffsets = new List<double>();
        var diversities = new List<double>();
        var negative = new List<double>();
        var prompt = new List<double>();
        var added = new List<(double With, double Without)>(); // the asked-for absent ambience's probability, with and without the prompt
        var negOthers = new List<double>();
        var negLufsChange = new List<double>();
        var negClipped = new List<double>();
        var negOnsets = new OnsetAccuracy();
        var onsetsBySeed = new List<OnsetAccuracy>(); // candidate k's onsets over all clips (with several seeds)
        var onsetsBestSeed = new OnsetAccuracy();      // each clip's candidate with the best onset F1
        var negPlainOnsets = new OnsetAccuracy();
        var generatedLufs = new List<double>();
        var realLoudness = new List<double>();
        var clipped = new List<double>();
        double videoSeconds = 0, generationSeconds = 0;
        var generations = 0;
        var envelopeRate = OnsetDetector.EnvelopeFramesPerSecond(audio.SampleRate);
        var figures = new List<string>();

        for (var i = 0; i < selected.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var meta = selected[i];
            var clip = new EvalClip(meta, CorpusReader.FullPath(options.CorpusDir, meta.Video), CorpusReader.FullPath(options.CorpusDir, meta.Audio));
            progress.Report("evaluating", i, selected.Count, clip.Id);

            var real = ReadRealAudio(clip, audio);
            var realLufs = Loudness.Integrated(real, audio.SampleRate);
            var realOut = classifier.Analyse(real);

            // Generated audio is measured at the real clip's loudness (the engine normalises loudness anyway):
            // the metrics compare content, and the raw level is reported on its own (Level).
            float[] Generate(SoundRequest request) =>
                LevelMatch(Fit(source.Generate(clip, request), real.Length), realLufs, audio.SampleRate, source.IgnoresRequests);
            realEmbeddings.Add(realOut.Embedding);
            var truth = TrueClasses(meta, classes);

            // Seeds: the first is the scored candidate; all of them give diversity and speed.
            var candidates = new List<(float[] Audio, ReferenceOutput Out)>();
            var plainRawLufs = double.NaN;
            var clipGenSeconds = 0.0;
            var seeds = source.IgnoresRequests ? 1 : options.Seeds;
            for (var k = 0; k < seeds; k++)
            {
                var (raw, seconds) = Timed(() => Fit(source.Generate(clip, new SoundRequest(clip.Caption, null, options.Seed + k, clip.Transcript)), real.Length));
                clipGenSeconds += seconds;
                if (k == 0)
                {
                    var rawLufs = Loudness.Integrated(raw, audio.SampleRate);
                    plainRawLufs = rawLufs;
                    if (double.IsFinite(rawLufs))
                    {
                        generatedLufs.Add(rawLufs);
                    }

                    if (double.IsFinite(realLufs))
                    {
                        realLoudness.Add(realLufs);
                    }

                    clipped.Add(LeavesUnitRange(raw) ? 1 : 0);
                }

                var generated = LevelMatch(raw, realLufs, audio.SampleRate, source.IgnoresRequests);
                candidates.Add((generated, classifier.Analyse(generated)));
            }

            videoSeconds += clip.Seconds * seeds;
            generationSeconds += clipGenSeconds;
            generations += seeds;
            var (gen, genOut) = candidates[0];
            generatedEmbeddings.Add(genOut.Embedding);

            var kl = ClassDistributions.KlSoftmax(realOut.Logits, genOut.Logits);
            kls.Add(kl);
            klBernoulli.Add(ClassDistributions.KlBernoulli(realOut.Probabilities, genOut.Probabilities));
            top1.Add(ClassDistributions.TopClassAgrees(realOut.Probabilities, genOut.Probabilities) ? 1 : 0);
            var realLabels = ClassDistributions.Labels(realOut.Probabilities);
            var genLabels = ClassDistributions.Labels(genOut.Probabilities);
            agreement.Add(ClassDistributions.LabelSetF1(realLabels, genLabels));
            genTruth.Add(ClassDistributions.LabelSetF1(genLabels, truth));
            realTruth.Add(ClassDistributions.LabelSetF1(realLabels, truth));

            // Onsets against the corpus's on-screen sharp events.
            var truthOnsets = OnsetTruth.For(meta);
            var reference = truthOnsets.Reference;
            var genDetected = OnsetDetector.Detect(gen, audio.SampleRate);
            var realDetected = OnsetDetector.Detect(real, audio.SampleRate);
            onsets.Add(truthOnsets, genDetected);
            realOnsets.Add(truthOnsets, realDetected);
            var genKept = truthOnsets.Counted(genDetected, OnsetAccuracy.TightSeconds);
            var clipOnsets = OnsetDetector.Match(reference, genKept, OnsetAccuracy.TightSeconds);

            // Audio–video offset of generated and of real audio against the video's motion.
            var motion = MotionEnvelope.Compute(FrameReader.Read(clip.VideoPath, video.Fps, MotionFrameSize, MotionFrameSize));
            var offset = AvOffset.Estimate(motion, video.Fps, ToDouble(OnsetDetector.Envelope(gen, audio.SampleRate)), envelopeRate);
            var realOffset = AvOffset.Estimate(motion, video.Fps, ToDouble(OnsetDetector.Envelope(real, audio.SampleRate)), envelopeRate);
            if (offset is not null)
            {
                offsets.Add(offset.LagSeconds);
            }

            if (realOffset is not null)
            {
                realOffsets.Add(realOffset.LagSeconds);
            }

            // Every candidate's onsets too, when there are several: how much the timing depends on the seed, and what
            // picking each clip's best-timed candidate would give (an oracle: it knows the reference onsets).
            List<double>? candidateF1 = null;
            List<int>? candidateCounts = null;
            if (candidates.Count >= 2)
            {
                (candidateF1, candidateCounts) = ([], []);
                var detectedBySeed = new List<IReadOnlyList<double>>();
                for (var k = 0; k < candidates.Count; k++)
                {
                    var detectedK = k == 0 ? genDetected : OnsetDetector.Detect(candidates[k].Audio, audio.SampleRate);
                    var keptK = k == 0 ? genKept : truthOnsets.Counted(detectedK, OnsetAccuracy.TightSeconds);
                    candidateF1.Add(k == 0 ? clipOnsets.F1 : OnsetDetector.Match(reference, keptK, OnsetAccuracy.TightSeconds).F1);
                    candidateCounts.Add(keptK.Count);
                    detectedBySeed.Add(detectedK);
                    while (onsetsBySeed.Count <= k)
                    {
                        onsetsBySeed.Add(new OnsetAccuracy());
                    }

                    onsetsBySeed[k].Add(truthOnsets, detectedK);
                }

                var best = 0;
                for (var k = 1; k < candidateF1.Count; k++)
                {
                    best = candidateF1[k] > candidateF1[best] ? k : best;
                }

                onsetsBestSeed.Add(truthOnsets, detectedBySeed[best]);
            }

            double? diversity = candidates.Count >= 2 ? Diversity.MeanPairwiseDistance(candidates.Select(c => c.Out.Embedding).ToList()) : null;
            if (diversity is { } d)
            {
                diversities.Add(d);
            }

            // Prompt tests: name the clip's most audible true class.
            string? named = null, absent = null;
            double? negChange = null, promptChange = null, othersChange = null, lufsChange = null, absentWith = null, absentWithout = null, negF1 = null;
            int? negGenerated = null;
            float[]? noPromptAudio = null; // no prompt, no negative, candidate 0's seed: the prompt tests' baseline, made once
            float[] NoPrompt()
            {
                if (noPromptAudio is null)
                {
                    var (audioOut, seconds) = Timed(() => Generate(new SoundRequest(null, null, options.Seed)));
                    noPromptAudio = audioOut;
                    videoSeconds += clip.Seconds;
                    generationSeconds += seconds;
                    generations++;
                }

                return noPromptAudio;
            }

            if (options.PromptTests && !source.IgnoresRequests && NamedClass(truth, realOut, classes) is { } c)
            {
                named = classes[c];
                var words = SoundClasses.IsKnown(named) ? SoundClasses.Info(named).Description : named.Replace('_', ' ');
                var (negativeRaw, s1) = Timed(() => Fit(source.Generate(clip, new SoundRequest(clip.Caption, words, options.Seed, clip.Transcript)), real.Length));
                var withNegative = LevelMatch(negativeRaw, realLufs, audio.SampleRate, source.IgnoresRequests);
                var noPrompt = NoPrompt();
                var (withPrompt, s3) = Timed(() => Generate(new SoundRequest(words, null, options.Seed)));
                videoSeconds += 2 * clip.Seconds;
                generationSeconds += s1 + s3;
                generations += 2;
                var negOut = classifier.Analyse(withNegative);
                negChange = negOut.Probabilities[c] - genOut.Probabilities[c];
                promptChange = classifier.Analyse(withPrompt).Probabilities[c] - classifier.Analyse(noPrompt).Probabilities[c];
                negative.Add(negChange.Value);
                prompt.Add(promptChange.Value);

                // What else the negative prompt moved: the other true classes, the raw level, clipping and the onsets.
                var others = truth.Where(t => t != c && classes[t] != SoundClasses.Silence).ToList();
                if (others.Count > 0)
                {
                    othersChange = others.Average(t => (double)(negOut.Probabilities[t] - genOut.Probabilities[t]));
                    negOthers.Add(othersChange.Value);
                }

                var negLufs = Loudness.Integrated(negativeRaw, audio.SampleRate);
                if (double.IsFinite(negLufs) && double.IsFinite(plainRawLufs))
                {
                    lufsChange = negLufs - plainRawLufs;
                    negLufsChange.Add(lufsChange.Value);
                }

                negClipped.Add(LeavesUnitRange(negativeRaw) ? 1 : 0);
                var negDetected = OnsetDetector.Detect(withNegative, audio.SampleRate);
                negOnsets.Add(truthOnsets, negDetected);
                var negKept = truthOnsets.Counted(negDetected, OnsetAccuracy.TightSeconds);
                negGenerated = negKept.Count;
                negF1 = OnsetDetector.Match(reference, negKept, OnsetAccuracy.TightSeconds).F1;
                negPlainOnsets.Add(truthOnsets, genDetected);
            }

            // A sound the video does not show, asked for: an ambience absent from the clip, named as the whole prompt.
            if (options.PromptTests && !source.IgnoresRequests && AbsentAmbience(meta.Id, truth, classes) is { } a)
            {
                absent = classes[a];
                var (withAbsent, s4) = Timed(() => Generate(new SoundRequest(SoundClasses.Info(absent).Description, null, options.Seed)));
                videoSeconds += clip.Seconds;
                generationSeconds += s4;
                generations++;
                absentWith = classifier.Analyse(withAbsent).Probabilities[a];
                absentWithout = classifier.Analyse(NoPrompt()).Probabilities[a];
                added.Add((absentWith.Value, absentWithout.Value));
            }

            clipResults.Add(new ClipResult
            {
                Id = clip.Id,
                Caption = clip.Caption,
                TrueClasses = truth.Order().Select(t => classes[t]).ToList(),
                RealTopClass = classes[ClassDistributions.ArgMax(realOut.Probabilities)],
                GeneratedTopClass = classes[ClassDistributions.ArgMax(genOut.Probabilities)],
                KlSoftmax = kl,
                ReferenceOnsets = reference.Count,
                GeneratedOnsets = genKept.Count,
                OnsetF1At50 = clipOnsets.F1,
                CandidateOnsetF1At50 = candidateF1,
                CandidateGeneratedOnsets = candidateCounts,
                OffsetSeconds = offset?.LagSeconds,
                RealOffsetSeconds = realOffset?.LagSeconds,
                Diversity = diversity,
                NamedClass = named,
                NegativeChange = negChange,
                NegativeOthersChange = othersChange,
                NegativeRawLufsChange = lufsChange,
                NegativeGeneratedOnsets = negGenerated,
                NegativeOnsetF1At50 = negF1,
                PromptChange = promptChange,
                AbsentClass = absent,
                AbsentWithPrompt = absentWith,
                AbsentWithoutPrompt = absentWithout,
                RealTimeFactor = clip.Seconds * seeds / Math.Max(clipGenSeconds, 1e-9),
            });

            if (options.ReportDir is not null && figures.Count < options.FigureClips)
            {
                var file = $"clip-{figures.Count + 1:D2}-{Sanitise(clip.Id)}.png";
                DrawClip(Path.Combine(options.ReportDir, file), clip, real, gen, truthOnsets, realDetected, genDetected, audio);
                figures.Add(file);
            }
        }

        progress.Report("evaluating", selected.Count, selected.Count);
        if (selected.Count == 0)
        {
            throw new BadInputException(options.CorpusDir, $"split '{options.Split}' has no clips to evaluate");
        }

        var result = new EvalResult
        {
            Evaluated = source.Description,
            Corpus = Path.GetFullPath(options.CorpusDir),
            Split = options.Split,
            Clips = selected.Count,
            Steps = options.Steps,
            Cfg = options.Cfg,
            Seeds = source.IgnoresRequests ? 1 : options.Seeds,
            Reference = classifier.Directory,
            Fd = Fd(realEmbeddings, generatedEmbeddings),
            Classes = new ClassResult(Stats.Mean(kls), Stats.Mean(klBernoulli), Stats.Mean(top1), Stats.Mean(agreement), Stats.Mean(genTruth), Stats.Mean(realTruth)),
            Onsets = ToResult(onsets),
            RealOnsets = ToResult(realOnsets),
            OnsetF1BySeed = onsetsBySeed.Count >= 2 ? onsetsBySeed.Select(o => o.Tight.F1).ToList() : null,
            OnsetF1BestSeed = onsetsBySeed.Count >= 2 ? onsetsBestSeed.Tight.F1 : null,
            OnsetRecallByClass = RecallByClass(onsets, realOnsets),
            Offset = new OffsetResult(
                Stats.Mean(offsets.Select(Math.Abs)), Stats.Percentile(offsets, 50), InSync(offsets),
                Stats.Mean(realOffsets.Select(Math.Abs)), Stats.Percentile(realOffsets, 50), InSync(realOffsets), offsets.Count),
            Diversity = new DiversityResult(Stats.Mean(diversities), RealSpread(realEmbeddings)),
            NegativePrompt = new PromptResult(negative.Count, Stats.Mean(negative.Select(x => x < 0 ? 1.0 : 0.0)), Stats.Mean(negative)),
            NegativeSideEffects = new NegativeSideEffects(negative.Count, Stats.Mean(negOthers), Stats.Mean(negLufsChange), Stats.Mean(negClipped),
                negOnsets.Tight.F1, negPlainOnsets.Tight.F1),
            PromptAdherence = new PromptResult(prompt.Count, Stats.Mean(prompt.Select(x => x > 0 ? 1.0 : 0.0)), Stats.Mean(prompt)),
            PromptAddsAbsent = new AddedSoundResult(added.Count, Stats.Mean(added.Select(x => x.With >= AddedSoundResult.Heard ? 1.0 : 0.0)),
                Stats.Mean(added.Select(x => x.Without >= AddedSoundResult.Heard ? 1.0 : 0.0)), Stats.Mean(added.Select(x => x.With - x.Without))),
            Level = new LevelResult(Stats.Mean(generatedLufs), Stats.Mean(realLoudness), Stats.Mean(clipped)),
            Speed = new SpeedResult(videoSeconds / Math.Max(generationSeconds, 1e-9), videoSeconds, generationSeconds, generations),
            PerClip = clipResults,
            CreatedAt = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        };

        if (options.ReportDir is not null)
        {
            var errors = "onset-errors.png";
            Plots.Histogram(Path.Combine(options.ReportDir, errors), "Onset timing error (detected − reference), ±100 ms matches", "ms",
                -100, 100, 10,
                [
                    new HistogramSeries("generated", onsets.Errors.Select(e => e * 1000).ToList(), new SkiaSharp.SKColor(0x1f, 0x77, 0xb4), false),
                    new HistogramSeries("real audio", realOnsets.Errors.Select(e => e * 1000).ToList(), new SkiaSharp.SKColor(0xd6, 0x27, 0x28), true),
                ]);
            var offsetPlot = "av-offsets.png";
            Plots.Histogram(Path.Combine(options.ReportDir, offsetPlot), "Audio–video offset per clip (positive: audio late)", "seconds",
                -1, 1, 0.04,
                [
                    new HistogramSeries("generated", offsets, new SkiaSharp.SKColor(0x1f, 0x77, 0xb4), false),
                    new HistogramSeries("real audio", realOffsets, new SkiaSharp.SKColor(0xd6, 0x27, 0x28), true),
                ]);
            AtomicFile.WriteAllText(Path.Combine(options.ReportDir, "report.md"), EvalReport.Render(result, figures, errors, offsetPlot));
        }

        return result;
    }

    /// <summary>Writes the results (atomically), making the file's folder if it is missing.</summary>
    public static void WriteJson(EvalResult result, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(result, JsonOptions) + "\n");
    }

    /// <summary>The clip's real audio at the settings' rate, exactly its duration long (padded with silence or cut).</summary>
    public static float[] ReadRealAudio(EvalClip clip, AudioSettings audio)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var samples = AudioReader.ReadAll(clip.AudioPath, audio.SampleRate);
        return Fit(samples, (int)audio.SamplesFor(clip.Seconds));
    }

    /// <summary>The true classes of a whole clip: every event class and background class, or silence when none.</summary>
    internal static HashSet<int> TrueClasses(CorpusClip clip, IReadOnlyList<string> classes)
    {
        var set = new HashSet<int>();
        foreach (var name in clip.Events.Select(e => e.Class).Concat(clip.Background))
        {
            var i = IndexOf(classes, name);
            if (i >= 0)
            {
                set.Add(i);
            }
        }

        if (set.Count == 0 && IndexOf(classes, SoundClasses.Silence) is var s && s >= 0)
        {
            set.Add(s);
        }

        return set;
    }

    private static int IndexOf(IReadOnlyList<string> classes, string name)
    {
        for (var i = 0; i < classes.Count; i++)
        {
            if (classes[i] == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// The ambience to ask for in a clip that lacks it (<see cref="SoundClasses.Ambience"/>, not among its true classes),
    /// picked by the clip id alone so that every run asks each clip for the same one; null when the clip has them all or
    /// the classifier does not know them.
    /// </summary>
    internal static int? AbsentAmbience(string clipId, IReadOnlySet<int> truth, IReadOnlyList<string> classes)
    {
        var candidates = SoundClasses.Ambience.Select(name => IndexOf(classes, name)).Where(i => i >= 0 && !truth.Contains(i)).ToList();
        if (candidates.Count == 0)
        {
            return null;
        }

        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(clipId));
        return candidates[(int)(BitConverter.ToUInt32(hash, 0) % (uint)candidates.Count)];
    }

    /// <summary>The true sounding class the classifier hears most clearly in the real audio, or null (stillness).</summary>
    private static int? NamedClass(HashSet<int> truth, ReferenceOutput realOut, IReadOnlyList<string> classes)
    {
        var sounding = truth.Where(c => classes[c] != SoundClasses.Silence).ToList();
        return sounding.Count == 0 ? null : sounding.MaxBy(c => realOut.Probabilities[c]);
    }

    private static void CheckClasses(string corpusDir, ReferenceClassifier classifier)
    {
        var corpusClasses = CorpusReader.ReadClasses(corpusDir);
        var missing = corpusClasses.Where(c => !classifier.Classes.Contains(c)).ToList();
        if (missing.Count > 0)
        {
            throw new BadInputException(Path.Combine(corpusDir, CorpusReader.ClassesFile),
                $"has classes the reference classifier does not know ({string.Join(", ", missing)}); retrain it with 'v2a reference train'");
        }
    }

    private static FdResult Fd(List<float[]> real, List<float[]> generated)
    {
        var dim = real.Count > 0 ? real[0].Length : 0;
        if (real.Count < 2)
        {
            return new FdResult(double.NaN, double.NaN, double.NaN, dim);
        }

        var fd = FrechetDistance.Compute(generated, real);
        if (real.Count < 4)
        {
            return new FdResult(fd, double.NaN, double.NaN, dim);
        }

        // Halves by position (even, odd): disjoint clips, as equal in size as possible.
        List<float[]> Half(List<float[]> x, int parity) => x.Where((_, i) => i % 2 == parity).ToList();
        var floor = FrechetDistance.Compute(Half(real, 0), Half(real, 1));
        var halves = 0.5 * (FrechetDistance.Compute(Half(generated, 0), Half(real, 1)) + FrechetDistance.Compute(Half(generated, 1), Half(real, 0)));
        return new FdResult(fd, floor, halves, dim);
    }

    private static double InSync(List<double> lags) => Stats.Mean(lags.Select(l => Math.Abs(l) <= OffsetResult.InSyncSeconds ? 1.0 : 0.0));

    private static double RealSpread(List<float[]> real) => real.Count < 2 ? double.NaN : Diversity.MeanPairwiseDistance(real);

    /// <summary>Both sides' per-class recall, joined by class (the two saw the same reference onsets).</summary>
    internal static IReadOnlyList<ClassOnsetResult> RecallByClass(OnsetAccuracy generated, OnsetAccuracy real)
    {
        var realFound = real.RecallByClass.ToDictionary(c => c.Class, c => c.Found, StringComparer.Ordinal);
        return generated.RecallByClass.Select(c => new ClassOnsetResult(c.Class, c.Reference, c.Found, realFound.GetValueOrDefault(c.Class))).ToList();
    }

    private static OnsetResult ToResult(OnsetAccuracy a) => new(
        a.Tight.Reference, a.Tight.Detected,
        a.Tight.Precision, a.Tight.Recall, a.Tight.F1,
        a.Loose.Precision, a.Loose.Recall, a.Loose.F1,
        a.MedianAbsoluteErrorMs, a.P90AbsoluteErrorMs, a.MeanSignedErrorMs);

    private static void DrawClip(string path, EvalClip clip, float[] real, float[] gen, OnsetTruth truth,
        IReadOnlyList<double> realDetected, IReadOnlyList<double> genDetected, AudioSettings audio)
    {
        var truthColour = new SkiaSharp.SKColor(0xff, 0xff, 0xff);
        var countedColour = new SkiaSharp.SKColor(0xff, 0x40, 0x40);
        var asideColour = new SkiaSharp.SKColor(0xaa, 0xaa, 0xaa);
        List<Tick> Ticks(IReadOnlyList<double> detected)
        {
            var counted = truth.Counted(detected, OnsetAccuracy.TightSeconds).ToHashSet();
            return
            [
                .. truth.Reference.Select(t => new Tick(t, truthColour, true)),
                .. detected.Select(t => new Tick(t, counted.Contains(t) ? countedColour : asideColour, false)),
            ];
        }

        Plots.Spectrograms(path, $"{clip.Id}: {clip.Caption}",
            [
                new SpectrogramPanel("real audio", LogMel.Compute(real, audio), Ticks(realDetected)),
                new SpectrogramPanel("generated", LogMel.Compute(gen, audio), Ticks(genDetected)),
            ],
            clip.Seconds, audio.FramesPerSecond);
    }

    private static string Sanitise(string id) => new(id.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_').ToArray());

    private static (T Value, double Seconds) Timed<T>(Func<T> f)
    {
        var clock = Stopwatch.StartNew();
        var value = f();
        return (value, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Whether raw samples leave [-1, 1] somewhere (they would clip if written unnormalised).</summary>
    private static bool LeavesUnitRange(float[] samples) => samples.Length > 0 && samples.Max(Math.Abs) > 1;

    /// <summary>
    /// <paramref name="samples"/> scaled by one gain to <paramref name="targetLufs"/> (−23 LUFS when the target
    /// is silent), peak at most −1 dBFS — what <see cref="Loudness.NormalizationGain"/> gives; unchanged for the
    /// oracle (<paramref name="isReal"/>), whose audio is the real clip at its own level.
    /// </summary>
    internal static float[] LevelMatch(float[] samples, double targetLufs, int sampleRate, bool isReal)
    {
        if (isReal)
        {
            return samples;
        }

        var target = double.IsFinite(targetLufs) ? targetLufs : -23;
        var gain = Loudness.NormalizationGain(samples, sampleRate, target, -1);
        var result = new float[samples.Length];
        for (var i = 0; i < samples.Length; i++)
        {
            result[i] = (float)(samples[i] * gain);
        }

        return result;
    }

    /// <summary>Pads with silence or cuts to exactly <paramref name="length"/> samples.</summary>
    internal static float[] Fit(float[] samples, int length)
    {
        if (samples.Length == length)
        {
            return samples;
        }

        var result = new float[length];
        Array.Copy(samples, result, Math.Min(length, samples.Length));
        return result;
    }

    private static double[] ToDouble(float[] x) => x.Select(v => (double)v).ToArray();
}
