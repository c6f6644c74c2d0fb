using System.Globalization;
using SkiaSharp;
using V2a.Audio;
using V2a.Media;

namespace V2a.Corpus.Render;

/// <summary>
/// A clip at a glance: a strip of frames along the top (with their times), the log-mel spectrogram of its audio
/// below, and each event as a tick at its start with its class (solid on screen, dashed off screen), the
/// captions underneath. Written as PNG.
/// </summary>
public static class ContactSheet
{
    private const int Width = 1024;
    private const int SpecHeight = 240;
    private const int Margin = 8;

    /// <param name="videoPath">The clip's video (frames; its audio is used when <paramref name="audioPath"/> is null).</param>
    /// <param name="audioPath">Lossless audio to analyse, or null.</param>
    /// <param name="clip">Its meta line (events and captions), or null for any video.</param>
    public static void Write(string videoPath, string? audioPath, CorpusClip? clip, string outPng, int frames = 8)
    {
        var info = MediaProbe.ProbeVideo(videoPath);
        var seconds = clip?.Seconds ?? info.DurationSeconds;
        var settings = AudioSettings.Default;
        var sr = settings.SampleRate;
        var audio = info.HasAudio || audioPath is not null ? AudioReader.ReadAll(audioPath ?? videoPath, sr, maxSeconds: seconds) : [];
        var thumb = Width / frames;
        var wanted = Enumerable.Range(0, frames).Select(i => (i + 0.5) * seconds / frames).ToArray();
        var fps = VideoSettings.Default.Fps;
        var thumbs = new SKBitmap?[frames];
        foreach (var f in FrameReader.Read(videoPath, fps, thumb, thumb, seconds))
        {
            for (var i = 0; i < frames; i++)
            {
                if (thumbs[i] is null && f.TimeSeconds >= wanted[i] - (0.5 / fps))
                {
                    thumbs[i] = ToBitmap(f);
                }
            }
        }

        var captions = clip?.Captions ?? [];
        var textLines = 1 + captions.Count + (clip?.Transcript is null ? 0 : 1);
        var height = thumb + 22 + SpecHeight + 40 + (textLines * 16) + Margin;
        using var surface = SKSurface.Create(new SKImageInfo(Width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException("SkiaSharp could not create a surface");
        var c = surface.Canvas;
        c.Clear(new SKColor(250, 250, 248));
        using var typeface = LoadTypeface();
        using var font = new SKFont(typeface, 11);
        using var bold = new SKFont(typeface, 12) { Embolden = true };
        using var paint = new SKPaint { IsAntialias = true };
        var inv = CultureInfo.InvariantCulture;
        for (var i = 0; i < frames; i++)
        {
            if (thumbs[i] is { } bmp)
            {
                using (var img = SKImage.FromBitmap(bmp))
                {
                    c.DrawImage(img, i * thumb, 0, new SKSamplingOptions(SKFilterMode.Nearest));
                }

                bmp.Dispose();
            }

            paint.Color = SKColors.Black;
            c.DrawText($"{wanted[i].ToString("0.00", inv)} s", (i * thumb) + 3, thumb + 13, SKTextAlign.Left, font, paint);
        }

        var top = thumb + 20;
        DrawSpectrogram(c, audio, settings, top);
        paint.Color = new SKColor(90, 90, 90);
        for (var s = 0; s <= (int)seconds; s++)
        {
            var x = (float)(s / seconds * Width);
            c.DrawLine(x, top + SpecHeight, x, top + SpecHeight + 4, paint);
            c.DrawText($"{s}", x + 2, top + SpecHeight + 14, SKTextAlign.Left, font, paint);
        }

        if (clip is not null)
        {
            DrawEvents(c, clip, seconds, top, font);
        }

        var y = top + SpecHeight + 52f;
        paint.Color = SKColors.Black;
        var title = clip is null ? Path.GetFileName(videoPath) : $"{clip.Id}  seed {clip.Seed}  {clip.Generator}  {clip.Events.Count} events  background: {(clip.Background.Count == 0 ? "none" : string.Join(", ", clip.Background))}";
        c.DrawText(title, Margin, y, SKTextAlign.Left, bold, paint);
        foreach (var caption in captions)
        {
            y += 16;
            c.DrawText(Fit($"“{caption}”", font, Width - (2 * Margin)), Margin, y, SKTextAlign.Left, font, paint);
        }

        if (clip?.Transcript is { } transcript)
        {
            y += 16;
            c.DrawText(Fit($"transcript: {transcript}", font, Width - (2 * Margin)), Margin, y, SKTextAlign.Left, font, paint);
        }

        c.Flush();
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(outPng, s => data.SaveTo(s));
    }

    private static SKBitmap ToBitmap(VideoFrame f)
    {
        var bmp = new SKBitmap(new SKImageInfo(f.Width, f.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var px = bmp.GetPixelSpan();
        var n = f.Width * f.Height;
        for (var i = 0; i < n; i++)
        {
            px[i * 4] = f.Rgb[i * 3];
            px[(i * 4) + 1] = f.Rgb[(i * 3) + 1];
            px[(i * 4) + 2] = f.Rgb[(i * 3) + 2];
            px[(i * 4) + 3] = 255;
        }

        return bmp;
    }

    /// <summary>Log-mel (the model's own front end), low frequencies at the bottom, −11.5…+2 ln units mapped to a dark-to-bright ramp.</summary>
    private static void DrawSpectrogram(SKCanvas c, float[] audio, AudioSettings settings, int top)
    {
        using var bg = new SKPaint { Color = new SKColor(10, 10, 30) };
        c.DrawRect(0, top, Width, SpecHeight, bg);
        if (audio.Length < settings.NFft)
        {
            return;
        }

        var mel = LogMel.Compute(audio, settings); // (MelBins, frames)
        var bins = mel.GetLength(0);
        var frames = mel.GetLength(1);
        using var bmp = new SKBitmap(new SKImageInfo(frames, bins, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var px = bmp.GetPixelSpan();
        var lo = Math.Log(settings.LogFloor);
        for (var m = 0; m < bins; m++)
        {
            for (var f = 0; f < frames; f++)
            {
                var v = Math.Clamp((mel[m, f] - lo) / (2 - lo), 0, 1);
                var (r, g, b) = Ramp(v);
                var o = (((bins - 1 - m) * frames) + f) * 4;
                px[o] = r;
                px[o + 1] = g;
                px[o + 2] = b;
                px[o + 3] = 255;
            }
        }

        using var image = SKImage.FromBitmap(bmp);
        c.DrawImage(image, new SKRect(0, top, Width, top + SpecHeight), new SKSamplingOptions(SKFilterMode.Linear));
    }

    /// <summary>Black → purple → orange → pale yellow (magma-like).</summary>
    private static (byte, byte, byte) Ramp(double v)
    {
        (double p, double r, double g, double b)[] stops = [(0, 0, 0, 4), (0.3, 80, 18, 123), (0.6, 222, 73, 104), (0.85, 253, 170, 100), (1, 252, 253, 191)];
        for (var i = 1; i < stops.Length; i++)
        {
            if (v <= stops[i].p)
            {
                var a = stops[i - 1];
                var z = stops[i];
                var t = (v - a.p) / (z.p - a.p);
                return ((byte)(a.r + ((z.r - a.r) * t)), (byte)(a.g + ((z.g - a.g) * t)), (byte)(a.b + ((z.b - a.b) * t)));
            }
        }

        return (252, 253, 191);
    }

    private static void DrawEvents(SKCanvas c, CorpusClip clip, double seconds, int top, SKFont font)
    {
        var classes = SoundClasses.All;
        using var line = new SKPaint { IsAntialias = true, StrokeWidth = 1.5f, Style = SKPaintStyle.Stroke };
        using var dashes = SKPathEffect.CreateDash([4, 3], 0);
        using var text = new SKPaint { IsAntialias = true };
        var rows = 4;
        var lastX = new float[rows];
        Array.Fill(lastX, float.NegativeInfinity);
        foreach (var e in clip.Events)
        {
            var x = (float)(e.TStart / seconds * Width);
            var hue = (classes.ToList().IndexOf(e.Class) * 360f / classes.Count) % 360;
            var color = SKColor.FromHsv(hue, 80, 95);
            line.Color = color;
            line.PathEffect = e.OnScreen ? null : dashes;
            c.DrawLine(x, top, x, top + SpecHeight, line);
            // The event's extent as a bar along the top edge.
            var x2 = (float)(e.TEnd / seconds * Width);
            line.PathEffect = null;
            c.DrawLine(x, top + 2, Math.Max(x + 2, x2), top + 2, line);
            var label = e.OnScreen ? e.Class : $"{e.Class} (off)";
            var w = font.MeasureText(label);
            var row = Enumerable.Range(0, rows).FirstOrDefault(r => lastX[r] < x, -1);
            if (row < 0)
            {
                continue;
            }

            lastX[row] = x + w + 4;
            text.Color = SKColors.Black.WithAlpha(170);
            c.DrawRect(x + 2, top + 6 + (row * 14), w + 2, 13, text);
            text.Color = color;
            c.DrawText(label, x + 3, top + 16 + (row * 14), SKTextAlign.Left, font, text);
        }
    }

    private static string Fit(string s, SKFont font, float width)
    {
        if (font.MeasureText(s) <= width)
        {
            return s;
        }

        while (s.Length > 4 && font.MeasureText(s + "…") > width)
        {
            s = s[..^1];
        }

        return s + "…";
    }

    /// <summary>DejaVu Sans when installed (Debian's fonts-dejavu-core); otherwise Skia's default face.</summary>
    private static SKTypeface LoadTypeface()
    {
        foreach (var path in new[] { "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf", "/Library/Fonts/Arial.ttf", "C:/Windows/Fonts/arial.ttf" })
        {
            if (File.Exists(path) && SKTypeface.FromFile(path) is { } face)
            {
                return face;
            }
        }

        return SKTypeface.Default;
    }
}
