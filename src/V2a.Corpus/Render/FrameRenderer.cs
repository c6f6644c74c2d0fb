using SkiaSharp;
using V2a.Corpus.Scene;

namespace V2a.Corpus.Render;

/// <summary>
/// Draws a scene's frames with SkiaSharp into packed RGB24. Frame i shows time i / fps (as FrameReader decodes
/// it). Order: the set, then plants and visible sources from far to near, then light (brightness, tint,
/// vignette), then full-frame effects (rain streaks, flashes).
/// </summary>
public sealed class FrameRenderer : IDisposable
{
    private readonly FoleyScene _scene;
    private readonly SKSurface _surface;
    private readonly DrawContext _dc;
    private readonly List<(double BaseY, int Order, Plant? Plant, Source? Source)> _items = [];

    public FrameRenderer(FoleyScene scene, int sizePixels)
    {
        _scene = scene;
        Size = sizePixels;
        _surface = SKSurface.Create(new SKImageInfo(sizePixels, sizePixels, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException("SkiaSharp could not create a raster surface");
        _dc = new DrawContext(scene, sizePixels);
        var order = 0;
        foreach (var p in scene.Stage.Plants)
        {
            _items.Add((p.BaseY, order++, p, null));
        }

        foreach (var s in scene.Sources.Where(s => s.Visible))
        {
            _items.Add((s.BaseY, order++, null, s));
        }

        _items.Sort((a, b) => a.BaseY != b.BaseY ? a.BaseY.CompareTo(b.BaseY) : a.Order.CompareTo(b.Order));
    }

    public int Size { get; }

    /// <summary>Bytes of one RGB24 frame.</summary>
    public int FrameBytes => Size * Size * 3;

    /// <summary>Draws frame <paramref name="frame"/> (time frame / fps) into <paramref name="rgb"/>.</summary>
    public void Render(int frame, double fps, Span<byte> rgb)
    {
        var t = frame / fps;
        _dc.Frame = frame;
        var c = _surface.Canvas;
        c.Clear(SKColors.Black);
        c.Save();
        c.Scale(Size, Size);
        var (cx, cy, zoom) = _scene.Camera.At(t, _scene.ShakeAt(t));
        c.Translate(0.5f, 0.5f);
        c.Scale((float)zoom, (float)zoom);
        c.Translate((float)-cx, (float)-cy);
        StagePainter.DrawBack(c, t, _dc);
        foreach (var item in _items)
        {
            if (item.Plant is { } p)
            {
                StagePainter.DrawPlant(c, p, t, _dc);
            }
            else
            {
                item.Source!.Draw(c, t, _dc);
            }
        }

        c.Restore();
        c.Save();
        c.Scale(Size, Size);
        DrawLight(c, t);
        foreach (var s in _scene.Sources.Where(s => s.Visible))
        {
            s.DrawOverlay(c, t, _dc);
        }

        c.Restore();
        c.Flush();
        CopyRgb(rgb);
    }

    private void DrawLight(SKCanvas c, double t)
    {
        var light = _scene.Lighting;
        var b = light.BrightnessAt(t);
        if (b < 1)
        {
            c.DrawRect(0, 0, 1, 1, _dc.Fill(Colors.Alpha(SKColors.Black, 1 - b)));
        }
        else if (b > 1)
        {
            c.DrawRect(0, 0, 1, 1, _dc.Blend(Colors.Alpha(SKColors.White, (b - 1) * 0.8), SKBlendMode.Screen));
        }

        if (light.TintStrength > 0)
        {
            c.DrawRect(0, 0, 1, 1, _dc.Blend(Colors.Alpha(Stage.Hsv(light.TintHue, 0.8, 0.9), light.TintStrength), SKBlendMode.Overlay));
        }

        if (light.Vignette > 0)
        {
            using var shader = SKShader.CreateRadialGradient(new SKPoint(0.5f, 0.5f), 0.75f,
                [SKColors.Transparent, Colors.Alpha(SKColors.Black, light.Vignette)], [0.55f, 1f], SKShaderTileMode.Clamp);
            c.DrawRect(0, 0, 1, 1, _dc.Shaded(shader));
        }
    }

    private void CopyRgb(Span<byte> rgb)
    {
        using var pixmap = _surface.PeekPixels();
        var src = pixmap.GetPixelSpan();
        var n = Size * Size;
        if (rgb.Length != n * 3)
        {
            throw new ArgumentException($"a frame is {n * 3} bytes, the buffer is {rgb.Length}", nameof(rgb));
        }

        for (int i = 0, j = 0; i < n; i++, j += 4)
        {
            rgb[i * 3] = src[j];
            rgb[(i * 3) + 1] = src[j + 1];
            rgb[(i * 3) + 2] = src[j + 2];
        }
    }

    public void Dispose()
    {
        _dc.Dispose();
        _surface.Dispose();
    }
}
