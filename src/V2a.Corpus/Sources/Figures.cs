using SkiaSharp;
using V2a.Corpus.Captions;
using V2a.Corpus.Render;
using V2a.Corpus.Scene;
using V2a.Corpus.Synth;

namespace V2a.Corpus.Sources;

/// <summary>Colours of a person: skin, hair, shirt, trousers.</summary>
public sealed record PersonLook(SKColor Skin, SKColor Hair, SKColor Shirt, SKColor Trousers)
{
    public static PersonLook Sample(Rng rng) => new(
        Stage.Hsv(rng.Uniform(15, 35), rng.Uniform(0.25, 0.6), rng.Uniform(0.3, 0.95)),
        Stage.Hsv(rng.Uniform(0, 50), rng.Uniform(0.1, 0.8), rng.Uniform(0.1, 0.9)),
        Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0.2, 0.9), rng.Uniform(0.3, 0.95)),
        Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0.1, 0.7), rng.Uniform(0.15, 0.6)));
}

/// <summary>
/// footsteps — a figure walks across the floor. Each footfall is an event at the instant the swinging foot
/// lands (the foot's path is planned from the step times), and sounds like the floor it lands on.
/// </summary>
public sealed class Walker : Source
{
    private readonly PlanContext _ctx;
    private readonly Slot _slot;
    private readonly PersonLook _look;
    private readonly double _h, _dir, _x0, _period, _stride, _tStart;
    private readonly int _steps;
    private readonly bool _heels;
    private readonly double[] _stepTimes;

    public Walker(string id, Rng rng, PlanContext ctx, Slot slot, bool sounding = true, bool visible = true)
        : base(id, SoundClasses.Footsteps, rng)
    {
        Sounding = sounding;
        Visible = visible;
        _ctx = ctx;
        _slot = slot;
        _look = PersonLook.Sample(rng);
        _h = rng.Uniform(0.24, 0.34) * slot.Scale;
        _dir = rng.Chance(0.5) ? 1 : -1;
        _x0 = _dir > 0 ? rng.Uniform(0.08, 0.4) : rng.Uniform(0.6, 0.92);
        _period = rng.Uniform(0.42, 0.62);
        _stride = _h * rng.Uniform(0.28, 0.38);
        _heels = rng.Chance(0.3);
        _tStart = sounding ? rng.Uniform(0.15, Math.Min(2.0, ctx.Seconds * 0.3)) : double.PositiveInfinity;
        var maxSteps = (int)((ctx.Seconds - _tStart - 0.05) / _period) + 1;
        _steps = !sounding ? 0 : rng.Chance(0.25) ? Math.Max(2, Math.Min(maxSteps, rng.Int(3, 8))) : Math.Max(0, maxSteps);
        _stepTimes = new double[_steps];
        for (var k = 0; k < _steps; k++)
        {
            // Human steps are not metronomic: a few milliseconds of jitter.
            var t = Snap(_tStart + (k * _period) + (k == 0 ? 0 : rng.Uniform(-0.015, 0.015)), ctx.SampleRate);
            if (t >= ctx.Seconds - 0.02)
            {
                _steps = k;
                break;
            }

            _stepTimes[k] = t;
            AddEvent(t, FootPlant(k), slot.BaseY, ctx.SampleRate);
        }
    }

    public override double BaseY => _slot.BaseY;

    public PersonLook Look => _look;

    /// <summary>Where footfall k lands (stage x).</summary>
    private double FootPlant(int k) => _x0 + (_dir * _stride * (k + 1));

    /// <summary>Body x: moves half a stride per half period, from half a period before the first step to half after the last.</summary>
    private double BodyX(double t)
    {
        if (_steps == 0 || t < _tStart - (_period / 2))
        {
            return _x0;
        }

        var last = _stepTimes[_steps - 1];
        var u = Math.Min(t, last + (_period / 2)) - _tStart;
        return _x0 + (_dir * _stride * ((u / _period) + 0.5));
    }

