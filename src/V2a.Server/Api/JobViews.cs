using V2a.Server.Jobs;

namespace V2a.Server.Api;

/// <summary>A job as the API returns it (GET /api/jobs/{id}).</summary>
/// <param name="Status">queued, running, done, failed or cancelled (deleted while running; gone soon).</param>
/// <param name="QueuePosition">1 = next to run; null unless queued.</param>
/// <param name="Attempts">Times a slot has started it (2 or more after a restart re-ran it).</param>
public sealed record JobView(
    string Id,
    string Status,
    DateTimeOffset Created,
    DateTimeOffset? Started,
    DateTimeOffset? Finished,
    int? QueuePosition,
    int Attempts,
    ProgressView? Progress,
    RequestView Request,
    string? Error,
    ResultView? Result,
    string Url);

/// <param name="Stage">What the generator is doing ("sampling", "waveform").</param>
/// <param name="Fraction">Done / total in [0, 1]; null when the total is unknown.</param>
public sealed record ProgressView(string Stage, long Done, long Total, double? Fraction, string? Detail);

/// <param name="FileName">The uploaded file's name as the client gave it (display only).</param>
/// <param name="VideoSeconds">The upload's duration in seconds.</param>
/// <param name="Seed">Seed of the first candidate; candidate k uses seed + k.</param>
public sealed record RequestView(
    string FileName,
    long UploadBytes,
    double VideoSeconds,
    string? Prompt,
    string? Negative,
    string? Transcript,
    int Candidates,
    long Seed,
    int? Steps,
    double? Cfg,
    double? NegativeStrength,
    double? PromptStrength,
    bool RoomTone);

/// <param name="RealTimeFactor">Video seconds per wall-clock second of generation.</param>
public sealed record ResultView(
    string GenerationId,
    string ModelId,
    double VideoSeconds,
    double ElapsedSeconds,
    double RealTimeFactor,
    IReadOnlyList<CandidateView> Candidates);

/// <summary>One candidate soundtrack and the URLs of its files (add ?download=1 for an attachment).</summary>
/// <param name="Video">The video with this soundtrack (playable in a browser; supports range requests).</param>
/// <param name="GenerationId">The id in this candidate's provenance manifest and watermark.</param>
/// <param name="Audio">The soundtrack alone, or null when the generator wrote none.</param>
/// <param name="Manifest">The provenance manifest (JSON).</param>
/// <param name="Waveform">A PNG of the soundtrack's waveform, or null when it could not be drawn.</param>
public sealed record CandidateView(int Index, long Seed, string? GenerationId, string? Video, string? Audio, string Manifest, string? Waveform);

/// <summary>The server's limits, for clients to check before uploading (GET /api/config).</summary>
public sealed record ConfigView(
    long MaxUploadBytes,
    int MaxPromptChars,
    int MaxCandidates,
    int MaxSteps,
    int Concurrency,
    bool TokenRequired,
    string CsrfHeader);

public static class JobViews
{
    public static JobView From(JobRecord job, int? queuePosition)
    {
        var url = $"/api/jobs/{job.Id}";
        var r = job.Request;
        return new JobView(
            job.Id,
            job.Status.ToString().ToLowerInvariant(),
            job.Created,
            job.Started,
            job.Finished,
            queuePosition,
            job.Attempts,
            job.Status == JobStatus.Running && job.Progress is { } p ? new ProgressView(p.Stage, p.Done, p.Total, p.Fraction, p.Detail) : null,
            new RequestView(r.FileName, r.UploadBytes, r.VideoSeconds, r.Prompt, r.Negative, r.Transcript, r.Candidates, r.Seed, r.Steps, r.Cfg, r.NegativeStrength, r.PromptStrength, r.RoomTone),
            job.Error,
            job.Status == JobStatus.Done && job.Result is { } res
                ? new ResultView(res.GenerationId, res.ModelId, res.VideoSeconds, res.ElapsedSeconds, res.RealTimeFactor,
                    [.. res.Candidates.Select(c => new CandidateView(
                        c.Index,
                        c.Seed,
                        c.GenerationId,
                        c.VideoFile is null ? null : $"{url}/candidates/{c.Index}/video",
                        c.AudioFile is null ? null : $"{url}/candidates/{c.Index}/audio",
                        $"{url}/candidates/{c.Index}/manifest",
                        c.WaveformFile is null ? null : $"{url}/candidates/{c.Index}/waveform"))])
                : null,
            url);
    }
}
