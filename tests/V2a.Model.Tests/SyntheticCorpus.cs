using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using V2a.Media;

namespace V2a.Model.Tests;

/// <summary>
/// Tiny corpora made on the spot in the corpus folder format (meta.jsonl + clips/ID.mp4 + clips/ID.flac):
/// a black 64×64 picture where a square lights up for two frames at each event, and at the same instant a
/// sound — a decaying noise burst under a white square ("click"), or a 1 kHz tone under a red one ("beep").
/// Event times are whole video frames, so the truth is exact.
/// </summary>
public static class SyntheticCorpus
{
    public const int Side = 64;
    public const double Fps = 25;

    public sealed record Clip(string Id, string Kind, int[] EventFrames, double Seconds);

    /// <summary>Writes the clips and returns the corpus folder.</summary>
    public static string Write(string dir, IReadOnlyList<Clip> clips)
    {
        Directory.CreateDirectory(Path.Combine(dir, "clips"));
        var lines = new List<string>();
        foreach (var clip in clips)
        {
            WriteVideo(Path.Combine(dir, "clips", clip.Id + ".mp4"), clip);
            AudioWriter.WriteFile(Path.Combine(dir, "clips", clip.Id + ".flac"), Audio(clip), AudioSettings.Default.SampleRate);
            lines.Add(JsonSerializer.Serialize(new
            {
                id = clip.Id,
                video = $"clips/{clip.Id}.mp4",
                audio = $"clips/{clip.Id}.flac",
                seconds = clip.Seconds,
                seed = 1,
                generator = "test",
                captions = new[] { clip.Kind == "click" ? "white flashes with clicks" : "red flashes with beeps" },
                transcript = (string?)null,
                events = clip.EventFrames.Select(f => new { @class = clip.Kind, t_start = f / Fps, t_end = (f / Fps) + 0.1, on_screen = true }),
                background = Array.Empty<string>(),
                sha256 = new { video = "0", audio = "0" },
                licence = "CC0-1.0",
                source = "unit test",
            }));
        }

        File.WriteAllLines(Path.Combine(dir, "meta.jsonl"), lines);
        return dir;
    }

    /// <summary>Clips with events at frames drawn from a seeded generator, at least 12 frames apart.</summary>
    public static List<Clip> Make(int count, double seconds, int eventsPerClip, int seed = 7)
    {
        var rng = new Random(seed);
        var frames = (int)Math.Round(seconds * Fps);
        var clips = new List<Clip>();
        for (var i = 0; i < count; i++)
        {
            var events = new SortedSet<int>();
            while (events.Count < eventsPerClip)
            {
                var f = rng.Next(3, frames - 6);
                if (events.All(e => Math.Abs(e - f) >= 12))
                {
                    events.Add(f);
                }
            }

            clips.Add(new Clip($"clip{i:D3}", i % 2 == 0 ? "click" : "beep", [.. events], seconds));
        }

        return clips;
    }

    public static float[] Audio(Clip clip)
    {
        var sr = AudioSettings.Default.SampleRate;
        var samples = new float[(int)Math.Round(clip.Seconds * sr)];
        var noise = new Random(clip.Id.Sum(ch => ch * 31)); // deterministic across processes (string hashes are not)
        foreach (var f in clip.EventFrames)
        {
            var start = (int)Math.Round(f / Fps * sr);
            var length = clip.Kind == "click" ? (int)(0.06 * sr) : (int)(0.12 * sr);
            for (var n = 0; n < length && start + n < samples.Length; n++)
            {
                var envelope = Math.Exp(-n / (0.02 * sr));
                samples[start + n] += clip.Kind == "click"
                    ? (float)(0.8 * envelope * ((noise.NextDouble() * 2) - 1))
                    : (float)(0.5 * Math.Sin(2 * Math.PI * 1000 * n / sr) * Math.Min(1, (length - n) / (0.01 * sr)));
            }
        }

        return samples;
    }

    private static void WriteVideo(string path, Clip clip)
    {
        var frames = (int)Math.Round(clip.Seconds * Fps);
        var raw = new byte[frames * Side * Side * 3];
        foreach (var f in clip.EventFrames)
        {
            for (var k = f; k < Math.Min(frames, f + 2); k++)
            {
                for (var y = 16; y < 48; y++)
                {
                    for (var x = 12; x < 44; x++) // left of centre: a mirrored frame differs from the stored one
                    {
                        var o = (((k * Side) + y) * Side + x) * 3;
                        raw[o] = 255;
                        raw[o + 1] = clip.Kind == "click" ? (byte)255 : (byte)0;
                        raw[o + 2] = clip.Kind == "click" ? (byte)255 : (byte)0;
                    }
                }
            }
        }

        var rawPath = path + ".rgb";
        File.WriteAllBytes(rawPath, raw);
        var inv = CultureInfo.InvariantCulture;
        Run("ffmpeg", ["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{Side}x{Side}", "-r", Fps.ToString(inv),
            "-i", rawPath, "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv444p", path]);
        File.Delete(rawPath);
    }

    /// <summary>A still video (grey, no events) of any length, for windowing tests.</summary>
    public static void WriteFlashVideo(string path, double seconds, IReadOnlyList<int> eventFrames) =>
        WriteVideo(path, new Clip(Path.GetFileNameWithoutExtension(path), "click", [.. eventFrames], seconds));

    private static void Run(string exe, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{exe} failed: {err}");
        }
    }
}
