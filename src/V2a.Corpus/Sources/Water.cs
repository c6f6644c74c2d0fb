using SkiaSharp;
using V2a.Corpus.Render;
using V2a.Corpus.Scene;
using V2a.Corpus.Synth;

namespace V2a.Corpus.Sources;

/// <summary>
/// water_drip — drops fall from a tap into a basin of water (or pebbles splash into a pond). Each event is the
/// instant a drop meets the water: a bubble's rising "plink" (or a splash), with ripples spreading from that
/// point.
/// </summary>
public sealed class Drips : Source
{
    private readonly PlanContext _ctx;
    private readonly Slot _slot;
    private readonly bool _splash;
    private readonly double _w, _tapY, _waterY;
    private readonly List<double> _fallStart = [];
    private readonly List<double> _size = [];
    private readonly SKColor _basin, _water, _metal;

    public Drips(string id, Rng rng, PlanContext ctx, Slot slot, bool sounding = true, bool visible = true)
        : base(id, SoundClasses.WaterDrip, rng)
    {
        Sounding = sounding;
        Visible = visible;
        _ctx = ctx;
        _slot = slot;
        _splash = rng.Chance(0.3);
        _w = rng.Uniform(0.1, 0.17) * slot.Scale;
        _waterY = slot.BaseY - (_w * 0.25);
        _tapY = _splash ? -0.15 : Math.Max(0.05, _waterY - rng.Uniform(0.2, 0.45));
        _basin = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.6), rng.Uniform(0.3, 0.9));
        _water = Stage.Hsv(rng.Uniform(180, 220), rng.Uniform(0.3, 0.7), rng.Uniform(0.4, 0.8));
        _metal = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.15), rng.Uniform(0.5, 0.8));
        if (!sounding)
        {
            return;
        }

        var fall = Math.Sqrt(2 * (_waterY - _tapY) / PlanContext.Gravity);
        var period = _splash ? rng.Uniform(1.2, 2.5) : rng.Uniform(0.35, 1.3);
        var t = rng.Uniform(0.1, period);
        while (t < ctx.Seconds - 0.05)
        {
            if (t > 0.03)
            {
                AddEvent(t, slot.X, _waterY, ctx.SampleRate);
                _fallStart.Add(Events[^1].TStart - fall);
                _size.Add(rng.Uniform(0.7, 1.3));
            }

            t += period * rng.Uniform(0.8, 1.25);
        }
    }

    public override double BaseY => _slot.BaseY;

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
        var x = (float)_slot.X;
        var w = (float)_w;
        var wy = (float)_waterY;
        if (_splash)
        {
            c.DrawOval(x, wy, w * 1.3f, w * 0.3f, dc.Fill(_water));
        }
        else
        {
            // Basin, water surface, and a tap on a pipe from above.
            c.DrawRect(x - w, wy - (w * 0.05f), w * 2, (float)(_slot.BaseY - wy) + (w * 0.05f), dc.Fill(_basin));
            c.DrawOval(x, wy, w, w * 0.18f, dc.Fill(_water));
            var ty = (float)_tapY;
            c.DrawLine(x + (w * 0.6f), -0.3f, x + (w * 0.6f), ty - (w * 0.3f), dc.Stroke(_metal, w * 0.18f, round: false));
            c.DrawLine(x + (w * 0.6f), ty - (w * 0.3f), x, ty - (w * 0.3f), dc.Stroke(_metal, w * 0.18f));
            c.DrawLine(x, ty - (w * 0.3f), x, ty, dc.Stroke(_metal, w * 0.14f, round: false));
        }

        var drop = dc.Px(2.2) * (_splash ? 2.5f : 1);
        for (var i = 0; i < Events.Count; i++)
        {
            var hit = Events[i].TStart;
            var t0 = _fallStart[i];
            var dropColor = _splash ? Colors.Shade(_metal, 0.6) : Colors.Mix(_water, SKColors.White, 0.5);
            if (t >= t0 - 0.4 && t < t0 && !_splash)
            {
                // The drop swells at the spout before it falls.
                c.DrawCircle(x, (float)_tapY + (drop * 0.5f), drop * (float)(0.4 + (0.6 * (1 - ((t0 - t) / 0.4)))), dc.Fill(dropColor));
            }
            else if (t >= t0 && t < hit)
            {
                var y = _tapY + (0.5 * PlanContext.Gravity * (t - t0) * (t - t0));
                c.DrawCircle(x, (float)y, drop, dc.Fill(dropColor));
            }
            else if (t >= hit && t < hit + 0.8)
            {
                var age = (float)(t - hit);
                for (var ring = 0; ring < 2; ring++)
                {
                    var rr = (age - (ring * 0.12f)) * w * 2.2f * (_splash ? 1.5f : 1);
                    if (rr > 0)
                    {
                        c.DrawOval(x, wy, rr, rr * 0.22f, dc.Stroke(Colors.Alpha(SKColors.White, 0.8 * (1 - (age / 0.8))), dc.Px(1)));
                    }
                }

                if (age < 0.15)
                {
                    // A crown of spray right after the impact.
                    for (var k = -2; k <= 2; k++)
                    {
                        var h = (float)(Math.Sin(Math.PI * age / 0.15) * w * (_splash ? 0.6 : 0.25));
                        c.DrawCircle(x + (k * w * 0.12f * (1 + (age * 8))), wy - (h * (1 - (Math.Abs(k) * 0.2f))), dc.Px(1.2), dc.Fill(Colors.Mix(_water, SKColors.White, 0.6)));
                    }
                }
            }
        }
    }

    public override void Synthesize(StemBuilder stem)
    {
        var rng = Rng.Fork("audio");
        var sr = stem.SampleRate;
        for (var i = 0; i < Events.Count; i++)
        {
            float[] sound;
            if (_splash)
            {
                sound = Sounds.NoiseBurst(rng, sr, 0.35, 0.0004, 0.09, 200, 5000);
                Sounds.AddInto(sound, Modal.Strike([new Mode(rng.Uniform(150, 260), 0.12, 1)], 0.002, 0, rng, sr, 0.2), 0, 0.8);
                for (var b = 0; b < 6; b++)
                {
                    Sounds.AddInto(sound, Sounds.Ping(sr, rng.Uniform(500, 1400), rng.Uniform(900, 2500), rng.Uniform(0.03, 0.08)), (int)(rng.Uniform(0.01, 0.2) * sr), rng.Uniform(0.2, 0.5));
                }
            }
            else
            {
                // A drop traps a bubble; its Minnaert resonance rises in pitch as the bubble shrinks.
                var f = rng.Uniform(700, 1800) / _size[i];
                sound = Sounds.Ping(sr, f, f * rng.Uniform(1.3, 1.9), rng.Uniform(0.05, 0.14));
                Sounds.AddInto(sound, Sounds.NoiseBurst(rng, sr, 0.01, 0.0002, 0.0015, 2000, 7000), 0, 0.35);
            }

            stem.Add(i, Events[i].TStart, sound, rng.Uniform(0.6, 1));
        }
    }

    public override Phrase Describe(Rng rng, Stage stage)
    {
        if (!Sounding)
        {
            return new Phrase(_splash ? "a still pond reflects the light" : "a tap above a basin of water is turned off", _splash ? "a still pond" : "a closed tap over a basin");
        }

        if (!Visible)
        {
            return new Phrase("water drips somewhere out of view", "water dripping out of view");
        }

        return _splash
            ? new Phrase($"pebbles {rng.Pick(["splash into", "plop with a splash into", "fall with a splash into"])} a pond", "pebbles splashing into a pond")
            : new Phrase($"water {rng.Pick(["drips from a tap into a basin", "drips steadily into a basin", "drops fall from a tap and plink into a basin"])}",
                "water dripping from a tap into a basin");
    }
}
