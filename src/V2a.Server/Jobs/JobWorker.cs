using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using V2a.Engine;
using V2a.Server.Generation;
using V2a.Server.Rendering;

namespace V2a.Server.Jobs;

/// <summary>
/// Runs the queue: <see cref="ServerOptions.Concurrency"/> slots, each taking the oldest queued job, generating it
/// on a thread of its own, rendering a waveform image per candidate, and storing the result. At start-up jobs the
/// last process left running are queued again; at shutdown the running ones are cancelled and queued again.
/// </summary>
public sealed class JobWorker(
    JobQueue queue,
    ISoundtrackGenerator generator,
    ServerOptions options,
    ILogger<JobWorker> log) : BackgroundService
{
    /// <summary>How often progress is written to the table while a job runs (the API reads live progress from memory).</summary>
    private static readonly TimeSpan ProgressFlushInterval = TimeSpan.FromSeconds(1);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var id in queue.Store.CancelledIds())
        {
            // Deleted while running, then the process died before the files went: finish the deletion.
            queue.Data.DeleteJobFiles(id);
            queue.Store.Remove(id);
        }

        var requeued = queue.Store.RecoverInterrupted(options.MaxAttempts);
        if (requeued > 0)
        {
            log.LogInformation("{Count} job(s) interrupted by the last stop are queued to run again", requeued);
        }

        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var slots = Enumerable.Range(0, options.Concurrency)
            .Select(i => Task.Factory.StartNew(() => Slot(i, stoppingToken), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap());
        return Task.WhenAll(slots);
    }

    private async Task Slot(int slot, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            JobRecord? job;
            try
            {
                job = queue.Store.ClaimNext();
            }
            catch (Exception e)
            {
                log.LogError(e, "slot {Slot}: could not read the queue", slot);
                job = null;
            }

            if (job is null)
            {
                try
                {
                    // Woken by a submission; the timeout is a safety net only.
                    await queue.WaitForWorkAsync(TimeSpan.FromSeconds(2), stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            // Generation blocks its thread for the whole job (the engine is synchronous): keep it off the pool.
            await Task.Factory.StartNew(() => Run(job, stopping), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);

            // Another queued job may be waiting for a slot; let the next loop look without waiting.
        }
    }

    private void Run(JobRecord job, CancellationToken stopping)
    {
        var id = job.Id;
        var running = queue.Register(id, stopping);
        try
        {
            if (queue.Store.Get(id) is not { Status: JobStatus.Running })
            {
                // Deleted between the claim and the registration.
                running.Cancel();
            }

            running.Token.ThrowIfCancellationRequested();
            log.LogInformation("job {Id}: started (attempt {Attempt})", id, job.Attempts);
            var clock = Stopwatch.StartNew();
            var result = Generate(job, running);
            if (queue.Store.Complete(id, result))
            {
                log.LogInformation("job {Id}: done in {Seconds:0.0} s, {Count} candidate(s)", id, clock.Elapsed.TotalSeconds, result.Candidates.Count);
            }
        }
        catch (OperationCanceledException) when (running.Token.IsCancellationRequested)
        {
            if (!running.Deleted)
            {
                // Server stopping: run it again at the next start.
                queue.Store.Requeue(id);
                log.LogInformation("job {Id}: interrupted by shutdown, queued to run again", id);
            }
        }
        catch (V2aException e)
        {
            queue.Store.Fail(id, Describe(e, job));
            log.LogWarning("job {Id}: failed: {Message}", id, e.Message);
        }
        catch (Exception e)
        {
            queue.Store.Fail(id, Clean($"internal error: {e.GetType().Name}: {e.Message}"));
            log.LogError(e, "job {Id}: internal error", id);
        }
        finally
        {
            queue.Unregister(id);
            if (running.Deleted || queue.Store.Get(id) is { Status: JobStatus.Cancelled })
            {
                queue.Data.DeleteJobFiles(id);
                queue.Store.Remove(id);
                log.LogInformation("job {Id}: deleted", id);
            }
        }
    }

    private JobResult Generate(JobRecord job, RunningJob running)
    {
        var id = job.Id;
        var jobDir = queue.Data.JobDir(id);
        var outDir = queue.Data.OutputDir(id);
        if (Directory.Exists(outDir))
        {
            // Whatever an interrupted earlier attempt left is not trusted: start clean.
            Directory.Delete(outDir, recursive: true);
        }

        Directory.CreateDirectory(outDir);
        var request = job.Request;
        var generateOptions = new GenerateOptions
        {
            InputPath = Path.Combine(jobDir, request.InputFile),
            OutputPath = outDir,
            Prompt = request.Prompt,
            Negative = request.Negative,
            Transcript = request.Transcript,
            Candidates = request.Candidates,
            Seed = request.Seed,
            Steps = request.Steps,
            Cfg = request.Cfg,
            NegativeStrength = request.NegativeStrength,
            PromptStrength = request.PromptStrength,
            RoomTone = request.RoomTone,
            ModelDir = options.ModelDir,
        };
        var sink = new JobProgressSink(queue.Store, id, running, ProgressFlushInterval);
        var generated = generator.Generate(generateOptions, sink, running.Token);
        running.Token.ThrowIfCancellationRequested();

        var candidates = new List<JobCandidate>();
        var n = generated.Candidates.Count;
        for (var i = 0; i < n; i++)
        {
            var c = generated.Candidates[i];
            sink.Report("waveform", i, n);
            string? waveform = null;
            var png = Path.Combine(outDir, $"waveform-{c.Index}.png");
            try
            {
                // The soundtrack alone when there is one, else the muxed video's (first) audio track.
                if ((c.AudioPath ?? c.VideoPath) is { } source)
                {
                    WaveformRenderer.Render(source, png);
                    waveform = Relative(jobDir, png);
                }
            }
            catch (Exception e) when (e is V2aException or IOException)
            {
                // A missing picture does not make the soundtrack wrong: the job still succeeds.
                log.LogWarning("job {Id}: no waveform for candidate {Index}: {Message}", id, c.Index, e.Message);
            }

            candidates.Add(new JobCandidate(c.Index, c.Seed, c.GenerationId,
                c.VideoPath is null ? null : Relative(jobDir, c.VideoPath),
                c.AudioPath is null ? null : Relative(jobDir, c.AudioPath),
                Relative(jobDir, c.ManifestPath), waveform));
        }

        sink.Report("waveform", n, n);
        return new JobResult
        {
            Candidates = candidates,
            GenerationId = generated.GenerationId,
            ModelId = generated.ModelId,
            VideoSeconds = generated.VideoSeconds,
            ElapsedSeconds = generated.ElapsedSeconds,
            RealTimeFactor = generated.RealTimeFactor,
        };
    }

    /// <summary>A path inside the job folder, relative to it; the API serves only such paths.</summary>
    private static string Relative(string jobDir, string path)
    {
        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(jobDir, full);
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) || !File.Exists(full))
        {
            throw new InvalidOperationException($"the generator reported '{Path.GetFileName(path)}', which is not a file in the job's folder");
        }

        return relative.Replace('\\', '/');
    }

    /// <summary>A user-facing one-line reason that names the user's file, never the server's paths.</summary>
    private string Describe(V2aException e, JobRecord job)
    {
        var input = Path.Combine(queue.Data.JobDir(job.Id), job.Request.InputFile);
        var name = e.Path is null ? null
            : Path.GetFullPath(e.Path) == input ? job.Request.FileName
            : Path.GetFileName(e.Path);
        return Clean(name is null ? e.Reason : $"{name}: {e.Reason}");
    }

    private string Clean(string message) =>
        message.Replace(queue.Data.Root + Path.DirectorySeparatorChar, "", StringComparison.Ordinal)
            .Replace(queue.Data.Root, "", StringComparison.Ordinal)
            .ReplaceLineEndings(" ");
}

/// <summary>Keeps a running job's progress in memory for the API and writes it to the table at most once a <c>flushInterval</c>.</summary>
internal sealed class JobProgressSink(JobStore store, string id, RunningJob running, TimeSpan flushInterval) : IProgressSink
{
    private readonly Stopwatch _sinceFlush = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private string? _lastStage;

    public void Report(string stage, long done, long total, string? detail = null)
    {
        var progress = new JobProgress(stage, done, total, detail);
        running.Progress = progress;
        lock (_gate)
        {
            if (stage == _lastStage && _sinceFlush.Elapsed < flushInterval)
            {
                return;
            }

            _lastStage = stage;
            _sinceFlush.Restart();
        }

        store.SetProgress(id, progress);
    }
}
