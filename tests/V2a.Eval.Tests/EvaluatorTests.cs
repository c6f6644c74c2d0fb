using V2a.Corpus;

namespace V2a.Eval.Tests;

/// <summary>A four-clip FoleyWorld corpus (4 s clips) made once for the evaluator tests.</summary>
public sealed class TinyCorpus : IDisposable
{
    public TinyCorpus()
    {
        Dir = Path.Combine(Path.GetTempPath(), $"v2a-eval-corpus-{Guid.NewGuid():N}");
        CorpusBuilder.Make(new CorpusMakeOptions { OutDir = Dir, Clips = 4, Seconds = 4, Seed = 424_242, Jobs = 2 });
    }

    public string Dir { get; }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

/// <summary>Gives silence whatever is asked: the worst possible soundtrack.</summary>
internal sealed class SilenceSource : ISoundtrackSource
{
    public string Description => "silence";

    public bool IgnoresRequests => false;

    public float[] Generate(EvalClip clip, SoundRequest request) => new float[(int)AudioSettings.Default.SamplesFor(clip.Seconds)];

    public void Dispose()
    {
    }
}

/// <summary>The clip's real audio whatever is asked, at half the amplitude when a negative prompt is given: a negative
/// prompt that only turns the level down.</summary>
internal sealed class HalfWhenNegativeSource : ISoundtrackSource
{
    public string Description => "real audio, halved under a negative prompt";

    public bool IgnoresRequests => false;

    public float[] Generate(EvalClip clip, SoundRequest request)
    {
        var audio = Evaluator.ReadRealAudio(clip, AudioSettings.Default);
        return request.Negative is null ? audio : audio.Select(x => x * 0.5f).ToArray();
    }

    public void Dispose()
    {
    }
}

/// <summary>The clip's real audio for the first seed asked of it, silence for any other: candidates whose timing differs.</summary>
internal sealed class RealForSeedSource(long seed) : ISoundtrackSource
{
    public string Description => $"real audio for seed {seed}, silence for others";

    public bool IgnoresRequests => false;

    public float[] Generate(EvalClip clip, SoundRequest request) =>
        request.Seed == seed ? Evaluator.ReadRealAudio(clip, AudioSettings.Default) : new float[(int)AudioSettings.Default.SamplesFor(clip.Seconds)];

    public void Dispose()
    {
    }
}

/// <summary>Needs the trained reference classifier (models/reference/) and makes a small corpus with FoleyWorld.</summary>
public sealed class EvaluatorTests(ShippedReference shipped, TinyCorpus corpus) : IClassFixture<ShippedReference>, IClassFixture<TinyCorpus>
{
    [Fact]
    public void The_oracle_scores_the_ceiling_and_writes_the_report()
    {
        // Given the corpus's own audio as the "generated" audio
        var report = Path.Combine(corpus.Dir, "report");
        var options = new EvalOptions { CorpusDir = corpus.Dir, Split = "all", ReportDir = report, FigureClips = 2 };

        // When evaluated
        using var source = new CorpusAudioSource();
        var r = Evaluator.Run(options, source, shipped.Classifier);

        // Then generated equals real on every paired metric
        Assert.Equal(4, r.Clips);
        Assert.InRange(r.Fd.Generated, 0, 1e-6);
        Assert.InRange(r.Classes.KlSoftmax, 0, 1e-9);
        Assert.Equal(1.0, r.Classes.Top1Agreement);
        Assert.Equal(r.RealOnsets, r.Onsets);
        Assert.Equal(r.Offset.RealMeanAbsSeconds, r.Offset.MeanAbsSeconds);
        Assert.True(r.Speed.RealTimeFactor > 0);

        // And by class too: every class's reference onsets are found as often as in the real audio, and the
        // classes' reference onsets add up to the pooled count
        Assert.NotNull(r.OnsetRecallByClass);
        Assert.NotEmpty(r.OnsetRecallByClass);
        Assert.All(r.OnsetRecallByClass, c => Assert.Equal(c.Real, c.Generated));
        Assert.Equal(r.Onsets.Reference, r.OnsetRecallByClass.Sum(c => c.Reference));

        // And the report has its markdown, two clip figures and the two histograms
        Assert.Contains("## Summary", File.ReadAllText(Path.Combine(report, "report.md")));
        Assert.Contains("| class | reference onsets | found in generated | found in real audio |", File.ReadAllText(Path.Combine(report, "report.md")));
        Assert.Equal(2, Directory.GetFiles(report, "clip-*.png").Length);
        Assert.True(File.Exists(Path.Combine(report, "onset-errors.png")));
        Assert.True(File.Exists(Path.Combine(report, "av-offsets.png")));
    }

