using SkiaSharp;
using V2a.Corpus.Render;
using V2a.Corpus.Scene;
using V2a.Corpus.Synth;

namespace V2a.Corpus.Sources;

/// <summary>
/// bell — a hanging bell or chime tube struck by a mallet on a pivoting arm. The mallet's head touches the bell at
/// each strike time (an event), after which the bell sways and rings with its partials: bell ratios (hum, prime,
/// tierce, quint, nominal…) or a free bar's (1, 2.76, 5.40, 8.93); bigger is lower.
/// </summary>
public sealed class StruckBell : Source
{
    private readonly PlanContext _ctx;
    private readonly Slot _slot;
    private readonly bool _tube;
    private readonly double _size, _hangY, _side;
    private readonly SKColor _metal, _mallet;
    private readonly List<double> _strength = [];

    public StruckBell(string id, Rng rng, PlanContext ctx, Slot slot, bool sounding = true, bool visible = true)
        : base(id, SoundClasses.Bell, rng)
    {
        Sounding = sounding;
        Visible = visible;
        _ctx = ctx;
        _slot = slot;
        _tube = rng.Chance(0.4);
        _size = rng.Uniform(0.05, 0.1);
        _hangY = rng.Uniform(0.06, 0.2);
        _side = rng.Chance(0.5) ? 1 : -1;
        var metal = rng.Int(3);
        _metal = metal switch
        {
            0 => Stage.Hsv(rng.Uniform(38, 50), rng.Uniform(0.5, 0.8), rng.Uniform(0.6, 0.9)),
            1 => Stage.Hsv(rng.Uniform(15, 28), rng.Uniform(0.5, 0.8), rng.Uniform(0.5, 0.8)),
            _ => Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.12), rng.Uniform(0.55, 0.9)),
        };
        _mallet = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0.2, 0.8), rng.Uniform(0.3, 0.8));
        if (!sounding)
        {
            return;
        }

        var t = rng.Uniform(0.3, Math.Min(2.0, ctx.Seconds * 0.3));
        var strikes = rng.Int(1, 5);
        for (var k = 0; k < strikes && t < ctx.Seconds - 0.3; k++)
        {
            AddEvent(t, ContactX, BellMidY, ctx.SampleRate);
            _strength.Add(rng.Uniform(0.6, 1));
            t += rng.Uniform(0.9, 2.4);
        }
    }

    public override double BaseY => _ctx.Stage.HorizonY - 0.002;

    private double BellH => _tube ? _size * 2.6 : _size;

    private double BellTopY => _hangY + (_size * 0.6);

    private double BellMidY => BellTopY + (BellH * (_tube ? 0.25 : 0.7));

    private double HalfWidth => _tube ? _size * 0.16 : _size * 0.75;

    private double ContactX => _slot.X + (_side * HalfWidth);

    /// <summary>Gap between mallet head and bell: 0 at each strike, an accelerating swing in, a rebound out.</summary>
    private double Gap(double t)
    {
        var gap = _size * 0.9;
        foreach (var e in Events)
        {
            var dt = t - e.TStart;
            if (dt >= -0.3 && dt < 0)
            {
                gap = Math.Min(gap, _size * 0.9 * (dt / -0.3) * (dt / -0.3));
            }
            else if (dt >= 0 && dt < 0.3)
            {
                gap = Math.Min(gap, _size * 0.9 * Math.Sqrt(dt / 0.3));
            }
        }

        return gap;
    }

    private double Sway(double t)
    {
        double a = 0;
        for (var i = 0; i < Events.Count; i++)
        {
            var dt = t - Events[i].TStart;
            if (dt >= 0)
            {
                a += -_side * 0.2 * _strength[i] * Math.Exp(-dt / 1.2) * Math.Sin(2 * Math.PI * 1.6 * dt);
            }
        }

        return a;
    }

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
        var x = (float)_slot.X;
        var s = (float)_size;
        var hy = (float)_hangY;
        // A beam to hang from.
        c.DrawLine(x - (s * 1.6f), hy, x + (s * 1.6f), hy, dc.Stroke(Colors.Shade(_mallet, 0.5), s * 0.2f, round: false));
        c.Save();
        c.RotateRadians((float)Sway(t), x, hy);
        c.DrawLine(x, hy, x, (float)BellTopY, dc.Stroke(new SKColor(60, 60, 60), dc.Px(1.2)));
        if (_tube)
        {
            using var sh = SKShader.CreateLinearGradient(new SKPoint(x - (s * 0.16f), 0), new SKPoint(x + (s * 0.16f), 0),
                [Colors.Shade(_metal, 0.6), Colors.Mix(_metal, SKColors.White, 0.6), Colors.Shade(_metal, 0.5)], SKShaderTileMode.Clamp);
            c.DrawRect(x - (s * 0.16f), (float)BellTopY, s * 0.32f, (float)BellH, dc.Shaded(sh));
        }
        else
        {
            using var bell = new SKPathBuilder();
            var top = (float)BellTopY;
            bell.MoveTo(x - (s * 0.3f), top);
            bell.QuadTo(x - (s * 0.45f), top + (s * 0.6f), x - (s * 0.8f), top + s);
            bell.LineTo(x + (s * 0.8f), top + s);
            bell.QuadTo(x + (s * 0.45f), top + (s * 0.6f), x + (s * 0.3f), top);
            bell.Close();
            using var sh = SKShader.CreateLinearGradient(new SKPoint(x - s, 0), new SKPoint(x + s, 0),
                [Colors.Shade(_metal, 0.55), Colors.Mix(_metal, SKColors.White, 0.5), Colors.Shade(_metal, 0.5)], SKShaderTileMode.Clamp);
            c.DrawPath(bell, dc.Shaded(sh));
            c.DrawCircle(x, top + s * 1.02f, s * 0.12f, dc.Fill(Colors.Shade(_metal, 0.4)));
        }

        c.Restore();
        // The mallet: a handle from a pivot above and to the side, its head at the computed gap.
        var head = new SKPoint((float)(ContactX + (_side * (Gap(t) + (s * 0.12)))), (float)BellMidY);
        var pivot = new SKPoint((float)(_slot.X + (_side * _size * 1.6)), hy);
        c.DrawLine(pivot, head, dc.Stroke(_mallet, Math.Max(dc.Px(1.6), s * 0.12f)));
        c.DrawCircle(head, s * 0.25f, dc.Fill(Colors.Shade(_mallet, 0.7)));
    }

    public override void Synthesize(StemBuilder stem)
    {
        var rng = Rng.Fork("audio");
        var sr = stem.SampleRate;
        Mode[] modes;
        if (_tube)
        {
            var f = 1100 * (0.07 / _size);
            modes = [new(f, 3.5, 1), new(f * 2.756, 2.2, 0.6), new(f * 5.404, 1.2, 0.35), new(f * 8.933, 0.6, 0.2)];
        }
        else
        {
            var f = 650 * (0.07 / _size);
            (double r, double t60, double a)[] partials = [(0.5, 4, 0.5), (1, 3, 0.8), (1.183, 2.5, 0.6), (1.506, 2, 0.4), (2, 2, 1), (2.514, 1.5, 0.4), (2.662, 1.3, 0.3), (3.011, 1, 0.25), (4.166, 0.7, 0.2)];
            modes = partials.Select(p => new Mode(f * p.r * rng.Uniform(0.995, 1.005), p.t60 * rng.Uniform(0.8, 1.2), p.a)).ToArray();
        }

        for (var i = 0; i < Events.Count; i++)
        {
            stem.Add(i, Events[i].TStart, Modal.Strike(modes, 0.0004, 0.3, rng, sr, 6), _strength[i]);
        }
    }

    public override Phrase Describe(Rng rng, Stage stage)
    {
        var what = _tube ? rng.Pick(["a chime", "a hanging chime tube"]) : rng.Pick(["a bell", "a metal bell", "a hanging bell"]);
        if (!Sounding)
        {
            return new Phrase($"{what} hangs silently", $"{what} hanging silently");
        }

        if (!Visible)
        {
            return new Phrase($"{(_tube ? "a chime" : "a bell")} rings out of view", $"{(_tube ? "a chime" : "a bell")} ringing out of view");
        }

        var n = Events.Count;
        return new Phrase($"a mallet strikes {what} {DroppedObject.Count(n, rng)}", $"{what} being struck {DroppedObject.Count(n, rng)}");
    }
}