    /// <summary>Foot position (x, lift) at t for foot 0 (even steps) or 1 (odd steps).</summary>
    private (double X, double Lift) Foot(int foot, double t)
    {
        var standing = _x0 + (_dir * (foot == 0 ? -0.03 : 0.03) * _h);
        var prevX = standing;
        var prevLand = double.NegativeInfinity;
        for (var k = foot; k < _steps; k += 2)
        {
            var land = _stepTimes[k];
            var lift = k == 0 ? land - (_period * 0.6) : Math.Max(prevLand, _stepTimes[k - 1] + (_period * 0.1));
            if (t < lift)
            {
                return (prevX, 0);
            }

            if (t < land)
            {
                var u = (t - lift) / (land - lift);
                var e = u * u * (3 - (2 * u));
                return (prevX + ((FootPlant(k) - prevX) * e), Math.Sin(Math.PI * u) * 0.09 * _h);
            }

            prevX = FootPlant(k);
            prevLand = land;
        }

        return (prevX, 0);
    }

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
        var ground = (float)_slot.BaseY;
        var bx = BodyX(t);
        var walking = _steps > 0 && t > _tStart - (_period / 2) && t < _stepTimes[_steps - 1] + (_period / 2);
        var phase = (t - _tStart) / _period;
        var bob = walking ? 0.02 * _h * Math.Abs(Math.Cos(Math.PI * phase)) : 0.004 * _h * Math.Sin(t * 2.1);
        var hipY = ground - (0.48 * _h) - bob;
        var shoulderY = hipY - (0.32 * _h);
        var limb = dc.Px(Math.Max(1.5, _h * 0.055 * dc.SizePixels));
        c.DrawOval((float)bx, ground, (float)(0.12 * _h), (float)(0.025 * _h), dc.Fill(Colors.Alpha(SKColors.Black, 0.25)));
        for (var foot = 0; foot < 2; foot++)
        {
            var (fx, lift) = Foot(foot, t);
            var fy = ground - lift;
            // Two-bone leg: the knee bends toward the walking direction.
            var dx = fx - bx;
            var dy = fy - hipY;
            var d = Math.Sqrt((dx * dx) + (dy * dy));
            var seg = 0.25 * _h;
            var bend = d < 2 * seg ? Math.Sqrt((seg * seg) - (d * d / 4)) : 0;
            var kx = bx + (dx / 2) + (_dir * bend * Math.Abs(dy) / Math.Max(d, 1e-6));
            var ky = hipY + (dy / 2) - (bend * Math.Abs(dx) / Math.Max(d, 1e-6));
            var legColor = foot == 0 ? _look.Trousers : Colors.Shade(_look.Trousers, 0.8);
            using var leg = new SKPathBuilder();
            leg.MoveTo((float)bx, (float)hipY);
            leg.LineTo((float)kx, (float)ky);
            leg.LineTo((float)fx, (float)fy);
            c.DrawPath(leg, dc.Stroke(legColor, limb));
            c.DrawLine((float)fx, (float)fy, (float)(fx + (_dir * 0.05 * _h)), (float)fy, dc.Stroke(SKColors.Black.WithAlpha(220), limb));
        }

        c.DrawLine((float)bx, (float)hipY, (float)bx, (float)shoulderY, dc.Stroke(_look.Shirt, limb * 1.8f));
        var swing = walking ? 0.35 * Math.Sin(Math.PI * phase) : 0;
        for (var arm = -1; arm <= 1; arm += 2)
        {
            var a = arm * swing;
            c.DrawLine((float)bx, (float)shoulderY, (float)(bx + (Math.Sin(a) * 0.3 * _h)), (float)(shoulderY + (Math.Cos(a) * 0.3 * _h)),
                dc.Stroke(arm < 0 ? _look.Shirt : Colors.Shade(_look.Shirt, 0.85), limb));
        }

