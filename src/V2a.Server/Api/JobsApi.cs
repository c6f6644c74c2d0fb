using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using V2a.Media;
using V2a.Server.Jobs;
using V2a.Server.Security;

namespace V2a.Server.Api;

/// <summary>The HTTP API: submit, read, list and delete jobs, download their files. docs/server.md is the reference.</summary>
public static class JobsApi
{
    /// <summary>Largest seed accepted: 2^53 − 1, so that JavaScript clients read it exactly.</summary>
    public const long MaxSeed = (1L << 53) - 1;

    /// <summary>Largest guidance weight accepted.</summary>
    public const double MaxCfg = 30;

    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("jobs");

        api.MapGet("/config", (ServerOptions o) => new ConfigView(o.MaxUploadBytes, o.MaxPromptChars, o.MaxCandidates, o.MaxSteps,
                o.Concurrency, o.Token is not null, CsrfGuard.HeaderName))
            .WithName("GetConfig").WithSummary("The server's limits: upload size, prompt length, candidates, steps.");

        api.MapGet("/jobs", (JobQueue queue, int? limit) =>
            {
                var jobs = queue.Store.List(Math.Clamp(limit ?? 50, 1, 500));
                return jobs.Select(j => JobViews.From(j, queue.Store.QueuePosition(j))).ToList();
            })
            .WithName("ListJobs").WithSummary("Jobs, newest first (limit: 1–500, default 50).");

        api.MapPost("/jobs", Submit)
            .WithName("CreateJob")
            .WithSummary("Submit a video (multipart/form-data) to generate candidate soundtracks for.")
            .WithDescription("Fields: video (file, required), prompt, negative, transcript (words spoken in the video), candidates (1–max), seed (0–2^53−1; random when empty), "
                + "steps, cfg. Needs the X-V2a-Request: 1 header unless authenticated with a Bearer token.")
            .Produces<JobView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .DisableAntiforgery();

        api.MapGet("/jobs/{id}", (string id, JobQueue queue) =>
                Find(queue, id) is { } job ? Results.Ok(JobViews.From(job, queue.Store.QueuePosition(job))) : NotFound(id))
            .WithName("GetJob").WithSummary("A job: status, queue position, progress, and its candidates once done.")
            .Produces<JobView>().ProducesProblem(StatusCodes.Status404NotFound);

        api.MapDelete("/jobs/{id}", (string id, JobQueue queue) =>
                DataFolder.IsJobId(id) && queue.Delete(id) ? Results.NoContent() : NotFound(id))
            .WithName("DeleteJob").WithSummary("Delete a job and its files; a running job is cancelled first.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/jobs/{id}/candidates/{index:int}/{kind}", Download)
            .WithName("DownloadCandidate")
            .WithSummary("A candidate's file: kind = video, audio, manifest or waveform; ?download=1 for an attachment.")
            .Produces(StatusCodes.Status200OK).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static JobRecord? Find(JobQueue queue, string id) => DataFolder.IsJobId(id) ? queue.Get(id) : null;

    private static IResult NotFound(string id) =>
        Problem(StatusCodes.Status404NotFound, DataFolder.IsJobId(id) ? $"no job {id}" : "not a job id");

