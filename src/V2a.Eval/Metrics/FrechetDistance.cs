using MathNet.Numerics.LinearAlgebra;

namespace V2a.Eval.Metrics;

/// <summary>The mean and covariance of a set of embeddings: the Gaussian that Fréchet distance compares.</summary>
/// <param name="Mean">(D) mean embedding.</param>
/// <param name="Covariance">(D, D) covariance, normalised by N − 1 (numpy.cov's default, as pytorch-fid uses).</param>
/// <param name="Count">How many embeddings were fitted.</param>
public sealed record GaussianStats(double[] Mean, double[,] Covariance, int Count)
{
    public int Dimension => Mean.Length;

    /// <summary>Fits mean and covariance to <paramref name="embeddings"/> (each (D), all the same D; at least 2).</summary>
    public static GaussianStats Fit(IReadOnlyList<float[]> embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Count < 2)
        {
            throw new ArgumentException($"a covariance needs at least 2 embeddings, got {embeddings.Count}", nameof(embeddings));
        }

        var d = embeddings[0].Length;
        var n = embeddings.Count;
        var mean = new double[d];
        foreach (var e in embeddings)
        {
            if (e.Length != d)
            {
                throw new ArgumentException($"embeddings differ in size ({e.Length} vs {d})", nameof(embeddings));
            }

            for (var i = 0; i < d; i++)
            {
                mean[i] += e[i];
            }
        }

        for (var i = 0; i < d; i++)
        {
            mean[i] /= n;
        }

        var cov = new double[d, d];
        var centred = new double[d];
        foreach (var e in embeddings)
        {
            for (var i = 0; i < d; i++)
            {
                centred[i] = e[i] - mean[i];
            }

            for (var i = 0; i < d; i++)
            {
                var ci = centred[i];
                for (var j = i; j < d; j++)
                {
                    cov[i, j] += ci * centred[j];
                }
            }
        }

        for (var i = 0; i < d; i++)
        {
            for (var j = i; j < d; j++)
            {
                cov[i, j] /= n - 1;
                cov[j, i] = cov[i, j];
            }
        }

        return new GaussianStats(mean, cov, n);
    }
}

/// <summary>
/// Fréchet distance between two Gaussians fitted to embeddings (FID, FAD, FD_PaSST/PANNs/VGGish in the
/// field): ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½). Here the embedding is the reference classifier's
/// penultimate layer. It is biased upward for small sets, so v2a always reports it beside the floor: the
/// distance between two disjoint halves of real audio of the same size.
/// </summary>
public static class FrechetDistance
{
    public static double Compute(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b) =>
        Compute(GaussianStats.Fit(a), GaussianStats.Fit(b));

    /// <summary>
    /// Tr((Σ₁Σ₂)^½) is computed as Σ √λᵢ over the eigenvalues of the symmetric PSD matrix Σ₁^½ Σ₂ Σ₁^½
    /// (which has the eigenvalues of Σ₁Σ₂), so no non-symmetric square root is ever needed; eigenvalues
    /// below zero from rounding are clamped to zero. Works for rank-deficient covariances (N ≤ D).
    /// </summary>
    public static double Compute(GaussianStats a, GaussianStats b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Dimension != b.Dimension)
        {
            throw new ArgumentException($"embedding sizes differ ({a.Dimension} vs {b.Dimension})");
        }

        var meanTerm = 0.0;
        for (var i = 0; i < a.Dimension; i++)
        {
            var diff = a.Mean[i] - b.Mean[i];
            meanTerm += diff * diff;
        }

        var s1 = Matrix<double>.Build.DenseOfArray(a.Covariance);
        var s2 = Matrix<double>.Build.DenseOfArray(b.Covariance);
        var sqrtS1 = SymmetricSqrt(s1);
        var m = sqrtS1 * s2 * sqrtS1;
        var traceSqrt = SymmetricEigenvalues(m).Sum(l => Math.Sqrt(Math.Max(l, 0)));
        var fd = meanTerm + s1.Trace() + s2.Trace() - 2 * traceSqrt;

        // Rounding can leave a tiny negative value for identical sets; the distance is never below zero.
        return Math.Max(fd, 0);
    }

    /// <summary>The PSD square root of a symmetric matrix, via its eigen decomposition (negative eigenvalues → 0).</summary>
    internal static Matrix<double> SymmetricSqrt(Matrix<double> s)
    {
        var sym = (s + s.Transpose()) * 0.5;
        var evd = sym.Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Select(v => Math.Sqrt(Math.Max(v.Real, 0))).ToArray();
        var v = evd.EigenVectors;
        return v * Matrix<double>.Build.DiagonalOfDiagonalArray(values) * v.Transpose();
    }

    private static IEnumerable<double> SymmetricEigenvalues(Matrix<double> m)
    {
        var sym = (m + m.Transpose()) * 0.5;
        return sym.Evd(Symmetricity.Symmetric).EigenValues.Select(v => v.Real);
    }
}
