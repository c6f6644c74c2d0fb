using V2a.Eval.Report;

namespace V2a.Eval.Tests;

public sealed class EvalComparisonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("v2a-compare-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Pooled_onset_F1_counts_the_matches_of_all_clips_together()
    {
        // Given a clip with 4 reference and 4 detected onsets at F1 0.5 (2 matched) and one with 2 reference, none detected
        (ClipResult, ClipResult)[] rows = [(Clip("a", f1: 0.5, reference: 4, detected: 4), Clip("a")), (Clip("b", f1: 0, reference: 2, detected: 0), Clip("b"))];

        // Then F1 over both is 2·2 / (6 + 4), not the mean of the clips' F1 (0.25)
        Assert.Equal(0.4, EvalComparison.PooledOnsetF1(rows, p => (p.Item1.ReferenceOnsets, p.Item1.GeneratedOnsets, p.Item1.OnsetF1At50)), 12);
    }

    [Fact]
    public void Timing_under_the_negative_prompt_is_pooled_over_the_clips_tested_in_both()
    {
        // Given 20 clips of 4 reference onsets: the negative-prompted output of A matches 2 of 4 detected (F1 0.5), B's
        // all 4 (F1 1); clip 19 has no negative test in A, and the plain outputs are the same
        ClipResult Negative(int i, double f1) => Clip($"c{i}") with { NegativeGeneratedOnsets = 4, NegativeOnsetF1At50 = f1 };
        var a = Rows(20, i => i == 19 ? Clip($"c{i}") : Negative(i, 0.5));
        var b = Rows(20, i => Negative(i, 1.0));

        var r = EvalComparison.Compare(a, b, resamples: 500, seed: 3);

        // Then the row pairs the 19 clips tested in both, reads 0.5 against 1, and calls B better; plain timing is unchanged
        var timing = r.Metrics.Single(m => m.Metric.StartsWith("timing with the negative prompt", StringComparison.Ordinal));
        Assert.Equal((19, 0.5, 1.0), (timing.Clips, timing.A, timing.B));
        Assert.Equal(ComparisonVerdict.BBetter, timing.Verdict);
        Assert.Equal(ComparisonVerdict.WithinNoise, r.Metrics.Single(m => m.Metric == "onset F1 ±50 ms").Verdict);
    }

    [Fact]
    public void The_same_result_twice_differs_by_exactly_nothing()
    {
        var rows = Rows(30, i => Clip($"c{i}", f1: (i % 5) / 5.0, kl: i % 3, top: i % 2 == 0 ? "rain" : "bird", negative: i % 4 == 0 ? 0.1 : -0.2));

        var r = EvalComparison.Compare(rows, rows);

        Assert.Equal(30, r.Clips);
        Assert.All(r.Metrics.Where(m => m.Clips > 0), m =>
        {
            Assert.Equal(0, m.Difference, 12);
            Assert.Equal(0, m.Low, 12);
            Assert.Equal(0, m.High, 12);
            Assert.Equal(ComparisonVerdict.WithinNoise, m.Verdict);
        });
    }

    [Fact]
    public void A_gap_on_every_clip_is_more_than_noise_in_the_direction_that_is_better()
    {
        // Given B finds more onsets on every clip and has the lower KL on every clip
        var a = Rows(20, i => Clip($"c{i}", f1: 0.2 + (0.01 * i), kl: 3 + (0.05 * i)));
        var b = Rows(20, i => Clip($"c{i}", f1: 0.6 + (0.01 * i), kl: 2 + (0.05 * i)));

        var r = EvalComparison.Compare(a, b);

        // Then both read "B better" (higher F1, lower KL), and swapping them reads "B worse"
        var f1 = r.Metrics.Single(m => m.Metric.StartsWith("onset F1", StringComparison.Ordinal));
        Assert.Equal(0.4, f1.Difference, 9);
        Assert.True(f1.Low > 0, $"interval [{f1.Low}, {f1.High}]");
        Assert.Equal(ComparisonVerdict.BBetter, f1.Verdict);
        var kl = r.Metrics.Single(m => m.Metric.StartsWith("KL", StringComparison.Ordinal));
        Assert.Equal(-1, kl.Difference, 9);
        Assert.Equal(ComparisonVerdict.BBetter, kl.Verdict);
        var swapped = EvalComparison.Compare(b, a);
        Assert.All(swapped.Metrics.Where(m => m.Metric.StartsWith("onset", StringComparison.Ordinal) || m.Metric.StartsWith("KL", StringComparison.Ordinal)),
            m => Assert.Equal(ComparisonVerdict.BWorse, m.Verdict));
    }

    [Fact]
    public void One_clip_of_forty_named_right_is_within_noise_and_counted_by_class()
    {
        // Given B names one more clip's class right, out of 40
        var a = Rows(40, i => Clip($"c{i}", top: "bird"));
        var b = Rows(40, i => Clip($"c{i}", top: i == 7 ? "rain" : "bird"));

        var r = EvalComparison.Compare(a, b);

        var agreement = r.Metrics.Single(m => m.Metric.StartsWith("top-1", StringComparison.Ordinal));
        Assert.Equal(1.0 / 40, agreement.Difference, 12);
        Assert.True(agreement.Low <= 0 && agreement.High > 0, $"interval [{agreement.Low}, {agreement.High}]");
        Assert.Equal(ComparisonVerdict.WithinNoise, agreement.Verdict);
        var rain = Assert.Single(r.ByClass);
        Assert.Equal(new ClassAgreement("rain", 40, 0, 1), rain);
    }

    [Fact]
    public void Prompt_figures_count_only_clips_tested_in_both_and_the_resampling_is_seeded()
    {
        // Given a negative prompt tested on 10 of 12 clips in A and 11 in B
        var a = Rows(12, i => Clip($"c{i}", negative: i < 10 ? -0.1 : null));
        var b = Rows(12, i => Clip($"c{i}", negative: i == 0 ? 0.2 : -0.1));

        var r1 = EvalComparison.Compare(a, b, resamples: 500, seed: 3);
        var r2 = EvalComparison.Compare(a, b, resamples: 500, seed: 3);

        var negative = r1.Metrics.Single(m => m.Metric.StartsWith("negative", StringComparison.Ordinal));
        Assert.Equal(10, negative.Clips);
        Assert.Equal(1.0, negative.A, 12);
        Assert.Equal(0.9, negative.B, 12);
        Assert.All(r1.Metrics.Where(m => m.Metric.StartsWith("prompt", StringComparison.Ordinal)), m => Assert.Equal(ComparisonVerdict.NotScored, m.Verdict));
        Assert.Contains(r1.Metrics, m => m.Metric == "prompt adds an absent ambience (heard)");
        Assert.Equal(r1.Metrics.Select(m => (m.Low, m.High)), r2.Metrics.Select(m => (m.Low, m.High)));
    }

    [Fact]
    public void An_absent_ambience_heard_only_with_the_prompt_in_B_counts_for_B_and_a_different_ask_is_not_paired()
    {
        // Given 12 clips asked for rain: A never makes it heard, B in every clip; clip 11 asks B for wind instead
        ClipResult Asked(int i, double with, string absent) => Clip($"c{i}") with { AbsentClass = absent, AbsentWithPrompt = with, AbsentWithoutPrompt = 0.01 };
        var a = Rows(12, i => Asked(i, 0.1, "rain"));
        var b = Rows(12, i => Asked(i, 0.9, i == 11 ? "wind" : "rain"));

        var added = EvalComparison.Compare(a, b, resamples: 500, seed: 3).Metrics.Single(m => m.Metric == "prompt adds an absent ambience (heard)");

        Assert.Equal(11, added.Clips);
        Assert.Equal(0, added.A, 12);
        Assert.Equal(1, added.B, 12);
        Assert.Equal(ComparisonVerdict.BBetter, added.Verdict);
    }

    [Fact]
    public void Results_that_share_no_clip_are_refused_naming_the_second_file()
    {
        var a = Rows(3, i => Clip($"a{i}"));
        var b = Rows(3, i => Clip($"b{i}")) with { Path = "b.json" };

        var ex = Assert.Throws<BadInputException>(() => EvalComparison.Compare(a, b));

        Assert.Equal("b.json", ex.Path);
    }

    [Fact]
    public void Reads_the_rows_of_an_eval_json_and_refuses_what_is_not_one()
    {
        // Given an eval result's per-clip rows as v2a eval writes them (snake case), without the newer headline fields
        var good = Path.Combine(_dir, "eval.json");
        File.WriteAllText(good, """
            { "evaluated": "model m", "fd": { "generated_halves": 212.5 },
              "per_clip": [ { "id": "fw-1", "true_classes": ["rain"], "real_top_class": "rain", "generated_top_class": "bird",
                              "kl_softmax": 1.5, "reference_onsets": 3, "generated_onsets": 2, "onset_f1_at50": 0.4,
                              "negative_change": -0.2, "real_time_factor": 3.0 } ] }
            """);
        var notJson = Path.Combine(_dir, "garbage.json");
        File.WriteAllText(notJson, "not json at all");
        var noRows = Path.Combine(_dir, "other.json");
        File.WriteAllText(noRows, """{ "clips": 3 }""");

        var rows = EvalComparison.Read(good);

        Assert.Equal("model m", rows.Evaluated);
        Assert.Equal(212.5, rows.FdHalves);
        var clip = Assert.Single(rows.Clips);
        Assert.Equal(("fw-1", "bird", 0.4, -0.2), (clip.Id, clip.GeneratedTopClass, clip.OnsetF1At50, clip.NegativeChange));
        Assert.Equal(notJson, Assert.Throws<BadInputException>(() => EvalComparison.Read(notJson)).Path);
        Assert.Equal(noRows, Assert.Throws<BadInputException>(() => EvalComparison.Read(noRows)).Path);
        Assert.Throws<BadInputException>(() => EvalComparison.Read(Path.Combine(_dir, "missing.json")));
    }

    private static EvalRows Rows(int n, Func<int, ClipResult> clip) =>
        new("a.json", "model", Enumerable.Range(0, n).Select(clip).ToArray(), null);

    private static ClipResult Clip(string id, double f1 = 0.5, int reference = 4, int detected = 4, double kl = 1, string top = "rain",
        double? negative = null) => new()
        {
            Id = id,
            TrueClasses = ["rain"],
            RealTopClass = "rain",
            GeneratedTopClass = top,
            KlSoftmax = kl,
            ReferenceOnsets = reference,
            GeneratedOnsets = detected,
            OnsetF1At50 = f1,
            NegativeChange = negative,
            RealTimeFactor = 3,
        };
}
