using SkiaSharp;
using V2a.Corpus.Render;
using V2a.Corpus.Scene;
using V2a.Corpus.Synth;

namespace V2a.Corpus.Sources;

/// <summary>
/// door_knock — a door with a ring knocker that is lifted and dropped (an event when the ring hits its plate), or
/// an open door swung shut (an event when it slams into its frame).
/// </summary>
public sealed class Door : Source
{
    private readonly PlanContext _ctx;
    private readonly Slot _slot;
    private readonly bool _slam;
    private readonly double _w, _h, _hingeSide;
    private readonly SKColor _panel, _frame, _wall, _knocker;
    private readonly List<double> _strength = [];
    private readonly double _openAngle;

    public Door(string id, Rng rng, PlanContext ctx, Slot slot, bool sounding = true, bool visible = true)
        : base(id, SoundClasses.DoorKnock, rng)
    {
        Sounding = sounding;
        Visible = visible;
        _ctx = ctx;
        _slot = slot;
        _slam = sounding && rng.Chance(0.35);
        _h = rng.Uniform(0.3, 0.42) * (ctx.Stage.Outdoor ? slot.Scale : 1);
        _w = _h * rng.Uniform(0.42, 0.5);
        _hingeSide = rng.Chance(0.5) ? 1 : -1;
        _panel = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0.1, 0.8), rng.Uniform(0.25, 0.85));
        _frame = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.4), rng.Uniform(0.6, 0.95));
        _wall = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0.1, 0.5), rng.Uniform(0.4, 0.85));
        _knocker = Stage.Hsv(rng.Uniform(35, 50), rng.Uniform(0.2, 0.7), rng.Uniform(0.5, 0.85));
        _openAngle = rng.Uniform(0.9, 1.3);
        if (!sounding)
        {
            return;
        }

        var sr = ctx.SampleRate;
        if (_slam)
        {
            var t = rng.Uniform(0.8, Math.Min(3.0, ctx.Seconds * 0.45));
            AddEvent(t, LatchX, slot.BaseY - (_h * 0.5), sr);
            _strength.Add(1);
            if (rng.Chance(0.3) && t + 3 < ctx.Seconds - 0.3)
            {
                AddEvent(t + rng.Uniform(2.6, 3.2), LatchX, slot.BaseY - (_h * 0.5), sr);
                _strength.Add(rng.Uniform(0.6, 1));
            }
        }
        else
        {
            var t = rng.Uniform(0.3, Math.Min(2.0, ctx.Seconds * 0.3));
            var groups = rng.Int(1, 3);
            for (var g = 0; g < groups && t < ctx.Seconds - 0.5; g++)
            {
                var knocks = rng.Int(2, 4);
                var gap = rng.Uniform(0.18, 0.32);
                for (var k = 0; k < knocks && t < ctx.Seconds - 0.1; k++)
                {
                    AddEvent(t, slot.X, KnockerY, sr);
                    _strength.Add(rng.Uniform(0.7, 1));
                    t += gap * rng.Uniform(0.9, 1.1);
                }

                t += rng.Uniform(0.9, 2.0);
            }
        }
    }

    public override double BaseY => _ctx.Stage.Outdoor ? _slot.BaseY : _ctx.Stage.HorizonY;

    private double Bottom => BaseY;

    private double KnockerY => Bottom - (_h * 0.62);

    private double LatchX => _slot.X - (_hingeSide * _w / 2);

    /// <summary>Door opening angle in radians: open, then swung shut with growing speed to 0 at each slam; reopened slowly between slams.</summary>
    private double Opening(double t)
    {
        if (!_slam)
        {
            return 0;
        }

        for (var i = 0; i < Events.Count; i++)
        {
            var ts = Events[i].TStart;
            if (t < ts)
            {
                var swing = 0.45;
                if (t >= ts - swing)
                {
                    var u = (ts - t) / swing;
                    return _openAngle * u * u;
                }

                if (i > 0)
                {
                    // Reopening after the previous slam.
                    var since = t - Events[i - 1].TStart;
                    return since < 0.6 ? 0 : _openAngle * Math.Min(1, (since - 0.6) / 1.2);
                }

                return _openAngle;
            }
        }

        var after = t - Events[^1].TStart;
        // A small rebound right after the slam.
        return after < 0.12 ? 0.05 * Math.Sin(Math.PI * after / 0.12) : 0;
    }

    /// <summary>
    /// Knocker lift in radians before each knock: raised over 0.1 s, held, then let fall for the last 40 ms (one frame
    /// interval at 25 fps), gathering speed until it hits the plate at the knock time. So the frame before a knock
    /// shows the ring still up and the knock's own frame shows it down.
    /// </summary>
    private double Lift(double t)
    {
        if (_slam)
        {
            return 0;
        }

        const double top = 1.4, raise = 0.1, hold = 0.02, fall = 0.04;
        var lift = 0.0;
        foreach (var e in Events)
        {
            var dt = t - e.TStart;
            if (dt >= -fall && dt < 0)
            {
                var u = (dt + fall) / fall;
                lift = Math.Max(lift, top * (1 - (u * u)));
            }
            else if (dt >= -fall - hold && dt < -fall)
            {
                lift = top;
            }
            else if (dt >= -fall - hold - raise && dt < -fall - hold)
            {
                var u = (dt + fall + hold + raise) / raise;
                lift = Math.Max(lift, top * Math.Sin(Math.PI * u / 2) * Math.Sin(Math.PI * u / 2));
            }
        }

        return lift;
    }

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
        var x = (float)_slot.X;
        var w = (float)_w;
        var h = (float)_h;
        var bottom = (float)Bottom;
        if (_ctx.Stage.Outdoor)
        {
            c.DrawRect(x - (w * 1.2f), bottom - (h * 1.25f), w * 2.4f, h * 1.25f, dc.Fill(_wall));
        }

        c.DrawRect(x - (w / 2) - (w * 0.08f), bottom - h - (w * 0.08f), w * 1.16f, h + (w * 0.08f), dc.Fill(_frame));
        c.DrawRect(x - (w / 2), bottom - h, w, h, dc.Fill(new SKColor(20, 18, 16)));
        // The panel turns about its hinge: its visible width is w·cos(angle).
        var a = Opening(t);
        var hinge = x + (float)(_hingeSide * w / 2);
        var pw = (float)(w * Math.Cos(a));
        var left = _hingeSide > 0 ? hinge - pw : hinge;
        var skew = (float)(Math.Sin(a) * h * 0.06);
        using (var panel = new SKPathBuilder())
        {
            var free = _hingeSide > 0 ? left : left + pw;
            panel.MoveTo(hinge, bottom - h);
            panel.LineTo(free, bottom - h - skew);
            panel.LineTo(free, bottom + skew);
            panel.LineTo(hinge, bottom);
            panel.Close();
            c.DrawPath(panel, dc.Fill(Colors.Shade(_panel, 1 - (0.3 * Math.Sin(a)))));
            c.DrawCircle(free + (float)(-_hingeSide * -w * 0.1 * Math.Cos(a)), bottom - (h * 0.48f), w * 0.05f, dc.Fill(_knocker));
        }

        if (!_slam && a == 0)
        {
            // Knocker: a ring hanging from a boss; lifted, it swings out toward the viewer and looks shorter.
            var ky = (float)KnockerY;
            var r = w * 0.3f;
            var lift = Lift(t);
            c.DrawCircle(x, ky - r, r * 0.3f, dc.Fill(Colors.Shade(_knocker, 0.7)));
            c.DrawCircle(x, ky + (r * 0.6f), r * 0.25f, dc.Fill(Colors.Shade(_knocker, 0.6)));
            var ringCy = ky - r + (float)(r * Math.Cos(lift));
            var ringH = (float)(r * Math.Max(0.15, Math.Cos(lift)));
            // A dark rim under the ring keeps it seen on a door of its own colour.
            var ringW = Math.Max(dc.Px(1.5), r * 0.25f);
            c.DrawOval(x, ringCy, r, ringH, dc.Stroke(Colors.Shade(_knocker, 0.3), ringW * 1.8f));
            c.DrawOval(x, ringCy, r, ringH, dc.Stroke(_knocker, ringW));
        }
    }

    public override void Synthesize(StemBuilder stem)
    {
        var rng = Rng.Fork("audio");
        var sr = stem.SampleRate;
        var woodF = rng.Uniform(_slam ? 70 : 140, _slam ? 120 : 280);
        var wood = Modal.MaterialModes(Material.Wood, woodF, rng);
        var clank = Modal.MaterialModes(Material.Metal, rng.Uniform(700, 1400), rng).Select(m => m with { T60Seconds = m.T60Seconds * 0.15 }).ToArray();
        for (var i = 0; i < Events.Count; i++)
        {
            float[] s;
            if (_slam)
            {
                s = Modal.Strike(wood.Select(m => m with { T60Seconds = m.T60Seconds * 2.5 }).ToArray(), 0.002, 0.8, rng, sr, 0.6);
                Sounds.AddInto(s, Sounds.NoiseBurst(rng, sr, 0.4, 0.0003, 0.12, 40, 1500), 0, 0.7);
                for (var k = 0; k < 4; k++)
                {
                    Sounds.AddInto(s, Modal.Strike(clank, 0.0003, 0.5, rng, sr, 0.05), (int)(rng.Uniform(0.02, 0.09) * sr), rng.Uniform(0.1, 0.25));
                }
            }
            else
            {
                s = Sounds.Sum(Modal.Strike(wood, 0.001, 0.5, rng, sr, 0.3), Modal.Strike(clank, 0.0003, 0.6, rng, sr, 0.2), 0.45);
            }

            stem.Add(i, Events[i].TStart, s, _strength[i]);
        }
    }

    public override Phrase Describe(Rng rng, Stage stage)
    {
        var colour = Colors.Name(_panel);
        if (!Sounding)
        {
            return new Phrase($"a {colour} door stays closed", $"a closed {colour} door");
        }

        if (!Visible)
        {
            return _slam
                ? new Phrase("a door slams out of view", "a door slamming out of view")
                : new Phrase("someone knocks on a door out of view", "knocking on a door out of view");
        }

        if (_slam)
        {
            return new Phrase($"a {colour} door {rng.Pick(["swings shut with a slam", "slams shut", "is slammed shut"])}", $"a {colour} door slamming shut");
        }

        var n = Events.Count;
        return new Phrase($"the knocker on a {colour} door knocks {DroppedObject.Count(n, rng)}", $"knocking on a {colour} door");
    }
}
