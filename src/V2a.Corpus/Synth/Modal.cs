namespace V2a.Corpus.Synth;

/// <summary>One resonant mode of a struck object: frequency, 60 dB decay time, relative amplitude.</summary>
public readonly record struct Mode(double FrequencyHz, double T60Seconds, double Amplitude);

/// <summary>
/// Modal synthesis: a struck object rings as a sum of exponentially decaying sinusoids, its modes. The
/// material sets the frequency ratios and the damping, the size sets the fundamental (pitch ∝ 1/size), the
/// contact time of the strike (soft rubber long, hard stone short) sets how bright it sounds.
/// </summary>
public static class Modal
{
    /// <summary>
    /// Renders a strike: the modes, each weighted by the spectrum of a half-sine contact force of
    /// <paramref name="contactSeconds"/>, plus a short broadband contact click. Sample 0 is the moment of
    /// contact; the attack is under 1 ms so the onset is sharp. Length: until every mode is 60 dB down, at most
    /// <paramref name="maxSeconds"/>.
    /// </summary>
    /// <param name="clickLevel">Contact-noise amplitude relative to the modes (0 = none).</param>
    public static float[] Strike(IReadOnlyList<Mode> modes, double contactSeconds, double clickLevel, Rng rng, int sampleRate, double maxSeconds = 4)
    {
        // Run to 1.5 × the longest T60 (−90 dB, under a 16-bit step) so the end is silent, not a cut.
        var longest = modes.Count == 0 ? 0.05 : modes.Max(m => m.T60Seconds) * 1.5;
        var n = (int)(Math.Min(maxSeconds, Math.Max(longest, 0.03)) * sampleRate);
        var y = new double[n];
        foreach (var m in modes)
        {
            if (m.FrequencyHz >= sampleRate * 0.48)
            {
                continue;
            }

            var weight = m.Amplitude * ContactSpectrum(m.FrequencyHz, contactSeconds);
            if (Math.Abs(weight) < 1e-6)
            {
                continue;
            }

            // A rotating phasor multiplied by a per-sample decay: exact sinusoids without a sin() per sample.
            var w = 2 * Math.PI * m.FrequencyHz / sampleRate;
            var decay = Math.Exp(-6.907755 / (m.T60Seconds * sampleRate)); // ln(1000) = 60 dB
            var (cr, ci) = (Math.Cos(w), Math.Sin(w));
            double re = weight, im = 0;
            for (var i = 0; i < n; i++)
            {
                y[i] += im;
                (re, im) = (((re * cr) - (im * ci)) * decay, ((re * ci) + (im * cr)) * decay);
            }
        }

        if (clickLevel > 0)
        {
            // The contact click: white noise with a 0.3 ms rise and a decay a few contact times long.
            var clickLen = Math.Min(n, (int)(sampleRate * Math.Max(0.004, contactSeconds * 4)));
            var tau = Math.Max(0.0008, contactSeconds) * sampleRate;
            var hp = Biquad.HighPass(800, 0.7, sampleRate);
            for (var i = 0; i < clickLen; i++)
            {
                var env = Math.Min(1.0, i / (0.0003 * sampleRate)) * Math.Exp(-i / tau);
                y[i] += hp.Process(rng.NoiseSample() * clickLevel * env);
            }
        }

        var result = new float[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = (float)y[i];
        }

        // A 20 ms fade at the end: where maxSeconds cut a long ring short, the cut must not click.
        var fade = Math.Min(n / 2, sampleRate / 50);
        for (var i = 0; i < fade; i++)
        {
            result[n - 1 - i] *= (float)i / fade;
        }

        return result;
    }

    /// <summary>Magnitude of a half-sine force pulse of duration τ at f, normalised to 1 at 0 Hz.</summary>
    public static double ContactSpectrum(double f, double tau)
    {
        var x = 2 * f * tau;
        if (Math.Abs(x - 1) < 1e-6)
        {
            return Math.PI / 4;
        }

        return Math.Abs(Math.Cos(Math.PI * f * tau) / (1 - (x * x)));
    }

    /// <summary>Modes of a struck object of a material, fundamental <paramref name="f0"/>; randomised slightly so no two objects ring alike.</summary>
    public static Mode[] MaterialModes(Material material, double f0, Rng rng)
    {
        (double ratio, double t60, double amp)[] table = material switch
        {
            // Wood: strongly damped, few low modes; a dull knock.
            Material.Wood => [(1, 0.09, 1), (2.57, 0.05, 0.5), (4.2, 0.035, 0.3), (5.9, 0.025, 0.15)],
            // Metal: inharmonic free-bar ratios, long ring.
            Material.Metal => [(1, 1.4, 1), (2.76, 1.0, 0.7), (5.40, 0.7, 0.5), (8.93, 0.45, 0.3), (1.51, 1.1, 0.35), (3.9, 0.8, 0.3)],
            // Glass: high, bright and clear, moderate ring.
            Material.Glass => [(1, 0.55, 1), (2.32, 0.4, 0.6), (4.25, 0.3, 0.45), (6.63, 0.2, 0.3), (3.1, 0.35, 0.25)],
            // Rubber: a thud with a short hollow body resonance.
            Material.Rubber => [(1, 0.05, 1), (1.8, 0.03, 0.35), (2.9, 0.02, 0.15)],
            // Stone: dense and dead; a hard click over short low modes.
            Material.Stone => [(1, 0.05, 1), (1.9, 0.035, 0.6), (3.1, 0.025, 0.4), (4.6, 0.018, 0.25)],
            _ => throw new ArgumentOutOfRangeException(nameof(material)),
        };
        var modes = new Mode[table.Length];
        for (var i = 0; i < table.Length; i++)
        {
            var (ratio, t60, amp) = table[i];
            var jitter = i == 0 ? 1 : rng.Uniform(0.96, 1.04);
            modes[i] = new Mode(f0 * ratio * jitter, t60 * rng.Uniform(0.8, 1.25), amp * rng.Uniform(0.7, 1.2));
        }

        return modes;
    }
}

/// <summary>What an object is made of: it sets how it looks and how it rings.</summary>
public enum Material
{
    Wood,
    Metal,
    Glass,
    Rubber,
    Stone,
}
