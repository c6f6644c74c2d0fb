using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using V2a.Media;
using V2a.Media.Tests;

namespace V2a.Server.Tests;

/// <summary>The job API on the ASP.NET Core test host: create, read, download, delete, queue order, progress.</summary>
public sealed class JobsApiTests : IClassFixture<TestVideosFixture>
{
    private readonly TestVideos _media;

    public JobsApiTests(TestVideosFixture fixture) => _media = fixture.Media;

    [Fact]
    public async Task Creates_a_job_and_serves_each_candidates_video_audio_manifest_and_waveform()
    {
        // Given a server and a 1.2 s silent video
        using var factory = new ApiFactory();
        var client = factory.ApiClient();
        var video = _media.Video();

        // When a job with two candidates and seed 5 is submitted and finishes
        using var response = await client.PostAsync("/api/jobs", Jobs.Form(video, new() { ["prompt"] = "rain on a tin roof", ["transcript"] = "Mind the gap.", ["candidates"] = "2", ["seed"] = "5" }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = JsonSerializer.Deserialize<Api.JobView>(await response.Content.ReadAsStringAsync(), Jobs.Json)!;
        Assert.Equal($"/api/jobs/{created.Id}", response.Headers.Location!.OriginalString);
        Assert.Equal("queued", created.Status);
        Assert.Equal("rain on a tin roof", created.Request.Prompt);
        Assert.Equal("Mind the gap.", created.Request.Transcript);
        var done = (await Jobs.WaitDoneAsync(client, created.Id))!;

        // Then it is done with two candidates, seeds 5 and 6, each with its files
        Assert.Equal("done", done.Status);
        Assert.Equal(1, done.Attempts);
        Assert.Equal(1.2, done.Request.VideoSeconds, 1);
        Assert.Equal([5L, 6L], done.Result!.Candidates.Select(c => c.Seed));
        var c1 = done.Result.Candidates[1];

        using var videoResponse = await client.GetAsync(c1.Video);
        Assert.Equal("video/mp4", videoResponse.Content.Headers.ContentType!.MediaType);
        var downloaded = Path.Combine(_media.Dir, $"{created.Id}-1.mp4");
        await File.WriteAllBytesAsync(downloaded, await videoResponse.Content.ReadAsByteArrayAsync());
        var muxed = MediaProbe.Probe(downloaded);
        Assert.NotNull(muxed.Video);
        Assert.Single(muxed.Audio); // the generated soundtrack, muxed in

        using var audio = await client.GetAsync(c1.Audio);
        Assert.Equal("audio/wav", audio.Content.Headers.ContentType!.MediaType);
        Assert.Equal("RIFF"u8.ToArray(), (await audio.Content.ReadAsByteArrayAsync())[..4]);

        using var manifest = JsonDocument.Parse(await client.GetStringAsync(c1.Manifest));
        Assert.Equal(6, manifest.RootElement.GetProperty("seed").GetInt64());
        Assert.Equal("rain on a tin roof", manifest.RootElement.GetProperty("prompt").GetString());
        Assert.Equal("Mind the gap.", manifest.RootElement.GetProperty("transcript").GetString()); // reached the generator

        using var waveform = await client.GetAsync(c1.Waveform);
        Assert.Equal("image/png", waveform.Content.Headers.ContentType!.MediaType);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, (await waveform.Content.ReadAsByteArrayAsync())[..4]);
    }

    [Fact]
    public async Task Room_tone_is_on_unless_the_form_turns_it_off()
    {
        using var factory = new ApiFactory();
        var client = factory.ApiClient();

        var plain = await Jobs.SubmitAsync(client, _media.Video());
        var off = await Jobs.SubmitAsync(client, _media.Video(), new() { ["room_tone"] = "false" });
        await Jobs.WaitDoneAsync(client, plain.Id);
        var done = (await Jobs.WaitDoneAsync(client, off.Id))!;

        Assert.True(plain.Request.RoomTone);
        Assert.False(done.Request.RoomTone);
        Assert.True(factory.Tone.Options[plain.Id].RoomTone);
        Assert.False(factory.Tone.Options[off.Id].RoomTone);
    }

    [Fact]
    public async Task Serves_downloads_as_attachments_and_video_in_byte_ranges()
    {
        // Given a finished job
        using var factory = new ApiFactory();
        var client = factory.ApiClient();
        var job = await Jobs.SubmitAsync(client, _media.Video());
        var video = (await Jobs.WaitDoneAsync(client, job.Id))!.Result!.Candidates[0].Video!;

        // When the video is asked for as a download, and in a byte range as a <video> element asks
        using var download = await client.GetAsync(video + "?download=1");
        using var rangeRequest = new HttpRequestMessage(HttpMethod.Get, video);
        rangeRequest.Headers.Range = new RangeHeaderValue(0, 99);
        using var range = await client.SendAsync(rangeRequest);

        // Then the download is an attachment with a server-made name, and the range is a 206 of 100 bytes
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal($"v2a-{job.Id[..8]}-0-video.mp4", download.Content.Headers.ContentDisposition.FileNameStar ?? download.Content.Headers.ContentDisposition.FileName);
        Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
        Assert.Equal(100, (await range.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task Stores_the_upload_under_a_server_made_name_whatever_the_client_calls_it()
    {
        // Given a file name that tries to leave the data folder
        using var factory = new ApiFactory();
        var client = factory.ApiClient();

        // When it is submitted
        using var response = await client.PostAsync("/api/jobs", Jobs.Form(_media.Video(), fileName: "../../../etc/evil name.mp4"));
        var job = JsonSerializer.Deserialize<Api.JobView>(await response.Content.ReadAsStringAsync(), Jobs.Json)!;

        // Then the job folder holds "input.mp4", and the name is kept for display only, without its folders
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("evil name.mp4", job.Request.FileName);
        Assert.Equal(["input.mp4"], Directory.GetFiles(Path.Combine(factory.DataDir, "jobs", job.Id)).Select(Path.GetFileName));
        Assert.False(File.Exists(Path.Combine(factory.DataDir, "..", "..", "etc", "evil name.mp4")));
    }

    [Fact]
    public async Task Takes_a_gif_and_serves_its_candidate_as_h264_mp4()
    {
        // Given an animated GIF (no MP4 can hold gif video, so the muxer re-encodes it)
        using var factory = new ApiFactory();
        var client = factory.ApiClient();
        var gif = Path.Combine(_media.Dir, "loop.gif");
        TestMedia.Run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=80x60:rate=10:duration=1.2", gif]);

        // When it is submitted and finishes
        using var response = await client.PostAsync("/api/jobs", Jobs.Form(gif, fileName: "loop.gif"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = JsonSerializer.Deserialize<Api.JobView>(await response.Content.ReadAsStringAsync(), Jobs.Json)!;
        var done = (await Jobs.WaitDoneAsync(client, created.Id))!;

        // Then its candidate is an H.264 MP4 with the soundtrack
        Assert.Equal("done", done.Status);
        var downloaded = Path.Combine(_media.Dir, $"{created.Id}.mp4");
        await File.WriteAllBytesAsync(downloaded, await client.GetByteArrayAsync(done.Result!.Candidates[0].Video));
        var info = MediaProbe.Probe(downloaded);
        Assert.Equal("h264", info.Video!.Codec);
        Assert.Single(info.Audio);
    }

    [Fact]
    public async Task Reports_queue_positions_and_live_progress_with_one_slot()
    {
        // Given one slot and a generator held at its first progress report
        using var gate = new ManualResetEventSlim(false);
        using var factory = new ApiFactory(new ToneGenerator { Gate = gate });
        var client = factory.ApiClient();
        var video = _media.Video();

        // When three jobs are submitted
        var first = await Jobs.SubmitAsync(client, video);
        var second = await Jobs.SubmitAsync(client, video);
        var third = await Jobs.SubmitAsync(client, video);
        var running = await Jobs.WaitAsync(client, first.Id, j => j?.Status == "running" && j.Progress is not null);

        // Then the first runs with its progress shown, the others wait in order
        Assert.Equal("generating", running!.Progress!.Stage);
        Assert.Equal(0, running.Progress.Done);
        Assert.Equal(1, running.Progress.Total);
        Assert.Null(running.QueuePosition);
        Assert.Equal(1, (await Jobs.GetAsync(client, second.Id))!.QueuePosition);
        Assert.Equal(2, (await Jobs.GetAsync(client, third.Id))!.QueuePosition);

        // And once released, all three finish, in submission order
        gate.Set();
        var finished = new List<Api.JobView>();
        foreach (var id in new[] { first.Id, second.Id, third.Id })
        {
            finished.Add((await Jobs.WaitDoneAsync(client, id))!);
        }

        Assert.All(finished, j => Assert.Equal("done", j.Status));
        Assert.True(finished[0].Finished <= finished[1].Started && finished[1].Finished <= finished[2].Started);
    }

    [Fact]
    public async Task Lists_jobs_newest_first()
    {
        // Given two submitted jobs
        using var factory = new ApiFactory();
        var client = factory.ApiClient();
        var a = await Jobs.SubmitAsync(client, _media.Video(), new() { ["prompt"] = "first" });
        var b = await Jobs.SubmitAsync(client, _media.Video(), new() { ["prompt"] = "second" });

        // When the list is read
        var list = JsonSerializer.Deserialize<List<Api.JobView>>(await client.GetStringAsync("/api/jobs"), Jobs.Json)!;

        // Then the newest comes first
        Assert.Equal([b.Id, a.Id], list.Select(j => j.Id));
    }

    [Fact]
    public async Task Deleting_a_running_job_cancels_the_generation_and_removes_its_files()
    {
        // Given a job whose generation takes 30 s
        using var factory = new ApiFactory(new ToneGenerator { DelayPerCandidate = TimeSpan.FromSeconds(30) });
        var client = factory.ApiClient();
        var job = await Jobs.SubmitAsync(client, _media.Video());
        await Jobs.WaitAsync(client, job.Id, j => j?.Progress is not null); // the generator has started

        // When it is deleted
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var response = await client.DeleteAsync($"/api/jobs/{job.Id}");

        // Then the generator is cancelled, the job is gone, and so is its folder, well before the 30 s are over
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await Jobs.WaitAsync(client, job.Id, j => j is null);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"deletion took {clock.Elapsed}");
        Assert.Equal(1, factory.Tone.Cancelled.GetValueOrDefault(job.Id));
        Assert.False(factory.Tone.Completed.ContainsKey(job.Id));
        Assert.False(Directory.Exists(Path.Combine(factory.DataDir, "jobs", job.Id)));
    }

    [Fact]
    public async Task Deleting_a_queued_job_removes_it_before_it_runs()
    {
        // Given one slot held by a first job, and a second job queued behind it
        using var gate = new ManualResetEventSlim(false);
        using var factory = new ApiFactory(new ToneGenerator { Gate = gate });
        var client = factory.ApiClient();
        var first = await Jobs.SubmitAsync(client, _media.Video());
        var queued = await Jobs.SubmitAsync(client, _media.Video());
        await Jobs.WaitAsync(client, first.Id, j => j?.Status == "running");

        // When the queued one is deleted and the slot freed
        using var response = await client.DeleteAsync($"/api/jobs/{queued.Id}");
        gate.Set();
        await Jobs.WaitDoneAsync(client, first.Id);

        // Then it never ran and left nothing behind; deleting it again is a 404
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Null(await Jobs.GetAsync(client, queued.Id));
        Assert.False(factory.Tone.Started.ContainsKey(queued.Id));
        Assert.False(Directory.Exists(Path.Combine(factory.DataDir, "jobs", queued.Id)));
        using var again = await client.DeleteAsync($"/api/jobs/{queued.Id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Deleting_a_finished_job_removes_its_downloads()
    {
        // Given a finished job
        using var factory = new ApiFactory();
        var client = factory.ApiClient();
        var job = await Jobs.SubmitAsync(client, _media.Video());
        var video = (await Jobs.WaitDoneAsync(client, job.Id))!.Result!.Candidates[0].Video!;

        // When it is deleted
        using var response = await client.DeleteAsync($"/api/jobs/{job.Id}");

        // Then its files are no longer served
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        using var gone = await client.GetAsync(video);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(factory.DataDir, "jobs", job.Id)));
    }

    [Fact]
    public async Task A_generator_error_fails_the_job_with_a_reason_that_names_the_users_file_not_the_servers_paths()
    {
        // Given a generator that refuses the video with a user-facing reason
        using var factory = new ApiFactory(new FailingGenerator());
        var client = factory.ApiClient();

        // When a job runs
        using var response = await client.PostAsync("/api/jobs", Jobs.Form(_media.Video(), fileName: "holiday.mp4"));
        var job = JsonSerializer.Deserialize<Api.JobView>(await response.Content.ReadAsStringAsync(), Jobs.Json)!;
        var failed = (await Jobs.WaitDoneAsync(client, job.Id))!;

        // Then it failed with the generator's one-line reason, naming the user's file, without the data folder
        Assert.Equal("failed", failed.Status);
        Assert.Equal("holiday.mp4: the video is too dark to score", failed.Error);
        Assert.DoesNotContain(factory.DataDir, failed.Error);
    }

    private sealed class FailingGenerator : Generation.ISoundtrackGenerator
    {
        public Engine.GenerateResult Generate(Engine.GenerateOptions options, IProgressSink progress, CancellationToken cancellationToken) =>
            throw new BadInputException(options.InputPath, "the video is too dark to score");
    }
}

/// <summary>One set of test videos per test class.</summary>
public sealed class TestVideosFixture : IDisposable
{
    public TestVideos Media { get; } = new();

    public void Dispose() => Media.Dispose();
}
