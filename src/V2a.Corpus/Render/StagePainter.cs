using SkiaSharp;
using V2a.Corpus.Scene;

namespace V2a.Corpus.Render;

/// <summary>Draws the set: sky or wall, decorations, the floor with its texture, and plants swaying with the wind.</summary>
public static class StagePainter
{
    /// <summary>Everything behind the sources. Drawn a little beyond [0, 1] so camera pans never show an edge.</summary>
    public static void DrawBack(SKCanvas c, double t, DrawContext dc)
    {
        var s = dc.Stage;
        var h = (float)s.HorizonY;
        using (var sky = SKShader.CreateLinearGradient(new SKPoint(0, -0.2f), new SKPoint(0, h), [s.Top, s.Bottom], SKShaderTileMode.Clamp))
        {
            c.DrawRect(-0.3f, -0.3f, 1.6f, h + 0.3f, dc.Shaded(sky));
        }

        if (!s.Outdoor)
        {
            DrawWallPattern(c, dc);
        }

        foreach (var d in s.Decorations)
        {
            DrawDecoration(c, d, t, dc);
        }

        using (var ground = SKShader.CreateLinearGradient(new SKPoint(0, h), new SKPoint(0, 1.2f), [Colors.Shade(s.Ground, 0.8), s.Ground], SKShaderTileMode.Clamp))
        {
            c.DrawRect(-0.3f, h, 1.6f, 1.3f - h + 0.3f, dc.Shaded(ground));
        }

        DrawFloorTexture(c, dc);
        if (!s.Outdoor)
        {
            // Skirting board where the wall meets the floor.
            c.DrawRect(-0.3f, h - 0.015f, 1.6f, 0.015f, dc.Fill(Colors.Shade(s.Bottom, 0.7)));
        }
    }

    private static void DrawWallPattern(SKCanvas c, DrawContext dc)
    {
        var s = dc.Stage;
        var accent = Colors.Alpha(Colors.Shade(s.Bottom, 0.8), 0.5);
        switch (s.Look)
        {
            case "stripes":
                for (var x = -0.3f; x < 1.3f; x += 0.08f)
                {
                    c.DrawRect(x, -0.3f, 0.03f, (float)s.HorizonY + 0.3f, dc.Fill(accent));
                }

                break;
            case "dots":
                for (var y = 0.04f; y < s.HorizonY - 0.02; y += 0.07f)
                {
                    for (var x = -0.3f; x < 1.3f; x += 0.07f)
                    {
                        c.DrawCircle(x + ((int)(y * 100) % 2 * 0.035f), y, 0.008f, dc.Fill(accent));
                    }
                }

                break;
            case "panels":
                var py = (float)(s.HorizonY * 0.55);
                c.DrawRect(-0.3f, py, 1.6f, (float)s.HorizonY - py, dc.Fill(Colors.Alpha(Colors.Shade(s.Bottom, 0.75), 0.7)));
                c.DrawLine(-0.3f, py, 1.3f, py, dc.Stroke(Colors.Shade(s.Bottom, 0.5), dc.Px(1)));
                break;
        }
    }

    private static void DrawDecoration(SKCanvas c, Decoration d, double t, DrawContext dc)
    {
        var (x, y, w, h) = ((float)d.X, (float)d.Y, (float)d.W, (float)d.H);
        switch (d.Kind)
        {
            case "hill":
                using (var path = new SKPathBuilder())
                {
                    path.MoveTo(x - w, y);
                    path.QuadTo(x, y - (2 * h), x + w, y);
                    path.Close();
                    c.DrawPath(path, dc.Fill(d.Color));
                }

                break;
            case "cloud":
                // Clouds drift slowly: motion that makes no sound.
                var dx = (float)(t * 0.01);
                c.DrawOval(x + dx, y, w / 2, h / 2, dc.Fill(Colors.Alpha(d.Color, 0.85)));
                c.DrawOval(x + dx + (w * 0.25f), y - (h * 0.3f), w / 3, h / 2, dc.Fill(Colors.Alpha(d.Color, 0.85)));
                break;
            case "sun":
            case "moon":
                c.DrawCircle(x, y, w / 2, dc.Fill(d.Color));
                break;
            case "house":
                c.DrawRect(x - (w / 2), y - h, w, h, dc.Fill(d.Color));
                using (var roof = new SKPathBuilder())
                {
                    roof.MoveTo(x - (w * 0.6f), y - h);
                    roof.LineTo(x, y - h - (h * 0.5f));
                    roof.LineTo(x + (w * 0.6f), y - h);
                    roof.Close();
                    c.DrawPath(roof, dc.Fill(d.Accent));
                }

                c.DrawRect(x - (w * 0.3f), y - (h * 0.7f), w * 0.2f, h * 0.25f, dc.Fill(Colors.Shade(d.Color, 0.5)));
                break;
            case "window":
                c.DrawRect(x - (w / 2), y, w, h, dc.Fill(Colors.Shade(d.Accent, 0.6)));
                c.DrawRect(x - (w / 2) + dc.Px(2), y + dc.Px(2), w - dc.Px(4), h - dc.Px(4), dc.Fill(Colors.Mix(d.Color, SKColors.White, 0.4)));
                c.DrawLine(x, y, x, y + h, dc.Stroke(Colors.Shade(d.Accent, 0.6), dc.Px(1.5)));
                c.DrawLine(x - (w / 2), y + (h / 2), x + (w / 2), y + (h / 2), dc.Stroke(Colors.Shade(d.Accent, 0.6), dc.Px(1.5)));
                break;
            case "picture":
                c.DrawRect(x - (w / 2), y, w, h, dc.Fill(d.Accent));
                c.DrawRect(x - (w / 2) + dc.Px(2), y + dc.Px(2), w - dc.Px(4), h - dc.Px(4), dc.Fill(d.Color));
                break;
            case "shelf":
                c.DrawRect(x - (w / 2), y, w, h, dc.Fill(d.Accent));
                break;
        }
    }

