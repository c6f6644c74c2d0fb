using V2a.Media;

namespace V2a.Engine;

/// <summary>
/// One request to score a video: the same record serves the CLI (<c>v2a generate</c>) and the server's jobs.
/// </summary>
public sealed record GenerateOptions
{
    /// <summary>The video to score: any file the media layer reads.</summary>
    public required string InputPath { get; init; }

    /// <summary>
    /// A video file (.mp4/.mov/.m4v/.mkv/.webm: muxed; the video stream copied where the container holds its codec, else re-encoded), an audio file (.wav/.flac), or a
    /// folder (each candidate as video + audio + manifest JSON). With several candidates and a file output,
    /// candidate k is written beside it as NAME-k.EXT.
    /// </summary>
    public required string OutputPath { get; init; }

    public string? Prompt { get; init; }

    public string? Negative { get; init; }

    /// <summary>Words spoken in the video (<see cref="V2a.Model.Generation.GenerationRequest.Transcript"/>), or null.</summary>
    public string? Transcript { get; init; }

    /// <summary>Number of candidate soundtracks, each with its own seed (seed, seed+1, ...).</summary>
    public int Candidates { get; init; } = 1;

    /// <summary>Seed of the first candidate; null picks one at random (and reports it).</summary>
    public long? Seed { get; init; }

    /// <summary>Sampling steps; null = the model's default.</summary>
    public int? Steps { get; init; }

    /// <summary>Classifier-free guidance weight; null = the model's default.</summary>
    public double? Cfg { get; init; }

    /// <summary>How hard a negative prompt pushes away (<see cref="V2a.Model.Generation.GenerationRequest.NegativeStrength"/>);
    /// null = the generator's default.</summary>
    public double? NegativeStrength { get; init; }

    /// <summary>How much more the prompt counts than the video alone (<see cref="V2a.Model.Generation.GenerationRequest.PromptStrength"/>);
    /// null = the generator's default.</summary>
    public double? PromptStrength { get; init; }

    /// <summary>Model package folder; null = the bundled default (models/default).</summary>
    public string? ModelDir { get; init; }

    public OriginalAudio Original { get; init; } = OriginalAudio.Replace;

    /// <summary>Watermark the generated audio (on by default; turning it off is recorded in the manifest).</summary>
    public bool Watermark { get; init; } = true;

    /// <summary>
    /// Add a quiet room tone (<see cref="V2a.Audio.RoomTone"/> at <see cref="V2a.Audio.RoomTone.DefaultLevelDbfs"/>) under the
    /// soundtrack, as every recording has: a still scene is then not digital silence, and silent stretches carry the
    /// watermark. On by default.
    /// </summary>
    public bool RoomTone { get; init; } = true;

    /// <summary>Watermark key; null = V2A_WATERMARK_KEY or the public default key.</summary>
    public string? WatermarkKey { get; init; }
}

/// <summary>One finished candidate.</summary>
/// <param name="VideoPath">The muxed video, or null for audio-only output.</param>
/// <param name="AudioPath">The soundtrack alone (WAV or FLAC), or null when only a video was asked for.</param>
/// <param name="ManifestPath">The provenance manifest (JSON) of the main output.</param>
/// <param name="Video">How the video stream went into <paramref name="VideoPath"/> (copied, or re-encoded and why); null
/// without a video output.</param>
public sealed record CandidateResult(int Index, long Seed, string GenerationId, string? VideoPath, string? AudioPath, string ManifestPath,
    VideoHandling? Video = null);

/// <summary>The outcome of a <see cref="GenerateOptions"/> request.</summary>
/// <param name="RealTimeFactor">Video seconds per wall-clock second (above 1 = faster than real time).</param>
public sealed record GenerateResult(
    IReadOnlyList<CandidateResult> Candidates,
    string GenerationId,
    string ModelId,
    double VideoSeconds,
    double ElapsedSeconds,
    double RealTimeFactor);