    [Fact]
    public void The_vocoded_oracle_keeps_the_onsets_but_is_not_the_real_audio()
    {
        // Given the corpus's own audio through log-mel and Griffin-Lim
        var options = new EvalOptions { CorpusDir = corpus.Dir, Split = "all" };
        using var source = new VocodedCorpusAudioSource();

        // When evaluated
        var r = Evaluator.Run(options, source, shipped.Classifier);

        // Then it differs from the real audio (FD above 0) but its sounds start where the real ones do
        Assert.True(r.Fd.Generated > 1e-3, $"FD {r.Fd.Generated}");
        Assert.True(r.Onsets.F1At50 >= 0.8, $"onset F1 {r.Onsets.F1At50} (real {r.RealOnsets.F1At50})");
    }

    [Fact]
    public void Silence_scores_worse_than_the_real_audio()
    {
        // Given a source that always gives silence, scored with prompt tests and two seeds
        var options = new EvalOptions { CorpusDir = corpus.Dir, Split = "all", Seeds = 2 };
        using var source = new SilenceSource();

        // When evaluated
        var r = Evaluator.Run(options, source, shipped.Classifier);

        // Then it is far from real, finds no onsets, never varies and never responds to prompts
        Assert.True(r.Fd.Generated > r.Fd.Floor, $"FD {r.Fd.Generated} vs floor {r.Fd.Floor}");
        Assert.True(r.Classes.KlSoftmax > 0.1, $"KL {r.Classes.KlSoftmax}");
        Assert.Equal(0, r.Onsets.Detected);
        Assert.True(r.RealOnsets.Detected > 0);
        Assert.Equal(0, r.Diversity.MeanPairwise, 9);
        Assert.Equal(0, r.NegativePrompt.MeanChange, 9);
        Assert.True(r.NegativePrompt.Trials > 0);
        Assert.Equal(0, r.NegativePrompt.Fraction);

        // And an ambience asked for in a clip that lacks it is never heard, with the prompt or without
        var added = Assert.IsType<AddedSoundResult>(r.PromptAddsAbsent);
        Assert.True(added.Trials > 0);
        Assert.Equal(0, added.HeardWith);
        Assert.Equal(0, added.HeardWithout);
        Assert.Equal(0, added.MeanChange, 9);
        Assert.All(r.PerClip.Where(c => c.AbsentClass is not null), c => Assert.DoesNotContain(c.AbsentClass!, c.TrueClasses));
    }

