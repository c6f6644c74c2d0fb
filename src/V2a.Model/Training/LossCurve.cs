using System.Globalization;
using SkiaSharp;

namespace V2a.Model.Training;

/// <summary>Draws the training log as a PNG: training loss (light, and smoothed dark) and validation loss
/// (orange dots) against step, on a logarithmic loss axis.</summary>
public static class LossCurve
{
    // Skia without fontconfig has no default face: load a common TrueType file, else draw no labels.
    private static readonly Lazy<SKTypeface> Typeface = new(() =>
        new[] { "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf", "/Library/Fonts/Arial.ttf", "C:/Windows/Fonts/arial.ttf" }
            .Where(File.Exists).Select(SKTypeface.FromFile).FirstOrDefault(f => f is not null) ?? SKTypeface.Default);

    public static void Write(string path, IReadOnlyList<(int Step, double Loss)> train, IReadOnlyList<(int Step, double Loss)> val,
        string title)
    {
        const int width = 900, height = 500, left = 70, right = 20, top = 40, bottom = 50;
        var points = train.Concat(val).Where(p => p.Loss > 0 && double.IsFinite(p.Loss)).ToList();
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var font = new SKFont(Typeface.Value, 13);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(title, left, 24, SKTextAlign.Left, font, ink);
        if (points.Count > 0)
        {
            var maxStep = Math.Max(1, points.Max(p => p.Step));
            var lo = Math.Log10(points.Min(p => p.Loss));
            var hi = Math.Log10(points.Max(p => p.Loss));
            if (hi - lo < 0.1)
            {
                (lo, hi) = (lo - 0.05, hi + 0.05);
            }

            float X(int step) => left + ((float)step / maxStep * (width - left - right));
            float Y(double loss) => top + (float)((hi - Math.Log10(loss)) / (hi - lo) * (height - top - bottom));

            using var grid = new SKPaint { Color = new SKColor(225, 225, 225), StrokeWidth = 1 };
            var gridStep = hi - lo > 1 ? 0.25 : hi - lo > 0.3 ? 0.1 : 0.025; // in log10 units
            for (var e = Math.Floor(lo / gridStep) * gridStep; e <= hi; e += gridStep)
            {
                if (e < lo)
                {
                    continue;
                }

                var y = Y(Math.Pow(10, e));
                canvas.DrawLine(left, y, width - right, y, grid);
                canvas.DrawText(Math.Pow(10, e).ToString("0.###", CultureInfo.InvariantCulture), 8, y + 4, SKTextAlign.Left, font, ink);
            }

            canvas.DrawText("0", left, height - bottom + 18, SKTextAlign.Left, font, ink);
            canvas.DrawText($"step {maxStep}", width - right - 80, height - bottom + 18, SKTextAlign.Left, font, ink);
            Polyline(canvas, train.Select(p => (X(p.Step), Y(p.Loss))), new SKColor(160, 190, 230), 1);
            Polyline(canvas, Smooth(train).Select(p => (X(p.Step), Y(p.Loss))), new SKColor(20, 70, 160), 2);
            using var dot = new SKPaint { Color = new SKColor(230, 120, 20), IsAntialias = true };
            foreach (var (s, l) in val)
            {
                canvas.DrawCircle(X(s), Y(l), 4, dot);
            }
        }

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, s => data.SaveTo(s));
    }

    private static void Polyline(SKCanvas canvas, IEnumerable<(float X, float Y)> points, SKColor color, float width)
    {
        using var paint = new SKPaint { Color = color, StrokeWidth = width, IsAntialias = true, Style = SKPaintStyle.Stroke };
        var pts = points.Select(p => new SKPoint(p.X, p.Y)).ToArray();
        if (pts.Length > 1)
        {
            canvas.DrawPoints(SKPointMode.Polygon, pts, paint);
        }
    }

    /// <summary>Exponential moving average over logged points (weight 0.9 on the past).</summary>
    private static IEnumerable<(int Step, double Loss)> Smooth(IReadOnlyList<(int Step, double Loss)> points)
    {
        double? avg = null;
        foreach (var (s, l) in points.Where(p => p.Loss > 0 && double.IsFinite(p.Loss)))
        {
            avg = avg is null ? l : (0.9 * avg.Value) + (0.1 * l);
            yield return (s, avg.Value);
        }
    }
}
