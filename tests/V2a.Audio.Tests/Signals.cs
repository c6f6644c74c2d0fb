namespace V2a.Audio.Tests;

/// <summary>Deterministic test signals (seconds and Hz in, samples out).</summary>
internal static class Signals
{
    public static float[] Sine(int sampleRate, double seconds, double hz, double amplitude, double phase = 0)
    {
        var x = new float[(int)Math.Round(seconds * sampleRate)];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)(amplitude * Math.Sin(2 * Math.PI * hz * i / sampleRate + phase));
        }

        return x;
    }

    public static float[] Noise(int count, double amplitude, int seed)
    {
        var rng = new Random(seed);
        var x = new float[count];
        for (var i = 0; i < count; i++)
        {
            // Gaussian (Box–Muller) with standard deviation = amplitude.
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            x[i] = (float)(amplitude * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return x;
    }

    /// <summary>A sum of harmonics of <paramref name="f0"/> with 1/h amplitudes, peak about <paramref name="amplitude"/>.</summary>
    public static float[] Harmonic(int sampleRate, double seconds, double f0, int harmonics, double amplitude)
    {
        var x = new float[(int)Math.Round(seconds * sampleRate)];
        var norm = 0.0;
        for (var h = 1; h <= harmonics; h++)
        {
            norm += 1.0 / h;
        }

        for (var i = 0; i < x.Length; i++)
        {
            var v = 0.0;
            for (var h = 1; h <= harmonics; h++)
            {
                v += Math.Sin(2 * Math.PI * f0 * h * i / sampleRate + 0.3 * h) / h;
            }

            x[i] = (float)(amplitude * v / norm);
        }

        return x;
    }

    public static (double Re, double Im)[] NaiveDft(ReadOnlySpan<double> x)
    {
        var n = x.Length;
        var result = new (double, double)[n / 2 + 1];
        for (var k = 0; k <= n / 2; k++)
        {
            double re = 0, im = 0;
            for (var t = 0; t < n; t++)
            {
                var a = -2 * Math.PI * k * t / n;
                re += x[t] * Math.Cos(a);
                im += x[t] * Math.Sin(a);
            }

            result[k] = (re, im);
        }

        return result;
    }
}
