using SkiaSharp;
using V2a.Corpus.Render;
using V2a.Corpus.Scene;
using V2a.Corpus.Synth;

namespace V2a.Corpus.Sources;

/// <summary>
/// rain — streaks over the whole frame whose number follows one intensity curve, and a hiss plus drop pings whose
/// amplitude follows the same curve: heavier-looking rain is louder. One continuous event from when it starts.
/// </summary>
public sealed class Rain : Source
{
    private readonly PlanContext _ctx;
    private readonly SmoothCurve _intensity;
    private readonly double _tStart, _maxDrops, _streak, _slant;
    private readonly SKColor _color;
    private readonly ulong _seed;

    public Rain(string id, Rng rng, PlanContext ctx)
        : base(id, SoundClasses.Rain, rng)
    {
        _ctx = ctx;
        _intensity = new SmoothCurve(rng.Fork("intensity"), ctx.Seconds, rng.Uniform(1.2, 3), 0.2, 1);
        _tStart = rng.Chance(0.7) ? 0 : rng.Uniform(0.8, ctx.Seconds * 0.5);
        _maxDrops = rng.Uniform(50, 140);
        _streak = rng.Uniform(0.04, 0.09);
        _slant = rng.Uniform(-0.3, 0.3);
        _color = Colors.Alpha(Stage.Hsv(rng.Uniform(190, 230), rng.Uniform(0, 0.3), rng.Uniform(0.8, 1)), rng.Uniform(0.45, 0.75));
        _seed = rng.NextULong();
        AddEvent(_tStart, 0.5, 0.5, ctx.SampleRate);
    }

    public override bool IsBackground => true;

    public override double BaseY => 2;

    /// <summary>Rain intensity in [0, 1] at t: drop density and sound amplitude are both proportional to it.</summary>
    public double IntensityAt(double t) => t < _tStart ? 0 : _intensity.At(t) * Math.Min(1, (t - _tStart) / 0.4 + (_tStart == 0 ? 1 : 0));

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
    }

    public override void DrawOverlay(SKCanvas c, double t, DrawContext dc)
    {
        var i = IntensityAt(t);
        if (i <= 0)
        {
            return;
        }

        c.DrawRect(0, 0, 1, 1, dc.Fill(Colors.Alpha(new SKColor(70, 75, 90), 0.18 * i)));
        var rng = new Rng(Rng.Mix(_seed, (ulong)dc.Frame));
        var n = (int)Math.Round(i * _maxDrops);
        var dx = (float)(_slant * _streak);
        for (var k = 0; k < n; k++)
        {
            var x = (float)rng.Uniform(-0.1, 1.1);
            var y = (float)rng.Uniform(-0.1, 1.0);
            c.DrawLine(x, y, x + dx, y + (float)_streak, dc.Stroke(_color, dc.Px(1)));
        }

        // Splashes where drops meet the ground.
        var ground = dc.Stage.HorizonY;
        for (var k = 0; k < n / 4; k++)
        {
            var x = (float)rng.Uniform(0, 1);
            var y = (float)rng.Uniform(ground + 0.05, 1);
            c.DrawOval(x, y, dc.Px(2), dc.Px(0.8), dc.Fill(Colors.Alpha(_color, 0.6)));
        }
    }

    public override void Synthesize(StemBuilder stem)
    {
        var rng = Rng.Fork("audio");
        var sr = stem.SampleRate;
        var start = (int)Math.Round(Events[0].TStart * sr);
        var y = new float[stem.Length - start];
        var hp = Biquad.HighPass(rng.Uniform(300, 600), 0.707, sr);
        var lp = Biquad.LowPass(rng.Uniform(5000, 7500), 0.707, sr);
        for (var k = 0; k < y.Length; k++)
        {
            var t = (start + k) / (double)sr;
            y[k] = (float)(lp.Process(hp.Process(rng.NoiseSample())) * IntensityAt(t));
        }

        // Individual drops on nearby surfaces: a Poisson stream whose rate follows the intensity.
        var rate = rng.Uniform(25, 60);
        for (var t = Events[0].TStart; t < _ctx.Seconds; t += -Math.Log(1 - rng.NextDouble()) / (rate * Math.Max(0.05, IntensityAt(t))))
        {
            var ping = Sounds.Ping(sr, rng.Uniform(2000, 6500), rng.Uniform(1500, 6000), rng.Uniform(0.005, 0.02), rng.Uniform(0.1, 0.5) * IntensityAt(t));
            Sounds.AddInto(y, ping, (int)Math.Round(t * sr) - start);
        }

        stem.AddAt(0, start, y);
    }

    public override Phrase Describe(Rng rng, Stage stage) =>
        new(rng.Pick(["rain falls", "it is raining", "rain pours down", "rain comes down steadily"]),
            rng.Pick(["falling rain", "steady rain", "a rain shower"]));
}

