namespace V2a.Watermark;

/// <summary>Standard normal tail probabilities, in the log domain so that scores of 40 still give a number.</summary>
public static class Gaussian
{
    /// <summary>ln Q(z), Q the upper tail of N(0, 1). Relative error of Q below 1.2e-7 (Chebyshev fit of erfc).</summary>
    public static double LogUpperTail(double z)
    {
        var x = z / Math.Sqrt(2);
        if (x < 0)
        {
            return Math.Log(1 - Math.Exp(LogUpperTail(-z)));
        }

        // erfc(x) = t·exp(−x² + P(t)), t = 1/(1 + x/2): the Chebyshev approximation of Numerical Recipes §6.2.
        var t = 1 / (1 + (0.5 * x));
        var p = -1.26551223 + (t * (1.00002368 + (t * (0.37409196 + (t * (0.09678418 + (t * (-0.18628806
            + (t * (0.27886807 + (t * (-1.13520398 + (t * (1.48851587 + (t * (-0.82215223 + (t * 0.17087277)))))))))))))))));
        return Math.Log(0.5 * t) - (x * x) + p;
    }

    /// <summary>Q(z) = P(N(0,1) &gt; z).</summary>
    public static double UpperTail(double z) => Math.Exp(LogUpperTail(z));

    /// <summary>The z with Q(z) = <paramref name="p"/>, for 0 &lt; p &lt; 0.5 (bisection: exact to 1e-9).</summary>
    public static double InverseUpperTail(double p)
    {
        if (p is <= 0 or >= 0.5)
        {
            throw new ArgumentOutOfRangeException(nameof(p), "expected 0 < p < 0.5");
        }

        double lo = 0, hi = 40;
        var target = Math.Log(p);
        while (hi - lo > 1e-9)
        {
            var mid = 0.5 * (lo + hi);
            if (LogUpperTail(mid) > target)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return 0.5 * (lo + hi);
    }
}
