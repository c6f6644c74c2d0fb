using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using V2a.Media;

namespace V2a.Corpus.Synth;

/// <summary>An espeak-ng voice: a variant name and its pitch (0–99) and speed (words per minute).</summary>
public sealed record Voice(string Language, string Variant, int Pitch, int WordsPerMinute, bool Female)
{
    public string EspeakName => $"{Language}+{Variant}";
}

/// <summary>
/// Speech from text with espeak-ng (a Debian package), resampled by ffmpeg to the corpus rate and trimmed to
/// where the voice starts and stops. espeak-ng is deterministic for the same text, voice and version, and the
/// result is cached per (voice, text) for the life of the process.
/// </summary>
public sealed class SpeechSynth
{
    private static readonly Lazy<string?> EspeakPath = new(() => Locate("espeak-ng"));
    private readonly ConcurrentDictionary<string, Lazy<float[]>> _cache = new();

    public static SpeechSynth Shared { get; } = new();

    /// <exception cref="MissingDependencyException">espeak-ng is not installed.</exception>
    public static string EspeakExe => EspeakPath.Value
        ?? throw new MissingDependencyException("espeak-ng", "not found on PATH; run ./setup (or 'apt-get install espeak-ng'); FoleyWorld's talking figures need it");

    /// <summary>The utterance at <paramref name="sampleRate"/>, float in [-1, 1], trimmed: sample 0 is where the voice starts.</summary>
    public float[] Say(string text, Voice voice, int sampleRate)
    {
        var key = $"{voice.EspeakName}|{voice.Pitch}|{voice.WordsPerMinute}|{sampleRate}|{text}";
        return _cache.GetOrAdd(key, _ => new Lazy<float[]>(() => Render(text, voice, sampleRate))).Value;
    }

    private static float[] Render(string text, Voice voice, int sampleRate)
    {
        var inv = CultureInfo.InvariantCulture;
        var wav = Path.Combine(Path.GetTempPath(), $"v2a-speech-{Guid.NewGuid():N}.wav");
        try
        {
            var psi = new ProcessStartInfo(EspeakExe)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "-v", voice.EspeakName, "-p", voice.Pitch.ToString(inv), "-s", voice.WordsPerMinute.ToString(inv), "-w", wav, "--", text })
            {
                psi.ArgumentList.Add(a);
            }

            using (var p = Process.Start(psi) ?? throw new MissingDependencyException("espeak-ng", "could not be started"))
            {
                var err = p.StandardError.ReadToEndAsync();
                p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode != 0 || !File.Exists(wav))
                {
                    throw new InvalidOperationException($"espeak-ng failed for voice {voice.EspeakName}: {err.Result.Trim()}");
                }
            }

            var samples = AudioReader.ReadAll(wav, sampleRate);
            return Trim(samples, sampleRate);
        }
        finally
        {
            File.Delete(wav);
        }
    }

    /// <summary>Cuts leading and trailing near-silence (below −45 dB of the peak), keeping 20 ms of tail.</summary>
    public static float[] Trim(float[] x, int sampleRate)
    {
        var peak = Dsp.Peak(x);
        if (peak <= 0)
        {
            return [];
        }

        var floor = peak * Dsp.DbToGain(-45);
        var first = 0;
        while (first < x.Length && Math.Abs(x[first]) < floor)
        {
            first++;
        }

        var last = x.Length - 1;
        while (last > first && Math.Abs(x[last]) < floor)
        {
            last--;
        }

        var end = Math.Min(x.Length, last + 1 + (sampleRate / 50));
        return x[first..end];
    }

    private static string? Locate(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, name)))
            {
                return Path.Combine(dir, name);
            }
        }

        return null;
    }
}
