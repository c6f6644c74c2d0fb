using SkiaSharp;
using V2a.Corpus.Render;
using V2a.Corpus.Scene;
using V2a.Corpus.Synth;

namespace V2a.Corpus.Sources;

/// <summary>
/// bird — a bird on a branch sings phrases of chirps (an event per syllable; while it sounds the beak gapes, the head
/// rises, the tail flicks and the body puffs, drawn to show at 64×64), and
/// sometimes flies off or arrives, each flight an event from its first wing beat (one whoosh per downstroke).
/// </summary>
public sealed class Bird : Source
{
    private readonly PlanContext _ctx;
    private readonly Slot _slot;
    private readonly double _size, _perchX, _perchY;
    private readonly SKColor _body, _wing, _beak, _branch;
    private readonly List<(int Event, double Seconds, Func<double, double> Pitch)> _syllables = [];
    private readonly (double Start, double End, bool Arrives, int Event)? _flight;
    private readonly double _flapHz, _flightDir;
    private readonly bool _onGround;

    public Bird(string id, Rng rng, PlanContext ctx, Slot slot, bool sounding = true, bool visible = true)
        : base(id, SoundClasses.Bird, rng)
    {
        Sounding = sounding;
        Visible = visible;
        _ctx = ctx;
        _slot = slot;
        _size = rng.Uniform(0.055, 0.085) * (0.6 + (0.4 * slot.Scale));
        _onGround = rng.Chance(0.3);
        _perchX = slot.X;
        _perchY = _onGround ? slot.BaseY - (_size * 0.6) : rng.Uniform(0.2, Math.Max(0.25, ctx.Stage.HorizonY));
        _body = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0.1, 0.9), rng.Uniform(0.3, 0.95));
        _wing = Colors.Shade(Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0.1, 0.9), rng.Uniform(0.3, 0.9)), 0.8);
        _beak = Stage.Hsv(rng.Uniform(20, 55), rng.Uniform(0.5, 1), rng.Uniform(0.6, 1));
        _branch = Stage.Hsv(rng.Uniform(15, 35), rng.Uniform(0.3, 0.6), rng.Uniform(0.2, 0.45));
        _flapHz = rng.Uniform(6, 10);
        _flightDir = _perchX < 0.5 ? -1 : 1;
        if (!sounding)
        {
            return;
        }

        var sr = ctx.SampleRate;
        // Optionally arrive at the start or leave near the end.
        var flight = rng.Chance(0.35) ? (rng.Chance(0.5) ? "arrive" : "leave") : "none";
        var songFrom = 0.15;
        var songTo = ctx.Seconds - 0.2;
        var events = new List<(double T, int Kind)>(); // kind 0 syllable, 1 flight
        if (flight == "arrive")
        {
            var start = rng.Uniform(0.05, 0.6);
            var dur = rng.Uniform(0.8, 1.4);
            _flight = (Snap(start, sr), start + dur, true, -1);
            songFrom = start + dur + 0.3;
        }
        else if (flight == "leave")
        {
            var start = rng.Uniform(ctx.Seconds * 0.55, ctx.Seconds - 0.6);
            _flight = (Snap(start, sr), start + 1.3, false, -1);
            songTo = start - 0.3;
        }

        // Each individual has its own song: a syllable shape it repeats.
        var shape = rng.Int(4);
        var fLow = rng.Uniform(2000, 3800);
        var fHigh = fLow * rng.Uniform(1.25, 1.8);
        var sylSeconds = rng.Uniform(0.05, 0.13);
        var t = songFrom + rng.Uniform(0, 0.5);
        while (t < songTo - 0.2)
        {
            var count = rng.Int(1, 5);
            for (var k = 0; k < count && t < songTo - 0.1; k++)
            {
                var dur = sylSeconds * rng.Uniform(0.85, 1.15);
                var (a, b) = (fLow * rng.Uniform(0.95, 1.05), fHigh * rng.Uniform(0.95, 1.05));
                Func<double, double> pitch = shape switch
                {
                    0 => u => a + ((b - a) * u),                              // rising
                    1 => u => b - ((b - a) * u),                              // falling
                    2 => u => a + ((b - a) * 0.5 * (1 + Math.Sin(u * 28))),  // trill
                    _ => u => u < 0.5 ? b : a,                               // two-tone
                };
                events.Add((t, 0));
                _syllables.Add((-1, dur, pitch));
                t += dur + rng.Uniform(0.04, 0.1);
            }

            t += rng.Uniform(0.5, 1.8);
        }

        if (_flight is { } f)
        {
            events.Add((f.Start, 1));
        }

        // Events in time order; remember which event each syllable and the flight became.
        var order = events.Select((e, i) => (e, i)).OrderBy(p => p.e.T).ToList();
        var sylIndex = 0;
        var sylEvents = new int[_syllables.Count];
        foreach (var (e, _) in order)
        {
            var pos = PositionAt(e.T);
            AddEvent(e.T, pos.X, pos.Y, sr);
            if (e.Kind == 0)
            {
                sylEvents[sylIndex++] = Events.Count - 1;
            }
            else
            {
                _flight = _flight!.Value with { Event = Events.Count - 1 };
            }
        }

        for (var i = 0; i < _syllables.Count; i++)
        {
            _syllables[i] = _syllables[i] with { Event = sylEvents[i] };
        }
    }

    public override double BaseY => _onGround ? _slot.BaseY : _perchY;

    /// <summary>Centre at t: on the perch, or along the flight path (from off-frame, or out of it).</summary>
    private (double X, double Y, bool Flying) PositionAt(double t)
    {
        if (_flight is { } f)
        {
            var inFlight = f.Arrives ? t < f.End : t >= f.Start;
            if (inFlight)
            {
                var u = Math.Clamp((t - f.Start) / (f.End - f.Start), 0, 1);
                var away = f.Arrives ? 1 - u : u;
                var e = away * away;
                return (_perchX + (_flightDir * 0.8 * e), _perchY - (0.35 * e) - (0.04 * Math.Sin(Math.PI * away)), true);
            }
        }

        return (_perchX, _perchY, false);
    }

    private bool Singing(double t)
    {
        foreach (var (ev, dur, _) in _syllables)
        {
            var s = Events[ev].TStart;
            if (t >= s && t < s + dur)
            {
                return true;
            }
        }

        return false;
    }

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
        var s = (float)_size;
        if (!_onGround)
        {
            var bx = (float)(_perchX - (_flightDir * 0.25));
            c.DrawLine(bx - 0.3f, (float)_perchY + (s * 0.55f), (float)_perchX + (s * 1.5f), (float)_perchY + (s * 0.5f), dc.Stroke(_branch, s * 0.25f));
        }

        var (x, y, flying) = PositionAt(t);
        var face = flying ? (float)_flightDir : (float)-_flightDir;
        c.Save();
        c.Translate((float)x, (float)y);
        c.Scale(face, 1);
        var sing = Singing(t);
        // Tail, body, head with an eye, beak (open while singing).
        using (var tail = new SKPathBuilder())
        {
            tail.MoveTo(-s * 0.5f, 0);
            tail.LineTo(-s * 1.05f, -s * (sing ? 0.6f : 0.15f));
            tail.LineTo(-s * 1.0f, s * 0.1f);
            tail.Close();
            c.DrawPath(tail, dc.Fill(_wing));
        }

        c.DrawOval(0, 0, s * 0.6f, s * (sing ? 0.48f : 0.4f), dc.Fill(_body));
        var headUp = sing ? s * 0.25f : 0;
        c.DrawCircle(s * 0.5f, (-s * 0.32f) - headUp, s * 0.27f, dc.Fill(_body));
        c.DrawCircle(s * 0.58f, (-s * 0.38f) - headUp, s * 0.05f, dc.Fill(SKColors.Black));
        using (var beak = new SKPathBuilder())
        {
            var open = sing ? s * 0.22f : s * 0.01f;
            beak.MoveTo(s * 0.72f, (-s * 0.36f) - headUp - open);
            beak.LineTo(s * 1.02f, (-s * 0.3f) - headUp);
            beak.LineTo(s * 0.72f, (-s * 0.24f) - headUp + open);
            beak.Close();
            c.DrawPath(beak, dc.Fill(_beak));
        }

        // Wings: folded on the perch, beating in flight (down at each whoosh).
        var wingAngle = flying ? Math.Sin(2 * Math.PI * _flapHz * (t - (_flight?.Start ?? 0)) + (Math.PI / 2)) : -0.1;
        using (var wing = new SKPathBuilder())
        {
            wing.MoveTo(-s * 0.2f, -s * 0.05f);
            wing.LineTo(s * 0.25f, -s * 0.05f);
            wing.LineTo(-s * 0.1f, (float)(-s * 0.1f - (wingAngle * s * 0.8f)));
            wing.Close();
            c.DrawPath(wing, dc.Fill(_wing));
        }

        c.Restore();
    }

    public override void Synthesize(StemBuilder stem)
    {
        var rng = Rng.Fork("audio");
        var sr = stem.SampleRate;
        foreach (var (ev, dur, pitch) in _syllables)
        {
            var syl = Sounds.Sweep(sr, dur, pitch, 0.0015, 1, u => 0.6 + (0.4 * Math.Sin(Math.PI * Math.Min(1, u * 1.5))));
            stem.Add(ev, Events[ev].TStart, syl, rng.Uniform(0.6, 1));
        }

        if (_flight is { } f)
        {
            // One soft whoosh per downstroke; the wing is at its top at the flight's start, so the first comes at once.
            var beats = (int)((f.End - f.Start) * _flapHz);
            for (var k = 0; k < beats; k++)
            {
                var t = f.Start + (k / _flapHz);
                var gain = f.Arrives ? 0.5 + (0.5 * k / Math.Max(1, beats)) : 1 - (0.6 * k / Math.Max(1, beats));
                stem.Add(f.Event, t, Sounds.NoiseBurst(rng, sr, 0.06, 0.001, 0.018, 300, 2500), gain * 0.8);
            }
        }
    }

    public override Phrase Describe(Rng rng, Stage stage)
    {
        var colour = Colors.Name(_body);
        var where = _onGround ? "on the ground" : rng.Pick(["on a branch", "on a twig"]);
        if (!Sounding)
        {
            return new Phrase($"a {colour} bird sits quietly {where}", $"a {colour} bird sitting quietly {where}");
        }

        if (!Visible)
        {
            return new Phrase($"a bird {rng.Pick(["chirps", "sings", "tweets"])} out of view", "a bird chirping out of view");
        }

        var song = _syllables.Count > 0 ? rng.Pick(["chirps", "sings", "tweets"]) : "flaps its wings";
        var flight = _flight is { } f ? (f.Arrives ? " after flying in" : " and then flies away") : "";
        return new Phrase($"a {colour} bird {song} {where}{flight}", $"a {colour} bird chirping {where}");
    }
}
