namespace V2a.Eval.Tests;

/// <summary>Hand-built inputs for metric tests.</summary>
internal static class Synthetic
{
    public const int SampleRate = 16_000;

    /// <summary>N vectors of D standard normal values (Box–Muller on a seeded System.Random).</summary>
    public static List<float[]> Gaussian(int n, int d, int seed)
    {
        var rng = new Random(seed);
        var result = new List<float[]>(n);
        for (var i = 0; i < n; i++)
        {
            var v = new float[d];
            for (var j = 0; j < d; j++)
            {
                var u1 = 1.0 - rng.NextDouble();
                var u2 = rng.NextDouble();
                v[j] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            }

            result.Add(v);
        }

        return result;
    }

    /// <summary>Silence of <paramref name="seconds"/> with a one-sample click of amplitude 0.8 at each given sample.</summary>
    public static float[] Clicks(double seconds, IEnumerable<long> atSamples)
    {
        var x = new float[(int)Math.Round(seconds * SampleRate)];
        foreach (var s in atSamples)
        {
            x[s] = 0.8f;
        }

        return x;
    }

    /// <summary>
    /// Frames (RGB24, <paramref name="size"/>²) of a black picture in which a white square flashes for one
    /// frame at each of <paramref name="flashFrames"/>, moving across the picture from flash to flash.
    /// </summary>
    public static List<byte[]> FlashingSquare(int frames, int size, IReadOnlyCollection<int> flashFrames)
    {
        var result = new List<byte[]>(frames);
        var k = 0;
        for (var j = 0; j < frames; j++)
        {
            var rgb = new byte[size * size * 3];
            if (flashFrames.Contains(j))
            {
                var x0 = (k * 7) % (size - 8);
                var y0 = (k * 11) % (size - 8);
                for (var y = y0; y < y0 + 8; y++)
                {
                    for (var x = x0; x < x0 + 8; x++)
                    {
                        rgb[(((y * size) + x) * 3) + 0] = 255;
                        rgb[(((y * size) + x) * 3) + 1] = 255;
                        rgb[(((y * size) + x) * 3) + 2] = 255;
                    }
                }

                k++;
            }

            result.Add(rgb);
        }

        return result;
    }
}