        var headR = (float)(0.085 * _h);
        c.DrawCircle((float)bx, (float)(shoulderY - (headR * 1.2)), headR, dc.Fill(_look.Skin));
        c.DrawArc(new SKRect((float)bx - headR, (float)(shoulderY - (headR * 2.2)), (float)bx + headR, (float)(shoulderY - (headR * 0.2))), 180, 180, true, dc.Fill(_look.Hair));
    }

    public override void Synthesize(StemBuilder stem)
    {
        var rng = Rng.Fork("audio");
        for (var i = 0; i < Events.Count; i++)
        {
            var step = Footstep(_ctx.Stage.Floor, rng, stem.SampleRate, _heels);
            stem.Add(i, Events[i].TStart, step, Dsp.DbToGain(rng.Uniform(-3, 1)));
        }
    }

    /// <summary>One footfall on a floor: sample 0 is the heel's contact.</summary>
    public static float[] Footstep(Floor floor, Rng rng, int sr, bool heels)
    {
        float[] body = floor switch
        {
            Floor.Wood => Modal.Strike(Modal.MaterialModes(Material.Wood, rng.Uniform(110, 170), rng), 0.002, 0.35, rng, sr, 0.3),
            Floor.Tile or Floor.Stone => Sounds.Sum(
                Sounds.NoiseBurst(rng, sr, 0.04, 0.0003, 0.007, 1500, 7000),
                Modal.Strike([new Mode(rng.Uniform(70, 100), 0.06, 1)], 0.003, 0, rng, sr, 0.1), 0.6),
            Floor.Carpet => Sounds.NoiseBurst(rng, sr, 0.07, 0.0005, 0.015, 80, 900),
            Floor.Grass => Sounds.Sum(Sounds.NoiseBurst(rng, sr, 0.14, 0.0008, 0.04, 1200, 7000),
                Modal.Strike([new Mode(rng.Uniform(60, 90), 0.05, 1)], 0.004, 0, rng, sr, 0.1), 0.5),
            Floor.Sand => Sounds.Sum(Sounds.NoiseBurst(rng, sr, 0.12, 0.0008, 0.03, 200, 3000),
                Modal.Strike([new Mode(rng.Uniform(60, 90), 0.05, 1)], 0.004, 0, rng, sr, 0.1), 0.5),
            _ => Crunch(rng, sr),
        };
        if (heels && floor is Floor.Wood or Floor.Tile or Floor.Stone)
        {
            body = Sounds.Sum(body, Modal.Strike(Modal.MaterialModes(Material.Stone, rng.Uniform(1800, 2600), rng), 0.0003, 0.6, rng, sr, 0.1), 0.8);
        }

        return body;
    }

    /// <summary>Gravel: a cluster of grain clicks, densest at the contact, plus the foot's thud.</summary>
    private static float[] Crunch(Rng rng, int sr)
    {
        var y = new float[(int)(0.14 * sr)];
        Sounds.AddInto(y, Modal.Strike([new Mode(rng.Uniform(60, 90), 0.05, 1)], 0.003, 0, rng, sr, 0.1), 0, 0.6);
        var grains = rng.Int(18, 32);
        for (var g = 0; g < grains; g++)
        {
            var at = g == 0 ? 0 : (int)(-Math.Log(1 - rng.NextDouble()) * 0.03 * sr);
            Sounds.AddInto(y, Sounds.NoiseBurst(rng, sr, 0.006, 0.0002, 0.0015, 1000, 6500), at, rng.Uniform(0.3, 1));
        }

        return y;
    }

    public override Phrase Describe(Rng rng, Stage stage)
    {
        var who = rng.Pick(["a person", "a figure", "someone", "a man", "a woman"]);
        var shirt = Colors.Name(_look.Shirt);
        var whoSeen = rng.Chance(0.5) ? $"a person in a {shirt} shirt" : who;
        if (!Sounding)
        {
            return new Phrase($"{whoSeen} stands still", $"{whoSeen} standing still");
        }

        if (!Visible)
        {
            return new Phrase($"footsteps {rng.Pick(["pass", "sound", "can be heard"])} out of view", "footsteps out of view");
        }

        var across = rng.Pick(["walks across", "walks over", "strolls across"]);
        return new Phrase($"{whoSeen} {across} {stage.FloorNoun}{(rng.Chance(0.4) ? ", footsteps audible" : "")}",
            $"footsteps of {whoSeen} walking across {stage.FloorNoun}");
    }
}

/// <summary>
/// speech — a talking head and shoulders whose mouth opens with the loudness of its own voice (espeak-ng saying a
/// sentence from <see cref="Transcripts"/>). Each utterance is an event from the first voiced sample.
/// </summary>
public sealed class Talker : Source, ISpeaker
{
    private readonly PlanContext _ctx;
    private readonly Slot _slot;
    private readonly PersonLook _look;
    private readonly double _headR;
    private readonly Voice _voice;
    private readonly List<(double Start, string Text)> _lines = [];
    private readonly List<float[]> _audio = [];
    private readonly List<float[]> _envelopes = []; // mouth opening in [0, 1] per 10 ms
    private readonly double _blinkPhase;
    private readonly bool _hat;

