using System.Globalization;
using SkiaSharp;

namespace V2a.Eval.Report;

/// <summary>A vertical mark on a spectrogram: a time in seconds, drawn in a colour, at the top or the bottom.</summary>
public sealed record Tick(double Seconds, SKColor Color, bool Top);

/// <summary>One spectrogram panel: a log-mel (M, T) with a title and its ticks.</summary>
public sealed record SpectrogramPanel(string Title, float[,] LogMel, IReadOnlyList<Tick> Ticks);

/// <summary>One series of a histogram: values, a legend label and a colour; drawn as bars or as an outline.</summary>
public sealed record HistogramSeries(string Label, IReadOnlyList<double> Values, SKColor Color, bool Outline);

/// <summary>
/// The PNG figures of an eval report, drawn with SkiaSharp: stacked log-mel spectrograms with event ticks,
/// and histograms. Text needs a TrueType font; where none is found the figures are drawn without labels
/// (the markdown around them says what they show). Files are written atomically.
/// </summary>
public static class Plots
{
    private const int Margin = 44;
    private static readonly Lazy<SKTypeface?> Font = new(FindFont);

    // Eight colours of viridis, RGB, dark to bright.
    private static readonly byte[] ViridisAnchors =
    [
        68, 1, 84, 70, 50, 126, 54, 92, 141, 39, 127, 142, 31, 161, 135, 74, 193, 109, 160, 218, 57, 253, 231, 37,
    ];

