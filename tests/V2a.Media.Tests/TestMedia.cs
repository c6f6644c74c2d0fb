using System.Diagnostics;

namespace V2a.Media.Tests;

/// <summary>Makes small media files with ffmpeg's lavfi sources at test time (no binaries in the repo).</summary>
public sealed class TestMedia : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("v2a-media-").FullName;

    public string PathOf(string name) => Path.Combine(Dir, name);

    /// <summary>Runs ffmpeg with <paramref name="args"/> (output last) and returns the output path.</summary>
    public string Make(string name, params string[] args)
    {
        var output = PathOf(name);
        Run("ffmpeg", ["-v", "error", "-y", .. args, output]);
        return output;
    }

    /// <summary>A test-pattern video with a sine track: H.264/AAC in MP4 unless the name says otherwise.</summary>
    public string Video(string name, double seconds = 2, int width = 160, int height = 120, double fps = 25, bool audio = true)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var args = new List<string> { "-f", "lavfi", "-i", string.Format(inv, "testsrc=size={0}x{1}:rate={2}:duration={3}", width, height, fps, seconds) };
        if (audio)
        {
            args.AddRange(["-f", "lavfi", "-i", string.Format(inv, "sine=frequency=440:sample_rate=44100:duration={0}", seconds)]);
        }

        args.AddRange(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast"]);
        if (audio)
        {
            args.AddRange(["-c:a", name.EndsWith(".mkv", StringComparison.Ordinal) ? "libopus" : "aac"]);
        }

        return Make(name, [.. args]);
    }

    public static string Run(string exe, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{exe} failed: {stderr}");
        }

        return stdout.Result;
    }

    /// <summary>MD5 of a file's first video stream's packets: equal when the stream was copied, not re-encoded.</summary>
    public static string VideoPacketHash(string path) =>
        Run("ffmpeg", ["-v", "error", "-i", path, "-map", "0:v:0", "-c", "copy", "-f", "md5", "-"]).Trim();

    /// <summary>A file users hand in by mistake: empty, random, text, truncated, missing, or a folder.</summary>
    public string Bad(string kind)
    {
        var path = PathOf($"bad-{kind}.mp4");
        switch (kind)
        {
            case "empty":
                File.WriteAllBytes(path, []);
                break;
            case "random":
                var bytes = new byte[50_000];
                new Random(7).NextBytes(bytes);
                File.WriteAllBytes(path, bytes);
                break;
            case "text":
                File.WriteAllText(path, "this is not a video, just text with an .mp4 name\n");
                break;
            case "truncated":
                var whole = File.ReadAllBytes(Video("whole.mp4", seconds: 2));
                File.WriteAllBytes(path, whole[..(whole.Length / 3)]);
                break;
            case "missing":
                break;
            case "folder":
                Directory.CreateDirectory(path);
                break;
        }

        return path;
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
