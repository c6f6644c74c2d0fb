namespace V2a.Eval.Reference;

/// <summary>Multi-label scores (average precision, F1, accuracies) of probabilities against true label sets.</summary>
public static class ClassifierScoring
{
    /// <param name="probabilities">Per clip, (K) probabilities.</param>
    /// <param name="truth">Per clip, the set of true class indices.</param>
    public static ClassifierScores Score(IReadOnlyList<string> classes, IReadOnlyList<float[]> probabilities, IReadOnlyList<IReadOnlySet<int>> truth, double threshold = 0.5)
    {
        if (probabilities.Count != truth.Count)
        {
            throw new ArgumentException($"{probabilities.Count} predictions for {truth.Count} label sets");
        }

        var n = probabilities.Count;
        var perClass = new List<ClassScore>();
        var aps = new List<double>();
        long tpAll = 0, fpAll = 0, fnAll = 0, rightAll = 0;
        for (var c = 0; c < classes.Count; c++)
        {
            int tp = 0, fp = 0, fn = 0, right = 0, positives = 0;
            var scored = new List<(double P, bool Y)>(n);
            for (var i = 0; i < n; i++)
            {
                var y = truth[i].Contains(c);
                var yes = probabilities[i][c] >= threshold;
                positives += y ? 1 : 0;
                tp += y && yes ? 1 : 0;
                fp += !y && yes ? 1 : 0;
                fn += y && !yes ? 1 : 0;
                right += y == yes ? 1 : 0;
                scored.Add((probabilities[i][c], y));
            }

            var precision = tp + fp == 0 ? (positives == 0 ? 1 : 0) : (double)tp / (tp + fp);
            var recall = positives == 0 ? 1 : (double)tp / positives;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            var ap = positives == 0 ? double.NaN : AveragePrecision(scored);
            if (positives > 0)
            {
                aps.Add(ap);
            }

            perClass.Add(new ClassScore(classes[c], positives, precision, recall, f1, ap, n == 0 ? 0 : (double)right / n));
            tpAll += tp;
            fpAll += fp;
            fnAll += fn;
            rightAll += right;
        }

        var subset = 0;
        var top1 = 0;
        for (var i = 0; i < n; i++)
        {
            var predicted = Metrics.ClassDistributions.Labels(probabilities[i], threshold);
            if (predicted.SetEquals(truth[i]))
            {
                subset++;
            }

            if (truth[i].Contains(Metrics.ClassDistributions.ArgMax(probabilities[i])))
            {
                top1++;
            }
        }

        var microDen = (2 * tpAll) + fpAll + fnAll;
        return new ClassifierScores
        {
            Clips = n,
            MeanAveragePrecision = aps.Count == 0 ? double.NaN : aps.Average(),
            MicroF1 = microDen == 0 ? 1 : 2.0 * tpAll / microDen,
            SubsetAccuracy = n == 0 ? 0 : (double)subset / n,
            Top1Accuracy = n == 0 ? 0 : (double)top1 / n,
            BinaryAccuracy = n == 0 ? 0 : (double)rightAll / (n * (long)classes.Count),
            PerClass = perClass,
        };
    }

    /// <summary>Average precision (area under the precision–recall steps, sklearn's definition): Σ (Rₙ − Rₙ₋₁) Pₙ.</summary>
    public static double AveragePrecision(IReadOnlyList<(double Score, bool Positive)> scored)
    {
        var positives = scored.Count(s => s.Positive);
        if (positives == 0)
        {
            return double.NaN;
        }

        var sorted = scored.OrderByDescending(s => s.Score).ToList();
        double ap = 0, previousRecall = 0;
        var tp = 0;
        var i = 0;
        while (i < sorted.Count)
        {
            // Ties form one threshold: all of them enter together.
            var j = i;
            while (j < sorted.Count && sorted[j].Score == sorted[i].Score)
            {
                tp += sorted[j].Positive ? 1 : 0;
                j++;
            }

            var recall = (double)tp / positives;
            var precision = (double)tp / j;
            ap += (recall - previousRecall) * precision;
            previousRecall = recall;
            i = j;
        }

        return ap;
    }
}