    private static void DrawFloorTexture(SKCanvas c, DrawContext dc)
    {
        var s = dc.Stage;
        var rng = new Rng(s.TextureSeed);
        var h = s.HorizonY;
        var line = Colors.Alpha(s.GroundAccent, 0.55);
        switch (s.Floor)
        {
            case Floor.Wood:
                // Plank seams run into the distance; rows get closer toward the horizon.
                for (var i = -12; i <= 12; i++)
                {
                    var xb = 0.5 + (i * 0.11);
                    c.DrawLine((float)(0.5 + ((xb - 0.5) * 0.35)), (float)h, (float)(0.5 + ((xb - 0.5) * 1.6)), 1.3f, dc.Stroke(line, dc.Px(1)));
                }

                for (var k = 0; k < 14; k++)
                {
                    var y = h + ((1.3 - h) * Math.Pow(k / 14.0, 1.6));
                    var x = rng.Uniform(-0.3, 1.3);
                    c.DrawLine((float)x, (float)y, (float)(x + rng.Uniform(0.02, 0.08)), (float)y, dc.Stroke(line, dc.Px(1)));
                }

                break;
            case Floor.Tile:
            case Floor.Stone:
                for (var i = -10; i <= 10; i++)
                {
                    var xb = 0.5 + (i * 0.13);
                    c.DrawLine((float)(0.5 + ((xb - 0.5) * 0.4)), (float)h, (float)(0.5 + ((xb - 0.5) * 1.7)), 1.3f, dc.Stroke(line, dc.Px(1)));
                }

                for (var k = 1; k < 9; k++)
                {
                    var y = h + ((1.3 - h) * Math.Pow(k / 9.0, 1.5));
                    c.DrawLine(-0.3f, (float)y, 1.3f, (float)y, dc.Stroke(line, dc.Px(1)));
                }

                break;
            case Floor.Carpet:
                for (var k = 0; k < 60; k++)
                {
                    c.DrawCircle((float)rng.Uniform(-0.3, 1.3), (float)rng.Uniform(h, 1.3), dc.Px(0.8), dc.Fill(Colors.Alpha(s.GroundAccent, 0.3)));
                }

                break;
            case Floor.Gravel:
            case Floor.Sand:
            case Floor.Grass:
                var n = s.Floor == Floor.Gravel ? 220 : 90;
                for (var k = 0; k < n; k++)
                {
                    var y = rng.Uniform(h, 1.3);
                    var size = dc.Px(0.6 + (1.6 * (y - h) / (1.3 - h)));
                    c.DrawCircle((float)rng.Uniform(-0.3, 1.3), (float)y, size, dc.Fill(Colors.Alpha(s.GroundAccent, s.Floor == Floor.Gravel ? 0.8 : 0.45)));
                }

                break;
        }
    }

    /// <summary>A plant, swaying by the wind at t: a lean that grows with the strength plus a flutter.</summary>
    public static void DrawPlant(SKCanvas c, Plant p, double t, DrawContext dc)
    {
        var wind = dc.Scene.WindAt(t);
        var sway = wind * ((0.65 + (0.35 * Math.Sin((2 * Math.PI * 1.4 * t) + p.Phase))) * (p.IsTree ? 0.35 : 0.9));
        var (x, y, h) = ((float)p.X, (float)p.BaseY, (float)p.Height);
        if (p.IsTree)
        {
            var topX = x + (float)(sway * h * 0.25);
            c.DrawLine(x, y, topX, y - (h * 0.55f), dc.Stroke(p.Trunk, h * 0.09f));
            var crownX = x + (float)(sway * h * 0.45);
            c.DrawCircle(crownX, y - (h * 0.7f), h * 0.28f, dc.Fill(p.Color));
            c.DrawCircle(crownX - (h * 0.15f), y - (h * 0.58f), h * 0.2f, dc.Fill(Colors.Shade(p.Color, 0.85)));
            c.DrawCircle(crownX + (h * 0.16f), y - (h * 0.6f), h * 0.2f, dc.Fill(Colors.Shade(p.Color, 1.1)));
        }
        else
        {
            using var path = new SKPathBuilder();
            for (var b = -2; b <= 2; b++)
            {
                var bx = x + (b * h * 0.12f);
                var lean = (float)((sway * h * 0.8) + (b * h * 0.12));
                path.MoveTo(bx, y);
                path.QuadTo(bx + (lean * 0.3f), y - (h * 0.6f), bx + lean, y - h * (1 - (Math.Abs(b) * 0.12f)));
            }

            c.DrawPath(path, dc.Stroke(p.Color, dc.Px(1.3)));
        }
    }
}
