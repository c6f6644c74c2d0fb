namespace V2a.Corpus.Synth;

/// <summary>Small sound recipes shared by several sources. Sample 0 of each result is its onset.</summary>
public static class Sounds
{
    /// <summary>
    /// Filtered noise with a linear rise of <paramref name="attackSeconds"/> and an exponential decay of time
    /// constant <paramref name="tauSeconds"/>, band-limited to [lowHz, highHz].
    /// </summary>
    public static float[] NoiseBurst(Rng rng, int sampleRate, double seconds, double attackSeconds, double tauSeconds, double lowHz, double highHz)
    {
        var n = Math.Max(1, (int)(seconds * sampleRate));
        var y = new float[n];
        var hp = Biquad.HighPass(lowHz, 0.707, sampleRate);
        var lp = Biquad.LowPass(highHz, 0.707, sampleRate);
        var attack = Math.Max(1, attackSeconds * sampleRate);
        var tau = tauSeconds * sampleRate;
        for (var i = 0; i < n; i++)
        {
            var env = Math.Min(1, (i + 1) / attack) * Math.Exp(-i / tau);
            y[i] = (float)lp.Process(hp.Process(rng.NoiseSample() * env));
        }

        // Fade the last 10 ms (or a third of a short burst) so a cut-off tail never clicks.
        FadeOut(y, sampleRate, Math.Min(0.01, seconds / 3));
        return y;
    }

    /// <summary>A decaying sine whose pitch glides from f0 to f1 (a water "plink", a tick), with a 0.5 ms rise.</summary>
    public static float[] Ping(int sampleRate, double f0, double f1, double t60Seconds, double amplitude = 1)
    {
        var n = Math.Max(1, (int)(t60Seconds * sampleRate));
        var y = new float[n];
        var phase = 0.0;
        var rise = Math.Max(1, 0.0005 * sampleRate);
        for (var i = 0; i < n; i++)
        {
            var u = (double)i / n;
            var f = f0 * Math.Pow(f1 / f0, Math.Min(1, u * 2.5));
            phase += 2 * Math.PI * f / sampleRate;
            var env = Math.Min(1, (i + 1) / rise) * Math.Exp(-6.907755 * u);
            y[i] = (float)(amplitude * env * Math.Sin(phase));
        }

        return y;
    }

    /// <summary>A frequency sweep (bird syllable) with a short rise and fall; <paramref name="shape"/> bends the path.</summary>
    public static float[] Sweep(int sampleRate, double seconds, Func<double, double> frequencyAt, double riseSeconds = 0.002, double amplitude = 1, Func<double, double>? amplitudeAt = null)
    {
        var n = Math.Max(1, (int)(seconds * sampleRate));
        var y = new float[n];
        var phase = 0.0;
        var rise = Math.Max(1, riseSeconds * sampleRate);
        var fall = Math.Max(1, 0.012 * sampleRate);
        for (var i = 0; i < n; i++)
        {
            var u = (double)i / n;
            phase += 2 * Math.PI * frequencyAt(u) / sampleRate;
            var env = Math.Min(1, (i + 1) / rise) * Math.Min(1, (n - i) / fall) * (amplitudeAt?.Invoke(u) ?? 1);
            y[i] = (float)(amplitude * env * Math.Sin(phase));
        }

        return y;
    }

    /// <summary>Multiplies the last <paramref name="seconds"/> by a linear fade to zero.</summary>
    public static void FadeOut(Span<float> y, int sampleRate, double seconds)
    {
        var n = Math.Min(y.Length, (int)(seconds * sampleRate));
        for (var i = 0; i < n; i++)
        {
            y[y.Length - 1 - i] *= (float)i / n;
        }
    }

    /// <summary>Adds <paramref name="b"/> × <paramref name="gain"/> into <paramref name="a"/> from index <paramref name="at"/>, growing nothing.</summary>
    public static void AddInto(float[] a, ReadOnlySpan<float> b, int at = 0, double gain = 1)
    {
        var g = (float)gain;
        for (var i = 0; i < b.Length && at + i < a.Length; i++)
        {
            if (at + i >= 0)
            {
                a[at + i] += b[i] * g;
            }
        }
    }

    /// <summary>Concatenation-free sum of two signals, as long as the longer.</summary>
    public static float[] Sum(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double gainB = 1)
    {
        var y = new float[Math.Max(a.Length, b.Length)];
        a.CopyTo(y);
        AddInto(y, b, 0, gainB);
        return y;
    }

    /// <summary>Low-passes a signal in place (muffling: a sound behind a wall or far away).</summary>
    public static void Muffle(Span<float> y, double cutoffHz, int sampleRate)
    {
        var lp = Biquad.LowPass(cutoffHz, 0.707, sampleRate);
        lp.Process(y);
    }
}
