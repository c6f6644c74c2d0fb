using System.Globalization;

namespace V2a.Media;

/// <summary>What happens to a video's own audio when a generated track is muxed in.</summary>
public enum OriginalAudio
{
    /// <summary>The generated track is the only audio.</summary>
    Replace,

    /// <summary>The generated track first (default), the original kept as a second track.</summary>
    Track,

    /// <summary>One track: the original with the generated track mixed under it.</summary>
    Mix,
}

/// <summary>Options of <see cref="Muxer.Mux"/>.</summary>
public sealed record MuxOptions
{
    public OriginalAudio Original { get; init; } = OriginalAudio.Replace;

    /// <summary>Gain of the generated track in <see cref="OriginalAudio.Mix"/>, in dB.</summary>
    public double MixGainDb { get; init; } = -6;

    /// <summary>Container-level tags (provenance); written where the container allows.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>Title of the generated audio track.</summary>
    public string TrackTitle { get; init; } = "v2a generated soundtrack";
}

/// <summary>How the video stream goes into the output: copied bit for bit, or re-encoded because the container cannot
/// hold the source's codec.</summary>
/// <param name="Encoder">ffmpeg's encoder when re-encoding (libx264, or libvpx-vp9 for .webm); null when copied.</param>
public sealed record VideoHandling(string SourceCodec, string Container, string? Encoder)
{
    public bool Copied => Encoder is null;

    /// <summary>One line for the user: "copied" or why and how it was re-encoded.</summary>
    public string Describe() => Copied
        ? $"{SourceCodec} video copied"
        : $"{SourceCodec} video re-encoded with {Encoder} ({Container} cannot hold {SourceCodec})";
}

/// <summary>
/// Puts a generated track into a video. The video stream is copied when the output container can hold its codec
/// (<see cref="CanCopy"/>), else re-encoded (H.264 at CRF 18, VP9 for .webm) rather than failing. The audio codec
/// follows the output container (mp4/mov/m4v → AAC, mkv/webm → Opus); the track is padded with silence or trimmed to
/// the video stream's duration. The output is written to a temporary file and renamed when complete.
/// </summary>
public static class Muxer
{
    // Video codecs (ffprobe's names) each container takes by stream copy, as checked with this ffmpeg: a
    // stream-copy remux of each codec into each container, read back by ffprobe (2026-11-26). Others are re-encoded.
    // ffmpeg also copies FFV1, GIF, Theora, H.263, FLV1 and WMV into .mov, but few players read them there.
    private static readonly string[] Mp4Copy = ["h264", "hevc", "mpeg4", "mpeg2video", "mpeg1video", "mjpeg", "vp9", "av1", "png"];
    private static readonly string[] MovCopy = ["h264", "hevc", "mpeg4", "mpeg2video", "mpeg1video", "mjpeg", "png", "prores"];
    private static readonly string[] MkvCopy = ["h264", "hevc", "mpeg4", "mpeg2video", "mpeg1video", "mjpeg", "vp8", "vp9", "av1", "png", "prores", "ffv1", "theora"];
    private static readonly string[] WebmCopy = ["vp8", "vp9", "av1"];

    /// <summary>Whether a video stream of <paramref name="codec"/> goes into <paramref name="outputPath"/>'s container
    /// by stream copy.</summary>
    public static bool CanCopy(string outputPath, string codec) => Path.GetExtension(outputPath).ToLowerInvariant() switch
    {
        ".mp4" or ".m4v" => Mp4Copy.Contains(codec),
        ".mov" => MovCopy.Contains(codec),
        ".mkv" => MkvCopy.Contains(codec),
        ".webm" => WebmCopy.Contains(codec),
        _ => false,
    };

    /// <summary>What <see cref="Mux"/> does with a video stream of <paramref name="codec"/> for this output.</summary>
    public static VideoHandling VideoFor(string outputPath, string codec)
    {
        var ext = Path.GetExtension(outputPath).ToLowerInvariant();
        AudioCodecFor(outputPath); // refuses containers v2a does not write
        return CanCopy(outputPath, codec)
            ? new VideoHandling(codec, ext, null)
            : new VideoHandling(codec, ext, ext == ".webm" ? "libvpx-vp9" : "libx264");
    }