    public static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);

    private static async Task<IResult> Submit(HttpContext context, JobQueue queue, ServerOptions options)
    {
        var ct = context.RequestAborted;
        UploadReader.CheckDeclaredSize(context, options.MaxUploadBytes);
        var upload = queue.Data.NewUploadPath();
        try
        {
            var form = await UploadReader.ReadAsync(context.Request, upload, options.MaxUploadBytes, ct);
            var fields = ReadFields(form, options);
            if (form.FilePath is null || form.FileBytes == 0)
            {
                throw new ApiException(StatusCodes.Status400BadRequest, $"no video: send the file in the '{UploadReader.VideoField}' field");
            }

            var displayName = DisplayName(form.FileName);
            var info = await Task.Run(() => CheckVideo(upload, displayName), ct);
            var id = DataFolder.NewJobId();
            var jobDir = queue.Data.JobDir(id);
            Directory.CreateDirectory(jobDir);
            var inputFile = "input" + StoredExtension(info.Format, form.FileName);
            File.Move(upload, Path.Combine(jobDir, inputFile));
            var job = queue.Submit(id, fields with
            {
                FileName = displayName,
                InputFile = inputFile,
                UploadBytes = form.FileBytes,
                VideoSeconds = info.DurationSeconds,
            });
            return Results.Created(JobViews.From(job, queue.Store.QueuePosition(job)).Url, JobViews.From(job, queue.Store.QueuePosition(job)));
        }
        finally
        {
            DataFolder.TryDelete(upload);
        }
    }

    /// <summary>
    /// Accepts only what ffprobe reads as a video v2a can score, in a container from a fixed list. Text files are
    /// refused before ffprobe sees them: ffmpeg's playlist formats (HLS, concat, DASH) would make it open other files.
    /// </summary>
    private static MediaInfo CheckVideo(string path, string displayName)
    {
        if (LooksLikeText(path))
        {
            throw new ApiException(StatusCodes.Status400BadRequest, $"{displayName}: is a text file, not a video");
        }

        MediaInfo info;
        try
        {
            info = MediaProbe.ProbeVideo(path);
        }
        catch (BadInputException e)
        {
            throw new ApiException(StatusCodes.Status400BadRequest,
                $"{displayName}: {e.Reason.Replace(path, "the upload", StringComparison.Ordinal)}".ReplaceLineEndings(" "));
        }

        if (StoredExtension(info.Format, null) is null)
        {
            throw new ApiException(StatusCodes.Status400BadRequest,
                $"{displayName}: container '{info.Format}' is not accepted; send MP4, MOV, MKV, WebM, AVI, MPEG-TS, MPEG-PS, FLV, Ogg or GIF");
        }

        return info;
    }

    private static bool LooksLikeText(string path)
    {
        var head = new byte[1024];
        int n;
        using (var f = File.OpenRead(path))
        {
            n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        // Every container v2a accepts has binary bytes (box sizes, EBML ids, sync bytes) in its first kilobyte.
        for (var i = 0; i < n; i++)
        {
            var b = head[i];
            if (b < 0x09 || (b > 0x0d && b < 0x20) || b == 0x7f)
            {
                return false;
            }
        }

        return n > 0;
    }

    /// <summary>The extension the upload is stored under, from the container ffprobe found; null = not accepted.</summary>
    private static string? StoredExtension(string format, string? clientName)
    {
        var ext = Path.GetExtension(clientName ?? "").ToLowerInvariant();
        var names = format.Split(',');
        bool Has(string n) => names.Contains(n, StringComparer.Ordinal);
        if (Has("mov") || Has("mp4"))
        {
            return ext is ".mp4" or ".mov" or ".m4v" ? ext : ".mp4";
        }

        if (Has("matroska") || Has("webm"))
        {
            return ext is ".mkv" or ".webm" ? ext : ".mkv";
        }

        if (Has("avi"))
        {
            return ".avi";
        }

        if (Has("mpegts"))
        {
            return ".ts";
        }

        if (Has("flv"))
        {
            return ".flv";
        }

        if (Has("gif"))
        {
            return ".gif";
        }

        if (Has("mpeg"))
        {
            return ".mpg";
        }

        return Has("ogg") ? ".ogv" : null;
    }

    /// <summary>The client's file name, for display: no folders, no control characters, at most 120 characters.</summary>
    private static string DisplayName(string? clientName)
    {
        var name = Path.GetFileName((clientName ?? "").Replace('\\', '/'));
        var clean = new StringBuilder(name.Length);
        foreach (var ch in name)
        {
            clean.Append(char.IsControl(ch) ? '_' : ch);
        }

        var s = clean.ToString().Trim();
        if (s.Length > 120)
        {
            s = s[..117] + "...";
        }

        return s.Length == 0 ? "video" : s;
    }

    private static JobRequest ReadFields(UploadForm form, ServerOptions options)
    {
        string? Text(string name)
        {
            if (!form.Fields.TryGetValue(name, out var value))
            {
                return null;
            }

            // Line breaks and tabs become spaces; other control characters are refused.
            var s = value.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' ').Replace('\t', ' ').Trim();
            if (s.Any(char.IsControl))
            {
                throw new ApiException(StatusCodes.Status400BadRequest, $"{name} contains control characters");
            }

            if (s.Length > options.MaxPromptChars)
            {
                throw new ApiException(StatusCodes.Status400BadRequest,
                    $"{name} is {s.Length} characters long; the limit is {options.MaxPromptChars}");
            }

            return s.Length == 0 ? null : s;
        }

        long? Integer(string name, long min, long max)
        {
            if (!form.Fields.TryGetValue(name, out var value) || string.IsNullOrWhiteSpace(value))
            {
                return null;
            }

            if (!long.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            {
                throw new ApiException(StatusCodes.Status400BadRequest, $"{name} must be a whole number from {min} to {max}");
            }

            return n;
        }

        double? Real(string name, double min, double max)
        {
            if (!form.Fields.TryGetValue(name, out var value) || string.IsNullOrWhiteSpace(value))
            {
                return null;
            }

            if (!double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || !(x >= min && x <= max))
            {
                throw new ApiException(StatusCodes.Status400BadRequest,
                    $"{name} must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
            }

            return x;
        }

        bool? Flag(string name)
        {
            if (!form.Fields.TryGetValue(name, out var value) || string.IsNullOrWhiteSpace(value))
            {
                return null;
            }

            return value.Trim().ToLowerInvariant() switch
            {
                "true" or "1" or "on" or "yes" => true,
                "false" or "0" or "off" or "no" => false,
                _ => throw new ApiException(StatusCodes.Status400BadRequest, $"{name} must be true or false"),
            };
        }

        var known = new[] { "prompt", "negative", "transcript", "candidates", "seed", "steps", "cfg", "negative_strength", "prompt_strength", "room_tone" };
        foreach (var name in form.Fields.Keys)
        {
            if (!known.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw new ApiException(StatusCodes.Status400BadRequest, $"unknown field '{(name.Length > 40 ? name[..40] : name)}'");
            }
        }

        return new JobRequest
        {
            FileName = "",
            InputFile = "",
            Prompt = Text("prompt"),
            Negative = Text("negative"),
            Transcript = Text("transcript"),
            Candidates = (int)(Integer("candidates", 1, options.MaxCandidates) ?? 1),

            // No seed given: pick one now and store it, so a re-run after a restart generates the same candidates.
            Seed = Integer("seed", 0, MaxSeed) ?? Random.Shared.NextInt64(0, 1L << 31),
            Steps = (int?)Integer("steps", 1, options.MaxSteps),
            Cfg = Real("cfg", 0, MaxCfg),
            NegativeStrength = Real("negative_strength", 0, MaxCfg),
            PromptStrength = Real("prompt_strength", 0, MaxCfg),
            RoomTone = Flag("room_tone") ?? true,
        };
    }

    private static IResult Download(string id, int index, string kind, HttpContext context, JobQueue queue)
    {
        if (Find(queue, id) is not { Status: JobStatus.Done, Result: { } result } job)
        {
            return Problem(StatusCodes.Status404NotFound, DataFolder.IsJobId(id) ? $"job {id} has no finished candidates" : "not a job id");
        }

        var candidate = result.Candidates.FirstOrDefault(c => c.Index == index);
        if (candidate is null)
        {
            return Problem(StatusCodes.Status404NotFound, $"job {id} has no candidate {index}");
        }

        var file = kind switch
        {
            "video" => candidate.VideoFile,
            "audio" => candidate.AudioFile,
            "manifest" => candidate.ManifestFile,
            "waveform" => candidate.WaveformFile,
            _ => null,
        };
        if (file is null)
        {
            return Problem(StatusCodes.Status404NotFound, $"candidate {index} has no '{kind}' (video, audio, manifest, waveform)");
        }

        var jobDir = queue.Data.JobDir(job.Id);
        var path = Path.GetFullPath(Path.Combine(jobDir, file));
        if (!path.StartsWith(jobDir + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
        {
            return Problem(StatusCodes.Status404NotFound, $"the {kind} file of candidate {index} is missing");
        }

        var ext = Path.GetExtension(path).ToLowerInvariant();
        var contentType = ext switch
        {
            ".mp4" or ".m4v" => "video/mp4",
            ".mov" => "video/quicktime",
            ".mkv" => "video/x-matroska",
            ".webm" => "video/webm",
            ".wav" => "audio/wav",
            ".flac" => "audio/flac",
            ".json" => "application/json",
            ".png" => "image/png",
            _ => "application/octet-stream",
        };
        var download = context.Request.Query["download"] is { Count: > 0 } d && d[0] is "1" or "true";
        var name = $"v2a-{job.Id[..8]}-{index}-{kind}{ext}";
        return Results.File(path, contentType, download ? name : null, enableRangeProcessing: true);
    }
}
