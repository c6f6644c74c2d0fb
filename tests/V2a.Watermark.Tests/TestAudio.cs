using V2a.Watermark;
using V2a.Watermark.Bench;

namespace V2a.Watermark.Tests;

/// <summary>Shared clips: synthesised once per test run (espeak-ng speech is the slow one).</summary>
internal static class TestAudio
{
    public static readonly WatermarkSettings S = WatermarkSettings.Default;
    public static readonly WatermarkPayload Payload = new(0xBEEF, 0x12345678);
    private static readonly Lazy<string> Temp = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("v2a-wm-test-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // best effort: a leftover temp folder is harmless
            }
        };
        return dir;
    });
    private static readonly Dictionary<(ClipKind, int, double), float[]> Cache = [];

    public static string TempDir => Temp.Value;

    public static float[] Clip(ClipKind kind, int seed = 7, double seconds = 8)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue((kind, seed, seconds), out var x))
            {
                x = new ClipSynth(S.SampleRate, TempDir).Make(kind, seed, seconds).Samples;
                Cache[(kind, seed, seconds)] = x;
            }

            return x;
        }
    }

    public static float[] Marked(ClipKind kind, int seed = 7, double seconds = 8) =>
        Watermarker.Embed(Clip(kind, seed, seconds), S.SampleRate, Payload, WatermarkKey.Public);

    public static double SnrDb(float[] x, float[] y)
    {
        double sx = 0, sw = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sx += x[i] * (double)x[i];
            sw += (y[i] - x[i]) * (double)(y[i] - x[i]);
        }

        return 10 * Math.Log10(sx / sw);
    }
}

/// <summary>Deterministic noise with slow swells, made chunk by chunk so a test need not hold the whole signal.</summary>
internal sealed class SwellingNoise(int seed)
{
    private readonly Random _rng = new(seed);
    private long _n;
    private double _low;

    public float[] Next(int count)
    {
        var x = new float[count];
        for (var i = 0; i < count; i++, _n++)
        {
            var w = (_rng.NextDouble() * 2) - 1;
            _low = (0.97 * _low) + (0.03 * w); // a little colour
            var swell = 0.6 + (0.4 * Math.Sin(2 * Math.PI * _n / (3.7 * 16_000.0)));
            x[i] = (float)(0.05 * swell * (w + (4 * _low)));
        }

        return x;
    }
}
