using System.Globalization;
using System.Runtime.InteropServices;

namespace V2a.Media;

/// <summary>
/// Decodes any audio stream ffmpeg reads (from an audio or a video file) to mono float PCM in [-1, 1] at a
/// requested rate, streamed in chunks through a pipe. Channels are downmixed by ffmpeg's standard matrix
/// (stereo: each channel at −3 dB, so a tone on one channel keeps 0.707 of its amplitude).
/// </summary>
public static class AudioReader
{
    /// <summary>Streams chunks of at most <paramref name="chunkSamples"/> samples.</summary>
    /// <param name="streamIndex">Which audio stream (0 = first audio stream).</param>
    public static IEnumerable<float[]> ReadChunks(string path, int sampleRate, int chunkSamples = 1 << 16,
        int streamIndex = 0, double? startSeconds = null, double? maxSeconds = null)
    {
        MediaProbe.CheckReadableFile(path);
        return Iterate(path, sampleRate, chunkSamples, streamIndex, startSeconds, maxSeconds);
    }

    /// <summary>Reads the whole stream (or <paramref name="maxSeconds"/> of it). For clips; long files use <see cref="ReadChunks"/>.</summary>
    public static float[] ReadAll(string path, int sampleRate, int streamIndex = 0, double? startSeconds = null, double? maxSeconds = null)
    {
        var all = new List<float>();
        foreach (var chunk in ReadChunks(path, sampleRate, 1 << 16, streamIndex, startSeconds, maxSeconds))
        {
            all.AddRange(chunk);
        }

        return [.. all];
    }

    private static IEnumerable<float[]> Iterate(string path, int sampleRate, int chunkSamples, int streamIndex,
        double? startSeconds, double? maxSeconds)
    {
        var inv = CultureInfo.InvariantCulture;
        var args = new List<string> { "-v", "error", "-nostdin" };
        if (startSeconds is { } ss)
        {
            args.AddRange(["-ss", ss.ToString("0.######", inv)]);
        }

        args.AddRange(["-i", path, "-map", $"0:a:{streamIndex}", "-ac", "1", "-ar", sampleRate.ToString(inv)]);
        if (maxSeconds is { } max)
        {
            args.AddRange(["-t", max.ToString("0.######", inv)]);
        }

        args.AddRange(["-f", "f32le", "pipe:1"]);
        using var p = Ffmpeg.Start(Ffmpeg.FfmpegExe, args);
        var bytes = new byte[chunkSamples * sizeof(float)];
        var any = false;
        while (true)
        {
            var read = FrameReader.ReadFully(p.StandardOutput, bytes);
            var samples = read / sizeof(float);
            if (samples > 0)
            {
                any = true;
                yield return MemoryMarshal.Cast<byte, float>(bytes.AsSpan(0, samples * sizeof(float))).ToArray();
            }

            if (read < bytes.Length)
            {
                break;
            }
        }

        if (p.WaitForExit() != 0)
        {
            if (p.ErrorText().Contains("matches no streams", StringComparison.Ordinal))
            {
                throw new BadInputException(path, streamIndex == 0 ? "has no audio stream" : $"has no audio stream #{streamIndex}");
            }

            throw new BadInputException(path, $"ffmpeg could not decode its audio ({p.LastError()})");
        }

        if (!any && maxSeconds is not 0)
        {
            yield break;
        }
    }
}
