using SkiaSharp;
using V2a.Media;

namespace V2a.Server.Rendering;

/// <summary>
/// Draws a soundtrack's waveform as a PNG: per pixel column the sample range (min..max) and, brighter, the RMS
/// band, with a tick at every second. The audio is streamed, so memory does not grow with its length.
/// </summary>
public static class WaveformRenderer
{
    public const int DefaultWidth = 960;

    public const int DefaultHeight = 160;

    private static readonly SKColor Background = new(0x11, 0x18, 0x27);
    private static readonly SKColor Peak = new(0x38, 0xbd, 0xf8, 0x99);
    private static readonly SKColor Rms = new(0x7d, 0xd3, 0xfc);
    private static readonly SKColor Axis = new(0xff, 0xff, 0xff, 0x30);

    /// <summary>Renders <paramref name="audioPath"/> (any file ffmpeg decodes) to <paramref name="pngPath"/>, atomically.</summary>
    public static void Render(string audioPath, string pngPath, int width = DefaultWidth, int height = DefaultHeight)
    {
        var sampleRate = AudioSettings.Default.SampleRate;
        var seconds = MediaProbe.Probe(audioPath).DurationSeconds;
        var expected = Math.Max(1, (long)Math.Ceiling(seconds * sampleRate));

        // Per column: min and max sample in [-1, 1], and the sum of squares for the RMS.
        var min = new float[width];
        var max = new float[width];
        var sumSq = new double[width];
        var count = new long[width];
        long index = 0;
        foreach (var chunk in AudioReader.ReadChunks(audioPath, sampleRate))
        {
            foreach (var s in chunk)
            {
                var col = (int)Math.Min(width - 1, index * width / expected);
                min[col] = Math.Min(min[col], s);
                max[col] = Math.Max(max[col], s);
                sumSq[col] += s * s;
                count[col]++;
                index++;
            }
        }

        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(Background);
            var mid = height / 2f;
            var half = height / 2f - 4; // 4 px margin top and bottom
            using var axis = new SKPaint { Color = Axis, StrokeWidth = 1, IsAntialias = false };
            canvas.DrawLine(0, mid, width, mid, axis);
            if (seconds > 0)
            {
                for (var t = 1; t < seconds; t++)
                {
                    var x = (float)(t / seconds * width);
                    canvas.DrawLine(x, height - 6, x, height, axis);
                    canvas.DrawLine(x, 0, x, 6, axis);
                }
            }

            using var peak = new SKPaint { Color = Peak, StrokeWidth = 1, IsAntialias = false };
            using var rms = new SKPaint { Color = Rms, StrokeWidth = 1, IsAntialias = false };
            for (var x = 0; x < width; x++)
            {
                if (count[x] == 0)
                {
                    continue;
                }

                var px = x + 0.5f;
                canvas.DrawLine(px, mid - (max[x] * half), px, mid - (min[x] * half) + 1, peak);
                var r = (float)Math.Sqrt(sumSq[x] / count[x]);
                canvas.DrawLine(px, mid - (r * half), px, mid + (r * half) + 1, rms);
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(pngPath, s => data.SaveTo(s));
    }
}
