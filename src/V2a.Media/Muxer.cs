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

/// <summary>
/// Puts a generated track into a video. The video stream is copied, never re-encoded. The audio codec follows
/// the output container (mp4/mov/m4v → AAC, mkv/webm → Opus); the track is padded with silence or trimmed to
/// the video stream's duration. The output is written to a temporary file and renamed when complete.
/// </summary>
public static class Muxer
{
    public static void Mux(string videoPath, string audioPath, string outputPath, MuxOptions? options = null)
    {
        options ??= new MuxOptions();
        var info = MediaProbe.Probe(videoPath);
        if (info.Video is null)
        {
            throw new BadInputException(videoPath, "has no video stream to put a soundtrack on");
        }

        var audioCodec = AudioCodecFor(outputPath);
        if (Path.GetExtension(outputPath).Equals(".webm", StringComparison.OrdinalIgnoreCase)
            && info.Video.Codec is not ("vp8" or "vp9" or "av1"))
        {
            throw new BadInputException(outputPath,
                $"a .webm file cannot hold {info.Video.Codec} video without re-encoding; write .mp4 or .mkv instead");
        }

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

        args.AddRange(["-c:v", "copy", "-c:a", audioCodec]);
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
    }

    /// <summary>The audio codec a container gets; throws for containers v2a does not write.</summary>
    public static string AudioCodecFor(string outputPath) => Path.GetExtension(outputPath).ToLowerInvariant() switch
    {
        ".mp4" or ".mov" or ".m4v" => "aac",
        ".mkv" or ".webm" => "libopus",
        var ext => throw new BadInputException(outputPath, $"unsupported output container '{ext}' (use .mp4, .mov, .m4v, .mkv or .webm)"),
    };
}
