namespace V2a.Eval.Metrics;

/// <summary>
/// Compares what the reference classifier hears in real and in generated audio of the same clip. The field
/// reports KL divergence between a pretrained classifier's outputs on the real and the generated clip,
/// averaged over clips (KL_PaSST: softmax over the logits; KL_PANNs: the sigmoid outputs). v2a's classifier
/// is multi-label (sigmoid), so both forms are given: <see cref="KlSoftmax"/> (the PaSST convention, the
/// headline number) and <see cref="KlBernoulli"/> (a proper divergence between per-class probabilities).
/// All divergences are in nats and go from real (the target) to generated: KL(real ‖ generated).
/// </summary>
public static class ClassDistributions
{
    /// <summary>Probabilities below this are raised to it before a log, so a confident 0 is finite.</summary>
    public const double Epsilon = 1e-6;

    /// <summary>KL(softmax(real) ‖ softmax(generated)) of one clip, from logits (C each).</summary>
    public static double KlSoftmax(ReadOnlySpan<float> realLogits, ReadOnlySpan<float> generatedLogits)
    {
        CheckSameLength(realLogits.Length, generatedLogits.Length);
        var p = Softmax(realLogits);
        var q = Softmax(generatedLogits);
        var kl = 0.0;
        for (var c = 0; c < p.Length; c++)
        {
            if (p[c] > 0)
            {
                kl += p[c] * (Math.Log(p[c]) - Math.Log(Math.Max(q[c], Epsilon)));
            }
        }

        return Math.Max(kl, 0);
    }

    /// <summary>Σ over classes of the Bernoulli KL(p_c ‖ q_c) of one clip, from sigmoid probabilities (C each).</summary>
    public static double KlBernoulli(ReadOnlySpan<float> realProbs, ReadOnlySpan<float> generatedProbs)
    {
        CheckSameLength(realProbs.Length, generatedProbs.Length);
        var kl = 0.0;
        for (var c = 0; c < realProbs.Length; c++)
        {
            var p = Math.Clamp(realProbs[c], Epsilon, 1 - Epsilon);
            var q = Math.Clamp(generatedProbs[c], Epsilon, 1 - Epsilon);
            kl += (p * Math.Log(p / q)) + ((1 - p) * Math.Log((1 - p) / (1 - q)));
        }

        return Math.Max(kl, 0);
    }

    /// <summary>Whether the most probable class is the same in both (top-1 class agreement).</summary>
    public static bool TopClassAgrees(ReadOnlySpan<float> realProbs, ReadOnlySpan<float> generatedProbs)
    {
        CheckSameLength(realProbs.Length, generatedProbs.Length);
        return ArgMax(realProbs) == ArgMax(generatedProbs);
    }

    /// <summary>
    /// F1 between two label sets (the classes at or above <paramref name="threshold"/>): 2|A∩B| / (|A| + |B|),
    /// 1 when both are empty. Used for real-vs-generated agreement and for predictions against the corpus's truth.
    /// </summary>
    public static double LabelSetF1(IReadOnlySet<int> a, IReadOnlySet<int> b)
    {
        if (a.Count + b.Count == 0)
        {
            return 1;
        }

        var both = a.Count(b.Contains);
        return 2.0 * both / (a.Count + b.Count);
    }

    /// <summary>Indices of the classes whose probability is at least <paramref name="threshold"/>.</summary>
    public static HashSet<int> Labels(ReadOnlySpan<float> probs, double threshold = 0.5)
    {
        var set = new HashSet<int>();
        for (var c = 0; c < probs.Length; c++)
        {
            if (probs[c] >= threshold)
            {
                set.Add(c);
            }
        }

        return set;
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        if (values.Length == 0)
        {
            throw new ArgumentException("no values");
        }

        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    public static double[] Softmax(ReadOnlySpan<float> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }

        var result = new double[logits.Length];
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            result[i] = Math.Exp(logits[i] - max);
            sum += result[i];
        }

        for (var i = 0; i < result.Length; i++)
        {
            result[i] /= sum;
        }

        return result;
    }

    private static void CheckSameLength(int a, int b)
    {
        if (a != b || a == 0)
        {
            throw new ArgumentException($"class vectors must be non-empty and the same size ({a} vs {b})");
        }
    }
}
