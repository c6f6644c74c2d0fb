namespace V2a.Audio;

/// <summary>
/// Forward FFT of a real signal whose length is a power of two, in double precision: an n/2-point complex
/// radix-2 FFT of the even/odd-packed input followed by the standard split step. The twiddle tables are
/// built once per size and never change, so one instance can be shared by any number of threads; every
/// call works in buffers its caller owns (no allocation per frame).
/// </summary>
internal sealed class RealFft
{
    private readonly int _half;
    private readonly int[] _bitReversed;
    private readonly double[] _cos;
    private readonly double[] _sin;
    private readonly double[] _splitCos;
    private readonly double[] _splitSin;

    public RealFft(int size)
    {
        if (size < 2 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "FFT size must be a power of two >= 2");
        }

        Size = size;
        _half = size / 2;
        _bitReversed = new int[_half];
        var bits = System.Numerics.BitOperations.Log2((uint)_half);
        for (var i = 0; i < _half; i++)
        {
            var r = 0;
            for (var b = 0; b < bits; b++)
            {
                r |= ((i >> b) & 1) << (bits - 1 - b);
            }

            _bitReversed[i] = r;
        }

        // Twiddles of the half-size complex FFT: e^{-2πik/half} = cos - i·sin.
        _cos = new double[Math.Max(1, _half / 2)];
        _sin = new double[_cos.Length];
        for (var k = 0; k < _cos.Length; k++)
        {
            _cos[k] = Math.Cos(2 * Math.PI * k / _half);
            _sin[k] = Math.Sin(2 * Math.PI * k / _half);
        }

        // Twiddles of the split step: e^{-2πik/size}, k = 0..half.
        _splitCos = new double[_half + 1];
        _splitSin = new double[_half + 1];
        for (var k = 0; k <= _half; k++)
        {
            _splitCos[k] = Math.Cos(2 * Math.PI * k / size);
            _splitSin[k] = Math.Sin(2 * Math.PI * k / size);
        }
    }

    /// <summary>Input length in samples.</summary>
    public int Size { get; }

    /// <summary>Output bins: Size/2 + 1 (DC to Nyquist).</summary>
    public int Bins => _half + 1;

    /// <summary>
    /// X[k] = Σ x[n]·e^{-2πikn/Size} for k = 0..Size/2 (unnormalised, numpy/torch convention).
    /// <paramref name="re"/> and <paramref name="im"/> must hold <see cref="Bins"/> values each.
    /// </summary>
    public void Forward(ReadOnlySpan<double> input, Span<double> re, Span<double> im)
    {
        if (input.Length != Size || re.Length < Bins || im.Length < Bins)
        {
            throw new ArgumentException($"RealFft({Size}) needs {Size} inputs and {Bins} outputs, got {input.Length}, {re.Length}, {im.Length}");
        }

        // Pack z[k] = x[2k] + i·x[2k+1] in bit-reversed order.
        for (var k = 0; k < _half; k++)
        {
            var j = _bitReversed[k];
            re[j] = input[2 * k];
            im[j] = input[2 * k + 1];
        }

        for (var size = 2; size <= _half; size <<= 1)
        {
            var halfSize = size >> 1;
            var step = _half / size;
            for (var start = 0; start < _half; start += size)
            {
                for (var j = 0; j < halfSize; j++)
                {
                    var wr = _cos[j * step];
                    var wi = -_sin[j * step];
                    var a = start + j;
                    var b = a + halfSize;
                    var tr = wr * re[b] - wi * im[b];
                    var ti = wr * im[b] + wi * re[b];
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
            }
        }

        // Split: X[k] = E[k] + W^k·O[k], E = (Z[k] + conj Z[half-k]) / 2, O = -i·(Z[k] - conj Z[half-k]) / 2.
        var z0r = re[0];
        var z0i = im[0];
        re[0] = z0r + z0i;
        im[0] = 0;
        re[_half] = z0r - z0i;
        im[_half] = 0;
        for (var k = 1; k <= _half / 2; k++)
        {
            var m = _half - k;
            double ar = re[k], ai = im[k], br = re[m], bi = im[m];
            (re[k], im[k]) = Split(ar, ai, br, bi, k);
            if (m != k)
            {
                (re[m], im[m]) = Split(br, bi, ar, ai, m);
            }
        }
    }

    private (double Re, double Im) Split(double zr, double zi, double mr, double mi, int k)
    {
        var er = 0.5 * (zr + mr);
        var ei = 0.5 * (zi - mi);
        var or = 0.5 * (zi + mi);
        var oi = -0.5 * (zr - mr);
        var wr = _splitCos[k];
        var wi = -_splitSin[k];
        return (er + wr * or - wi * oi, ei + wr * oi + wi * or);
    }
}
