using SkiaSharp;
using V2a.Corpus.Render;
using V2a.Corpus.Scene;
using V2a.Corpus.Synth;

namespace V2a.Corpus.Sources;

/// <summary>
/// engine — a car: parked with its engine starting and then pulling away, or already driving through. Its
/// engine's firing frequency is a fixed function of its road speed (faster = higher), its load follows the
/// acceleration, and its puffs of exhaust come at a rate that follows the engine. One continuous event.
/// </summary>
public sealed class Car : Source
{
    private const double Step = 0.001; // seconds per entry of the speed/position tables
    private readonly PlanContext _ctx;
    private readonly Slot _slot;
    private readonly double _len, _dir, _x0, _tOn, _fIdle;
    private readonly double[] _v, _x;
    private readonly SKColor _body, _glass;
    private readonly string _kind;

    public Car(string id, Rng rng, PlanContext ctx, Slot slot, bool sounding = true, bool visible = true)
        : base(id, SoundClasses.Engine, rng)
    {
        Sounding = sounding;
        Visible = visible;
        _ctx = ctx;
        _slot = slot;
        _kind = rng.Pick(["car", "car", "van", "truck"]);
        _len = rng.Uniform(0.22, 0.32) * slot.Scale * (_kind == "truck" ? 1.2 : 1);
        _dir = rng.Chance(0.5) ? 1 : -1;
        _body = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.9), rng.Uniform(0.2, 0.95));
        _glass = Stage.Hsv(rng.Uniform(180, 220), rng.Uniform(0.1, 0.4), rng.Uniform(0.55, 0.85));
        _fIdle = rng.Uniform(22, 38) * (_kind == "truck" ? 0.75 : 1);
        var n = (int)(ctx.Seconds / Step) + 2;
        _v = new double[n];
        _x = new double[n];
        var startsParked = !sounding || rng.Chance(0.45);
        if (startsParked)
        {
            _x0 = slot.X;
            _tOn = sounding ? rng.Uniform(0.2, Math.Min(2.0, ctx.Seconds * 0.3)) : double.PositiveInfinity;
            var go = _tOn + rng.Uniform(0.8, 2.5);
            var accel = rng.Uniform(0.05, 0.14);
            var vmax = rng.Uniform(0.15, 0.35);
            for (var i = 0; i < n; i++)
            {
                var t = i * Step;
                _v[i] = t < go ? 0 : Math.Min(vmax, accel * (t - go));
            }
        }
        else
        {
            _x0 = _dir > 0 ? rng.Uniform(0.05, 0.4) : rng.Uniform(0.6, 0.95);
            _tOn = 0;
            // Speed wanders through a few knots: slowing, speeding up, even stopping.
            var knots = new SmoothCurve(rng.Fork("speed"), ctx.Seconds, rng.Uniform(1.5, 3), 0.0, 0.3);
            var floor = rng.Uniform(0.03, 0.1);
            for (var i = 0; i < n; i++)
            {
                _v[i] = knots.At(i * Step) + floor;
            }
        }

        _x[0] = _x0;
        for (var i = 1; i < n; i++)
        {
            _x[i] = _x[i - 1] + (_dir * _v[i - 1] * Step);
        }

        if (sounding)
        {
            AddEvent(_tOn, XAt(_tOn), slot.BaseY - (_len * 0.2), ctx.SampleRate);
        }
    }

    public override double BaseY => _slot.BaseY;

    private int Index(double t) => Math.Clamp((int)(t / Step), 0, _v.Length - 1);

    private double XAt(double t) => _x[Index(t)];

    /// <summary>Road speed in stage units per second.</summary>
    public double SpeedAt(double t) => _v[Index(t)];

    /// <summary>The engine's firing frequency in Hz at road speed v: idle plus a fixed slope, so pitch tracks speed.</summary>
    public double EngineHz(double t) => _fIdle * (1 + (2.4 * SpeedAt(t) / 0.35));

    private bool EngineOn(double t) => Sounding && t >= _tOn;

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
        var x = (float)XAt(t);
        var l = (float)_len;
        var ground = (float)_slot.BaseY;
        var wheelR = l * 0.12f;
        // A running engine shakes the body a little; a parked car is still.
        var shake = EngineOn(t) ? (float)(l * 0.006 * Math.Sin(2 * Math.PI * EngineHz(t) * t * 0.37)) : 0;
        var bodyBottom = ground - (wheelR * 0.9f) + shake;
        var bodyH = l * (_kind == "car" ? 0.2f : 0.3f);
        c.DrawOval(x, ground, l * 0.5f, l * 0.05f, dc.Fill(Colors.Alpha(SKColors.Black, 0.3)));
        c.DrawRoundRect(x - (l / 2), bodyBottom - bodyH, l, bodyH, l * 0.04f, l * 0.04f, dc.Fill(_body));
        var cabinH = l * (_kind == "car" ? 0.17f : 0.2f);
        var d = (float)_dir;
        using (var cabin = new SKPathBuilder())
        {
            if (_kind == "truck")
            {
                // A cab at the front and a box behind.
                c.DrawRect(x - (l / 2), bodyBottom - bodyH - (cabinH * 1.3f), l * 0.68f * 1, cabinH * 1.3f, dc.Fill(Colors.Shade(_body, 0.85)));
                var cabX = x + (d * l * 0.3f);
                cabin.AddRect(new SKRect(cabX - (l * 0.15f), bodyBottom - bodyH - cabinH, cabX + (l * 0.15f), bodyBottom - bodyH));
                c.DrawPath(cabin, dc.Fill(_body));
                c.DrawRect(cabX - (l * 0.1f) + (d * l * 0.02f), bodyBottom - bodyH - (cabinH * 0.85f), l * 0.16f, cabinH * 0.55f, dc.Fill(_glass));
            }
            else
            {
                var back = x - (d * l * (_kind == "van" ? 0.48f : 0.3f));
                var front = x + (d * l * 0.22f);
                cabin.MoveTo(back, bodyBottom - bodyH);
                cabin.LineTo(back + (d * l * 0.05f), bodyBottom - bodyH - cabinH);
                cabin.LineTo(front - (d * l * 0.08f), bodyBottom - bodyH - cabinH);
                cabin.LineTo(front, bodyBottom - bodyH);
                cabin.Close();
                c.DrawPath(cabin, dc.Fill(_body));
                c.DrawRect(Math.Min(back, front) + (l * 0.06f), bodyBottom - bodyH - (cabinH * 0.82f), Math.Abs(front - back) - (l * 0.14f), cabinH * 0.62f, dc.Fill(_glass));
            }
        }

        c.DrawCircle(x + (d * l * 0.48f), bodyBottom - (bodyH * 0.6f), l * 0.025f, dc.Fill(new SKColor(255, 240, 180)));
        var dist = Math.Abs(XAt(t) - _x0);
        foreach (var wx in new[] { x - (l * 0.3f), x + (l * 0.3f) })
        {
            c.DrawCircle(wx, ground - wheelR, wheelR, dc.Fill(new SKColor(25, 25, 25)));
            c.DrawCircle(wx, ground - wheelR, wheelR * 0.5f, dc.Fill(new SKColor(170, 170, 175)));
            // Spokes turn with the distance travelled.
            var a = d * dist / wheelR;
            for (var s = 0; s < 3; s++)
            {
                var aa = a + (s * Math.PI * 2 / 3);
                c.DrawLine(wx, ground - wheelR, wx + (float)(Math.Cos(aa) * wheelR * 0.5), ground - wheelR + (float)(Math.Sin(aa) * wheelR * 0.5),
                    dc.Stroke(new SKColor(60, 60, 60), dc.Px(1)));
            }
        }

        if (!EngineOn(t))
        {
            return;
        }

        // Exhaust puffs at a rate proportional to the engine's frequency, drifting back and fading.
        var tailY = bodyBottom - (l * 0.03f);
        var emitted = new List<double>();
        for (var te = _tOn; te <= t; te += 1.0 / (EngineHz(te) / 5))
        {
            if (t - te < 0.7)
            {
                emitted.Add(te);
            }
        }

        foreach (var te in emitted)
        {
            var age = t - te;
            var px = (float)(XAt(te) - (d * l * 0.52) - (d * age * 0.08));
            var py = tailY - (float)(age * 0.05);
            c.DrawCircle(px, py, (float)(l * (0.025 + (age * 0.08))), dc.Fill(Colors.Alpha(new SKColor(200, 200, 205), 0.55 * (1 - (age / 0.7)))));
        }
    }

    public override void Synthesize(StemBuilder stem)
    {
        if (Events.Count == 0)
        {
            return;
        }

        var rng = Rng.Fork("audio");
        var sr = stem.SampleRate;
        var start = (int)Math.Round(Events[0].TStart * sr);
        var y = new float[stem.Length - start];
        var harmonics = 10;
        var amps = new double[harmonics];
        var phases = new double[harmonics];
        for (var h = 0; h < harmonics; h++)
        {
            amps[h] = rng.Uniform(0.4, 1.2) / Math.Pow(h + 1, rng.Uniform(0.6, 1.1));
            phases[h] = rng.Uniform(0, 2 * Math.PI);
        }

        var lp = Biquad.LowPass(rng.Uniform(1800, 3200), 0.707, sr);
        var rumble = Biquad.LowPass(300, 0.707, sr);
        var phase = 0.0;
        var fadeIn = (start == 0 ? 0.005 : 0.06) * sr;
        for (var i = 0; i < y.Length; i++)
        {
            var t = (start + i) / (double)sr;
            var f = EngineHz(t);
            phase += f / sr;
            var accel = (SpeedAt(t + 0.05) - SpeedAt(t)) / 0.05;
            var load = Math.Clamp(0.5 + (4 * accel), 0.35, 1.0);
            double s = 0;
            for (var h = 0; h < harmonics; h++)
            {
                s += amps[h] * Math.Sin((2 * Math.PI * (h + 1) * phase) + phases[h]);
            }

            var pulse = Math.Pow(0.5 + (0.5 * Math.Cos(2 * Math.PI * phase)), 3);
            s += rumble.Process(rng.NoiseSample() * 6) * (0.4 + pulse);
            // Off-screen, farther is quieter.
            var x = XAt(t);
            var outside = Math.Max(0, Math.Max(-x, x - 1));
            var distance = 1 / (1 + (5 * outside));
            y[i] = (float)(lp.Process(s * load) * distance * Math.Min(1, i / fadeIn));
        }

        stem.AddAt(0, start, y);
    }

    public override Phrase Describe(Rng rng, Stage stage)
    {
        var colour = Colors.Name(_body);
        var thing = $"{colour} {_kind}";
        if (!Sounding)
        {
            return new Phrase($"a {thing} is parked", $"a parked {thing}");
        }

        if (!Visible)
        {
            return new Phrase($"a {rng.Pick(["car", "vehicle", "motor"])} engine runs out of view", "an engine running out of view");
        }

        if (_tOn > 0)
        {
            return new Phrase($"a {thing}'s engine starts{rng.Pick([" and it pulls away", " and it drives off", ", then it drives away"])}",
                $"the engine of a {thing} starting and pulling away");
        }

        var speeds = rng.Pick(["drives past", "drives by", "passes by"]);
        return new Phrase($"a {thing} {speeds}, its engine {rng.Pick(["rising and falling with its speed", "humming", "revving"])}",
            $"a {thing} driving past with its engine {rng.Pick(["humming", "running"])}");
    }
}
