namespace V2a.Corpus.Synth;

/// <summary>A second-order IIR filter (RBJ audio-EQ cookbook), processed one sample at a time in double precision.</summary>
public struct Biquad
{
    private double _b0, _b1, _b2, _a1, _a2;
    private double _x1, _x2, _y1, _y2;

    public static Biquad LowPass(double cutoffHz, double q, int sampleRate) => Make(cutoffHz, q, sampleRate, Kind.Low);

    public static Biquad HighPass(double cutoffHz, double q, int sampleRate) => Make(cutoffHz, q, sampleRate, Kind.High);

    /// <summary>Band-pass with 0 dB gain at the centre.</summary>
    public static Biquad BandPass(double centreHz, double q, int sampleRate) => Make(centreHz, q, sampleRate, Kind.Band);

    private enum Kind { Low, High, Band }

    private static Biquad Make(double f, double q, int sampleRate, Kind kind)
    {
        // Keep the corner below Nyquist so a high sampled frequency never makes the filter unstable.
        f = Math.Clamp(f, 5, sampleRate * 0.45);
        var w = 2 * Math.PI * f / sampleRate;
        var cos = Math.Cos(w);
        var alpha = Math.Sin(w) / (2 * q);
        double b0, b1, b2;
        switch (kind)
        {
            case Kind.Low:
                b0 = (1 - cos) / 2; b1 = 1 - cos; b2 = (1 - cos) / 2;
                break;
            case Kind.High:
                b0 = (1 + cos) / 2; b1 = -(1 + cos); b2 = (1 + cos) / 2;
                break;
            default:
                b0 = alpha; b1 = 0; b2 = -alpha;
                break;
        }

        var a0 = 1 + alpha;
        return new Biquad { _b0 = b0 / a0, _b1 = b1 / a0, _b2 = b2 / a0, _a1 = -2 * cos / a0, _a2 = (1 - alpha) / a0 };
    }

    /// <summary>Retunes the filter keeping its state (for swept filters); same kind as <paramref name="like"/>.</summary>
    public void SetCoefficients(in Biquad like)
    {
        _b0 = like._b0; _b1 = like._b1; _b2 = like._b2; _a1 = like._a1; _a2 = like._a2;
    }

    public double Process(double x)
    {
        var y = (_b0 * x) + (_b1 * _x1) + (_b2 * _x2) - (_a1 * _y1) - (_a2 * _y2);
        _x2 = _x1; _x1 = x; _y2 = _y1; _y1 = y;
        return y;
    }

    public void Process(Span<float> buffer)
    {
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (float)Process(buffer[i]);
        }
    }
}

/// <summary>One-pole low-pass: y += a·(x − y). Cheap smoothing of noise and envelopes.</summary>
public struct OnePole(double cutoffHz, int sampleRate)
{
    private readonly double _a = 1 - Math.Exp(-2 * Math.PI * cutoffHz / sampleRate);
    private double _y;

    public double Process(double x) => _y += _a * (x - _y);
}

/// <summary>
/// A smooth random curve over time (value noise with cosine-eased knots), evaluable at any time. The same curve
/// drives a visual (rain density, flame height, grass sway) and its sound's loudness, so the two cannot disagree.
/// </summary>
public sealed class SmoothCurve
{
    private readonly double[] _knots;
    private readonly double _step;

    /// <param name="seconds">Span covered; later times hold the last value.</param>
    /// <param name="knotSeconds">Seconds between knots: the curve's time scale.</param>
    /// <param name="lo">Smallest knot value.</param>
    /// <param name="hi">Largest knot value.</param>
    public SmoothCurve(Rng rng, double seconds, double knotSeconds, double lo, double hi)
    {
        _step = knotSeconds;
        _knots = new double[(int)Math.Ceiling(seconds / knotSeconds) + 2];
        for (var i = 0; i < _knots.Length; i++)
        {
            _knots[i] = rng.Uniform(lo, hi);
        }
    }

    public double At(double t)
    {
        var u = Math.Max(0, t) / _step;
        var i = (int)Math.Floor(u);
        if (i >= _knots.Length - 1)
        {
            return _knots[^1];
        }

        var f = u - i;
        var e = (1 - Math.Cos(Math.PI * f)) / 2;
        return (_knots[i] * (1 - e)) + (_knots[i + 1] * e);
    }
}

/// <summary>Small signal helpers.</summary>
public static class Dsp
{
    public static double DbToGain(double db) => Math.Pow(10, db / 20);

    public static double GainToDb(double gain) => 20 * Math.Log10(Math.Max(gain, 1e-12));

    public static float Peak(ReadOnlySpan<float> x)
    {
        var p = 0f;
        foreach (var v in x)
        {
            p = Math.Max(p, Math.Abs(v));
        }

        return p;
    }

    public static double Rms(ReadOnlySpan<float> x)
    {
        if (x.Length == 0)
        {
            return 0;
        }

        double s = 0;
        foreach (var v in x)
        {
            s += (double)v * v;
        }

        return Math.Sqrt(s / x.Length);
    }

    /// <summary>Scales <paramref name="x"/> so its peak is <paramref name="peak"/> (no-op on silence).</summary>
    public static void NormalizePeak(Span<float> x, double peak)
    {
        var p = Peak(x);
        if (p <= 0)
        {
            return;
        }

        var g = (float)(peak / p);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] *= g;
        }
    }
}
