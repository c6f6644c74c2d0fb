using V2a.Audio;

namespace V2a.Eval.Metrics;

/// <summary>Onset precision, recall and F1 pooled over clips at one tolerance.</summary>
/// <param name="ToleranceSeconds">A detected onset matches a reference onset within ± this many seconds.</param>
/// <param name="Reference">Reference onsets over all clips.</param>
/// <param name="Detected">Detected onsets over all clips.</param>
/// <param name="Matched">One-to-one matches over all clips.</param>
public sealed record OnsetCounts(double ToleranceSeconds, int Reference, int Detected, int Matched)
{
    /// <summary>Matched / detected (1 when nothing was detected and nothing was expected).</summary>
    public double Precision => Detected == 0 ? (Reference == 0 ? 1 : 0) : (double)Matched / Detected;

    /// <summary>Matched / reference (1 when nothing was expected and nothing was detected).</summary>
    public double Recall => Reference == 0 ? (Detected == 0 ? 1 : 0) : (double)Matched / Reference;

    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);
}

/// <summary>
/// Onset accuracy against known event times, pooled over clips (micro-averaged: counts are summed before
/// dividing, so a clip with many events weighs more, as in MIR onset evaluation). Onsets are found in the
/// audio by <see cref="OnsetDetector.Detect"/> and matched one to one by <see cref="OnsetDetector.Match"/>
/// at ±50 ms and ±100 ms, each tolerance with its own set-aside stretches (<see cref="OnsetTruth.Counted"/>).
/// Timing errors are those of the ±100 ms matches (detected − reference), so a sound 70 ms late shows in the
/// error statistics instead of only as a miss at ±50 ms.
/// </summary>
public sealed class OnsetAccuracy
{
    /// <summary>The strict tolerance (the detector's own check, and the usual onset-detection window).</summary>
    public const double TightSeconds = 0.05;

    /// <summary>The loose tolerance (more than two video frames at 25 fps).</summary>
    public const double LooseSeconds = 0.1;

    private readonly List<double> _errors = [];
    private int _reference;
    private int _detectedTight;
    private int _detectedLoose;
    private int _matchedTight;
    private int _matchedLoose;
    private readonly SortedDictionary<string, (int Reference, int Found)> _byClass = new(StringComparer.Ordinal);

    public int Clips { get; private set; }

    /// <summary>Per sound class, over the clips whose truth names its reference onsets' classes: how many reference
    /// onsets it has and how many were found at ±50 ms — recall by class (detections carry no class, so there is no
    /// precision by class).</summary>
    public IReadOnlyList<ClassOnsetRecall> RecallByClass =>
        _byClass.Select(kv => new ClassOnsetRecall(kv.Key, kv.Value.Reference, kv.Value.Found)).ToList();

    /// <summary>Signed timing errors in seconds (detected − reference) of every ±100 ms match so far.</summary>
    public IReadOnlyList<double> Errors => _errors;

    /// <summary>Adds one clip with nothing set aside: its reference onset times and the detected ones, seconds
    /// from the clip's start.</summary>
    public void Add(IReadOnlyList<double> reference, IReadOnlyList<double> detected) => Add(OnsetTruth.Plain(reference), detected);

    /// <summary>Adds one clip: its onset truth and the detected onsets, seconds from the clip's start.</summary>
    public void Add(OnsetTruth truth, IReadOnlyList<double> detected)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(detected);
        var reference = truth.Reference;
        var countedTight = truth.Counted(detected, TightSeconds);
        var countedLoose = truth.Counted(detected, LooseSeconds);
        var tight = OnsetDetector.Match(reference, countedTight, TightSeconds);
        var loose = OnsetDetector.Match(reference, countedLoose, LooseSeconds);
        _reference += reference.Count;
        _detectedTight += countedTight.Count;
        _detectedLoose += countedLoose.Count;
        _matchedTight += tight.Matched;
        _matchedLoose += loose.Matched;
        _errors.AddRange(loose.Errors);
        if (truth.Classes is { } classes)
        {
            if (classes.Count != reference.Count)
            {
                throw new ArgumentException($"the onset truth names {classes.Count} classes for {reference.Count} reference onsets", nameof(truth));
            }

            for (var i = 0; i < classes.Count; i++)
            {
                var (n, found) = _byClass.GetValueOrDefault(classes[i]);
                _byClass[classes[i]] = (n + 1, found + (tight.ReferenceFound[i] ? 1 : 0));
            }
        }

        Clips++;
    }

    public OnsetCounts Tight => new(TightSeconds, _reference, _detectedTight, _matchedTight);

    public OnsetCounts Loose => new(LooseSeconds, _reference, _detectedLoose, _matchedLoose);

    /// <summary>Median of |error| in milliseconds over the ±100 ms matches (NaN when none).</summary>
    public double MedianAbsoluteErrorMs => Stats.Percentile(_errors.Select(e => Math.Abs(e) * 1000), 50);

    /// <summary>90th percentile of |error| in milliseconds over the ±100 ms matches (NaN when none).</summary>
    public double P90AbsoluteErrorMs => Stats.Percentile(_errors.Select(e => Math.Abs(e) * 1000), 90);

    /// <summary>Mean signed error in milliseconds (positive: sounds come late), NaN when none.</summary>
    public double MeanSignedErrorMs => _errors.Count == 0 ? double.NaN : _errors.Average() * 1000;
}

/// <summary>One sound class's reference onsets and how many of them were found (±50 ms).</summary>
public sealed record ClassOnsetRecall(string Class, int Reference, int Found)
{
    /// <summary>Found / reference (NaN when the class had no reference onset).</summary>
    public double Recall => Reference == 0 ? double.NaN : (double)Found / Reference;
}

/// <summary>Small statistics over plain sequences.</summary>
public static class Stats
{
    /// <summary>The p-th percentile (0..100) with linear interpolation between order statistics (numpy's
    /// default); NaN for an empty sequence.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = Math.Clamp(p, 0, 100) / 100 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((rank - lo) * (sorted[hi] - sorted[lo]));
    }

    /// <summary>Mean of the non-NaN values, NaN when there are none.</summary>
    public static double Mean(IEnumerable<double> values)
    {
        var list = values.Where(v => !double.IsNaN(v)).ToList();
        return list.Count == 0 ? double.NaN : list.Average();
    }
}
