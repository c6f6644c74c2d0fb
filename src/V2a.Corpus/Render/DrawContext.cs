using SkiaSharp;
using V2a.Corpus.Scene;

namespace V2a.Corpus.Render;

/// <summary>
/// What a source needs while drawing a frame: the scene, the frame's index and time, and reusable paints (one
/// per renderer, so drawing allocates nothing per frame). Paint helpers return the same object reconfigured:
/// use each result before asking for the next.
/// </summary>
public sealed class DrawContext : IDisposable
{
    private readonly SKPaint _paint = new() { IsAntialias = true };

    public DrawContext(FoleyScene scene, int sizePixels)
    {
        Scene = scene;
        SizePixels = sizePixels;
    }

    public FoleyScene Scene { get; }

    public Stage Stage => Scene.Stage;

    /// <summary>Frame side in pixels: one stage unit at zoom 1.</summary>
    public int SizePixels { get; }

    public int Frame { get; set; }

    /// <summary>A stage length that is <paramref name="pixels"/> pixels at zoom 1 (for hairlines that must stay visible).</summary>
    public float Px(double pixels) => (float)(pixels / SizePixels);

    public SKPaint Fill(SKColor color)
    {
        Reset();
        _paint.Style = SKPaintStyle.Fill;
        _paint.Color = color;
        return _paint;
    }

    public SKPaint Stroke(SKColor color, double width, bool round = true)
    {
        Reset();
        _paint.Style = SKPaintStyle.Stroke;
        _paint.Color = color;
        _paint.StrokeWidth = (float)width;
        _paint.StrokeCap = round ? SKStrokeCap.Round : SKStrokeCap.Butt;
        return _paint;
    }

    public SKPaint Shaded(SKShader shader, SKBlendMode blend = SKBlendMode.SrcOver)
    {
        Reset();
        _paint.Style = SKPaintStyle.Fill;
        _paint.Color = SKColors.White;
        _paint.Shader = shader;
        _paint.BlendMode = blend;
        return _paint;
    }

    public SKPaint Blend(SKColor color, SKBlendMode blend)
    {
        Reset();
        _paint.Style = SKPaintStyle.Fill;
        _paint.Color = color;
        _paint.BlendMode = blend;
        return _paint;
    }

    private void Reset()
    {
        _paint.Shader = null;
        _paint.BlendMode = SKBlendMode.SrcOver;
        _paint.StrokeWidth = 0;
    }

    public void Dispose() => _paint.Dispose();
}

/// <summary>Colour helpers.</summary>
public static class Colors
{
    public static SKColor Shade(SKColor c, double factor) => new(
        (byte)Math.Clamp(c.Red * factor, 0, 255), (byte)Math.Clamp(c.Green * factor, 0, 255), (byte)Math.Clamp(c.Blue * factor, 0, 255), c.Alpha);

    public static SKColor Mix(SKColor a, SKColor b, double t) => new(
        (byte)Math.Clamp(a.Red + ((b.Red - a.Red) * t), 0, 255), (byte)Math.Clamp(a.Green + ((b.Green - a.Green) * t), 0, 255),
        (byte)Math.Clamp(a.Blue + ((b.Blue - a.Blue) * t), 0, 255), (byte)Math.Clamp(a.Alpha + ((b.Alpha - a.Alpha) * t), 0, 255));

    public static SKColor Alpha(SKColor c, double alpha) => c.WithAlpha((byte)Math.Clamp(alpha * 255, 0, 255));

    /// <summary>Plain words for a colour, for captions ("red", "dark blue", "grey").</summary>
    public static string Name(SKColor c)
    {
        c.ToHsv(out var h, out var s, out var v);
        if (v < 18)
        {
            return "black";
        }

        if (s < 15)
        {
            return v > 85 ? "white" : v > 55 ? "light grey" : "grey";
        }

        var hue = h switch
        {
            < 15 or >= 345 => "red",
            < 40 => s > 50 && v < 60 ? "brown" : "orange",
            < 65 => "yellow",
            < 160 => "green",
            < 195 => "teal",
            < 255 => "blue",
            < 290 => "purple",
            _ => "pink",
        };
        return v < 40 && hue != "brown" ? $"dark {hue}" : hue;
    }
}

/// <summary>Drawing a path under construction (SkiaSharp 4 builds paths with <see cref="SKPathBuilder"/>).</summary>
public static class PathBuilderExtensions
{
    public static void DrawPath(this SKCanvas canvas, SKPathBuilder builder, SKPaint paint)
    {
        using var path = builder.Snapshot();
        canvas.DrawPath(path, paint);
    }

    public static void ClipPath(this SKCanvas canvas, SKPathBuilder builder, bool antialias)
    {
        using var path = builder.Snapshot();
        canvas.ClipPath(path, SKClipOperation.Intersect, antialias);
    }
}
