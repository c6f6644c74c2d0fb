using SkiaSharp;
using V2a.Corpus.Render;
using V2a.Corpus.Scene;
using V2a.Corpus.Synth;

namespace V2a.Corpus.Sources;

/// <summary>
/// keyboard_music — a keyboard seen from above whose keys light up while they sound. A melody on a scale is
/// planned note by note; each note is an event whose pitch is the lit key's (left is low, right is high).
/// </summary>
public sealed class Keyboard : Source
{
    private static readonly int[] WhiteSemis = [0, 2, 4, 5, 7, 9, 11];
    private static readonly int[] Major = [0, 2, 4, 5, 7, 9, 11];
    private static readonly int[] Minor = [0, 2, 3, 5, 7, 8, 10];
    private static readonly int[] Pentatonic = [0, 2, 4, 7, 9];

    private readonly PlanContext _ctx;
    private readonly Slot _slot;
    private readonly double _width, _keyH;
    private readonly int _whites, _lowMidi;
    private readonly List<(int Midi, double Seconds)> _notes = [];
    private readonly SKColor _body, _light, _whiteKey;
    private readonly string _instrument;

    public Keyboard(string id, Rng rng, PlanContext ctx, Slot slot, bool sounding = true, bool visible = true)
        : base(id, SoundClasses.KeyboardMusic, rng)
    {
        Sounding = sounding;
        Visible = visible;
        _ctx = ctx;
        _slot = slot;
        _whites = rng.Int(10, 16);
        _width = rng.Uniform(0.5, 0.8);
        _keyH = _width / _whites * rng.Uniform(2.6, 3.4);
        _lowMidi = rng.Pick([48, 53, 55, 60]);
        _body = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.7), rng.Uniform(0.1, 0.6));
        _light = Stage.Hsv(rng.Uniform(0, 360), rng.Uniform(0.6, 1), 1);
        _whiteKey = Stage.Hsv(rng.Uniform(30, 60), rng.Uniform(0, 0.12), rng.Uniform(0.88, 1));
        _instrument = rng.Pick(["piano", "piano", "organ", "marimba", "synth"]);
        if (!sounding)
        {
            return;
        }

        var keys = Enumerable.Range(0, _whites).Select(WhiteMidi).ToList();
        var highMidi = keys[^1];
        var root = _lowMidi + rng.Int(0, 4);
        var scale = rng.Pick([Major, Minor, Pentatonic]);
        var pitches = Enumerable.Range(_lowMidi, highMidi - _lowMidi + 1).Where(m => scale.Contains(((m - root) % 12 + 12) % 12)).ToList();
        var beat = 60.0 / rng.Uniform(80, 160);
        var grid = beat * rng.Pick([0.5, 0.5, 1.0]);
        var t = rng.Uniform(0.1, 1.0);
        var end = rng.Chance(0.3) ? Math.Min(ctx.Seconds - 0.3, t + rng.Uniform(2, 4)) : ctx.Seconds - 0.3;
        var idx = rng.Int(pitches.Count);
        while (t < end)
        {
            if (!rng.Chance(0.15))
            {
                var steps = rng.Pick([1, 1, 1, 2, 2, 3, 4]);
                var seconds = Math.Min(steps * grid * rng.Uniform(0.7, 0.95), ctx.Seconds - t - 0.02);
                AddNote(pitches[idx], t, seconds, ctx.SampleRate);
                if (rng.Chance(0.12))
                {
                    // A second key at once: a dyad.
                    AddNote(pitches[Math.Min(pitches.Count - 1, idx + 2)], t, seconds, ctx.SampleRate);
                }

                t += steps * grid;
            }
            else
            {
                t += grid;
            }

            idx = Math.Clamp(idx + rng.Pick([-2, -1, -1, 1, 1, 2, 0, 3, -3]), 0, pitches.Count - 1);
        }
    }

    private void AddNote(int midi, double t, double seconds, int sr)
    {
        var (kx, ky) = KeyCentre(midi);
        AddEvent(t, kx, ky, sr);
        _notes.Add((midi, seconds));
    }

    public override double BaseY => _slot.BaseY;

    private double Left => _slot.X - (_width / 2);

    private double Top => _slot.BaseY - _keyH;

    private double WhiteW => _width / _whites;

    /// <summary>The MIDI note of white key k from the left.</summary>
    private int WhiteMidi(int k)
    {
        var lowIndex = Array.IndexOf(WhiteSemis, _lowMidi % 12);
        var i = lowIndex + k;
        return (_lowMidi - (_lowMidi % 12)) + (12 * (i / 7)) + WhiteSemis[i % 7];
    }

    private (double X, double Y) KeyCentre(int midi)
    {
        for (var k = 0; k < _whites; k++)
        {
            var m = WhiteMidi(k);
            if (m == midi)
            {
                return (Left + ((k + 0.5) * WhiteW), Top + (_keyH * 0.75));
            }

            if (m + 1 == midi)
            {
                return (Left + ((k + 1) * WhiteW), Top + (_keyH * 0.3));
            }
        }

        return (_slot.X, Top);
    }

    private bool Lit(int midi, double t)
    {
        for (var i = 0; i < _notes.Count; i++)
        {
            if (_notes[i].Midi == midi && t >= Events[i].TStart && t < Events[i].TStart + _notes[i].Seconds)
            {
                return true;
            }
        }

        return false;
    }

    public override void Draw(SKCanvas c, double t, DrawContext dc)
    {
        var left = (float)Left;
        var top = (float)Top;
        var ww = (float)WhiteW;
        var kh = (float)_keyH;
        var pad = ww * 0.4f;
        c.DrawRoundRect(left - pad, top - (pad * 2.2f), (float)_width + (pad * 2), kh + (pad * 3), pad * 0.5f, pad * 0.5f, dc.Fill(_body));
        for (var k = 0; k < _whites; k++)
        {
            var lit = Lit(WhiteMidi(k), t);
            c.DrawRect(left + (k * ww) + dc.Px(0.5), top, ww - dc.Px(1), kh, dc.Fill(lit ? _light : _whiteKey));
        }

        for (var k = 0; k < _whites - 1; k++)
        {
            var m = WhiteMidi(k);
            if (WhiteMidi(k + 1) - m == 2)
            {
                var lit = Lit(m + 1, t);
                c.DrawRect(left + ((k + 0.68f) * ww), top, ww * 0.64f, kh * 0.6f, dc.Fill(lit ? Colors.Shade(_light, 0.85) : new SKColor(20, 20, 22)));
            }
        }
    }

    public override void Synthesize(StemBuilder stem)
    {
        var rng = Rng.Fork("audio");
        var sr = stem.SampleRate;
        for (var i = 0; i < Events.Count; i++)
        {
            var (midi, seconds) = _notes[i];
            var f = 440 * Math.Pow(2, (midi - 69) / 12.0);
            stem.Add(i, Events[i].TStart, Note(f, seconds, sr, rng), rng.Uniform(0.7, 1));
        }
    }

    /// <summary>One note of the instrument: sample 0 is the key press (attack under 2 ms); released after <paramref name="held"/> seconds.</summary>
    private float[] Note(double f, double held, int sr, Rng rng)
    {
        var release = _instrument == "organ" ? 0.04 : 0.12;
        var n = (int)((held + release) * sr);
        var y = new float[n];
        var attack = 0.0015 * sr;
        (double Ratio, double Amp, double T60)[] partials = _instrument switch
        {
            "piano" => Enumerable.Range(1, 8).Select(k => (k * Math.Sqrt(1 + (0.0004 * k * k)), 1.0 / Math.Pow(k, 1.1), 2.5 / Math.Pow(k, 0.7))).ToArray(),
            "organ" => [(1, 1, 99), (2, 0.6, 99), (3, 0.4, 99), (4, 0.25, 99), (6, 0.15, 99), (8, 0.1, 99)],
            "marimba" => [(1, 1, 0.5), (3.9, 0.35, 0.15), (9.2, 0.12, 0.05)],
            _ => Enumerable.Range(1, 10).Select(k => ((double)k, 0.8 / k, 1.5)).ToArray(),
        };
        for (var k = 0; k < n; k++)
        {
            var t = k / (double)sr;
            var env = Math.Min(1, (k + 1) / attack);
            if (t > held)
            {
                env *= Math.Exp(-(t - held) / (release / 4));
            }

            double s = 0;
            foreach (var (ratio, amp, t60) in partials)
            {
                var fr = f * ratio;
                if (fr < sr * 0.45)
                {
                    s += amp * Math.Exp(-6.9 * t / t60) * Math.Sin(2 * Math.PI * fr * t);
                }
            }

            y[k] = (float)(s * env * 0.5);
        }

        // The release ends 35 dB down; a last 10 ms fade keeps the end of the buffer from clicking.
        Sounds.FadeOut(y, sr, 0.01);
        if (_instrument is "piano" or "marimba")
        {
            Sounds.AddInto(y, Sounds.NoiseBurst(rng, sr, 0.01, 0.0002, 0.002, 1000, 6000), 0, 0.15);
        }

        return y;
    }

    public override Phrase Describe(Rng rng, Stage stage)
    {
        var what = _instrument switch
        {
            "piano" => rng.Pick(["a piano keyboard", "a keyboard"]),
            "organ" => "an organ keyboard",
            "marimba" => "a keyboard with a marimba sound",
            _ => "a synthesizer keyboard",
        };
        if (!Sounding)
        {
            return new Phrase($"{what} sits unplayed", $"{what} that nobody plays");
        }

        if (!Visible)
        {
            return new Phrase($"{_instrument} music plays out of view", $"{_instrument} music out of view");
        }

        return new Phrase($"{what} plays a {rng.Pick(["melody", "tune", "few notes"])}, its keys lighting up as they sound",
            $"{what} playing a {rng.Pick(["melody", "tune"])} with lit keys");
    }
}
