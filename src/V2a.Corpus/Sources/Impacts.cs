using SkiaSharp;
using V2a.Corpus.Render;
using V2a.Corpus.Scene;
using V2a.Corpus.Synth;

namespace V2a.Corpus.Sources;

/// <summary>How an object of a material looks: its colours, a pattern and its caption words.</summary>
public sealed record MaterialLook(Material Material, SKColor Base, SKColor Detail, string Adjective, string ColourWord)
{
    public static MaterialLook Sample(Material m, Rng rng)
    {
        switch (m)
        {
            case Material.Wood:
                {
                    var b = Stage.Hsv(rng.Uniform(18, 45), rng.Uniform(0.35, 0.75), rng.Uniform(0.35, 0.85));
                    return new MaterialLook(m, b, Colors.Shade(b, 0.65), rng.Pick(["wooden", "wooden", "wood"]), Colors.Name(b));
                }

            case Material.Metal:
                {
                    var kind = rng.Int(4);
                    var (h, s, word) = kind switch
                    {
                        0 => (rng.Uniform(190, 230), rng.Uniform(0.03, 0.15), "steel"),
                        1 => (rng.Uniform(40, 52), rng.Uniform(0.45, 0.7), "brass"),
                        2 => (rng.Uniform(12, 25), rng.Uniform(0.5, 0.75), "copper"),
                        _ => (rng.Uniform(0, 360), rng.Uniform(0.0, 0.08), "metal"),
                    };
                    var b = Stage.Hsv(h, s, rng.Uniform(0.5, 0.8));
                    return new MaterialLook(m, b, SKColors.White, word == "metal" ? rng.Pick(["metal", "iron", "tin"]) : word, Colors.Name(b));
                }

            case Material.Glass:
                {
                    var b = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0.1, 0.6), rng.Uniform(0.7, 1));
                    return new MaterialLook(m, Colors.Alpha(b, 0.45), SKColors.White, "glass", Colors.Name(b));
                }

            case Material.Rubber:
                {
                    var b = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0.5, 1), rng.Uniform(0.45, 0.95));
                    return new MaterialLook(m, b, Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0.3, 1), rng.Uniform(0.4, 1)), rng.Pick(["rubber", "rubber", "bouncy"]), Colors.Name(b));
                }

            default:
                {
                    var b = Stage.Hsv(rng.Uniform(0, 60), rng.Uniform(0.0, 0.3), rng.Uniform(0.35, 0.75));
                    return new MaterialLook(m, b, Colors.Shade(b, rng.Uniform(0.5, 1.4)), rng.Pick(["stone", "stone", "granite", "marble"]), Colors.Name(b));
                }
        }
    }

    /// <summary>Draws a ball or a block of this material centred at (x, y), radius r, turned by angle (radians), squashed by <paramref name="squash"/> (1 = round).</summary>
    public void Draw(SKCanvas c, float x, float y, float r, double angle, bool block, double squash, DrawContext dc)
    {
        c.Save();
        c.Translate(x, y);
        c.Scale((float)(1 / Math.Sqrt(squash)), (float)squash);
        c.RotateRadians((float)angle);
        using var path = new SKPathBuilder();
        if (block)
        {
            path.AddRect(new SKRect(-r * 0.9f, -r * 0.9f, r * 0.9f, r * 0.9f));
        }
        else if (Material == Material.Stone)
        {
            // A rock: an irregular polygon, fixed per stone by its colour bits.
            var k = (Base.Red * 7) + Base.Green;
            for (var i = 0; i < 7; i++)
            {
                var a = i * Math.PI * 2 / 7;
                var rr = r * (0.8 + (0.2 * (((k >> (i % 5)) & 3) / 3.0)));
                if (i == 0)
                {
                    path.MoveTo((float)(rr * Math.Cos(a)), (float)(rr * Math.Sin(a)));
                }
                else
                {
                    path.LineTo((float)(rr * Math.Cos(a)), (float)(rr * Math.Sin(a)));
                }
            }

            path.Close();
        }
        else
        {
            path.AddCircle(0, 0, r);
        }

        switch (Material)
        {
            case Material.Metal:
                using (var sh = SKShader.CreateRadialGradient(new SKPoint(-r * 0.35f, -r * 0.35f), r * 1.4f,
                    [Colors.Mix(Base, SKColors.White, 0.8), Base, Colors.Shade(Base, 0.35)], [0f, 0.45f, 1f], SKShaderTileMode.Clamp))
                {
                    c.DrawPath(path, dc.Shaded(sh));
                }

                break;
            case Material.Glass:
                c.DrawPath(path, dc.Fill(Base));
                c.DrawPath(path, dc.Stroke(Colors.Alpha(Colors.Mix(Base, SKColors.White, 0.5), 0.9), dc.Px(1)));
                c.DrawCircle(-r * 0.35f, -r * 0.35f, r * 0.22f, dc.Fill(Colors.Alpha(SKColors.White, 0.85)));
                c.DrawCircle(r * 0.3f, r * 0.35f, r * 0.1f, dc.Fill(Colors.Alpha(SKColors.White, 0.5)));
                break;
            case Material.Wood:
                c.DrawPath(path, dc.Fill(Base));
                c.Save();
                c.ClipPath(path, antialias: true);
                for (var i = -3; i <= 3; i++)
                {
                    c.DrawLine(-r, i * r * 0.3f, r, (i * r * 0.3f) + (r * 0.12f), dc.Stroke(Colors.Alpha(Detail, 0.8), dc.Px(1)));
                }

                c.Restore();
                break;
            case Material.Rubber:
                using (var sh = SKShader.CreateRadialGradient(new SKPoint(-r * 0.3f, -r * 0.3f), r * 1.5f,
                    [Colors.Mix(Base, SKColors.White, 0.25), Base, Colors.Shade(Base, 0.55)], [0f, 0.5f, 1f], SKShaderTileMode.Clamp))
                {
                    c.DrawPath(path, dc.Shaded(sh));
                }

                c.DrawLine(-r, 0, r, 0, dc.Stroke(Detail, r * 0.25f, round: false));
                break;
            default:
                c.DrawPath(path, dc.Fill(Base));
                c.Save();
                c.ClipPath(path, antialias: true);
                for (var i = 0; i < 9; i++)
                {
                    c.DrawCircle((float)(r * (((i * 37) % 17) / 8.5 - 1)), (float)(r * (((i * 53) % 13) / 6.5 - 1)), r * 0.1f, dc.Fill(Detail));
                }

                c.Restore();
                c.DrawPath(path, dc.Stroke(Colors.Shade(Base, 0.5), dc.Px(1)));
                break;
        }

        c.Restore();
    }
}

