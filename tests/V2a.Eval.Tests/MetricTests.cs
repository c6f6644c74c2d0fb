using V2a.Eval.Metrics;

namespace V2a.Eval.Tests;

public class FrechetDistanceTests
{
    [Fact]
    public void Identical_sets_have_distance_zero()
    {
        // Given a set of 40 random 16-d embeddings
        var a = Synthetic.Gaussian(40, 16, seed: 1);

        // When it is compared with itself
        var fd = FrechetDistance.Compute(a, a);

        // Then the distance is zero up to rounding
        Assert.InRange(fd, 0, 1e-8);
    }

    [Fact]
    public void Shifted_copy_has_distance_equal_to_squared_shift()
    {
        // Given a set and the same set moved by Δ (same covariance)
        var a = Synthetic.Gaussian(50, 8, seed: 2);
        var delta = new[] { 1.0f, -2f, 0.5f, 0, 0, 3, 0, -1 };
        var b = a.Select(e => e.Select((v, i) => v + delta[i]).ToArray()).ToList();

        // When their distance is computed
        var fd = FrechetDistance.Compute(a, b);

        // Then it is |Δ|² (the covariance terms cancel)
        var expected = delta.Sum(d => (double)d * d);
        Assert.Equal(expected, fd, 6);
    }

    [Fact]
    public void One_dimensional_sets_give_the_closed_form()
    {
        // Given 1-d sets with sample variances 2 and 8 (N − 1 normalisation) and equal means
        float[][] a = [[-1f], [1f]];
        float[][] b = [[-2f], [2f]];

        // When compared
        var fd = FrechetDistance.Compute(a, b);

        // Then FD = (μ₁ − μ₂)² + (σ₁ − σ₂)² = (√2 − √8)² = 2
        Assert.Equal(2.0, fd, 9);
    }

    [Fact]
    public void Works_when_there_are_fewer_embeddings_than_dimensions()
    {
        // Given rank-deficient covariances (10 embeddings of 32 dimensions)
        var a = Synthetic.Gaussian(10, 32, seed: 3);
        var b = Synthetic.Gaussian(10, 32, seed: 4);

        // When compared
        var fd = FrechetDistance.Compute(a, b);
        var self = FrechetDistance.Compute(a, a);

        // Then the distance is finite and positive, and a set is still at zero from itself
        Assert.True(double.IsFinite(fd) && fd > 0);
        Assert.InRange(self, 0, 1e-8);
    }
}

public class ClassDistributionTests
{
    [Fact]
    public void Kl_of_identical_outputs_is_zero()
    {
        float[] logits = [2f, -1f, 0.5f, -3f];
        Assert.Equal(0, ClassDistributions.KlSoftmax(logits, logits), 12);
        float[] probs = [0.9f, 0.1f, 0.5f, 0.01f];
        Assert.Equal(0, ClassDistributions.KlBernoulli(probs, probs), 12);
    }

    [Fact]
    public void Kl_softmax_matches_hand_computed_value()
    {
        // Given P = (1/2, 1/2) and Q = (3/4, 1/4) as logits
        float[] real = [0f, 0f];
        float[] generated = [(float)Math.Log(3), 0f];

        // When KL(P ‖ Q) is computed
        var kl = ClassDistributions.KlSoftmax(real, generated);

        // Then it is ½ ln(½ / ¾) + ½ ln(½ / ¼)
        var expected = (0.5 * Math.Log(0.5 / 0.75)) + (0.5 * Math.Log(0.5 / 0.25));
        Assert.Equal(expected, kl, 6);
    }

    [Fact]
    public void Kl_bernoulli_matches_hand_computed_value()
    {
        float[] real = [0.8f];
        float[] generated = [0.4f];
        var expected = (0.8 * Math.Log(0.8 / 0.4)) + (0.2 * Math.Log(0.2 / 0.6));
        Assert.Equal(expected, ClassDistributions.KlBernoulli(real, generated), 6);
    }

    [Fact]
    public void Label_set_f1_counts_shared_classes()
    {
        Assert.Equal(1.0, ClassDistributions.LabelSetF1(new HashSet<int>(), new HashSet<int>()));
        Assert.Equal(2.0 * 1 / 3, ClassDistributions.LabelSetF1(new HashSet<int> { 1, 2 }, new HashSet<int> { 2 }), 9);
        Assert.True(ClassDistributions.TopClassAgrees([0.1f, 0.7f, 0.2f], [0.3f, 0.4f, 0.3f]));
        Assert.False(ClassDistributions.TopClassAgrees([0.1f, 0.7f, 0.2f], [0.5f, 0.4f, 0.3f]));
    }
}

public class DiversityTests
{
    [Fact]
    public void Identical_candidates_have_zero_diversity_and_distinct_ones_their_mean_distance()
    {
        float[] x = [1f, 2f, 3f];
        Assert.Equal(0, Diversity.MeanPairwiseDistance([x, x, x]));

        // Given three points at pairwise distances 3, 4 and 5
        float[] p = [0f, 0f];
        float[] q = [3f, 0f];
        float[] r = [3f, 4f];

        // Then diversity is their mean, 4
        Assert.Equal(4.0, Diversity.MeanPairwiseDistance([p, q, r]), 9);
    }
}

public class StatsTests
{
    [Fact]
    public void Percentile_interpolates_like_numpy()
    {
        double[] v = [1, 2, 3, 4];
        Assert.Equal(2.5, Stats.Percentile(v, 50), 12);
        Assert.Equal(3.7, Stats.Percentile(v, 90), 12);
        Assert.True(double.IsNaN(Stats.Percentile([], 50)));
    }
}
