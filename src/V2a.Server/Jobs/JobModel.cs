using System.Text.Json;
using System.Text.Json.Serialization;

namespace V2a.Server.Jobs;

/// <summary>Where a job is in its life. Stored in the jobs table as the lower-case name.</summary>
public enum JobStatus
{
    /// <summary>Waiting for a free generation slot.</summary>
    Queued,

    /// <summary>A slot is generating it.</summary>
    Running,

    /// <summary>Finished; its candidates are on disk.</summary>
    Done,

    /// <summary>Stopped with an error (see <see cref="JobRecord.Error"/>).</summary>
    Failed,

    /// <summary>Deleted while running: the generation is being stopped, then the job and its files go away.</summary>
    Cancelled,
}

/// <summary>What a user asked for, as stored with the job (the request JSON column).</summary>
public sealed record JobRequest
{
    /// <summary>The uploaded file's name as the user's browser gave it, cleaned; shown only, never used as a path.</summary>
    public required string FileName { get; init; }

    /// <summary>The server-made name of the stored upload inside the job folder ("input.mp4").</summary>
    public required string InputFile { get; init; }

    public long UploadBytes { get; init; }

    /// <summary>Duration of the uploaded video in seconds, as ffprobe read it.</summary>
    public double VideoSeconds { get; init; }

    public string? Prompt { get; init; }

    public string? Negative { get; init; }

    /// <summary>Words spoken in the video (<see cref="GenerateOptions.Transcript"/>); null for none and for jobs stored before it existed.</summary>
    public string? Transcript { get; init; }

    public int Candidates { get; init; } = 1;

    /// <summary>Seed of the first candidate. Chosen at submission when the user gave none, so a re-run after a
    /// restart generates the same soundtracks.</summary>
    public long Seed { get; init; }

    /// <summary>Sampling steps; null = the model's default.</summary>
    public int? Steps { get; init; }

    /// <summary>Guidance weight; null = the model's default.</summary>
    public double? Cfg { get; init; }

    /// <summary>How hard the negative prompt pushes away; null = the generator's default.</summary>
    public double? NegativeStrength { get; init; }

    /// <summary>How much more the prompt counts than the video alone; null = the generator's default.</summary>
    public double? PromptStrength { get; init; }

    /// <summary>Room tone under the soundtrack (<see cref="GenerateOptions.RoomTone"/>); jobs stored before it existed had it.</summary>
    public bool RoomTone { get; init; } = true;
}

/// <summary>One finished candidate; file names are relative to the job folder.</summary>
public sealed record JobCandidate(int Index, long Seed, string? GenerationId, string? VideoFile, string? AudioFile, string ManifestFile, string? WaveformFile);

/// <summary>The outcome of a finished job (the result JSON column).</summary>
public sealed record JobResult
{
    public required IReadOnlyList<JobCandidate> Candidates { get; init; }

    public string GenerationId { get; init; } = "";

    public string ModelId { get; init; } = "";

    public double VideoSeconds { get; init; }

    public double ElapsedSeconds { get; init; }

    /// <summary>Video seconds per wall-clock second.</summary>
    public double RealTimeFactor { get; init; }
}

/// <summary>Latest progress report of a running job.</summary>
public sealed record JobProgress(string Stage, long Done, long Total, string? Detail)
{
    /// <summary>Done / total in [0, 1], or null when the total is unknown.</summary>
    public double? Fraction => Total > 0 ? Math.Clamp((double)Done / Total, 0, 1) : null;
}

/// <summary>A row of the jobs table.</summary>
public sealed record JobRecord
{
    public required string Id { get; init; }

    /// <summary>Submission order; the queue runs in this order.</summary>
    public long Seq { get; init; }

    public JobStatus Status { get; init; }

    public DateTimeOffset Created { get; init; }

    public DateTimeOffset? Started { get; init; }

    public DateTimeOffset? Finished { get; init; }

    public required JobRequest Request { get; init; }

    public JobProgress? Progress { get; init; }

    public JobResult? Result { get; init; }

    public string? Error { get; init; }

    /// <summary>How many times a slot has started this job (above 1 after a restart re-ran it).</summary>
    public int Attempts { get; init; }
}

internal static class JobJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}
