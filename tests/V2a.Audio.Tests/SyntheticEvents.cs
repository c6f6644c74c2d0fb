namespace V2a.Audio.Tests;

/// <summary>Kinds of synthetic sound event, each with a known start sample.</summary>
internal enum EventKind
{
    Click,
    Impact,
    Knock,
    Footstep,
    Note,
    ToneBurst,
}

/// <summary>
/// Seeded scenes of everyday-like events at known start times over an optional background: the ground
/// truth for onset tests. Every event starts exactly at its start sample (nothing before it).
/// </summary>
internal static class SyntheticEvents
{
    public sealed record Scene(float[] Samples, double[] OnsetSeconds);

    /// <param name="backgroundDbfs">RMS of steady white noise under the events, or null for silence.</param>
    public static Scene Make(int sampleRate, double seconds, EventKind[] kinds, int seed,
        double minGapSeconds = 0.15, double maxGapSeconds = 0.6, double? backgroundDbfs = null)
    {
        var rng = new Random(seed);
        var n = (int)(seconds * sampleRate);
        var x = new double[n];
        var onsets = new List<double>();
        var t = 0.2 + rng.NextDouble() * 0.2;
        while (t < seconds - 0.3)
        {
            var start = (int)Math.Round(t * sampleRate);
            var kind = kinds[rng.Next(kinds.Length)];
            var amplitude = Math.Pow(10, (-26 + 20 * rng.NextDouble()) / 20); // −26..−6 dBFS peak
            AddEvent(x, start, sampleRate, kind, amplitude, rng);
            onsets.Add((double)start / sampleRate);
            t += minGapSeconds + rng.NextDouble() * (maxGapSeconds - minGapSeconds);
        }

        if (backgroundDbfs is { } db)
        {
            var sigma = Math.Pow(10, db / 20);
            for (var i = 0; i < n; i++)
            {
                x[i] += sigma * Gaussian(rng);
            }
        }

        return new Scene(x.Select(v => (float)v).ToArray(), onsets.ToArray());
    }

    public static void AddEvent(double[] x, int start, int sampleRate, EventKind kind, double amplitude, Random rng)
    {
        double Sec(int i) => (double)i / sampleRate;
        switch (kind)
        {
            case EventKind.Click:
                // A 3-sample click, like a tick or a clap's leading edge.
                Add(x, start, amplitude);
                Add(x, start + 1, -0.6 * amplitude);
                Add(x, start + 2, 0.3 * amplitude);
                break;
            case EventKind.Impact:
            {
                // Noise burst, instant attack, exponential decay (10–60 ms), one-pole low pass.
                var tau = 0.01 + 0.05 * rng.NextDouble();
                var pole = Math.Exp(-2 * Math.PI * (1000 + 5000 * rng.NextDouble()) / sampleRate);
                var y = 0.0;
                var len = (int)(tau * 6 * sampleRate);
                for (var i = 0; i < len; i++)
                {
                    y = (1 - pole) * Gaussian(rng) + pole * y;
                    Add(x, start + i, amplitude * 2.5 * y * Math.Exp(-Sec(i) / tau));
                }

                break;
            }
            case EventKind.Knock:
            {
                // Two or three damped modes (150–1200 Hz, 20–60 ms) behind a 2 ms noise tick.
                var modes = 2 + rng.Next(2);
                var len = (int)(0.3 * sampleRate);
                for (var m = 0; m < modes; m++)
                {
                    var f = 150 + 1050 * rng.NextDouble();
                    var tau = 0.02 + 0.04 * rng.NextDouble();
                    for (var i = 0; i < len; i++)
                    {
                        Add(x, start + i, amplitude / modes * Math.Sin(2 * Math.PI * f * Sec(i)) * Math.Exp(-Sec(i) / tau));
                    }
                }

                var tick = (int)(0.002 * sampleRate);
                for (var i = 0; i < tick; i++)
                {
                    Add(x, start + i, 0.5 * amplitude * Gaussian(rng) * (1 - (double)i / tick));
                }

                break;
            }
            case EventKind.Footstep:
            {
                // Low-passed noise (~600 Hz), 3 ms attack, 60–120 ms decay.
                var tau = 0.03 + 0.03 * rng.NextDouble();
                var pole = Math.Exp(-2 * Math.PI * 600 / sampleRate);
                var y = 0.0;
                var len = (int)(0.25 * sampleRate);
                var attack = 0.003;
                for (var i = 0; i < len; i++)
                {
                    y = (1 - pole) * Gaussian(rng) + pole * y;
                    var env = Math.Min(1, Sec(i) / attack) * Math.Exp(-Sec(i) / tau);
                    Add(x, start + i, amplitude * 6 * y * env);
                }

                break;
            }
            case EventKind.Note:
            {
                // A harmonic note (110–880 Hz, 6 partials), 5–15 ms attack, 0.2–0.6 s decay, 0.5 s long.
                var f0 = 110 * Math.Pow(2, 3 * rng.NextDouble());
                var attack = 0.005 + 0.01 * rng.NextDouble();
                var tau = 0.2 + 0.4 * rng.NextDouble();
                var len = (int)(0.5 * sampleRate);
                for (var i = 0; i < len; i++)
                {
                    var s = Sec(i);
                    var env = Math.Min(1, s / attack) * Math.Exp(-s / tau) * Math.Min(1, (len - i) / (0.02 * sampleRate));
                    var v = 0.0;
                    for (var h = 1; h <= 6 && f0 * h < sampleRate / 2.0; h++)
                    {
                        v += Math.Sin(2 * Math.PI * f0 * h * s) / h;
                    }

                    Add(x, start + i, amplitude * 0.5 * v * env);
                }

                break;
            }
            case EventKind.ToneBurst:
            {
                // A sine (200–4000 Hz) with 5 ms linear ramps, 80–250 ms long.
                var f = 200 * Math.Pow(20, rng.NextDouble());
                var len = (int)((0.08 + 0.17 * rng.NextDouble()) * sampleRate);
                var ramp = 0.005 * sampleRate;
                for (var i = 0; i < len; i++)
                {
                    var env = Math.Min(1, Math.Min(i / ramp, (len - i) / ramp));
                    Add(x, start + i, amplitude * env * Math.Sin(2 * Math.PI * f * Sec(i)));
                }

                break;
            }
        }
    }

    private static void Add(double[] x, int i, double v)
    {
        if (i >= 0 && i < x.Length)
        {
            x[i] += v;
        }
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