    public Talker(string id, Rng rng, PlanContext ctx, Slot slot, bool sounding = true, bool visible = true)
        : base(id, SoundClasses.Speech, rng)
    {
        Sounding = sounding;
        Visible = visible;
        _ctx = ctx;
        _slot = slot;
        _look = PersonLook.Sample(rng);
        _headR = rng.Uniform(0.05, 0.085) * slot.Scale;
        var female = rng.Chance(0.5);
        _voice = new Voice(rng.Pick(["en-us", "en-us", "en", "en-gb-scotland", "en-029"]), female ? rng.Pick(["f1", "f2", "f3", "f4", "f5"]) : rng.Pick(["m1", "m2", "m3", "m4", "m5", "m6", "m7"]),
            rng.Int(female ? 45 : 25, female ? 85 : 60), rng.Int(135, 180), female);
        _blinkPhase = rng.Uniform(0, 4);
        _hat = rng.Chance(0.2);
        if (!sounding)
        {
            return;
        }

        // Plan lines whose estimated length fits the clip (about 2.6 words a second at 150 wpm, with margin).
        var t = rng.Uniform(0.2, Math.Min(1.5, ctx.Seconds * 0.2));
        for (var k = 0; k < 2; k++)
        {
            var room = ctx.Seconds - t - 0.3;
            var maxWords = (int)(room / (60.0 / _voice.WordsPerMinute) / 1.5);
            if (maxWords < 2)
            {
                break;
            }

            var text = Transcripts.Sentence(rng, maxWords);
            _lines.Add((Snap(t, ctx.SampleRate), text));
            t += EstimateSeconds(text) + rng.Uniform(0.4, 1.2);
            if (rng.Chance(0.4))
            {
                break;
            }
        }
    }

    public override double BaseY => _slot.BaseY;

    public Voice Voice => _voice;

    public IReadOnlyList<(double Start, string Text)> Utterances => _lines;

    private double EstimateSeconds(string text) => text.Split(' ').Length * 60.0 / _voice.WordsPerMinute * 1.25;

    public override void Prepare(SceneAssets assets)
    {
        if (!Sounding || _audio.Count > 0)
        {
            return;
        }

        var sr = _ctx.SampleRate;
        var prevEnd = 0.0;
        foreach (var (start, text) in _lines)
        {
            var wave = assets.Speech.Say(text, _voice, sr);
            // The voice starts at its planned time unless the previous line is still running.
            var at = Snap(Math.Max(start, prevEnd + 0.3), sr);
            _audio.Add(wave);
            _envelopes.Add(Envelope(wave, sr));
            AddEvent(at, _slot.X, MouthY, sr);
            prevEnd = at + (wave.Length / (double)sr);
        }
    }

    private double HeadY => _slot.BaseY - (_headR * 3.2);

    private double MouthY => HeadY + (_headR * 0.45);

    /// <summary>Mouth opening per 10 ms: the square root of the normalised RMS, smoothed with a fast attack and a slower release.</summary>
    private static float[] Envelope(float[] wave, int sr)
    {
        var hop = sr / 100;
        var n = (wave.Length / hop) + 1;
        var env = new float[n];
        var peak = 1e-9;
        for (var i = 0; i < n; i++)
        {
            var from = i * hop;
            var len = Math.Min(hop * 2, wave.Length - from);
            env[i] = len > 0 ? (float)Dsp.Rms(wave.AsSpan(from, len)) : 0;
            peak = Math.Max(peak, env[i]);
        }

        var y = 0.0;
        for (var i = 0; i < n; i++)
        {
            var target = Math.Sqrt(env[i] / peak);
            y += (target - y) * (target > y ? 0.7 : 0.35);
            env[i] = (float)y;
        }

        return env;
    }