/// <summary>
/// impact_* — an object (ball or block) of one material falls into view and bounces on the floor until it rests.
/// Each contact is an event at the exact time the falling centre reaches the floor; the sound is a modal strike
/// whose pitch follows the object's size, whose ring follows its material and whose level follows the impact speed.
/// </summary>
public sealed class DroppedObject : Source
{
    private readonly PlanContext _ctx;
    private readonly Slot _slot;
    private readonly MaterialLook _look;
    private readonly bool _block;
    private readonly double _r, _x0, _vx, _restY;
    private readonly List<(double T0, double V0, double X0)> _flights = []; // flight k: leaves floor at T0 upward with speed V0
    private readonly double _tRelease, _yRelease;
    private readonly List<double> _speeds = [];
    private readonly SKColor _tableColor;

    public DroppedObject(string id, Material material, Rng rng, PlanContext ctx, Slot slot, bool sounding = true, bool visible = true)
        : base(id, ClassOf(material), rng)
    {
        Sounding = sounding;
        Visible = visible;
        _ctx = ctx;
        _slot = slot;
        Material = material;
        _look = MaterialLook.Sample(material, rng);
        _block = material != Material.Rubber && material != Material.Glass && rng.Chance(0.35);
        _r = rng.Uniform(0.032, 0.07) * slot.Scale;
        _restY = slot.BaseY - _r;
        _x0 = slot.X;
        _vx = rng.Uniform(0.015, 0.06) * (rng.Chance(0.5) ? 1 : -1);
        _tableColor = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.5), rng.Uniform(0.25, 0.7));
        _tRelease = sounding ? rng.Uniform(-0.3, Math.Max(0.2, ctx.Seconds - 3.5)) : double.PositiveInfinity;
        // Falls in from above the frame (or from a shelf height within it).
        _yRelease = rng.Chance(0.6) ? rng.Uniform(-0.2, -0.05) : rng.Uniform(0.05, Math.Max(0.1, _restY - 0.25));
        var restitution = material switch
        {
            Material.Rubber => rng.Uniform(0.7, 0.85),
            Material.Wood => rng.Uniform(0.4, 0.55),
            Material.Metal => rng.Uniform(0.45, 0.6),
            Material.Glass => rng.Uniform(0.4, 0.55),
            _ => rng.Uniform(0.25, 0.4),
        };
        if (!sounding)
        {
            return;
        }

        var g = PlanContext.Gravity;
        var t = _tRelease + Math.Sqrt(2 * (_restY - _yRelease) / g);
        var v = g * (t - _tRelease);
        var x = _x0 + (_vx * (t - _tRelease));
        // Bounces quieter than about −13 dB of the first would vanish under its ring: the object comes to rest
        // instead (its remaining hops would be under a pixel or two high).
        var vFirst = v;
        while (v > Math.Max(0.12, 0.22 * vFirst) && t < ctx.Seconds)
        {
            if (t >= 0.02)
            {
                AddEvent(t, x, slot.BaseY, ctx.SampleRate);
                _speeds.Add(v);
            }

            v *= restitution;
            _flights.Add((Snap(t, ctx.SampleRate), v, x));
            var flight = 2 * v / g;
            t += flight;
            x += _vx * flight;
        }

        // Keep the planned rest time so Draw can show it lying still.
        RestTime = t;
    }

    public Material Material { get; }

    public MaterialLook Look => _look;

    public bool IsBlock => _block;

    /// <summary>When it comes to rest (after the last audible bounce).</summary>
    public double RestTime { get; private set; } = double.NegativeInfinity;

    public override double BaseY => _slot.BaseY;

    public static string ClassOf(Material m) => m switch
    {
        Material.Wood => SoundClasses.ImpactWood,
        Material.Metal => SoundClasses.ImpactMetal,
        Material.Glass => SoundClasses.ImpactGlass,
        Material.Rubber => SoundClasses.ImpactRubber,
        _ => SoundClasses.ImpactStone,
    };

    /// <summary>Radius in stage units.</summary>
    public double Radius => _r;

    /// <summary>Centre (stage units) at time t: the same flight model that placed the events.</summary>
    public (double X, double Y) CentreAt(double t)
    {
        var (x, y, _) = Position(t);
        return (x, y);
    }

    private (double X, double Y, double Squash) Position(double t)
    {
        var g = PlanContext.Gravity;
        if (!Sounding)
        {
            return (_x0, _restY, 1);
        }

        if (t < _tRelease)
        {
            return (_x0, _yRelease, 1);
        }

        if (_flights.Count == 0 || t < _flights[0].T0)
        {
            var dt = t - _tRelease;
            return (_x0 + (_vx * dt), Math.Min(_restY, _yRelease + (0.5 * g * dt * dt)), 1);
        }

        // Find the flight that contains t.
        for (var k = _flights.Count - 1; k >= 0; k--)
        {
            var (t0, v0, x0) = _flights[k];
            if (t >= t0)
            {
                var dt = t - t0;
                var flight = 2 * v0 / g;
                if (dt > flight)
                {
                    return (x0 + (_vx * flight), _restY, 1);
                }

                var y = _restY - ((v0 * dt) - (0.5 * g * dt * dt));
                // Rubber squashes in the frame of contact.
                var squash = Material == Material.Rubber && dt < 0.03 ? 0.8 : 1;
                return (x0 + (_vx * dt), y, squash);
            }
        }

        return (_x0, _restY, 1);
    }

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
        var (x, y, squash) = Position(t);
        if (Sounding && _yRelease > 0)
        {
            // It starts on a small stand and rolls off its edge at the release time.
            var side = -Math.Sign(_vx);
            var top = (float)(_yRelease + _r);
            var inner = (float)(_x0 + (side * _r * 0.4));
            var outer = (float)(_x0 + (side * (_r + 0.1)));
            c.DrawRect(Math.Min(inner, outer), top, Math.Abs(outer - inner), dc.Px(2.5), dc.Fill(_tableColor));
            var post = (float)(_x0 + (side * (_r + 0.06)));
            c.DrawLine(post, top, post, (float)(_slot.BaseY - (0.02 * _slot.Scale)), dc.Stroke(Colors.Shade(_tableColor, 0.7), dc.Px(2.5)));
        }

        var height = Math.Max(0, _restY - y);
        // The shadow sharpens and grows as the object nears the floor: contact is visible.
        var shadowAlpha = 0.35 * Math.Clamp(1 - (height / 0.4), 0.15, 1);
        c.DrawOval((float)x, (float)_slot.BaseY, (float)(_r * (1.1 - Math.Min(0.5, height))), (float)(_r * 0.25), dc.Fill(Colors.Alpha(SKColors.Black, shadowAlpha)));
        var angle = _block ? (Events.Count(e => e.TStart <= t) * 0.7) + (t * _vx * 8) : t * _vx * 20;
        _look.Draw(c, (float)x, (float)(y + (_r * (1 - squash))), (float)_r, angle, _block, squash, dc);
    }

    public override void Synthesize(StemBuilder stem)
    {
        var rng = Rng.Fork("audio");
        var sr = stem.SampleRate;
        var f0 = Material switch
        {
            Material.Wood => 260.0,
            Material.Metal => 950.0,
            Material.Glass => 1900.0,
            Material.Rubber => 170.0,
            _ => 520.0,
        } * (0.045 / _r);
        var soft = _ctx.Stage.Floor is Floor.Carpet or Floor.Grass or Floor.Sand;
        var contact = Material switch
        {
            Material.Rubber => 0.004,
            Material.Wood => 0.0012,
            Material.Glass => 0.0004,
            Material.Metal => 0.0005,
            _ => 0.0004,
        } * (soft ? 2 : 1);
        var click = (Material is Material.Stone or Material.Glass or Material.Metal ? 0.5 : 0.25) * (soft ? 0.3 : 1);
        var modes = Modal.MaterialModes(Material, f0, rng);
        if (soft)
        {
            modes = modes.Select(m => m with { T60Seconds = m.T60Seconds * 0.6 }).ToArray();
        }

        var vmax = _speeds.Count > 0 ? _speeds.Max() : 1;
        for (var i = 0; i < Events.Count; i++)
        {
            var strength = _speeds[i] / vmax;
            var strike = Modal.Strike(modes, contact, click, rng, sr, 3);
            // The floor's own thud: a low, short body.
            var thud = Modal.Strike([new Mode(rng.Uniform(70, 120), 0.05, 0.4 * (_r / 0.05))], 0.003, 0, rng, sr, 0.1);
            stem.Add(i, Events[i].TStart, Sounds.Sum(strike, thud), strength);
        }
    }

    public override Phrase Describe(Rng rng, Stage stage)
    {
        var noun = _block ? rng.Pick(["block", "cube"]) : Material == Material.Stone ? rng.Pick(["stone", "rock", "pebble"]) : Material == Material.Glass ? rng.Pick(["ball", "marble", "bead"]) : "ball";
        var adjective = _look.Adjective;
        // "a stone stone" reads badly: stones are named by the noun alone.
        var thing = Material == Material.Stone && !_block ? $"{_look.ColourWord} {noun}" : $"{_look.ColourWord} {adjective} {noun}";
        if (!Sounding)
        {
            return new Phrase($"a {thing} lies still {rng.Pick(["on", "upon"])} {stage.FloorNoun}", $"a {thing} lying still");
        }

        var n = Events.Count;
        if (!Visible)
        {
            var what = Material == Material.Stone ? "stone" : $"{adjective} object";
            return new Phrase($"{Article(what)} {rng.Pick(["falls", "clatters", "bounces"])} somewhere out of view",
                $"{Article(what)} bouncing out of view");
        }

        var verb = n <= 1 ? rng.Pick(["falls and hits", "lands on", "hits"]) : rng.Pick(["bounces", "falls and bounces", "bounces"]);
        var count = n <= 1 ? "" : " " + Count(n, rng);
        var on = n <= 1 ? stage.FloorNoun : $"on {stage.FloorNoun}";
        return new Phrase($"a {thing} {verb}{count} {on}", $"a {thing} bouncing{count} on {stage.FloorNoun}");
    }

    internal static string Article(string w) => ("aeiou".Contains(w[0]) ? "an " : "a ") + w;

    internal static string Count(int n, Rng rng) => n switch
    {
        1 => "once",
        2 => "twice",
        3 => rng.Pick(["three times", "three times", "a few times"]),
        4 => rng.Pick(["four times", "a few times"]),
        _ => rng.Pick(["several times", "again and again", "repeatedly"]),
    };
}

