using System.Globalization;

namespace V2a.Media;

/// <summary>One decoded frame: packed RGB24, row-major, <c>Width*Height*3</c> bytes, shown at <see cref="TimeSeconds"/>.</summary>
public sealed record VideoFrame(int Index, double TimeSeconds, int Width, int Height, byte[] Rgb);

/// <summary>
/// Streams frames at a fixed rate and size through an ffmpeg pipe: only one frame is in memory at a time,
/// whatever the video's length. Rotation metadata is applied (the frame is upright as a player shows it).
/// Aspect is kept by letterboxing: the picture, at its display aspect (non-square pixels made square), is scaled to
/// fit inside Width×Height and centred on black.
/// Alpha is dropped (transparent pixels show their colour channels as stored).
/// Frame i shows time i / fps, with frames repeated or dropped to hold the rate on variable-rate input.
/// </summary>
public static class FrameReader
{
    public static IEnumerable<VideoFrame> Read(string path, double fps, int width, int height, double? maxSeconds = null)
    {
        if (fps <= 0 || width <= 0 || height <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(fps), "fps, width and height must be positive");
        }

        MediaProbe.CheckReadableFile(path);
        return ReadIterator(path, fps, width, height, maxSeconds);
    }

    private static IEnumerable<VideoFrame> ReadIterator(string path, double fps, int width, int height, double? maxSeconds)
    {
        var inv = CultureInfo.InvariantCulture;
        var filter = string.Format(inv,
            // Square pixels first (anamorphic footage stores widescreen in narrow pixels), then fit and letterbox.
            "fps={0},scale=iw*sar:ih,setsar=1,scale={1}:{2}:force_original_aspect_ratio=decrease:flags=area,pad={1}:{2}:(ow-iw)/2:(oh-ih)/2:black,setsar=1",
            fps, width, height);
        var args = new List<string> { "-v", "error", "-nostdin", "-i", path, "-map", "0:v:0", "-vf", filter };
        if (maxSeconds is { } max)
        {
            args.AddRange(["-t", max.ToString("0.######", inv)]);
        }

        args.AddRange(["-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]);
        using var p = Ffmpeg.Start(Ffmpeg.FfmpegExe, args);
        var frameBytes = width * height * 3;
        var index = 0;
        while (true)
        {
            var buffer = new byte[frameBytes];
            var read = ReadFully(p.StandardOutput, buffer);
            if (read < frameBytes)
            {
                break;
            }

            yield return new VideoFrame(index, index / fps, width, height, buffer);
            index++;
        }

        p.WaitForExitOrThrow(path, "ffmpeg could not decode its video");
        if (index == 0)
        {
            throw new BadInputException(path, "has no decodable video frames");
        }
    }

    internal static int ReadFully(Stream s, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = s.Read(buffer[total..]);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