    /// <param name="videoInfo">What <see cref="MediaProbe.Probe"/> said of <paramref name="videoPath"/>, when the caller already
    /// probed it (saves an ffprobe run); null probes it here.</param>
    public static VideoHandling Mux(string videoPath, string audioPath, string outputPath, MuxOptions? options = null, MediaInfo? videoInfo = null)
    {
        options ??= new MuxOptions();
        var info = videoInfo ?? MediaProbe.Probe(videoPath);
        if (info.Video is null)
        {
            throw new BadInputException(videoPath, "has no video stream to put a soundtrack on");
        }

        var audioCodec = AudioCodecFor(outputPath);
        var video = VideoFor(outputPath, info.Video.Codec);
        var hasOriginal = info.HasAudio;
        var mode = hasOriginal ? options.Original : OriginalAudio.Replace;
        var inv = CultureInfo.InvariantCulture;
        var duration = info.DurationSeconds.ToString("0.######", inv);
        var fit = $"apad=whole_dur={duration},atrim=end={duration},asetpts=N/SR/TB";

        using var output = AtomicFile.Create(outputPath);
        var args = new List<string> { "-v", "error", "-nostdin", "-y", "-i", videoPath, "-i", audioPath };
        switch (mode)
        {
            case OriginalAudio.Replace:
                args.AddRange(["-filter_complex", $"[1:a:0]{fit}[gen]", "-map", "0:v:0", "-map", "[gen]"]);
                break;
            case OriginalAudio.Track:
                args.AddRange(["-filter_complex", $"[1:a:0]{fit}[gen]", "-map", "0:v:0", "-map", "[gen]", "-map", "0:a:0",
                    "-metadata:s:a:1", "title=original audio", "-disposition:a:0", "default", "-disposition:a:1", "0"]);
                break;
            case OriginalAudio.Mix:
                var gain = Math.Pow(10, options.MixGainDb / 20).ToString("0.######", inv);
                args.AddRange(["-filter_complex",
                    $"[1:a:0]{fit},volume={gain}[gen];[0:a:0]{fit}[orig];[orig][gen]amix=inputs=2:duration=first:normalize=0[mix]",
                    "-map", "0:v:0", "-map", "[mix]"]);
                break;
        }

        args.AddRange(VideoCodecArgs(video));
        args.AddRange(["-c:a", audioCodec]);
        args.AddRange(audioCodec == "aac" ? ["-b:a", "192k"] : ["-b:a", "128k"]);
        args.AddRange(["-metadata:s:a:0", $"title={options.TrackTitle}"]);
        foreach (var (key, value) in options.Tags)
        {
            args.AddRange(["-metadata", $"{key}={value}"]);
        }

        if (audioCodec == "aac")
        {
            args.AddRange(["-movflags", "+use_metadata_tags+faststart"]);
        }

        args.Add(output.TempPath);
        using (var p = Ffmpeg.Start(Ffmpeg.FfmpegExe, args))
        {
            p.WaitForExitOrThrow(outputPath, "ffmpeg could not mux the soundtrack");
        }

        output.Commit();
        return video;
    }

    /// <summary>ffmpeg's video codec arguments for <paramref name="video"/>: a stream copy, or the re-encode.</summary>
    public static string[] VideoCodecArgs(VideoHandling video) => video.Encoder switch
    {
        null => ["-c:v", "copy"],
        // Real-time VP9: a few times faster than real time on two cores; quality set by CRF alone.
        "libvpx-vp9" => ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1", "-crf", "32", "-b:v", "0", "-pix_fmt", "yuv420p"],
        // 4:2:0 H.264 needs even sides: an odd one loses its last row or column.
        _ => ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2"],
    };

    /// <summary>The sample rate an audio encoder takes for input at <paramref name="rate"/>: the same where the codec
    /// allows it, else the next one up (Opus: 8, 12, 16, 24, 48 kHz; MP3: 8 … 48 kHz in its nine rates), capped at the
    /// codec's highest. <paramref name="encoder"/> is ffmpeg's name (libopus, libmp3lame); others keep the rate.</summary>
    public static int EncodableRate(string encoder, int rate)
    {
        int[]? allowed = encoder switch
        {
            "libopus" => [8000, 12000, 16000, 24000, 48000],
            "libmp3lame" => [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000],
            _ => null,
        };
        if (allowed is null || allowed.Contains(rate))
        {
            return rate;
        }

        var up = allowed.Where(a => a > rate).ToArray();
        return up.Length > 0 ? up[0] : allowed[^1];
    }

    /// <summary>The audio codec a container gets; throws for containers v2a does not write.</summary>
    public static string AudioCodecFor(string outputPath) => Path.GetExtension(outputPath).ToLowerInvariant() switch
    {
        ".mp4" or ".mov" or ".m4v" => "aac",
        ".mkv" or ".webm" => "libopus",
        var ext => throw new BadInputException(outputPath, $"unsupported output container '{ext}' (use .mp4, .mov, .m4v, .mkv or .webm)"),
    };
}
