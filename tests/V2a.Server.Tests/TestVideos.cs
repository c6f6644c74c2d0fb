using V2a.Media.Tests;
using System.Globalization;

namespace V2a.Server.Tests;

/// <summary>Small media files made with ffmpeg's lavfi sources at test time (no binaries in the repo).</summary>
public sealed class TestVideos : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("v2a-server-media-").FullName;

    /// <summary>A test-pattern H.264 MP4 without sound, <paramref name="seconds"/> long.</summary>
    public string Video(string name = "clip.mp4", double seconds = 1.2, int width = 160, int height = 120)
    {
        var path = Path.Combine(Dir, name);
        if (!File.Exists(path))
        {
            TestMedia.Run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i",
                string.Format(CultureInfo.InvariantCulture, "testsrc=size={0}x{1}:rate=25:duration={2}", width, height, seconds),
                "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-movflags", "+faststart", path]);
        }

        return path;
    }

    /// <summary>A WAV file: media ffprobe reads, but no video.</summary>
    public string AudioOnly(string name = "tone.wav")
    {
        var path = Path.Combine(Dir, name);
        if (!File.Exists(path))
        {
            TestMedia.Run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", path]);
        }

        return path;
    }

    /// <summary>Random bytes under a video's name.</summary>
    public string Garbage(string name = "garbage.mp4", int bytes = 20_000)
    {
        var path = Path.Combine(Dir, name);
        var data = new byte[bytes];
        new Random(11).NextBytes(data);
        data[0] = 0; // binary from the first byte, so it reaches ffprobe rather than the text check
        File.WriteAllBytes(path, data);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
