using System.Text.Json.Serialization;

namespace V2a.Media;

/// <summary>What the media layer sees in a file (<c>v2a probe</c> prints this).</summary>
public sealed record MediaInfo
{
    public required string Path { get; init; }

    /// <summary>Container format as ffprobe names it ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm").</summary>
    public required string Format { get; init; }

    /// <summary>Duration in seconds.</summary>
    public required double DurationSeconds { get; init; }

    /// <summary>Where the duration came from: "container", "stream", or "scan" (container had none).</summary>
    public required string DurationSource { get; init; }

    public long SizeBytes { get; init; }

    public VideoStreamInfo? Video { get; init; }

    public IReadOnlyList<AudioStreamInfo> Audio { get; init; } = [];

    public int StreamCount { get; init; }

    [JsonIgnore]
    public bool HasVideo => Video is not null;

    [JsonIgnore]
    public bool HasAudio => Audio.Count > 0;
}

public sealed record VideoStreamInfo
{
    public int Index { get; init; }

    public required string Codec { get; init; }

    /// <summary>Stored (coded) width and height in pixels, before rotation.</summary>
    public int Width { get; init; }

    public int Height { get; init; }

    /// <summary>Clockwise rotation in degrees a player applies (0, 90, 180, 270).</summary>
    public int Rotation { get; init; }

    /// <summary>Width and height as displayed, after rotation.</summary>
    public int DisplayWidth => Rotation % 180 == 0 ? Width : Height;

    public int DisplayHeight => Rotation % 180 == 0 ? Height : Width;

    /// <summary>Average frames per second (frames / duration).</summary>
    public double Fps { get; init; }

    /// <summary>True when frame intervals in the first seconds differ by more than a tenth.</summary>
    public bool VariableFrameRate { get; init; }

    public required string PixelFormat { get; init; }

    public bool HasAlpha { get; init; }
}

public sealed record AudioStreamInfo
{
    public int Index { get; init; }

    public required string Codec { get; init; }

    public int SampleRate { get; init; }

    public int Channels { get; init; }
}
