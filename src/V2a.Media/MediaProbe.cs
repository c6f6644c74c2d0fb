using System.Globalization;
using System.Text.Json;

namespace V2a.Media;

/// <summary>
/// Reads a file's streams, duration, rotation and frame-rate regularity with ffprobe. Files whose container
/// states no duration are scanned packet by packet (streamed, so memory stays flat).
/// </summary>
public static class MediaProbe
{
    /// <summary>Shortest video v2a generates for, in seconds (one 40 ms frame is not a scene).</summary>
    public const double MinVideoSeconds = 0.5;

    /// <summary>Smallest frame side in pixels that still shows something to look at.</summary>
    public const int MinVideoSide = 16;

    /// <exception cref="BadInputException">Missing, empty, unreadable, or not media ffprobe understands.</exception>
    public static MediaInfo Probe(string path)
    {
        CheckReadableFile(path);
        var json = Ffmpeg.RunText(Ffmpeg.FfprobeExe,
            ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", "--", path], path);
        using var doc = ParseJson(json, path);
        var root = doc.RootElement;
        if (!root.TryGetProperty("format", out var format))
        {
            throw new BadInputException(path, "not a media file ffmpeg can read");
        }

        VideoStreamInfo? video = null;
        var audio = new List<AudioStreamInfo>();
        var streamCount = 0;
        double? streamDuration = null;
        if (root.TryGetProperty("streams", out var streams))
        {
            foreach (var s in streams.EnumerateArray())
            {
                streamCount++;
                var type = Str(s, "codec_type");
                var dur = Num(s, "duration");
                if (dur is > 0 && (streamDuration is null || dur > streamDuration))
                {
                    streamDuration = dur;
                }

                if (type == "video" && video is null && !IsAttachedPicture(s))
                {
                    video = ReadVideo(s);
                }
                else if (type == "audio")
                {
                    audio.Add(new AudioStreamInfo
                    {
                        Index = Int(s, "index"),
                        Codec = Str(s, "codec_name") ?? "unknown",
                        SampleRate = (int)(Num(s, "sample_rate") ?? 0),
                        Channels = Int(s, "channels"),
                    });
                }
            }
        }

        if (video is null && audio.Count == 0)
        {
            throw new BadInputException(path, "contains no video or audio stream");
        }

        var duration = Num(format, "duration");
        var source = "container";
        if (duration is not > 0)
        {
            duration = streamDuration;
            source = "stream";
        }

        if (duration is not > 0)
        {
            duration = ScanDuration(path);
            source = "scan";
        }

        if (video is not null)
        {
            video = video with
            {
                VariableFrameRate = DetectVariableFrameRate(path),
                Fps = video.Fps > 0 ? video.Fps : 0,
            };
        }

        return new MediaInfo
        {
            Path = path,
            Format = Str(format, "format_name") ?? "unknown",
            DurationSeconds = duration ?? 0,
            DurationSource = source,
            SizeBytes = new FileInfo(path).Length,
            Video = video,
            Audio = audio,
            StreamCount = streamCount,
        };
    }

    /// <summary>Probes and checks that the file is a video v2a can score: a video stream, long and large enough.</summary>
    public static MediaInfo ProbeVideo(string path)
    {
        var info = Probe(path);
        if (info.Video is null)
        {
            throw new BadInputException(path, "has no video stream (audio only?); v2a needs a video");
        }

        if (info.DurationSeconds < MinVideoSeconds)
        {
            throw new BadInputException(path,
                $"video is too short: {info.DurationSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s, v2a needs at least {MinVideoSeconds} s");
        }

        if (info.Video.Width < MinVideoSide || info.Video.Height < MinVideoSide)
        {
            throw new BadInputException(path,
                $"video frames are {info.Video.Width}x{info.Video.Height}, too small to see anything (at least {MinVideoSide}x{MinVideoSide})");
        }

        return info;
    }

    /// <summary>Checks existence, type, size and read permission, each with its own message.</summary>
    public static void CheckReadableFile(string path)
    {
        if (Directory.Exists(path))
        {
            throw new BadInputException(path, "is a folder, expected a media file");
        }

        if (!File.Exists(path))
        {
            throw new BadInputException(path, "does not exist");
        }

        try
        {
            using var s = File.OpenRead(path);
            if (s.Length == 0)
            {
                throw new BadInputException(path, "is empty (0 bytes)");
            }
        }
        catch (UnauthorizedAccessException)
        {
            throw new BadInputException(path, "cannot be read (permission denied)");
        }
        catch (IOException e)
        {
            throw new BadInputException(path, $"cannot be read ({e.Message})");
        }
    }

    private static JsonDocument ParseJson(string json, string path)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            throw new BadInputException(path, "not a media file ffmpeg can read");
        }
    }

    private static bool IsAttachedPicture(JsonElement s) =>
        s.TryGetProperty("disposition", out var d) && d.TryGetProperty("attached_pic", out var a) && a.GetInt32() == 1;

    private static VideoStreamInfo ReadVideo(JsonElement s)
    {
        var pixFmt = Str(s, "pix_fmt") ?? "unknown";
        return new VideoStreamInfo
        {
            Index = Int(s, "index"),
            Codec = Str(s, "codec_name") ?? "unknown",
            Width = Int(s, "width"),
            Height = Int(s, "height"),
            Rotation = ReadRotation(s),
            Fps = Rational(Str(s, "avg_frame_rate")) ?? Rational(Str(s, "r_frame_rate")) ?? 0,
            PixelFormat = pixFmt,
            HasAlpha = pixFmt.Contains('a', StringComparison.Ordinal) && (pixFmt.StartsWith("yuva", StringComparison.Ordinal)
                || pixFmt.Contains("rgba", StringComparison.Ordinal) || pixFmt.Contains("argb", StringComparison.Ordinal)
                || pixFmt.Contains("bgra", StringComparison.Ordinal) || pixFmt.Contains("abgr", StringComparison.Ordinal)
                || pixFmt.StartsWith("ya", StringComparison.Ordinal) || pixFmt.StartsWith("gbrap", StringComparison.Ordinal)),
        };
    }

    /// <summary>Rotation from the display matrix side data (ffprobe: counter-clockwise degrees) or the old "rotate" tag (clockwise).</summary>
    private static int ReadRotation(JsonElement s)
    {
        if (s.TryGetProperty("side_data_list", out var sides))
        {
            foreach (var side in sides.EnumerateArray())
            {
                if (Num(side, "rotation") is { } r)
                {
                    return Normalize(-(int)Math.Round(r));
                }
            }
        }

        if (s.TryGetProperty("tags", out var tags) && Num(tags, "rotate") is { } tag)
        {
            return Normalize((int)Math.Round(tag));
        }

        return 0;

        static int Normalize(int deg) => ((deg % 360) + 360) % 360;
    }

    /// <summary>Reads the first 10 s of video packet times; variable when intervals differ by over 10%.</summary>
    private static bool DetectVariableFrameRate(string path)
    {
        using var p = Ffmpeg.Start(Ffmpeg.FfprobeExe,
            ["-v", "error", "-select_streams", "v:0", "-read_intervals", "%+10", "-show_entries", "packet=pts_time",
             "-of", "csv=p=0", "--", path]);
        var times = new List<double>();
        using (var reader = new StreamReader(p.StandardOutput))
        {
            string? line;
            while ((line = reader.ReadLine()) is not null && times.Count < 1000)
            {
                if (double.TryParse(line.Trim().TrimEnd(','), NumberStyles.Float, CultureInfo.InvariantCulture, out var t))
                {
                    times.Add(t);
                }
            }
        }

        p.WaitForExit();
        if (times.Count < 3)
        {
            return false;
        }

        times.Sort();
        var deltas = new List<double>(times.Count);
        for (var i = 1; i < times.Count; i++)
        {
            deltas.Add(times[i] - times[i - 1]);
        }

        deltas.Sort();
        var median = deltas[deltas.Count / 2];
        if (median <= 0)
        {
            return false;
        }

        // Ignore the extremes (container rounding, a dropped frame at the start) and compare the spread.
        var lo = deltas[deltas.Count / 20];
        var hi = deltas[deltas.Count - 1 - (deltas.Count / 20)];
        return (hi - lo) / median > 0.1;
    }

    /// <summary>Duration of a file whose container states none: the end of its last packet; for a raw elementary
    /// stream, whose packets carry no timestamps, the sum of its first stream's packet durations.</summary>
    private static double ScanDuration(string path)
    {
        using var p = Ffmpeg.Start(Ffmpeg.FfprobeExe,
            ["-v", "error", "-show_entries", "packet=stream_index,pts_time,duration_time", "-of", "csv=p=0", "--", path]);
        var end = 0.0;
        var sum = 0.0;
        string? firstStream = null;
        using (var reader = new StreamReader(p.StandardOutput))
        {
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                var parts = line.Split(',');
                if (parts.Length < 3)
                {
                    continue;
                }

                var dur = double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 0;
                if (double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var pts))
                {
                    end = Math.Max(end, pts + dur);
                }

                firstStream ??= parts[0];
                if (parts[0] == firstStream)
                {
                    sum += dur;
                }
            }
        }

        p.WaitForExitOrThrow(path);
        return end > 0 ? end : sum;
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;

    private static double? Num(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v))
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.Number => v.GetDouble(),
            JsonValueKind.String when double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => null,
        };
    }

    private static double? Rational(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var parts = text.Split('/');
        if (parts.Length == 2 && double.TryParse(parts[0], CultureInfo.InvariantCulture, out var n)
            && double.TryParse(parts[1], CultureInfo.InvariantCulture, out var d) && d != 0 && n != 0)
        {
            return n / d;
        }

        return null;
    }
}
