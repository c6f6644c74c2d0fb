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