/// <summary>
/// rolling — a ball at rest is pushed and rolls across the floor, slowing to a stop (or leaving the frame). One
/// continuous event from the push to the stop; its rumble's level follows the speed and its bumps the turns of
/// the ball.
/// </summary>
public sealed class RollingBall : Source
{
    private readonly PlanContext _ctx;
    private readonly Slot _slot;
    private readonly MaterialLook _look;
    private readonly double _r, _x0, _dir, _v0, _decel, _tPush;

    public RollingBall(string id, Rng rng, PlanContext ctx, Slot slot, bool sounding = true, bool visible = true)
        : base(id, SoundClasses.Rolling, rng)
    {
        Sounding = sounding;
        Visible = visible;
        _ctx = ctx;
        _slot = slot;
        var m = rng.Pick([Material.Rubber, Material.Wood, Material.Metal, Material.Stone, Material.Glass]);
        _look = MaterialLook.Sample(m, rng);
        _r = rng.Uniform(0.025, 0.055) * slot.Scale;
        _dir = rng.Chance(0.5) ? 1 : -1;
        _x0 = _dir > 0 ? rng.Uniform(0.1, 0.45) : rng.Uniform(0.55, 0.9);
        _v0 = rng.Uniform(0.12, 0.35);
        _decel = rng.Uniform(0.03, 0.09);
        _tPush = sounding ? rng.Uniform(0.1, Math.Max(0.2, ctx.Seconds * 0.45)) : double.PositiveInfinity;
        if (sounding)
        {
            AddEvent(_tPush, _x0, slot.BaseY, ctx.SampleRate);
        }
    }

