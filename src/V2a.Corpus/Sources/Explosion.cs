using SkiaSharp;
using V2a.Corpus.Render;
using V2a.Corpus.Scene;
using V2a.Corpus.Synth;

namespace V2a.Corpus.Sources;

/// <summary>
/// explosion — a blast in the distance: a flash that lights the whole frame at the event's frame, a fireball, a
/// rising cloud of smoke, flying debris and a jolt of the camera; the sound is a broadband crack falling to a low
/// boom, with a sub-bass thump and a crackling tail.
/// </summary>
public sealed class Blast : Source
{
    private readonly PlanContext _ctx;
    private readonly Slot _slot;
    private readonly double _size;
    private readonly SKColor _fire, _smoke;
    private readonly ulong _seed;

    public Blast(string id, Rng rng, PlanContext ctx, Slot slot, bool visible = true)
        : base(id, SoundClasses.Explosion, rng)
    {
        Visible = visible;
        _ctx = ctx;
        _slot = slot;
        _size = rng.Uniform(0.07, 0.16) * slot.Scale;
        _fire = Stage.Hsv(rng.Uniform(10, 45), rng.Uniform(0.7, 1), 1);
        _smoke = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.15), rng.Uniform(0.25, 0.6));
        _seed = rng.NextULong();
        var t = rng.Uniform(0.4, Math.Max(0.5, ctx.Seconds - 2.5));
        AddEvent(t, slot.X, slot.BaseY - (_size * 0.5), ctx.SampleRate);
        if (rng.Chance(0.2) && t + 1.5 < ctx.Seconds - 1)
        {
            AddEvent(t + rng.Uniform(1.2, 2.5), slot.X + rng.Uniform(-0.1, 0.1), slot.BaseY - (_size * 0.5), ctx.SampleRate);
        }
    }

    public override double BaseY => _slot.BaseY;

    public override double ShakeAt(double t)
    {
        double s = 0;
        foreach (var e in Events)
        {
            var a = t - e.TStart;
            if (a >= 0 && Visible)
            {
                s += 0.012 * (_size / 0.1) * Math.Exp(-a / 0.35);
            }
        }

        return s;
    }

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
        var s = (float)_size;
        for (var i = 0; i < Events.Count; i++)
        {
            var e = Events[i];
            var age = t - e.TStart;
            if (age < 0)
            {
                continue;
            }

            var x = (float)e.X;
            var y = (float)e.Y;
            // Smoke: puffs rising and spreading, fading over seconds.
            var rng = new Rng(Rng.Mix(_seed, (ulong)i));
            for (var k = 0; k < 6; k++)
            {
                var dx = (float)rng.Uniform(-0.6, 0.6) * s;
                var rise = (float)(age * rng.Uniform(0.03, 0.08));
                var r = s * (float)(0.4 + (age * rng.Uniform(0.3, 0.6)));
                var alpha = 0.7 * Math.Clamp(age / 0.15, 0, 1) * Math.Max(0, 1 - (age / 6));
                c.DrawCircle(x + dx, y - rise - (s * 0.3f), r, dc.Fill(Colors.Alpha(_smoke, alpha)));
            }

            if (age < 0.8)
            {
                var grow = (float)Math.Min(1, age / 0.1);
                var fade = 1 - (age / 0.8);
                c.DrawCircle(x, y, s * (0.3f + (0.9f * grow)), dc.Fill(Colors.Alpha(Colors.Mix(new SKColor(255, 250, 220), _fire, Math.Min(1, age / 0.25)), fade)));
                c.DrawCircle(x, y, s * 0.5f * grow, dc.Fill(Colors.Alpha(new SKColor(255, 255, 230), fade * (1 - Math.Min(1, age / 0.3)))));
            }

            if (age < 1.2)
            {
                for (var k = 0; k < 8; k++)
                {
                    var vx = rng.Uniform(-0.4, 0.4);
                    var vy = rng.Uniform(-0.6, -0.2);
                    var px = x + (float)(vx * age);
                    var py = y + (float)((vy * age) + (0.5 * PlanContext.Gravity * 0.4 * age * age));
                    c.DrawCircle(px, py, dc.Px(1.3), dc.Fill(Colors.Alpha(new SKColor(60, 40, 30), 1 - (age / 1.2))));
                }
            }
        }
    }

    public override void DrawOverlay(SKCanvas c, double t, DrawContext dc)
    {
        foreach (var e in Events)
        {
            var age = t - e.TStart;
            if (age >= 0 && age < 0.5)
            {
                // The flash: the whole frame lights up on the event's frame and fades within a few frames.
                c.DrawRect(0, 0, 1, 1, dc.Blend(Colors.Alpha(new SKColor(255, 245, 210), 0.8 * Math.Exp(-age / 0.07)), SKBlendMode.Screen));
            }
        }
    }

    public override void Synthesize(StemBuilder stem)
    {
        var rng = Rng.Fork("audio");
        var sr = stem.SampleRate;
        for (var i = 0; i < Events.Count; i++)
        {
            var seconds = Math.Min(4, _ctx.Seconds - Events[i].TStart);
            var n = (int)(seconds * sr);
            var y = new float[n];
            var tau = rng.Uniform(0.5, 1.0) * (_size / 0.1);
            var lp = Biquad.LowPass(5000, 0.707, sr);
            var sub = rng.Uniform(38, 60);
            for (var k = 0; k < n; k++)
            {
                var t = k / (double)sr;
                if (k % 32 == 0)
                {
                    // The crack darkens into a rumble: the low-pass falls from 5 kHz toward 120 Hz.
                    lp.SetCoefficients(Biquad.LowPass(120 + (4880 * Math.Exp(-t / 0.12)), 0.707, sr));
                }

                var attack = Math.Min(1, (k + 1) / (0.0003 * sr));
                var noise = lp.Process(rng.NoiseSample() * 2.5) * Math.Exp(-t / tau);
                var thump = Math.Sin(2 * Math.PI * sub * t * (1 - (0.2 * t))) * Math.Exp(-t / 0.35) * 0.8;
                y[k] = (float)((noise + thump) * attack);
            }

            // Debris crackling in the tail.
            for (var c = 0; c < 25; c++)
            {
                var at = (int)(rng.Uniform(0.15, Math.Min(1.8, seconds)) * sr);
                Sounds.AddInto(y, Sounds.NoiseBurst(rng, sr, 0.01, 0.0002, 0.002, 800, 5000), at, rng.Uniform(0.05, 0.2));
            }

            Sounds.FadeOut(y, sr, 0.05);
            stem.Add(i, Events[i].TStart, y, i == 0 ? 1 : rng.Uniform(0.6, 1));
        }
    }

    public override Phrase Describe(Rng rng, Stage stage)
    {
        if (!Visible)
        {
            return new Phrase($"{rng.Pick(["an explosion", "a blast"])} booms out of view", "a distant explosion out of view");
        }

        var n = Events.Count;
        return n > 1
            ? new Phrase($"two explosions {rng.Pick(["flash and boom", "go off"])} in the distance", "two explosions in the distance")
            : new Phrase($"{rng.Pick(["an explosion", "a blast"])} {rng.Pick(["flashes and booms", "goes off with a bright flash", "erupts"])} in the distance",
                "an explosion with a bright flash");
    }
}
