using System.Diagnostics;
using V2a.Media;

namespace V2a.Watermark.Bench;

/// <summary>Kinds of test audio the bench synthesises (there is no corpus yet; a folder of files can be added).</summary>
public enum ClipKind
{
    Speech,
    Music,
    Noise,
    Impacts,
    Ambience,
    Silence,
}

/// <summary>A test clip: mono samples at the watermark rate, and what it is.</summary>
public sealed record Clip(string Name, ClipKind? Kind, float[] Samples);

/// <summary>
/// Deterministic test audio: espeak-ng speech (varied voices, speeds and pitches), synthesised music (chords of
/// harmonic tones with envelopes, a drum kit), coloured noise with slow swells, impacts (struck resonators and
/// noise bursts), ambience (wind, rain, bird chirps) and silence. Same seed, same clip.
/// </summary>
public sealed class ClipSynth
{
    private static readonly string[] Words =
    [
        "the", "a", "quiet", "river", "runs", "past", "old", "stone", "houses", "while", "children", "play", "near",
        "bright", "window", "storm", "arrives", "from", "west", "and", "every", "door", "closes", "train", "leaves",
        "station", "seven", "minutes", "late", "again", "market", "opens", "early", "fresh", "bread", "smells", "warm",
        "engine", "starts", "with", "loud", "roar", "birds", "sing", "above", "garden", "footsteps", "echo", "long",
        "corridor", "someone", "laughs", "behind", "music", "plays", "softly", "radio", "kitchen", "rain", "falls",
        "on", "metal", "roof", "dog", "barks", "twice", "then", "sleeps", "city", "never", "really", "rests", "tonight",
    ];

    private static readonly string[] Voices = ["en", "en-us", "en-gb-x-rp", "fr", "de", "es", "it", "pt", "nl", "pl", "sv", "ru"];

    private readonly int _rate;
    private readonly string _tempDir;

    public ClipSynth(int sampleRate, string tempDir)
    {
        _rate = sampleRate;
        _tempDir = tempDir;
    }

    public Clip Make(ClipKind kind, int seed, double seconds)
    {
        var rng = new Random(seed);
        var n = (int)Math.Round(seconds * _rate);
        var x = kind switch
        {
            ClipKind.Speech => Speech(rng, n),
            ClipKind.Music => Music(rng, n),
            ClipKind.Noise => Noise(rng, n),
            ClipKind.Impacts => Impacts(rng, n),
            ClipKind.Ambience => Ambience(rng, n),
            _ => Silence(rng, n),
        };
        if (kind != ClipKind.Silence)
        {
            Normalize(x, Math.Pow(10, (-30 + (16 * rng.NextDouble())) / 20)); // RMS between −30 and −14 dBFS
        }

        return new Clip($"{kind.ToString().ToLowerInvariant()}-{seed}", kind, x);
    }