/// <summary>
/// wind — one strength curve sways every plant on the set (and carries leaves along) and drives a band of
/// filtered noise whose loudness and brightness rise with it. One continuous event.
/// </summary>
public sealed class Wind : Source, IWindField
{
    private readonly PlanContext _ctx;
    private readonly SmoothCurve _strength;
    private readonly double _tStart;
    private readonly bool _whistle;
    private readonly int _leaves;
    private readonly double[] _drift; // cumulative leaf travel, per 10 ms
    private readonly ulong _seed;
    private readonly SKColor _leaf;

    public Wind(string id, Rng rng, PlanContext ctx)
        : base(id, SoundClasses.Wind, rng)
    {
        _ctx = ctx;
        _strength = new SmoothCurve(rng.Fork("gusts"), ctx.Seconds, rng.Uniform(0.7, 1.6), 0.15, 1);
        _tStart = rng.Chance(0.8) ? 0 : rng.Uniform(0.8, ctx.Seconds * 0.5);
        _whistle = rng.Chance(0.4);
        _leaves = rng.Int(0, 10);
        _seed = rng.NextULong();
        _leaf = Stage.Hsv(rng.Uniform(20, 120), rng.Uniform(0.4, 0.9), rng.Uniform(0.4, 0.9));
        _drift = new double[(int)(ctx.Seconds * 100) + 2];
        for (var i = 1; i < _drift.Length; i++)
        {
            _drift[i] = _drift[i - 1] + (StrengthAt(i / 100.0) * 0.004);
        }

        AddEvent(_tStart, 0.5, 0.5, ctx.SampleRate);
    }

    public override bool IsBackground => true;

    public override double BaseY => 2;

    public double StrengthAt(double t) => t < _tStart ? 0 : _strength.At(t) * Math.Min(1, ((t - _tStart) / 0.5) + (_tStart == 0 ? 1 : 0));

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
    }

    public override void DrawOverlay(SKCanvas c, double t, DrawContext dc)
    {
        var d = _drift[Math.Clamp((int)(t * 100), 0, _drift.Length - 1)];
        var rng = new Rng(_seed);
        for (var k = 0; k < _leaves; k++)
        {
            var x0 = rng.NextDouble();
            var y0 = rng.Uniform(0.2, 0.9);
            var speed = rng.Uniform(0.6, 1.4);
            var x = (float)((((x0 + (d * speed * 4)) % 1.2) + 1.2) % 1.2 - 0.1);
            var y = (float)(y0 + (0.03 * Math.Sin((d * 40) + k)));
            c.Save();
            c.Translate(x, y);
            c.RotateRadians((float)((d * 60) + k));
            c.DrawOval(0, 0, dc.Px(2.2), dc.Px(1), dc.Fill(_leaf));
            c.Restore();
        }
    }

    public override void Synthesize(StemBuilder stem)
    {
        var rng = Rng.Fork("audio");
        var sr = stem.SampleRate;
        var start = (int)Math.Round(Events[0].TStart * sr);
        var y = new float[stem.Length - start];
        var band = Biquad.BandPass(400, 0.7, sr);
        var low = Biquad.LowPass(140, 0.707, sr);
        var whistleBase = rng.Uniform(500, 1100);
        var whistle = Biquad.BandPass(whistleBase, 14, sr);
        for (var k = 0; k < y.Length; k++)
        {
            var t = (start + k) / (double)sr;
            var w = StrengthAt(t);
            if (k % 32 == 0)
            {
                band.SetCoefficients(Biquad.BandPass(200 + (700 * w), 0.7, sr));
                whistle.SetCoefficients(Biquad.BandPass(whistleBase * (0.8 + (0.5 * w)), 14, sr));
            }

            var n = rng.NoiseSample();
            var s = (band.Process(n * 2) * Math.Pow(w, 1.5)) + (low.Process(n * 3) * w * 0.8);
            if (_whistle)
            {
                s += whistle.Process(n * 6) * Math.Max(0, w - 0.45) * 2;
            }

            y[k] = (float)s;
        }

        stem.AddAt(0, start, y);
    }

    public override Phrase Describe(Rng rng, Stage stage)
    {
        var what = stage.Plants.Any(p => p.IsTree) ? rng.Pick(["the trees", "the trees and grass"]) : "the grass";
        return new Phrase(rng.Pick([$"wind sways {what}", $"gusts of wind bend {what}", $"a breeze blows through {what}"]),
            rng.Pick(["gusting wind", "a blowing wind", "a gusty breeze"]));
    }
}
