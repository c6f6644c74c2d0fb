using System.Text.Json;

namespace V2a.Eval.Report;

/// <summary>
/// Two <c>v2a eval</c> results on the same clips, compared clip by clip: for each per-clip figure the difference
/// B − A with a 95 % paired bootstrap interval over the clips, so that "0.536 against 0.520" comes with whether
/// such a gap is larger than what another draw of clips would give. Both runs score one generation a clip, so the
/// interval holds the sampling noise of the generations as well as the choice of clips.
/// </summary>
public static class EvalComparison
{
    /// <summary>Bootstrap resamples by default.</summary>
    public const int DefaultResamples = 2000;

    /// <summary>Below this many clips the bootstrap's percentile intervals come out too narrow to trust; the CLI says so.</summary>
    public const int FewClips = 20;

    /// <summary>A clip counts as in sync when its estimated audio–video lag is at most this (as <see cref="OffsetResult"/>).</summary>
    private const double InSyncSeconds = OffsetResult.InSyncSeconds;

    /// <summary>Reads the per-clip rows of an eval JSON. Only the rows and the name of what was evaluated are needed,
    /// so results written by older builds (fewer headline fields) compare too.</summary>
    public static EvalRows Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new BadInputException(path, "no such file (an eval result written by 'v2a eval --json')");
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("per_clip", out var rows) || rows.ValueKind != JsonValueKind.Array)
            {
                throw new BadInputException(path, "not an eval result: no per_clip rows (write one with 'v2a eval --json')");
            }

            var clips = rows.Deserialize<List<ClipResult>>(Evaluator.JsonOptions) ?? [];
            var evaluated = root.TryGetProperty("evaluated", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : path;
            double? fd = root.TryGetProperty("fd", out var f) && f.TryGetProperty("generated_halves", out var h) && h.ValueKind == JsonValueKind.Number
                ? h.GetDouble() : null;
            return new EvalRows(path, evaluated, clips, fd);
        }
        catch (JsonException ex)
        {
            throw new BadInputException(path, $"not an eval result: {ex.Message}", ex);
        }
    }

    /// <summary>Compares <paramref name="b"/> against <paramref name="a"/> on the clips both scored.</summary>
    /// <param name="resamples">Bootstrap resamples (the interval's percentiles come from these).</param>
    /// <param name="seed">Seed of the resampling: the same inputs give the same intervals.</param>
    public static ComparisonResult Compare(EvalRows a, EvalRows b, int resamples = DefaultResamples, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 100);
        var byId = b.Clips.GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.First());
        var pairs = a.Clips.Where(c => byId.ContainsKey(c.Id)).DistinctBy(c => c.Id).Select(c => (A: c, B: byId[c.Id])).ToArray();
        if (pairs.Length == 0)
        {
            throw new BadInputException(b.Path, $"shares no clip with {a.Path}: compare results of the same corpus split");
        }

        var metrics = new List<MetricComparison>
        {
            Paired("onset F1 ±50 ms", BetterWhen.Higher, pairs, p => true,
                (rows, side) => PooledOnsetF1(rows, c => PlainOnsets(side(c))), resamples, seed),
            Paired("top-1 class agreement", BetterWhen.Higher, pairs, p => true,
                (rows, side) => Mean(rows, c => side(c).GeneratedTopClass == side(c).RealTopClass ? 1 : 0), resamples, seed),
            Paired("KL softmax (nats)", BetterWhen.Lower, pairs, p => true, (rows, side) => Mean(rows, c => side(c).KlSoftmax), resamples, seed),
            Paired("clips in AV sync", BetterWhen.Higher, pairs, p => p.A.OffsetSeconds is not null && p.B.OffsetSeconds is not null,
                (rows, side) => Mean(rows, c => Math.Abs(side(c).OffsetSeconds!.Value) <= InSyncSeconds ? 1 : 0), resamples, seed),
            Paired("negative prompt lowers the named class", BetterWhen.Higher, pairs,
                p => p.A.NegativeChange is not null && p.B.NegativeChange is not null,
                (rows, side) => Mean(rows, c => side(c).NegativeChange!.Value < 0 ? 1 : 0), resamples, seed),
            Paired("timing with the negative prompt (F1 ±50)", BetterWhen.Higher, pairs,
                p => p.A.NegativeOnsetF1At50 is not null && p.B.NegativeOnsetF1At50 is not null,
                (rows, side) => PooledOnsetF1(rows, c => NegativeOnsets(side(c))),
                resamples, seed),
            Paired("prompt raises the named class", BetterWhen.Higher, pairs,
                p => p.A.PromptChange is not null && p.B.PromptChange is not null,
                (rows, side) => Mean(rows, c => side(c).PromptChange!.Value > 0 ? 1 : 0), resamples, seed),
            Paired("prompt adds an absent ambience (heard)", BetterWhen.Higher, pairs,
                p => p.A.AbsentWithPrompt is not null && p.B.AbsentWithPrompt is not null && p.A.AbsentClass == p.B.AbsentClass,
                (rows, side) => Mean(rows, c => side(c).AbsentWithPrompt!.Value >= AddedSoundResult.Heard ? 1 : 0), resamples, seed),
        };

        var classes = pairs.GroupBy(p => p.A.RealTopClass)
            .Select(g => new ClassAgreement(g.Key, g.Count(),
                g.Count(p => p.A.GeneratedTopClass == p.A.RealTopClass), g.Count(p => p.B.GeneratedTopClass == p.B.RealTopClass)))
            .OrderByDescending(c => c.Clips).ThenBy(c => c.RealTopClass, StringComparer.Ordinal).ToArray();
        return new ComparisonResult(a.Evaluated, b.Evaluated, pairs.Length, a.Clips.Count, b.Clips.Count, resamples,
            metrics, classes, a.FdHalves, b.FdHalves);
    }

    /// <summary>A clip's reference onsets, detected onsets and onset F1 (±50 ms) without a negative prompt.</summary>
    private static (int Reference, int Detected, double F1) PlainOnsets(ClipResult c) => (c.ReferenceOnsets, c.GeneratedOnsets, c.OnsetF1At50);

    /// <summary>The same for the negative-prompted output (clips tested with one only).</summary>
    private static (int Reference, int Detected, double F1) NegativeOnsets(ClipResult c) =>
        (c.ReferenceOnsets, c.NegativeGeneratedOnsets!.Value, c.NegativeOnsetF1At50!.Value);

    /// <summary>Onset F1 over the onsets of all the rows together, as the headline figure is: each clip's matched
    /// count is F1 × (reference + detected) / 2.</summary>
    /// <param name="clip">A row's reference onsets, detected onsets and F1 on the side being scored.</param>
    internal static double PooledOnsetF1(IReadOnlyList<(ClipResult A, ClipResult B)> rows,
        Func<(ClipResult A, ClipResult B), (int Reference, int Detected, double F1)> clip)
    {
        double matched = 0, total = 0;
        foreach (var row in rows)
        {
            var (reference, detected, f1) = clip(row);
            var n = reference + detected;
            matched += f1 * n / 2;
            total += n;
        }

        return total == 0 ? double.NaN : 2 * matched / total;
    }

    private static double Mean(IReadOnlyList<(ClipResult A, ClipResult B)> rows, Func<(ClipResult A, ClipResult B), double> value)
    {
        if (rows.Count == 0)
        {
            return double.NaN;
        }

        double sum = 0;
        foreach (var row in rows)
        {
            sum += value(row);
        }

        return sum / rows.Count;
    }

    private static MetricComparison Paired(
        string name, BetterWhen better, (ClipResult A, ClipResult B)[] pairs, Func<(ClipResult A, ClipResult B), bool> scored,
        Func<IReadOnlyList<(ClipResult A, ClipResult B)>, Func<(ClipResult A, ClipResult B), ClipResult>, double> statistic,
        int resamples, int seed)
    {
        var rows = pairs.Where(scored).ToArray();
        static ClipResult SideA((ClipResult A, ClipResult B) p) => p.A;
        static ClipResult SideB((ClipResult A, ClipResult B) p) => p.B;
        var valueA = statistic(rows, SideA);
        var valueB = statistic(rows, SideB);
        if (rows.Length == 0)
        {
            return new MetricComparison(name, better, 0, valueA, valueB, double.NaN, double.NaN, double.NaN, ComparisonVerdict.NotScored);
        }

        var random = new Random(seed);
        var diffs = new double[resamples];
        var sample = new (ClipResult A, ClipResult B)[rows.Length];
        var kept = 0;
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < sample.Length; i++)
            {
                sample[i] = rows[random.Next(rows.Length)];
            }

            var d = statistic(sample, SideB) - statistic(sample, SideA);
            if (!double.IsNaN(d))
            {
                diffs[kept++] = d;
            }
        }

        Array.Sort(diffs, 0, kept);
        var low = kept == 0 ? double.NaN : Percentile(diffs, kept, 0.025);
        var high = kept == 0 ? double.NaN : Percentile(diffs, kept, 0.975);
        var verdict = double.IsNaN(low) ? ComparisonVerdict.NotScored
            : low > 0 ? (better == BetterWhen.Higher ? ComparisonVerdict.BBetter : ComparisonVerdict.BWorse)
            : high < 0 ? (better == BetterWhen.Higher ? ComparisonVerdict.BWorse : ComparisonVerdict.BBetter)
            : ComparisonVerdict.WithinNoise;
        return new MetricComparison(name, better, rows.Length, valueA, valueB, valueB - valueA, low, high, verdict);
    }

    /// <summary>Linear interpolation between the sorted values' order statistics.</summary>
    internal static double Percentile(double[] sorted, int count, double q)
    {
        var position = q * (count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, count - 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }
}

