using TorchSharp;
using static TorchSharp.torch;

namespace V2a.Model;

/// <summary>
/// Tensor arithmetic with numbers that keeps each native Scalar alive until its operation has returned.
/// <para>
/// TorchSharp 0.107's operators turn a C# number — and the alpha = 1 that <c>a + b</c> passes for two tensors — into a
/// Scalar whose last managed reference dies as its handle is read. A garbage collection another thread starts while the
/// native operation runs can finalize (free) it before the operation reads it, and the operation fails with
/// "Expected false to be true … toFloat" (open upstream: dotnet/TorchSharp#1434, #1496). Measured with a thread forcing
/// collections: <c>a + b</c>, <c>a * 0.5</c>, <c>1 + a</c>, <c>1 - a</c> and <c>a.pow(2)</c> (and so <c>square()</c>) each failed within a
/// second, these forms ran millions of operations without one; <c>a - b</c>, <c>a * b</c> and <c>a / b</c> of two
/// tensors create no Scalar and are safe as operators. The generation path (network, sampler, vocoder) and the loss
/// use these; the server generates on several threads at once, so there the race is more than theory.
/// </para>
/// Each method is the same native operation the operator calls, so results are bit-identical.
/// </summary>
public static class HeldScalars
{
    private static readonly Scalar One = 1.ToScalar();
    private static readonly Scalar Two = 2.ToScalar();

    /// <summary>a + b for two tensors (the operator's implicit alpha = 1 held).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a + k.</summary>
    public static Tensor Plus(this Tensor a, double k) => With(k, s => a.add(s, One));

    /// <summary>a − k.</summary>
    public static Tensor Minus(this Tensor a, double k) => With(k, s => a.sub(s));

    /// <summary>a × k.</summary>
    public static Tensor Times(this Tensor a, double k) => With(k, s => a.mul(s));

    /// <summary>a ÷ k.</summary>
    public static Tensor DividedBy(this Tensor a, double k) => With(k, s => a.div(s));

    /// <summary>a², element-wise: TorchSharp's <c>square()</c> is <c>pow(2)</c> with a transient Scalar (an eval run
    /// died on it with "Unknown scalar type" after 72 clips, 2026-11-27); this is the same pow with the 2 held.</summary>
    public static Tensor Squared(this Tensor a) => a.pow(Two);

    /// <summary>1 − a (as the operator computes it: −a + 1).</summary>
    public static Tensor OneMinus(this Tensor a) => a.negative().add(One, One);

    /// <summary>a &lt; k element-wise (bool).</summary>
    public static Tensor LessThan(this Tensor a, double k) => With(k, s => a.lt(s));

    /// <summary>a ≠ k element-wise (bool).</summary>
    public static Tensor NotEqual(this Tensor a, long k)
    {
        using var s = k.ToScalar();
        return a.ne(s);
    }

    /// <summary>max(a, k) element-wise.</summary>
    public static Tensor AtLeast(this Tensor a, double k) => With(k, s => a.clamp_min(s));

    /// <summary>min(a, k) element-wise.</summary>
    public static Tensor AtMost(this Tensor a, double k) => With(k, s => a.clamp_max(s));

    /// <summary>Runs <paramref name="op"/> with k as a Scalar that lives until it returns, then frees it.</summary>
    private static Tensor With(double k, Func<Scalar, Tensor> op)
    {
        using var s = k.ToScalar();
        return op(s);
    }
}