    /// <summary>Stacked spectrograms sharing one time axis of <paramref name="seconds"/>.</summary>
    public static void Spectrograms(string path, string title, IReadOnlyList<SpectrogramPanel> panels, double seconds, double fps)
    {
        const int width = 1000;
        const int panelHeight = 160;
        const int gap = 30;
        var height = Margin + (panels.Count * (panelHeight + gap)) + 20;
        using var bitmap = new SKBitmap(width + (2 * Margin), height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        Text(canvas, title.Length > 130 ? title[..127] + "…" : title, Margin, 24, 15, SKColors.Black);
        for (var i = 0; i < panels.Count; i++)
        {
            var top = Margin + (i * (panelHeight + gap)) + 14;
            var p = panels[i];

            // Each panel on its own colour scale, its loudest bin down to 12 nats (≈ 52 dB) below it, so a quiet
            // track shows its structure too; the title gives the peak so levels can still be compared.
            var max = Max(p.LogMel);
            var min = max - 12;
            var peakDb = 20 * max / Math.Log(10);
            Text(canvas, $"{p.Title} (peak mel bin {peakDb.ToString("0", CultureInfo.InvariantCulture)} dB)", Margin, top - 4, 12, SKColors.Black);
            var (bins, frames) = (p.LogMel.GetLength(0), p.LogMel.GetLength(1));
            using (var image = new SKBitmap(Math.Max(1, frames), bins))
            {
                for (var m = 0; m < bins; m++)
                {
                    for (var t = 0; t < frames; t++)
                    {
                        // Low frequencies at the bottom.
                        image.SetPixel(t, bins - 1 - m, Viridis((p.LogMel[m, t] - min) / (max - min)));
                    }
                }

                var panelSeconds = frames / fps;
                var panelWidth = (float)(width * Math.Min(1, panelSeconds / seconds));
                using var picture = SKImage.FromBitmap(image);
                canvas.DrawImage(picture, new SKRect(Margin, top, Margin + panelWidth, top + panelHeight), new SKSamplingOptions(SKFilterMode.Nearest));
            }

            using var frame = new SKPaint { Color = SKColors.Gray, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
            canvas.DrawRect(Margin, top, width, panelHeight, frame);
            foreach (var tick in p.Ticks)
            {
                var x = Margin + (float)(tick.Seconds / seconds * width);
                using var paint = new SKPaint { Color = tick.Color, StrokeWidth = 2, IsAntialias = true };
                if (tick.Top)
                {
                    canvas.DrawLine(x, top - 2, x, top + 16, paint);
                }
                else
                {
                    canvas.DrawLine(x, top + panelHeight - 16, x, top + panelHeight + 2, paint);
                }
            }

            // Seconds along the bottom of the last panel.
            if (i == panels.Count - 1)
            {
                for (var s = 0; s <= (int)Math.Floor(seconds); s++)
                {
                    var x = Margin + (float)(s / seconds * width);
                    Text(canvas, s.ToString(CultureInfo.InvariantCulture) + " s", x - 6, top + panelHeight + 16, 10, SKColors.DimGray);
                }
            }
        }

        Save(bitmap, path);
    }

    /// <summary>A histogram of each series over [<paramref name="lo"/>, <paramref name="hi"/>), as fractions of its values.</summary>
    public static void Histogram(string path, string title, string xLabel, double lo, double hi, double binWidth, IReadOnlyList<HistogramSeries> series)
    {
        const int width = 640;
        const int height = 320;
        var bins = Math.Max(1, (int)Math.Round((hi - lo) / binWidth));
        using var bitmap = new SKBitmap(width + (2 * Margin), height + (2 * Margin));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        Text(canvas, title, Margin, 24, 14, SKColors.Black);
        var fractions = series.Select(s =>
        {
            var counts = new double[bins];
            foreach (var v in s.Values)
            {
                var b = (int)Math.Floor((v - lo) / binWidth);
                if (b >= 0 && b < bins)
                {
                    counts[b]++;
                }
            }

            return counts.Select(c => s.Values.Count == 0 ? 0 : c / s.Values.Count).ToArray();
        }).ToList();
        var top = Math.Max(1e-9, fractions.SelectMany(f => f).DefaultIfEmpty(0).Max()) * 1.1;
        var barWidth = (float)width / bins;
        for (var k = 0; k < series.Count; k++)
        {
            var s = series[k];
            using var paint = new SKPaint
            {
                Color = s.Outline ? s.Color : s.Color.WithAlpha(170),
                Style = s.Outline ? SKPaintStyle.Stroke : SKPaintStyle.Fill,
                StrokeWidth = 2,
                IsAntialias = true,
            };
            for (var b = 0; b < bins; b++)
            {
                var h = (float)(fractions[k][b] / top * height);
                if (h > 0)
                {
                    canvas.DrawRect(Margin + (b * barWidth) + 1, Margin + height - h, barWidth - 2, h, paint);
                }
            }

            using var legend = new SKPaint { Color = s.Color, Style = s.Outline ? SKPaintStyle.Stroke : SKPaintStyle.Fill, StrokeWidth = 2 };
            canvas.DrawRect(Margin + width - 190, Margin + 6 + (k * 18), 12, 12, legend);
            Text(canvas, $"{s.Label} (n = {s.Values.Count})", Margin + width - 172, Margin + 17 + (k * 18), 11, SKColors.Black);
        }

        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1 };
        canvas.DrawLine(Margin, Margin + height, Margin + width, Margin + height, axis);
        var labelStep = Math.Max(1, bins / 10);
        for (var b = 0; b <= bins; b += labelStep)
        {
            var x = Margin + (b * barWidth);
            canvas.DrawLine(x, Margin + height, x, Margin + height + 4, axis);
            Text(canvas, (lo + (b * binWidth)).ToString("0.##", CultureInfo.InvariantCulture), x - 8, Margin + height + 16, 10, SKColors.DimGray);
        }

        Text(canvas, xLabel, Margin + (width / 2) - 40, Margin + height + 34, 11, SKColors.Black);
        Save(bitmap, path);
    }

    private static void Save(SKBitmap bitmap, string path)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, s => data.SaveTo(s));
    }

    private static void Text(SKCanvas canvas, string text, float x, float y, float size, SKColor color)
    {
        if (Font.Value is not { } typeface)
        {
            return;
        }

        using var font = new SKFont(typeface, size);
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        canvas.DrawText(text, x, y, SKTextAlign.Left, font, paint);
    }

    private static float Max(float[,] a)
    {
        var max = float.NegativeInfinity;
        foreach (var v in a)
        {
            max = Math.Max(max, v);
        }

        return max;
    }

    /// <summary>The viridis colour map, interpolated between eight of its colours; <paramref name="x"/> in [0, 1].</summary>
    internal static SKColor Viridis(double x)
    {
        var t = Math.Clamp(double.IsNaN(x) ? 0 : x, 0, 1) * 7;
        var i = Math.Min(6, (int)Math.Floor(t));
        var f = t - i;
        byte Lerp(int c) => (byte)Math.Round(ViridisAnchors[(i * 3) + c] + (f * (ViridisAnchors[((i + 1) * 3) + c] - ViridisAnchors[(i * 3) + c])));
        return new SKColor(Lerp(0), Lerp(1), Lerp(2));
    }

    /// <summary>A sans-serif TrueType font from the usual system folders (SkiaSharp's default has no glyphs on Linux without fontconfig).</summary>
    private static SKTypeface? FindFont()
    {
        string[] preferred = ["DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf", "Helvetica.ttc", "NotoSans-Regular.ttf"];
        string[] folders =
        [
            "/usr/share/fonts", "/usr/local/share/fonts",
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".fonts"),
            "/System/Library/Fonts", "/Library/Fonts", Environment.GetFolderPath(Environment.SpecialFolder.Fonts),
        ];
        foreach (var name in preferred)
        {
            foreach (var folder in folders.Where(f => !string.IsNullOrEmpty(f) && Directory.Exists(f)))
            {
                var hit = Directory.EnumerateFiles(folder, name, SearchOption.AllDirectories).FirstOrDefault();
                if (hit is not null && SKTypeface.FromFile(hit) is { GlyphCount: > 0 } typeface)
                {
                    return typeface;
                }
            }
        }

        return SKTypeface.Default is { GlyphCount: > 0 } fallback ? fallback : null;
    }
}