    public override double BaseY => _slot.BaseY;

    private double StopTime => _tPush + (_v0 / _decel);

    private double Speed(double t) => t < _tPush || t > StopTime ? 0 : _v0 - (_decel * (t - _tPush));

    private double Distance(double t)
    {
        if (t <= _tPush)
        {
            return 0;
        }

        var dt = Math.Min(t, StopTime) - _tPush;
        return (_v0 * dt) - (0.5 * _decel * dt * dt);
    }

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
        var d = Distance(t);
        var x = (float)(_x0 + (_dir * d));
        var y = (float)(_slot.BaseY - _r);
        c.DrawOval(x, (float)_slot.BaseY, (float)_r, (float)(_r * 0.25), dc.Fill(Colors.Alpha(SKColors.Black, 0.3)));
        // The turning stripe shows the roll: angle = distance / radius.
        _look.Draw(c, x, y, (float)_r, _dir * d / _r, false, 1, dc);
        c.DrawCircle(x + (float)(_r * 0.55 * Math.Cos(_dir * d / _r)), y + (float)(_r * 0.55 * Math.Sin(_dir * d / _r)), (float)(_r * 0.18), dc.Fill(Colors.Shade(_look.Detail, 0.6)));
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
        var end = Math.Min(stem.Length, (int)Math.Ceiling(StopTime * sr) + 1);
        var y = new float[end - start];
        var centre = _ctx.Stage.Floor switch
        {
            Floor.Wood => 220.0,
            Floor.Tile or Floor.Stone => 420.0,
            Floor.Carpet or Floor.Sand or Floor.Grass => 140.0,
            _ => 600.0,
        } * (0.04 / _r);
        var bp = Biquad.BandPass(centre, 1.2, sr);
        var bp2 = Biquad.BandPass(centre * 3.1, 2, sr);
        var gravel = _ctx.Stage.Floor == Floor.Gravel;
        var fade = 0.01 * sr;
        for (var i = 0; i < y.Length; i++)
        {
            var t = (start + i) / (double)sr;
            var v = Speed(t) / _v0;
            var rot = Distance(t) / (2 * Math.PI * _r);
            // One bump per turn (a seam or a flat spot), louder when faster.
            var bump = 1 + (0.5 * Math.Pow(Math.Max(0, Math.Cos(2 * Math.PI * rot)), 12));
            var n = rng.NoiseSample();
            var grit = gravel && rng.Chance(0.02) ? rng.NoiseSample() * 4 : 0;
            var s = (bp.Process(n * 3) + (0.4 * bp2.Process(n * 2)) + (0.2 * grit)) * v * bump;
            y[i] = (float)(s * Math.Min(1, i / fade));
        }

        Sounds.FadeOut(y, sr, 0.02);
        stem.AddAt(0, start, y);
    }

    public override Phrase Describe(Rng rng, Stage stage)
    {
        var thing = $"{_look.ColourWord} {(_look.Material == Material.Stone ? "stone" : _look.Adjective)} ball";
        if (!Sounding)
        {
            return new Phrase($"a {thing} rests on {stage.FloorNoun}", $"a {thing} resting on {stage.FloorNoun}");
        }

        if (!Visible)
        {
            return new Phrase("a ball rolls somewhere out of view", "a ball rolling somewhere out of view");
        }

        var stops = StopTime < _ctx.Seconds;
        return new Phrase($"a {thing} rolls across {stage.FloorNoun}{(stops ? rng.Pick([" and stops", " and comes to a stop", ""]) : "")}",
            $"a {thing} rolling across {stage.FloorNoun}");
    }
}