/// <summary>An eval result's per-clip rows (and the headline FD, which needs embeddings to recompute).</summary>
public sealed record EvalRows(string Path, string Evaluated, IReadOnlyList<ClipResult> Clips, double? FdHalves);

public enum BetterWhen
{
    Higher,
    Lower,
}

public enum ComparisonVerdict
{
    /// <summary>The whole interval of B − A lies on the better side of 0.</summary>
    BBetter,

    /// <summary>The whole interval lies on the worse side.</summary>
    BWorse,

    /// <summary>The interval holds 0: a gap this size comes from the draw of clips and generations alone.</summary>
    WithinNoise,

    /// <summary>No clip had the figure in both results.</summary>
    NotScored,
}

/// <param name="Clips">Clips that carry the figure in both results.</param>
/// <param name="Difference">B − A.</param>
/// <param name="Low">2.5th percentile of B − A over the bootstrap resamples.</param>
/// <param name="High">97.5th percentile.</param>
public sealed record MetricComparison(string Metric, BetterWhen Better, int Clips, double A, double B, double Difference, double Low, double High, ComparisonVerdict Verdict);

/// <summary>How many clips of a real top class each result names right.</summary>
public sealed record ClassAgreement(string RealTopClass, int Clips, int RightA, int RightB);

/// <param name="Clips">Clips both results scored (the ones compared).</param>
/// <param name="ClipsA">Clips in A's result.</param>
/// <param name="ClipsB">Clips in B's result.</param>
public sealed record ComparisonResult(
    string A, string B, int Clips, int ClipsA, int ClipsB, int Resamples,
    IReadOnlyList<MetricComparison> Metrics, IReadOnlyList<ClassAgreement> ByClass, double? FdHalvesA, double? FdHalvesB);