    /// <summary>Scales to the given RMS, then limits peaks to 0.99.</summary>
    public static void Normalize(float[] x, double rms)
    {
        double e = 0;
        foreach (var v in x)
        {
            e += v * v;
        }

        if (e <= 0)
        {
            return;
        }

        var g = rms / Math.Sqrt(e / x.Length);
        var peak = 0.0;
        foreach (var v in x)
        {
            peak = Math.Max(peak, Math.Abs(v * g));
        }

        if (peak > 0.99)
        {
            g *= 0.99 / peak;
        }

        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)(x[i] * g);
        }
    }

    private float[] Speech(Random rng, int n)
    {
        var x = new float[n];
        var pos = (int)(rng.NextDouble() * 0.3 * _rate);
        var attempt = 0;
        while (pos < n && attempt++ < 8)
        {
            var words = Enumerable.Range(0, 8 + rng.Next(14)).Select(_ => Words[rng.Next(Words.Length)]);
            var text = string.Join(' ', words);
            var wav = Path.Combine(_tempDir, $"speech-{Guid.NewGuid():N}.wav");
            var psi = new ProcessStartInfo("espeak-ng")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "-v", Voices[rng.Next(Voices.Length)] + (rng.Next(2) == 0 ? "" : "+f" + (1 + rng.Next(4))),
                         "-s", (120 + rng.Next(90)).ToString(), "-p", rng.Next(20, 80).ToString(), "-w", wav, text })
            {
                psi.ArgumentList.Add(a);
            }

            try
            {
                using (var p = Process.Start(psi) ?? throw new MissingDependencyException("espeak-ng", "could not be started"))
                {
                    p.StandardOutput.ReadToEnd();
                    p.StandardError.ReadToEnd();
                    p.WaitForExit();
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                throw new MissingDependencyException("espeak-ng", "not found on PATH; run ./setup (or 'apt-get install espeak-ng')");
            }

            var speech = AudioReader.ReadAll(wav, _rate);
            File.Delete(wav);
            var len = Math.Min(speech.Length, n - pos);
            for (var i = 0; i < len; i++)
            {
                x[pos + i] += speech[i];
            }

            pos += len + (int)(rng.NextDouble() * 0.6 * _rate);
        }

        // A little room: a short decaying echo, as a microphone in a room would hear.
        var delay = (int)((0.02 + (rng.NextDouble() * 0.05)) * _rate);
        for (var i = n - 1; i >= delay; i--)
        {
            x[i] += 0.25f * x[i - delay];
        }

        return x;
    }

    private float[] Music(Random rng, int n)
    {
        var x = new float[n];
        var bpm = 70 + rng.Next(90);
        var beat = (int)(60.0 / bpm * _rate);
        int[] scale = [0, 2, 4, 5, 7, 9, 11];
        var root = 45 + rng.Next(12); // MIDI note of the key
        var brightness = 0.3 + (rng.NextDouble() * 0.6);
        var drums = rng.Next(3) > 0;
        for (var start = 0; start < n; start += beat * 2)
        {
            var degree = rng.Next(7);
            var chord = new[] { degree, degree + 2, degree + 4 }.Select(d => root + 12 * (d / 7) + scale[d % 7]).ToList();
            chord.Add(chord[0] - 12);
            foreach (var note in chord)
            {
                Tone(x, start, beat * 2, Midi(note), brightness, 0.2 / chord.Count, rng);
            }

            // A melody note on each beat.
            for (var k = 0; k < 2; k++)
            {
                var note = root + 12 + scale[rng.Next(7)] + (rng.Next(2) * 12);
                Tone(x, start + (k * beat), beat, Midi(note), brightness, 0.12, rng);
            }

            if (drums)
            {
                Kick(x, start, rng);
                Snare(x, start + beat, rng);
                Hat(x, start + (beat / 2), rng);
                Hat(x, start + beat + (beat / 2), rng);
            }
        }

        return x;
    }

    private double Midi(int note) => 440 * Math.Pow(2, (note - 69) / 12.0);

    private void Tone(float[] x, int start, int length, double f0, double brightness, double amp, Random rng)
    {
        var decay = 1.5 + (rng.NextDouble() * 4);
        var vibrato = rng.NextDouble() * 0.004;
        for (var h = 1; h <= 12 && h * f0 < _rate / 2.2; h++)
        {
            var a = amp * Math.Pow(brightness, h - 1) / h;
            var phase = rng.NextDouble() * 2 * Math.PI;
            for (var i = 0; i < length && start + i < x.Length; i++)
            {
                var t = (double)i / _rate;
                var env = Math.Min(1, t * 200) * Math.Exp(-decay * t) * Math.Min(1, (length - i) / (0.01 * _rate));
                x[start + i] += (float)(a * env * Math.Sin((2 * Math.PI * h * f0 * t * (1 + (vibrato * Math.Sin(2 * Math.PI * 5 * t)))) + phase));
            }
        }
    }

    private void Kick(float[] x, int start, Random rng)
    {
        var phase = 0.0;
        for (var i = 0; i < 0.3 * _rate && start + i < x.Length; i++)
        {
            var t = (double)i / _rate;
            phase += 2 * Math.PI * (50 + (120 * Math.Exp(-t * 30))) / _rate;
            x[start + i] += (float)(0.5 * Math.Exp(-t * 12) * Math.Sin(phase));
        }
    }

    private void Snare(float[] x, int start, Random rng)
    {
        for (var i = 0; i < 0.2 * _rate && start + i < x.Length; i++)
        {
            var t = (double)i / _rate;
            x[start + i] += (float)(0.25 * Math.Exp(-t * 25) * ((rng.NextDouble() * 2) - 1 + (0.5 * Math.Sin(2 * Math.PI * 190 * t))));
        }
    }

    private void Hat(float[] x, int start, Random rng)
    {
        double prev = 0;
        for (var i = 0; i < 0.05 * _rate && start + i < x.Length; i++)
        {
            var t = (double)i / _rate;
            var w = (rng.NextDouble() * 2) - 1;
            x[start + i] += (float)(0.08 * Math.Exp(-t * 80) * (w - prev)); // first difference: a crude high-pass
            prev = w;
        }
    }

    private float[] Noise(Random rng, int n)
    {
        var colour = rng.Next(3); // white, pink, brown
        var x = new float[n];
        double b0 = 0, b1 = 0, b2 = 0, brown = 0;
        var swell = 0.1 + (rng.NextDouble() * 0.5);
        var swellHz = 0.1 + rng.NextDouble();
        for (var i = 0; i < n; i++)
        {
            var w = (rng.NextDouble() * 2) - 1;
            double v;
            switch (colour)
            {
                case 0:
                    v = w;
                    break;
                case 1:
                    // Paul Kellet's economy pink filter (−3 dB/octave within 0.5 dB).
                    b0 = (0.99765 * b0) + (w * 0.0990460);
                    b1 = (0.96300 * b1) + (w * 0.2965164);
                    b2 = (0.57000 * b2) + (w * 1.0526913);
                    v = b0 + b1 + b2 + (w * 0.1848);
                    break;
                default:
                    brown = (0.995 * brown) + (0.1 * w);
                    v = brown;
                    break;
            }

            x[i] = (float)(v * (1 + (swell * Math.Sin(2 * Math.PI * swellHz * i / _rate))));
        }

        return x;
    }

    private float[] Impacts(Random rng, int n)
    {
        var x = new float[n];
        var count = 3 + rng.Next(12);
        for (var k = 0; k < count; k++)
        {
            var start = rng.Next(n);
            var modes = 1 + rng.Next(5);
            var amp = 0.2 + rng.NextDouble();
            for (var mIdx = 0; mIdx < modes; mIdx++)
            {
                var f = 100 * Math.Pow(40, rng.NextDouble());
                f = Math.Min(f, _rate * 0.45);
                var decay = 5 + (rng.NextDouble() * 60);
                for (var i = 0; i < 1.5 * _rate && start + i < n; i++)
                {
                    var t = (double)i / _rate;
                    x[start + i] += (float)(amp / modes * Math.Exp(-decay * t) * Math.Sin(2 * Math.PI * f * t));
                }
            }

            // The contact noise of the hit.
            for (var i = 0; i < 0.03 * _rate && start + i < n; i++)
            {
                x[start + i] += (float)(amp * 0.5 * Math.Exp(-i / (0.004 * _rate)) * ((rng.NextDouble() * 2) - 1));
            }
        }

        // A faint room tone under the hits.
        for (var i = 0; i < n; i++)
        {
            x[i] += (float)(0.003 * ((rng.NextDouble() * 2) - 1));
        }

        return x;
    }

    private float[] Ambience(Random rng, int n)
    {
        var x = new float[n];
        // Wind: low-passed noise with a slowly wandering cutoff and level.
        double lp = 0;
        var gust = rng.NextDouble() * 2;
        for (var i = 0; i < n; i++)
        {
            var t = (double)i / _rate;
            var a = 0.02 + (0.02 * Math.Sin((2 * Math.PI * 0.13 * t) + gust));
            lp += a * (((rng.NextDouble() * 2) - 1) - lp);
            x[i] = (float)(lp * (0.8 + (0.4 * Math.Sin((2 * Math.PI * 0.07 * t) + gust))) * 3);
        }

        // Rain: sparse clicks, or birds: chirps sweeping in frequency.
        if (rng.Next(2) == 0)
        {
            var drops = (int)(n / (double)_rate * (50 + rng.Next(400)));
            for (var k = 0; k < drops; k++)
            {
                var s = rng.Next(n);
                var amp = 0.05 * rng.NextDouble();
                for (var i = 0; i < 80 && s + i < n; i++)
                {
                    x[s + i] += (float)(amp * Math.Exp(-i / 10.0) * ((rng.NextDouble() * 2) - 1));
                }
            }
        }
        else
        {
            var chirps = 2 + rng.Next(15);
            for (var k = 0; k < chirps; k++)
            {
                var s = rng.Next(n);
                var f0 = 2000 + (rng.NextDouble() * 3500);
                var sweep = (rng.NextDouble() - 0.5) * 4000;
                var len = (int)((0.05 + (rng.NextDouble() * 0.2)) * _rate);
                var phase = 0.0;
                for (var i = 0; i < len && s + i < n; i++)
                {
                    var u = (double)i / len;
                    phase += 2 * Math.PI * (f0 + (sweep * u)) / _rate;
                    x[s + i] += (float)(0.15 * Math.Sin(Math.PI * u) * Math.Sin(phase));
                }
            }
        }

        return x;
    }

    private static float[] Silence(Random rng, int n)
    {
        var x = new float[n];
        if (rng.Next(2) == 0)
        {
            return x; // digital silence
        }

        // Near-silence: 16-bit dither noise (−96 dBFS).
        for (var i = 0; i < n; i++)
        {
            x[i] = (float)(((rng.NextDouble() + rng.NextDouble()) - 1) / 32768);
        }

        return x;
    }
}
