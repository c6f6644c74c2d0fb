using System.Diagnostics;
using System.Globalization;
using V2a.Media;

namespace V2a.Watermark.Bench;

/// <summary>The transformations of the robustness matrix (issue #6), each applied to a marked clip.</summary>
public enum Attack
{
    None,
    Mp3_128k,
    Aac_128k,
    Opus_64k,
    Resample_16_44k1_16,
    GainPlus6dB,
    GainMinus6dB,
    WhiteNoise20dB,
    LowPass4kHz,
    Excerpt3s,
    SubFrameShift,
    MixUnderMinus6dB,
}

/// <summary>
/// Runs one attack. Codecs are the real ffmpeg encoders (libmp3lame, the native aac encoder, libopus) at the stated
/// bit rates, encoding the 16 kHz mono signal and decoding back to 16 kHz. Gain is applied in floating point (no
/// clipping). Noise is white Gaussian at 20 dB under the clip's power. The low-pass is a 511-tap
/// windowed-sinc FIR (Blackman) with its cutoff at 4 kHz: a brick wall, about −75 dB above 4.1 kHz. The excerpt is 3 s from a random sample offset; the sub-frame shift drops 1 … hop−1
/// samples from the start; the mix puts the marked clip at −6 dB under another clip of equal loudness.
/// </summary>
public sealed class Attacks
{
    private readonly int _rate;
    private readonly string _tempDir;
    private readonly int _hop;

    public Attacks(int sampleRate, int hopSamples, string tempDir)
    {
        _rate = sampleRate;
        _hop = hopSamples;
        _tempDir = tempDir;
    }

    public float[] Apply(Attack attack, float[] x, Random rng, Func<float[]> otherClip) => attack switch
    {
        Attack.None => x,
        Attack.Mp3_128k => Codec(x, "mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]),
        Attack.Aac_128k => Codec(x, "m4a", ["-c:a", "aac", "-b:a", "128k"]),
        Attack.Opus_64k => Codec(x, "opus", ["-c:a", "libopus", "-b:a", "64k"]),
        Attack.Resample_16_44k1_16 => Filter(x, "aresample=44100,aresample=" + _rate.ToString(CultureInfo.InvariantCulture)),
        Attack.GainPlus6dB => Gain(x, 6),
        Attack.GainMinus6dB => Gain(x, -6),
        Attack.WhiteNoise20dB => Noise(x, 20, rng),
        Attack.LowPass4kHz => LowPass(x, 4000),
        Attack.Excerpt3s => Excerpt(x, 3.0, rng),
        Attack.SubFrameShift => x[(1 + rng.Next(_hop - 1))..],
        Attack.MixUnderMinus6dB => Mix(x, otherClip(), -6),
        _ => throw new ArgumentOutOfRangeException(nameof(attack)),
    };

    private static float[] Gain(float[] x, double db)
    {
        var g = (float)Math.Pow(10, db / 20);
        return x.Select(v => v * g).ToArray();
    }

    private static float[] Noise(float[] x, double snrDb, Random rng)
    {
        double e = 0;
        foreach (var v in x)
        {
            e += v * v;
        }

        var sigma = Math.Sqrt(e / x.Length / Math.Pow(10, snrDb / 10));
        var y = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            // Box–Muller.
            var u1 = 1 - rng.NextDouble();
            var u2 = rng.NextDouble();
            y[i] = x[i] + (float)(sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return y;
    }

    private float[] Excerpt(float[] x, double seconds, Random rng)
    {
        var n = (int)(seconds * _rate);
        if (x.Length <= n)
        {
            return x;
        }

        var start = rng.Next(x.Length - n);
        return x[start..(start + n)];
    }

    private static float[] Mix(float[] marked, float[] other, double db)
    {
        double em = 0, eo = 0;
        foreach (var v in marked)
        {
            em += v * v;
        }

        foreach (var v in other)
        {
            eo += v * v;
        }

        // The other clip at the marked clip's loudness (RMS over the marked clip's length), the marked one 6 dB under it.
        var n = marked.Length;
        var go = eo > 0 ? Math.Sqrt(em / n / (eo / Math.Max(1, other.Length))) : 0;
        var gm = Math.Pow(10, db / 20);
        var y = new float[n];
        for (var i = 0; i < n; i++)
        {
            y[i] = (float)((gm * marked[i]) + (go * other[i % Math.Max(1, other.Length)]));
        }

        return y;
    }

    private float[] LowPass(float[] x, double hz)
    {
        // A 511-tap windowed-sinc FIR (Blackman), cutoff at hz: ~−75 dB in the stop band, a ~100 Hz transition.
        const int taps = 511;
        var h = new double[taps];
        var fc = hz / _rate;
        for (var i = 0; i < taps; i++)
        {
            var k = i - (taps / 2);
            var sinc = k == 0 ? 2 * fc : Math.Sin(2 * Math.PI * fc * k) / (Math.PI * k);
            var w = 0.42 - (0.5 * Math.Cos(2 * Math.PI * i / (taps - 1))) + (0.08 * Math.Cos(4 * Math.PI * i / (taps - 1)));
            h[i] = sinc * w;
        }

        var y = new float[x.Length];
        for (var n = 0; n < x.Length; n++)
        {
            double acc = 0;
            var lo = Math.Max(0, n - (taps / 2));
            var hi = Math.Min(x.Length - 1, n + (taps / 2));
            for (var j = lo; j <= hi; j++)
            {
                acc += h[j - n + (taps / 2)] * x[j];
            }

            y[n] = (float)acc;
        }

        return y;
    }

    private float[] Codec(float[] x, string ext, string[] encoder)
    {
        var src = Path.Combine(_tempDir, $"a-{Guid.NewGuid():N}.wav");
        var enc = Path.Combine(_tempDir, $"a-{Guid.NewGuid():N}.{ext}");
        try
        {
            AudioWriter.WriteFile(src, x, _rate, AudioFileFormat.WavFloat);
            RunFfmpeg(["-i", src, .. encoder, enc]);
            return Fit(AudioReader.ReadAll(enc, _rate), x.Length);
        }
        finally
        {
            File.Delete(src);
            File.Delete(enc);
        }
    }

    private float[] Filter(float[] x, string filter)
    {
        var src = Path.Combine(_tempDir, $"a-{Guid.NewGuid():N}.wav");
        var dst = Path.Combine(_tempDir, $"a-{Guid.NewGuid():N}.wav");
        try
        {
            AudioWriter.WriteFile(src, x, _rate, AudioFileFormat.WavFloat);
            RunFfmpeg(["-i", src, "-af", filter, "-c:a", "pcm_f32le", dst]);
            return Fit(AudioReader.ReadAll(dst, _rate), x.Length);
        }
        finally
        {
            File.Delete(src);
            File.Delete(dst);
        }
    }

    /// <summary>Codecs add priming samples and padding; decoders with gapless info remove them. Keep the length.</summary>
    private static float[] Fit(float[] y, int n) => y.Length == n ? y : y.Length > n ? y[..n] : [.. y, .. new float[n - y.Length]];

    private static void RunFfmpeg(string[] args)
    {
        var psi = new ProcessStartInfo(Ffmpeg.FfmpegExe)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["-v", "error", "-nostdin", "-y", .. args])
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new MissingDependencyException("ffmpeg", "could not be started");
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg {string.Join(' ', args)} failed: {err.Result}");
        }
    }
}
