namespace V2a.Eval.Metrics;

/// <summary>
/// How different the candidates for one video are: the mean Euclidean distance between the reference
/// embeddings of every pair of the K seeds' outputs. 0 means every seed gave the same sound (mode collapse);
/// compare with the same quantity for different real clips, which bounds it from above in practice.
/// </summary>
public static class Diversity
{
    /// <summary>Mean pairwise L2 distance of <paramref name="embeddings"/> (K ≥ 2 vectors of one size).</summary>
    public static double MeanPairwiseDistance(IReadOnlyList<float[]> embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Count < 2)
        {
            throw new ArgumentException($"diversity needs at least 2 candidates, got {embeddings.Count}", nameof(embeddings));
        }

        var sum = 0.0;
        var pairs = 0;
        for (var i = 0; i < embeddings.Count; i++)
        {
            for (var j = i + 1; j < embeddings.Count; j++)
            {
                sum += Distance(embeddings[i], embeddings[j]);
                pairs++;
            }
        }

        return sum / pairs;
    }

    public static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"embeddings differ in size ({a.Length} vs {b.Length})");
        }

        var s = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = (double)a[i] - b[i];
            s += d * d;
        }

        return Math.Sqrt(s);
    }
}
