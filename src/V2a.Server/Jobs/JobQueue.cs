using System.Collections.Concurrent;

namespace V2a.Server.Jobs;

/// <summary>
/// The queue as the API sees it: submits jobs, reads them with their live progress, deletes them (stopping a
/// running one). The <see cref="JobWorker"/> slots take jobs from the same store.
/// </summary>
public sealed class JobQueue(JobStore store, DataFolder data)
{
    private readonly ConcurrentDictionary<string, RunningJob> _running = new();
    private readonly SemaphoreSlim _wake = new(0);

    public JobStore Store => store;

    public DataFolder Data => data;

    /// <summary>Stores a job whose upload is already in its folder, and wakes a free slot.</summary>
    public JobRecord Submit(string id, JobRequest request)
    {
        var job = store.Add(id, request);
        _wake.Release();
        return job;
    }

    /// <summary>The job with its in-memory progress when it is running (the table holds progress a second old at most).</summary>
    public JobRecord? Get(string id)
    {
        var job = store.Get(id);
        if (job is not null && _running.TryGetValue(id, out var running) && running.Progress is { } live)
        {
            job = job with { Progress = live };
        }

        return job;
    }

    /// <summary>
    /// Deletes a job and its files. A running job is cancelled first; its slot removes it when the generator has
    /// stopped (until then it reads as <see cref="JobStatus.Cancelled"/>). False when there is no such job.
    /// </summary>
    public bool Delete(string id)
    {
        var before = store.Delete(id);
        switch (before)
        {
            case null:
                return false;
            case JobStatus.Running or JobStatus.Cancelled:
                if (_running.TryGetValue(id, out var running))
                {
                    running.Cancel();
                }

                // Not yet registered by its slot: the slot sees the cancelled status right after registering.
                return true;
            default:
                data.DeleteJobFiles(id);
                return true;
        }
    }

    /// <summary>Waits until a job may be waiting or <paramref name="timeout"/> passes.</summary>
    internal Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _wake.WaitAsync(timeout, cancellationToken);

    internal void Wake() => _wake.Release();

    internal RunningJob Register(string id, CancellationToken stopping)
    {
        var running = new RunningJob(CancellationTokenSource.CreateLinkedTokenSource(stopping));
        _running[id] = running;
        return running;
    }

    internal void Unregister(string id)
    {
        if (_running.TryRemove(id, out var running))
        {
            running.Dispose();
        }
    }

    internal int RunningCount => _running.Count;
}

/// <summary>A job a slot is generating: how to stop it, and its latest progress.</summary>
internal sealed class RunningJob(CancellationTokenSource cts) : IDisposable
{
    private volatile JobProgress? _progress;

    public CancellationToken Token => cts.Token;

    /// <summary>True once the job was deleted (as opposed to the server stopping).</summary>
    public bool Deleted { get; private set; }

    public JobProgress? Progress
    {
        get => _progress;
        set => _progress = value;
    }

    public void Cancel()
    {
        Deleted = true;
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The slot finished and disposed it meanwhile.
        }
    }

    public void Dispose() => cts.Dispose();
}
