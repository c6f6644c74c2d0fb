using System.Net;
using System.Text.Json;
using V2a.Server.Jobs;

namespace V2a.Server.Tests;

/// <summary>The queue on real Kestrel (loopback, ephemeral port): restarts lose nothing, concurrent submissions all finish once.</summary>
public sealed class DurableQueueTests : IClassFixture<TestVideosFixture>, IDisposable
{
    private readonly TestVideos _media;
    private readonly string _data = Directory.CreateTempSubdirectory("v2a-server-durable-").FullName;

    public DurableQueueTests(TestVideosFixture fixture) => _media = fixture.Media;

    public void Dispose() => ApiFactory.TryDeleteFolder(_data);

    [Fact]
    public async Task A_restart_mid_queue_reruns_the_interrupted_job_and_runs_the_queued_ones_each_finishing_once()
    {
        // Given a server with one slot, a slow generator and four jobs, the first one generating
        var slow = new ToneGenerator { DelayPerCandidate = TimeSpan.FromSeconds(20) };
        var ids = new List<string>();
        await using (var first = await LiveServer.StartAsync(_data, slow))
        {
            var client = first.Client();
            for (var i = 0; i < 4; i++)
            {
                ids.Add((await Jobs.SubmitAsync(client, _media.Video(), new() { ["seed"] = $"{i * 10}" })).Id);
            }

            await Jobs.WaitAsync(client, ids[0], j => j?.Progress is not null);

            // When the server stops (as on Ctrl+C) ...
        }

        // ... the interrupted job is back in the queue
        using (var store = new JobStore(Path.Combine(_data, "jobs.db")))
        {
            Assert.All(ids, id => Assert.Equal(JobStatus.Queued, store.Get(id)!.Status));
            Assert.Equal(1, store.Get(ids[0])!.Attempts);
        }

        // ... and it starts again
        var fast = new ToneGenerator();
        await using var second = await LiveServer.StartAsync(_data, fast);
        var client2 = second.Client();
        var finished = new List<Api.JobView>();
        foreach (var id in ids)
        {
            finished.Add((await Jobs.WaitDoneAsync(client2, id))!);
        }

        // Then every job finished, each exactly once, the interrupted one on its second attempt with its own seed
        Assert.All(finished, j => Assert.Equal("done", j.Status));
        Assert.Equal(1, slow.Cancelled[ids[0]]);
        Assert.Empty(slow.Completed);
        Assert.All(ids, id => Assert.Equal(1, fast.Completed[id]));
        Assert.Equal([2, 1, 1, 1], finished.Select(j => j.Attempts));
        Assert.Equal([0L, 10, 20, 30], finished.Select(j => j.Result!.Candidates[0].Seed));
        using var video = await client2.GetAsync(finished[0].Result!.Candidates[0].Video);
        Assert.Equal(HttpStatusCode.OK, video.StatusCode);
    }

    [Fact]
    public async Task A_job_left_running_by_a_crash_runs_again_at_the_next_start()
    {
        // Given a data folder as a crashed server leaves it: a job marked running, its upload in place
        var id = CrashedWhileRunning(attempts: 1);

        // When a server starts on it
        var generator = new ToneGenerator();
        await using var server = await LiveServer.StartAsync(_data, generator);
        var job = await Jobs.WaitDoneAsync(server.Client(), id);

        // Then the job ran to the end, once, as its second attempt
        Assert.Equal("done", job!.Status);
        Assert.Equal(2, job.Attempts);
        Assert.Equal(1, generator.Completed[id]);
    }

    [Fact]
    public async Task A_job_that_was_running_at_three_crashes_is_failed_rather_than_run_a_fourth_time()
    {
        // Given a job the server was generating when it died, three times
        var id = CrashedWhileRunning(attempts: 3);

        // When a server starts on it
        var generator = new ToneGenerator();
        await using var server = await LiveServer.StartAsync(_data, generator);
        var job = await Jobs.GetAsync(server.Client(), id);

        // Then it is failed with the reason, and not generated again
        Assert.Equal("failed", job!.Status);
        Assert.Equal("the server stopped while generating this job 3 times; it is not tried again", job.Error);
        Assert.Empty(generator.Started);
    }

    [Fact]
    public async Task Twenty_concurrent_submissions_on_loopback_all_finish_each_exactly_once()
    {
        // Given a server with two slots
        var generator = new ToneGenerator();
        await using var server = await LiveServer.StartAsync(_data, generator, concurrency: 2);
        var client = server.Client();
        var video = _media.Video();

        // When 20 clients submit at the same moment
        var submissions = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() =>
            Jobs.SubmitAsync(client, video, new() { ["seed"] = $"{i}", ["prompt"] = $"job {i}" }))));

        // Then all 20 were accepted with distinct ids, all finish, and each was generated exactly once
        var ids = submissions.Select(j => j.Id).ToList();
        Assert.Equal(20, ids.Distinct().Count());
        // (The first wait may cover nearly all 20 jobs, whatever order they are claimed in: ~40 s alone on the 2-core
        // VM, past 120 s when other work shares its cores. The limit only catches a hang.)
        foreach (var id in ids)
        {
            Assert.Equal("done", (await Jobs.WaitDoneAsync(client, id, timeoutSeconds: 600))!.Status);
        }

        Assert.Equal(20, generator.Completed.Count);
        Assert.All(ids, id => Assert.Equal(1, generator.Started[id]));
        Assert.All(ids, id => Assert.Equal(1, generator.Completed[id]));
        var list = JsonSerializer.Deserialize<List<Api.JobView>>(await client.GetStringAsync("/api/jobs?limit=100"), Jobs.Json)!;
        Assert.Equal(ids.Order(), list.Select(j => j.Id).Order());
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"job {i}").Order(), list.Select(j => j.Request.Prompt!).Order());
    }

    /// <summary>Writes a queued job with its upload, then claims it <paramref name="attempts"/> times without finishing.</summary>
    private string CrashedWhileRunning(int attempts)
    {
        using var folder = new DataFolder(_data);
        using var store = new JobStore(folder.DatabasePath);
        var id = DataFolder.NewJobId();
        Directory.CreateDirectory(folder.JobDir(id));
        File.Copy(_media.Video(), Path.Combine(folder.JobDir(id), "input.mp4"));
        store.Add(id, new JobRequest { FileName = "clip.mp4", InputFile = "input.mp4", Seed = 3, VideoSeconds = 1.2 });
        for (var i = 0; i < attempts; i++)
        {
            if (i > 0)
            {
                store.RecoverInterrupted(maxAttempts: int.MaxValue); // an earlier crash's restart
            }

            Assert.Equal(id, store.ClaimNext()!.Id);
        }

        return id;
    }
}
