using SkiaSharp;
using V2a.Corpus.Render;
using V2a.Corpus.Scene;
using V2a.Corpus.Synth;

namespace V2a.Corpus.Sources;

/// <summary>
/// fire — a campfire (a hearth indoors): flame height follows a flicker curve that also sets the roar's level,
/// and every crackle is a pop in the sound at the instant a spark leaps out. One continuous event; the crackles
/// are part of it, not separate events.
/// </summary>
public sealed class Campfire : Source
{
    private readonly PlanContext _ctx;
    private readonly Slot _slot;
    private readonly double _size, _tStart;
    private readonly SmoothCurve _flicker;
    private readonly List<(double T, double Dx, double Speed)> _sparks = [];
    private readonly SKColor _flame, _log;
    private readonly bool _hearth;
    private readonly SKColor _stone;

    public Campfire(string id, Rng rng, PlanContext ctx, Slot slot, bool sounding = true, bool visible = true)
        : base(id, SoundClasses.Fire, rng)
    {
        Sounding = sounding;
        Visible = visible;
        _ctx = ctx;
        _slot = slot;
        _size = rng.Uniform(0.08, 0.14) * slot.Scale;
        _tStart = !sounding ? double.PositiveInfinity : rng.Chance(0.75) ? 0 : rng.Uniform(0.5, ctx.Seconds * 0.4);
        _flicker = new SmoothCurve(rng.Fork("flicker"), ctx.Seconds, rng.Uniform(0.12, 0.3), 0.55, 1);
        _flame = Stage.Hsv(rng.Uniform(15, 45), rng.Uniform(0.75, 1), 1);
        _log = Stage.Hsv(rng.Uniform(15, 35), rng.Uniform(0.3, 0.7), rng.Uniform(0.2, 0.45));
        _hearth = !ctx.Stage.Outdoor;
        _stone = Stage.Hsv(rng.Uniform(0, 40), rng.Uniform(0, 0.3), rng.Uniform(0.3, 0.6));
        if (!sounding)
        {
            return;
        }

        AddEvent(_tStart, slot.X, slot.BaseY - (_size * 0.5), ctx.SampleRate);
        var rate = rng.Uniform(2, 9);
        for (var t = _tStart + 0.2; t < ctx.Seconds - 0.05; t += -Math.Log(1 - rng.NextDouble()) / rate)
        {
            _sparks.Add((Snap(t, ctx.SampleRate), rng.Uniform(-0.5, 0.5), rng.Uniform(0.6, 1.2)));
        }
    }

    public override double BaseY => _slot.BaseY;

    /// <summary>Flame strength in [0, 1]: height of the flames and level of the roar.</summary>
    public double StrengthAt(double t) => t < _tStart ? 0 : _flicker.At(t) * Math.Min(1, ((t - _tStart) / 1.0) + (_tStart == 0 ? 1 : 0));

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
        var x = (float)_slot.X;
        var g = (float)_slot.BaseY;
        var s = (float)_size;
        if (_hearth)
        {
            c.DrawRect(x - (s * 1.1f), g - (s * 1.9f), s * 2.2f, s * 1.9f, dc.Fill(_stone));
            c.DrawRect(x - (s * 0.8f), g - (s * 1.4f), s * 1.6f, s * 1.4f, dc.Fill(new SKColor(25, 20, 18)));
        }

        var f = StrengthAt(t);
        if (f > 0)
        {
            using var glow = SKShader.CreateRadialGradient(new SKPoint(x, g - (s * 0.4f)), s * 2.2f,
                [Colors.Alpha(_flame, 0.35 * f), Colors.Alpha(_flame, 0)], SKShaderTileMode.Clamp);
            c.DrawCircle(x, g - (s * 0.4f), s * 2.2f, dc.Shaded(glow));
        }

        c.DrawLine(x - (s * 0.7f), g - (s * 0.05f), x + (s * 0.7f), g - (s * 0.25f), dc.Stroke(_log, s * 0.22f));
        c.DrawLine(x - (s * 0.7f), g - (s * 0.25f), x + (s * 0.7f), g - (s * 0.05f), dc.Stroke(Colors.Shade(_log, 0.8), s * 0.22f));
        if (f <= 0)
        {
            return;
        }

        // Tongues of flame, each with its own flicker phase, all scaled by the shared strength.
        for (var k = 0; k < 5; k++)
        {
            var off = (k - 2) * s * 0.22f;
            var h = s * (float)(f * (0.9 + (0.5 * Math.Sin((t * (9 + k)) + (k * 1.7)))) * (k == 2 ? 1.5 : 1.0));
            using var tongue = new SKPathBuilder();
            tongue.MoveTo(x + off - (s * 0.2f), g - (s * 0.15f));
            tongue.QuadTo(x + off - (s * 0.15f), g - (s * 0.15f) - (h * 0.6f), x + off + (float)(Math.Sin(t * 7 + k) * s * 0.08), g - (s * 0.15f) - h);
            tongue.QuadTo(x + off + (s * 0.15f), g - (s * 0.15f) - (h * 0.6f), x + off + (s * 0.2f), g - (s * 0.15f));
            tongue.Close();
            c.DrawPath(tongue, dc.Fill(k % 2 == 0 ? _flame : Colors.Mix(_flame, new SKColor(255, 240, 120), 0.5)));
        }

        // Sparks leap from the fire at each crackle.
        foreach (var (ts, dx, speed) in _sparks)
        {
            var age = t - ts;
            if (age >= 0 && age < 0.6)
            {
                var sx = x + (float)(dx * s * (0.3 + age));
                var sy = g - (s * 0.4f) - (float)(speed * age * s * 3);
                c.DrawCircle(sx, sy, dc.Px(age < 0.08 ? 2.2 : 1.3), dc.Fill(Colors.Alpha(new SKColor(255, 230, 150), 1 - (age / 0.6))));
            }
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
        var roar = Biquad.LowPass(rng.Uniform(350, 800), 0.707, sr);
        var hiss = Biquad.HighPass(2500, 0.707, sr);
        for (var k = 0; k < y.Length; k++)
        {
            var t = (start + k) / (double)sr;
            var f = StrengthAt(t);
            var n = rng.NoiseSample();
            y[k] = (float)(((roar.Process(n * 4) * 0.8) + (hiss.Process(n) * 0.08)) * f);
        }

        foreach (var (ts, _, speed) in _sparks)
        {
            var pop = Sounds.NoiseBurst(rng, sr, 0.02, 0.0002, rng.Uniform(0.001, 0.004), 1200, 6000);
            Sounds.AddInto(y, pop, (int)Math.Round(ts * sr) - start, rng.Uniform(1.5, 4) * speed);
        }

        stem.AddAt(0, start, y);
    }

    public override Phrase Describe(Rng rng, Stage stage)
    {
        var what = _hearth ? rng.Pick(["a fire in the fireplace", "a fire in a stone hearth"]) : rng.Pick(["a campfire", "a small bonfire", "a fire"]);
        if (!Sounding)
        {
            return new Phrase(_hearth ? "an unlit fireplace holds a few logs" : "a pile of logs lies unlit", "a pile of unlit logs");
        }

        if (!Visible)
        {
            return new Phrase("a fire crackles somewhere out of view", "a fire crackling out of view");
        }

        return _tStart > 0
            ? new Phrase($"{what} catches and starts crackling", $"{what} catching and crackling")
            : new Phrase($"{what} {rng.Pick(["crackles", "burns and crackles", "flickers and crackles"])}", $"{what} crackling");
    }
}