    private double MouthOpen(double t)
    {
        for (var k = 0; k < _envelopes.Count; k++)
        {
            var u = (t - Events[k].TStart) * 100;
            if (u >= 0 && u < _envelopes[k].Length)
            {
                return _envelopes[k][(int)u];
            }
        }

        return 0;
    }

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
        var x = (float)_slot.X;
        var r = (float)_headR;
        var open = MouthOpen(t);
        var nod = (float)(open * r * 0.06);
        var hy = (float)HeadY + nod;
        // Shoulders and neck.
        using (var body = new SKPathBuilder())
        {
            body.MoveTo(x - (r * 2.1f), (float)_slot.BaseY + 0.1f);
            body.QuadTo(x - (r * 2f), hy + (r * 1.6f), x - (r * 0.6f), hy + (r * 1.45f));
            body.LineTo(x + (r * 0.6f), hy + (r * 1.45f));
            body.QuadTo(x + (r * 2f), hy + (r * 1.6f), x + (r * 2.1f), (float)_slot.BaseY + 0.1f);
            body.Close();
            c.DrawPath(body, dc.Fill(_look.Shirt));
        }

        c.DrawRect(x - (r * 0.35f), hy + (r * 0.7f), r * 0.7f, r * 0.8f, dc.Fill(Colors.Shade(_look.Skin, 0.9)));
        c.DrawOval(x, hy, r * 0.85f, r, dc.Fill(_look.Skin));
        c.DrawArc(new SKRect(x - (r * 0.9f), hy - (r * 1.1f), x + (r * 0.9f), hy + (r * 0.3f)), 180, 180, true, dc.Fill(_look.Hair));
        if (_hat)
        {
            c.DrawRect(x - (r * 1.1f), hy - (r * 0.75f), r * 2.2f, r * 0.15f, dc.Fill(_look.Trousers));
            c.DrawRect(x - (r * 0.7f), hy - (r * 1.4f), r * 1.4f, r * 0.7f, dc.Fill(_look.Trousers));
        }

        // Eyes blink every few seconds: motion that makes no sound.
        var blink = ((t + _blinkPhase) % 3.7) < 0.12;
        for (var s = -1; s <= 1; s += 2)
        {
            var ex = x + (s * r * 0.35f);
            var ey = hy - (r * 0.1f);
            if (blink)
            {
                c.DrawLine(ex - (r * 0.15f), ey, ex + (r * 0.15f), ey, dc.Stroke(SKColors.Black, dc.Px(1)));
            }
            else
            {
                c.DrawOval(ex, ey, r * 0.16f, r * 0.11f, dc.Fill(SKColors.White));
                c.DrawCircle(ex, ey, r * 0.07f, dc.Fill(SKColors.Black));
            }
        }

        var my = hy + (r * 0.45f);
        var mh = (float)((r * 0.04) + (r * 0.32 * open));
        var mw = (float)(r * (0.32 + (0.08 * open)));
        c.DrawOval(x, my, mw, mh, dc.Fill(new SKColor(90, 20, 30)));
        if (open > 0.2)
        {
            c.DrawRect(x - (mw * 0.7f), my - mh, mw * 1.4f, mh * 0.35f, dc.Fill(new SKColor(240, 240, 235)));
        }
    }

    public override void Synthesize(StemBuilder stem)
    {
        for (var k = 0; k < Events.Count; k++)
        {
            var wave = _audio[k];
            var start = (int)Math.Round(Events[k].TStart * stem.SampleRate);
            var room = stem.Length - start;
            if (wave.Length > room)
            {
                // A line that runs past the clip's end is faded out over its last 50 ms.
                wave = wave[..Math.Max(0, room)];
                Sounds.FadeOut(wave, stem.SampleRate, 0.05);
            }

            stem.AddAt(k, start, wave);
        }
    }

    public override Phrase Describe(Rng rng, Stage stage)
    {
        var who = _voice.Female ? rng.Pick(["a woman", "a girl", "a lady"]) : rng.Pick(["a man", "a boy", "a guy"]);
        if (!Sounding)
        {
            return new Phrase($"{who} in a {Colors.Name(_look.Shirt)} shirt looks on without a word", $"{who} looking on silently");
        }

        var quote = _lines.Count > 0 && rng.Chance(0.5) ? $": \"{_lines[0].Text}\"" : "";
        if (!Visible)
        {
            return new Phrase($"{who}'s voice {rng.Pick(["speaks", "talks"])} from out of view{quote}", $"{who} talking out of view");
        }

        var verb = rng.Pick(["says", "speaks", "talks"]);
        return verb == "says" && quote.Length > 0
            ? new Phrase($"{who} says{quote}", $"{who} speaking")
            : new Phrase($"{who} {(verb == "says" ? "speaks" : verb)} to the camera{quote}", $"{who} talking to the camera");
    }
}
