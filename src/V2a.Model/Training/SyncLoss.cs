using TorchSharp;
using static TorchSharp.torch;

namespace V2a.Model.Training;

/// <summary>
/// The auxiliary sync objective (config <see cref="ModelConfig.SyncLossWeight"/>): from the video alone, predict
/// when sounds start, through the network's onset head on the frame-aligned visual features. Two targets:
/// <list type="bullet">
/// <item>Annotated onsets, when the shards carry them (FoleyWorld's on-screen sharp events): per audio token, 1 when
/// an event starts in it, learned by a class-weighted logistic loss (<see cref="EventTarget"/>, <see cref="EventLoss"/>).
/// Only what the picture shows is asked for.</item>
/// <item>Otherwise the onset strength of each audio token — the positive spectral flux of the normalised log-mel
/// (mean over bins of max(0, x[t] − x[t−1])), its largest value over the token's mel frames — by squared error
/// (<see cref="OnsetTarget"/>, <see cref="Loss"/>). It needs no annotation, but sounds the video cannot show
/// (off-screen, steady rain) are noise to it, and on FoleyWorld a probe learned nothing from it in 550 steps.</item>
/// </list>
/// </summary>
public static class SyncLoss
{
    /// <summary>(B, M, T) normalised log-mel → (B, N) onset strength per audio token, N = T / framesPerToken.</summary>
    public static Tensor OnsetTarget(Tensor mel, int framesPerToken)
    {
        var (b, t) = (mel.shape[0], mel.shape[2]);
        if (t % framesPerToken != 0)
        {
            throw new ArgumentException($"mel frames ({t}) must be a multiple of {framesPerToken}");
        }

        var rise = (mel.narrow(2, 1, t - 1) - mel.narrow(2, 0, t - 1)).AtLeast(0).mean([1]); // (B, T−1)
        var flux = nn.functional.pad(rise, [1, 0]); // frame 0 has no predecessor: 0
        return flux.view(b, t / framesPerToken, framesPerToken).amax([2]);
    }

    /// <summary>Weight of a token where an event starts against one where none does, in <see cref="EventLoss"/> (events
    /// start in about 2 % of tokens on FoleyWorld; full balancing, ×40, made a probe fire everywhere).</summary>
    public const double EventPositiveWeight = 10;

    /// <summary>(B, T) per-mel-frame onset flags → (B, N) per-token targets: 1 when an onset falls in the token's frames.</summary>
    public static Tensor EventTarget(Tensor onsets, int framesPerToken)
    {
        var (b, t) = (onsets.shape[0], onsets.shape[1]);
        if (t % framesPerToken != 0)
        {
            throw new ArgumentException($"onset frames ({t}) must be a multiple of {framesPerToken}");
        }

        return onsets.view(b, t / framesPerToken, framesPerToken).amax([2]);
    }

    /// <summary>Logistic loss of <paramref name="logits"/> (B, N) against 0/1 <paramref name="target"/> (B, N), positives
    /// weighted by <see cref="EventPositiveWeight"/>: w·y·softplus(−x) + (1 − y)·softplus(x), averaged over the tokens
    /// of the rows where <paramref name="useRow"/> (B) is true; 0 when none is.</summary>
    public static Tensor EventLoss(Tensor logits, Tensor target, Tensor useRow)
    {
        var w = useRow.to_type(ScalarType.Float32).to(logits.device).unsqueeze(1); // (B, 1)
        var y = target.to(logits.device);
        var per = (y.Times(EventPositiveWeight) * nn.functional.softplus(-logits)).Plus(y.OneMinus() * nn.functional.softplus(logits));
        return (per * w).sum() / w.sum().Times(logits.shape[1]).AtLeast(1);
    }

    /// <summary>Mean squared error of <paramref name="predicted"/> (B, N) against <paramref name="target"/> (B, N) over
    /// the rows where <paramref name="useRow"/> (B) is true (rows whose video was shown); 0 when none is.</summary>
    public static Tensor Loss(Tensor predicted, Tensor target, Tensor useRow)
    {
        var w = useRow.to_type(ScalarType.Float32).to(predicted.device).unsqueeze(1); // (B, 1)
        var sq = (predicted - target).Squared() * w;
        return sq.sum() / w.sum().Times(predicted.shape[1]).AtLeast(1);
    }

    /// <summary>Area under the ROC curve of <paramref name="scores"/> for the 0/1 <paramref name="labels"/> (the chance that
    /// a random onset token outscores a random other one; ties count half); NaN without both kinds.</summary>
    public static double Auc(IReadOnlyList<float> scores, IReadOnlyList<float> labels)
    {
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double positiveRanks = 0;
        long positives = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]])
            {
                end++;
            }

            var rank = ((start + end) / 2.0) + 1; // tied scores share their mean rank
            for (var k = start; k <= end; k++)
            {
                if (labels[order[k]] > 0.5f)
                {
                    positiveRanks += rank;
                    positives++;
                }
            }

            start = end + 1;
        }

        var negatives = scores.Count - positives;
        return positives == 0 || negatives == 0 ? double.NaN
            : (positiveRanks - (positives * (positives + 1) / 2.0)) / (positives * (double)negatives);
    }

    /// <summary>The peaks of one row of scores, <paramref name="length"/> values from <paramref name="start"/>: the
    /// positions (from the row's start) of the local maxima at or above <paramref name="threshold"/>; of a run of equal
    /// values, the last.</summary>
    public static IEnumerable<int> Peaks(IReadOnlyList<float> scores, int start, int length, float threshold)
    {
        for (var j = 0; j < length; j++)
        {
            var x = scores[start + j];
            if (x >= threshold && (j == 0 || x >= scores[start + j - 1]) && (j == length - 1 || x > scores[start + j + 1]))
            {
                yield return j;
            }
        }
    }

    /// <summary>
    /// Onset detection from the head's scores, as a detector would use it: in each row of <paramref name="rowLength"/>
    /// tokens, the local maxima at or above the threshold that lets through as many tokens as there are onsets in all;
    /// onsets and peaks are paired one to one within ±<paramref name="tolerance"/> tokens by
    /// <see cref="V2a.Audio.OnsetDetector.Match"/>, the matcher the evaluation uses for onset times.
    /// </summary>
    public static (double F1, int Hits, int FalseAlarms, int Misses) PeakF1(IReadOnlyList<float> scores, IReadOnlyList<float> labels,
        int rowLength, int tolerance)
    {
        var onsets = labels.Count(v => v > 0.5f);
        if (onsets == 0 || scores.Count == 0)
        {
            return (double.NaN, 0, 0, 0);
        }

        var threshold = scores.OrderByDescending(v => v).ElementAt(Math.Min(onsets, scores.Count) - 1);
        int hits = 0, falseAlarms = 0, misses = 0;
        for (var row = 0; row + rowLength <= scores.Count; row += rowLength)
        {
            var peaks = Peaks(scores, row, rowLength, threshold).Select(j => (double)j).ToList();
            var onsetTokens = Enumerable.Range(0, rowLength).Where(j => labels[row + j] > 0.5f).Select(j => (double)j).ToList();
            var matched = V2a.Audio.OnsetDetector.Match(onsetTokens, peaks, tolerance).Matched;
            hits += matched;
            misses += onsetTokens.Count - matched;
            falseAlarms += peaks.Count - matched;
        }

        return (2.0 * hits / Math.Max(1, (2 * hits) + falseAlarms + misses), hits, falseAlarms, misses);
    }
}