    [Fact]
    public void The_absent_ambience_asked_for_is_one_the_clip_lacks_and_the_same_in_every_run()
    {
        // Given the corpus classes and clips holding none, some or all of the ambiences
        var classes = SoundClasses.All;
        int Index(string name) => classes.ToList().IndexOf(name);
        var none = new HashSet<int> { Index(SoundClasses.ImpactWood) };
        var rainAndWind = new HashSet<int> { Index(SoundClasses.Rain), Index(SoundClasses.Wind) };
        var all = SoundClasses.Ambience.Select(Index).ToHashSet();

        // Then a clip lacking only fire is asked for fire, a clip with them all for nothing, and the pick depends on the id alone
        Assert.Equal(Index(SoundClasses.Fire), Evaluator.AbsentAmbience("fw-000001", rainAndWind, classes));
        Assert.Null(Evaluator.AbsentAmbience("fw-000001", all, classes));
        var picks = Enumerable.Range(0, 60).Select(i => Evaluator.AbsentAmbience($"fw-{i:000000}", none, classes)!.Value).ToList();
        Assert.All(picks, p => Assert.Contains(classes[p], SoundClasses.Ambience));
        Assert.Equal(3, picks.Distinct().Count());
        Assert.Equal(picks, Enumerable.Range(0, 60).Select(i => Evaluator.AbsentAmbience($"fw-{i:000000}", none, classes)!.Value));
    }

    [Fact]
    public void With_several_seeds_each_candidates_onsets_are_scored_and_the_best_timed_is_picked_per_clip()
    {
        // Given three candidates a clip of which only the second (seed 2) has the real audio, the others silence
        var options = new EvalOptions { CorpusDir = corpus.Dir, Split = "all", Seeds = 3, Seed = 1, PromptTests = false };
        using var source = new RealForSeedSource(2);

        // When evaluated
        var r = Evaluator.Run(options, source, shipped.Classifier);

        // Then candidate 0 (the headline) finds nothing, candidate 1 scores the real audio's F1, and picking each clip's
        // best-timed candidate gives the real audio's F1 too
        Assert.Equal(0, r.Onsets.F1At50);
        var bySeed = Assert.IsAssignableFrom<IReadOnlyList<double>>(r.OnsetF1BySeed);
        Assert.Equal(3, bySeed.Count);
        Assert.Equal(0, bySeed[0]);
        Assert.Equal(r.RealOnsets.F1At50, bySeed[1], 12);
        Assert.Equal(0, bySeed[2]);
        Assert.Equal(r.RealOnsets.F1At50, r.OnsetF1BestSeed!.Value, 12);
        Assert.All(r.PerClip, c =>
        {
            Assert.Equal(c.OnsetF1At50, c.CandidateOnsetF1At50![0]);
            Assert.Equal(0, c.CandidateGeneratedOnsets![2]);
        });

        // And with one seed there is nothing to pick from
        Assert.Null(Evaluator.Run(options with { Seeds = 1 }, source, shipped.Classifier).OnsetF1BySeed);
    }

    [Fact]
    public void A_negative_prompt_that_only_lowers_the_level_shows_as_a_level_change_and_nothing_else()
    {
        // Given a source whose negative prompt halves the amplitude of otherwise real audio
        var options = new EvalOptions { CorpusDir = corpus.Dir, Split = "all" };
        using var source = new HalfWhenNegativeSource();

        // When evaluated with the prompt tests
        var r = Evaluator.Run(options, source, shipped.Classifier);

        // Then the raw level falls by 6 dB, and once level-matched nothing else moved: not the named class, not the
        // others, not the onsets
        var side = r.NegativeSideEffects;
        Assert.True(side.Trials > 0);
        Assert.Equal(r.NegativePrompt.Trials, side.Trials);
        Assert.Equal(20 * Math.Log10(0.5), side.RawLufsChange, 1);
        Assert.Equal(0, side.ClippedFraction);
        Assert.InRange(Math.Abs(r.NegativePrompt.MeanChange), 0, 0.01);
        Assert.InRange(Math.Abs(side.OthersChange), 0, 0.01);
        Assert.Equal(side.PlainOnsetF1At50, side.OnsetF1At50, 6);
        Assert.True(side.PlainOnsetF1At50 > 0.5, $"onset F1 {side.PlainOnsetF1At50}");
        Assert.Contains(r.PerClip, c => c.NegativeRawLufsChange is { } d && Math.Abs(d - 20 * Math.Log10(0.5)) < 0.1);
    }
}
