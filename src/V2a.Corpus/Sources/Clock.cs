using SkiaSharp;
using V2a.Corpus.Render;
using V2a.Corpus.Scene;
using V2a.Corpus.Synth;

namespace V2a.Corpus.Sources;

/// <summary>
/// clock_tick — a pendulum clock (on the wall indoors, a tall case clock outdoors). The escapement ticks when the
/// pendulum reaches either extreme of its swing; the seconds hand jumps on each tick. An event per tick,
/// alternating a higher "tick" and a lower "tock".
/// </summary>
public sealed class PendulumClock : Source
{
    private readonly PlanContext _ctx;
    private readonly Slot _slot;
    private readonly double _r, _faceY, _interval, _amp, _phase;
    private readonly bool _tall;
    private readonly SKColor _case, _face, _hands;
    private readonly double _hourAngle, _minuteAngle;

    public PendulumClock(string id, Rng rng, PlanContext ctx, Slot slot, bool sounding = true, bool visible = true)
        : base(id, SoundClasses.ClockTick, rng)
    {
        Sounding = sounding;
        Visible = visible;
        _ctx = ctx;
        _slot = slot;
        _tall = ctx.Stage.Outdoor || rng.Chance(0.35);
        _r = rng.Uniform(0.045, 0.075) * (_tall ? slot.Scale : 1);
        _faceY = _tall ? slot.BaseY - (_r * 5.2) : rng.Uniform(0.12, Math.Max(0.15, ctx.Stage.HorizonY - (_r * 4)));
        _interval = rng.Uniform(0.5, 1.0);
        _amp = rng.Uniform(0.22, 0.4);
        _phase = rng.Uniform(0, 2 * Math.PI);
        _case = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0.1, 0.7), rng.Uniform(0.2, 0.7));
        _face = Stage.Hsv(rng.Uniform(30, 60), rng.Uniform(0, 0.25), rng.Uniform(0.8, 1));
        _hands = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.4), rng.Uniform(0, 0.25));
        _hourAngle = rng.Uniform(0, 2 * Math.PI);
        _minuteAngle = rng.Uniform(0, 2 * Math.PI);
        if (!sounding)
        {
            return;
        }

        // θ(t) = A·sin(πt/interval + φ) has an extreme every interval seconds, at πt/interval + φ = π/2 + kπ.
        var k0 = (int)Math.Ceiling(((_phase - (Math.PI / 2)) / Math.PI) - 1e-9);
        for (var k = k0; ; k++)
        {
            var t = ((Math.PI / 2) + (k * Math.PI) - _phase) * _interval / Math.PI;
            if (t >= ctx.Seconds - 0.02)
            {
                break;
            }

            if (t >= 0.03)
            {
                AddEvent(t, slot.X, _faceY, ctx.SampleRate);
            }
        }
    }

    public override double BaseY => _tall ? _slot.BaseY : _ctx.Stage.HorizonY - 0.001;

    private double Angle(double t) => Sounding ? _amp * Math.Sin((Math.PI * t / _interval) + _phase) : 0;

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
        var x = (float)_slot.X;
        var r = (float)_r;
        var fy = (float)_faceY;
        var bottom = _tall ? (float)_slot.BaseY : fy + (r * 3.6f);
        c.DrawRoundRect(x - (r * 1.3f), fy - (r * 1.3f), r * 2.6f, bottom - fy + (r * 1.3f), r * 0.2f, r * 0.2f, dc.Fill(_case));
        c.DrawRect(x - (r * 0.9f), fy + (r * 1.3f), r * 1.8f, bottom - fy - (r * 1.6f), dc.Fill(Colors.Shade(_case, 0.45)));
        // Pendulum, hinged under the face.
        var len = bottom - fy - (r * 1.9f);
        var a = Angle(t);
        var px = x + (float)(Math.Sin(a) * len);
        var py = fy + (r * 1.3f) + (float)(Math.Cos(a) * len);
        c.DrawLine(x, fy + (r * 1.3f), px, py, dc.Stroke(new SKColor(200, 170, 80), dc.Px(1.5)));
        c.DrawCircle(px, py, r * 0.35f, dc.Fill(new SKColor(220, 185, 90)));
        c.DrawCircle(x, fy, r, dc.Fill(_face));
        c.DrawCircle(x, fy, r, dc.Stroke(Colors.Shade(_case, 0.6), dc.Px(1.5)));
        for (var h = 0; h < 12; h++)
        {
            var ha = h * Math.PI / 6;
            c.DrawLine(x + (float)(Math.Sin(ha) * r * 0.8), fy - (float)(Math.Cos(ha) * r * 0.8), x + (float)(Math.Sin(ha) * r * 0.92), fy - (float)(Math.Cos(ha) * r * 0.92),
                dc.Stroke(_hands, dc.Px(0.8)));
        }

        c.DrawLine(x, fy, x + (float)(Math.Sin(_hourAngle) * r * 0.5), fy - (float)(Math.Cos(_hourAngle) * r * 0.5), dc.Stroke(_hands, dc.Px(1.8)));
        c.DrawLine(x, fy, x + (float)(Math.Sin(_minuteAngle) * r * 0.8), fy - (float)(Math.Cos(_minuteAngle) * r * 0.8), dc.Stroke(_hands, dc.Px(1.2)));
        // The seconds hand jumps one step at each tick.
        var ticks = Events.Count(e => e.TStart <= t);
        var sa = (ticks * Math.PI / 30) + _minuteAngle;
        c.DrawLine(x, fy, x + (float)(Math.Sin(sa) * r * 0.9), fy - (float)(Math.Cos(sa) * r * 0.9), dc.Stroke(new SKColor(200, 30, 30), dc.Px(0.8)));
    }

    public override void Synthesize(StemBuilder stem)
    {
        var rng = Rng.Fork("audio");
        var sr = stem.SampleRate;
        var f0 = rng.Uniform(1800, 3400);
        var modes = Modal.MaterialModes(Material.Metal, f0, rng).Select(m => m with { T60Seconds = m.T60Seconds * 0.03 }).ToArray();
        var tock = modes.Select(m => m with { FrequencyHz = m.FrequencyHz * 0.8 }).ToArray();
        var body = rng.Uniform(500, 900);
        for (var i = 0; i < Events.Count; i++)
        {
            var strike = Modal.Strike(i % 2 == 0 ? modes : tock, 0.0003, 0.8, rng, sr, 0.1);
            var wood = Modal.Strike([new Mode(body, 0.03, 0.5)], 0.0005, 0, rng, sr, 0.05);
            stem.Add(i, Events[i].TStart, Sounds.Sum(strike, wood), rng.Uniform(0.85, 1));
        }
    }

    public override Phrase Describe(Rng rng, Stage stage)
    {
        var what = _tall ? "a tall pendulum clock" : rng.Pick(["a wall clock", "a pendulum clock on the wall"]);
        if (!Sounding)
        {
            return new Phrase($"{what} has stopped, its pendulum still", $"{what} with a still pendulum");
        }

        if (!Visible)
        {
            return new Phrase("a clock ticks somewhere out of view", "a clock ticking out of view");
        }

        return new Phrase($"{what} ticks {rng.Pick(["steadily", "as its pendulum swings", "away"])}", $"{what} ticking");
    }
}
