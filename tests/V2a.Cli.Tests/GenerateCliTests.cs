using System.Security.Cryptography;
using System.Text.Json;
using V2a.Media;
using V2a.Media.Tests;
using V2a.Watermark;

namespace V2a.Cli.Tests;

public sealed class GenerateCliTests : IClassFixture<DebugModel>, IDisposable
{
    private readonly DebugModel _model;
    private readonly TestMedia _media = new();

    public GenerateCliTests(DebugModel model) => _model = model;

    public void Dispose() => _media.Dispose();

    private CliResult Generate(params string[] args) =>
        CliProcess.Run(["generate", .. args, "--model", _model.Dir, "--steps", "2"]);

    [Fact]
    public void Scores_a_video_copying_its_video_stream_with_a_watermarked_track_of_its_length_and_provenance()
    {
        var video = _media.Video("in.mp4", seconds: 3, audio: false);
        var output = _media.PathOf("out.mp4");

        var r = Generate(video, "-o", output, "--seed", "5", "--prompt", "a ball bounces", "--transcript", "  ", "--json");

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(TestMedia.VideoPacketHash(video), TestMedia.VideoPacketHash(output));
        var info = MediaProbe.Probe(output);
        Assert.Equal("aac", Assert.Single(info.Audio).Codec);
        Assert.InRange(AudioReader.ReadAll(output, 16_000).Length / 16_000.0, 2.95, 3.05);
        var tags = TestMedia.Run("ffprobe", ["-v", "error", "-show_entries", "format_tags", "-of", "default=nw=1", output]);
        Assert.Contains("v2a_seed=5", tags);
        Assert.Contains("v2a_prompt=a ball bounces", tags);
        Assert.DoesNotContain("transcript \"", tags, StringComparison.Ordinal); // blank words are no words
        using var manifest = JsonDocument.Parse(File.ReadAllText(output + ".c2pa.json"));
        var text = manifest.RootElement.ToString();
        Assert.Contains("compositeWithTrainedAlgorithmicMedia", text);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(output))), text);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(video))), text);
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.Equal(5, json.RootElement.GetProperty("candidates")[0].GetProperty("seed").GetInt64());
        Assert.True(json.RootElement.GetProperty("realTimeFactor").GetDouble() > 0);
    }

    [Fact]
    public void Generated_audio_carries_a_detectable_watermark_with_its_payload()
    {
        var video = _media.Video("in.mp4", seconds: 6, audio: false);
        var output = _media.PathOf("out.wav");

        var r = Generate(video, "-o", output, "--seed", "2", "--json");

        Assert.True(r.ExitCode == 0, r.Stderr);
        var detection = WatermarkFiles.Detect(output, WatermarkKey.Public);
        Assert.True(detection.Detected, $"score {detection.Score}");
        using var json = JsonDocument.Parse(r.Stdout);
        var id = json.RootElement.GetProperty("generationId").GetString()!;
        var model = json.RootElement.GetProperty("modelId").GetString()!;
        if (detection.Payload is { } payload)
        {
            Assert.Equal(WatermarkPayload.FromIds(model, id), payload);
        }
    }

    [Fact]
    public void Same_seed_gives_the_same_soundtrack_and_another_seed_a_different_one()
    {
        var video = _media.Video("in.mp4", seconds: 2, audio: false);

        Assert.Equal(0, Generate(video, "-o", _media.PathOf("a.wav"), "--seed", "11", "--no-watermark").ExitCode);
        Assert.Equal(0, Generate(video, "-o", _media.PathOf("b.wav"), "--seed", "11", "--no-watermark").ExitCode);
        Assert.Equal(0, Generate(video, "-o", _media.PathOf("c.wav"), "--seed", "12", "--no-watermark").ExitCode);

        var a = AudioReader.ReadAll(_media.PathOf("a.wav"), 16_000);
        Assert.Equal(a, AudioReader.ReadAll(_media.PathOf("b.wav"), 16_000));
        Assert.NotEqual(a, AudioReader.ReadAll(_media.PathOf("c.wav"), 16_000));
        Assert.Contains("\"enabled\": false", File.ReadAllText(_media.PathOf("a.wav") + ".c2pa.json").Replace(":false", ": false"));
    }

    [Fact]
    public void Room_tone_lies_under_the_soundtrack_at_its_level_unless_turned_off()
    {
        var video = _media.Video("tone.mp4", seconds: 3, audio: false);
        var with = _media.PathOf("tone-on");
        var without = _media.PathOf("tone-off");

        Assert.Equal(0, Generate(video, "-o", with, "--seed", "4", "--no-watermark").ExitCode);
        Assert.Equal(0, Generate(video, "-o", without, "--seed", "4", "--no-watermark", "--no-room-tone").ExitCode);

        // Same seed, same soundtrack: the difference is the room tone alone, at its level (16-bit WAV rounding aside).
        var a = AudioReader.ReadAll(Path.Combine(with, "candidate-1.wav"), 16_000);
        var b = AudioReader.ReadAll(Path.Combine(without, "candidate-1.wav"), 16_000);
        Assert.Equal(a.Length, b.Length);
        var diffDb = 10 * Math.Log10(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Average());
        Assert.InRange(diffDb, V2a.Audio.RoomTone.DefaultLevelDbfs - 1, V2a.Audio.RoomTone.DefaultLevelDbfs + 1);
        using var on = JsonDocument.Parse(File.ReadAllText(Path.Combine(with, "candidate-1.json")));
        using var off = JsonDocument.Parse(File.ReadAllText(Path.Combine(without, "candidate-1.json")));
        Assert.True(on.RootElement.GetProperty("room_tone").GetBoolean());
        Assert.False(off.RootElement.GetProperty("room_tone").GetBoolean());

        // And the provenance manifest says what was added under the sound
        string RoomTone(string folder) => JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "candidate-1.wav.c2pa.json")))
            .RootElement.ToString();
        Assert.Contains("\"roomToneDbfs\":-68", RoomTone(with).Replace(" ", ""), StringComparison.Ordinal);
        Assert.Contains("\"roomToneDbfs\":null", RoomTone(without).Replace(" ", ""), StringComparison.Ordinal);
    }

    [Fact]
    public void A_watermarked_soundtrack_has_the_keyed_room_tone_and_an_unmarked_one_a_plain_one()
    {
        var video = _media.Video("keyed.mp4", seconds: 3, audio: false);
        Assert.Equal(0, Generate(video, "-o", _media.PathOf("marked.wav"), "--seed", "5").ExitCode);
        Assert.Equal(0, Generate(video, "-o", _media.PathOf("plain.wav"), "--seed", "5", "--no-watermark").ExitCode);

        // The keyed room tone alone would decide (its score far above its threshold); the plain one scores like chance.
        var marked = WatermarkFiles.Detect(_media.PathOf("marked.wav"), WatermarkKey.Public);
        var plain = WatermarkFiles.Detect(_media.PathOf("plain.wav"), WatermarkKey.Public);
        Assert.True(marked.RoomToneScore > 3 * marked.RoomToneThreshold, $"room tone {marked.RoomToneScore:0.0}");
        Assert.True(plain.RoomToneScore < 6.5, $"room tone {plain.RoomToneScore:0.0}");
        Assert.False(plain.Detected);

        // And each manifest says which room tone lies under its soundtrack
        string Manifest(string file) => File.ReadAllText(_media.PathOf(file) + ".c2pa.json").Replace(" ", "");
        Assert.Contains("\"keyedRoomTone\":true", Manifest("marked.wav"), StringComparison.Ordinal);
        Assert.Contains("\"keyedRoomTone\":false", Manifest("plain.wav"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_output_holds_each_candidate_as_video_audio_and_settings()
    {
        var video = _media.Video("in.mkv", seconds: 2);
        var folder = _media.PathOf("cands");

        var r = Generate(video, "-o", folder, "--candidates", "2", "--seed", "7", "--original", "track");

        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var k in new[] { 1, 2 })
        {
            var stem = Path.Combine(folder, $"candidate-{k}");
            // The input's container is kept (Matroska: Opus audio), the original audio as a second track.
            var audio = MediaProbe.Probe(stem + ".mkv").Audio;
            Assert.Equal(2, audio.Count);
            Assert.Equal("opus", audio[0].Codec);
            Assert.True(File.Exists(stem + ".wav"));
            // Every candidate's manifests, video and audio, bind the one input.
            var inputHash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(video)));
            Assert.Contains(inputHash, File.ReadAllText(stem + ".mkv.c2pa.json"));
            Assert.Contains(inputHash, File.ReadAllText(stem + ".wav.c2pa.json"));
            using var settings = JsonDocument.Parse(File.ReadAllText(stem + ".json"));
            Assert.Equal(7 + k - 1, settings.RootElement.GetProperty("seed").GetInt64());
        }
    }

    [Fact]
    public void A_video_the_container_cannot_hold_is_re_encoded_with_a_note_not_a_failure()
    {
        // Given an animated GIF (no .mp4 holds gif video)
        var gif = _media.Make("in.gif", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=2");
        var file = _media.PathOf("gif.mp4");
        var folder = _media.PathOf("gif-cands");

        // When it is scored into an .mp4 and into a folder
        var r = Generate(gif, "-o", file, "--seed", "1");
        var f = Generate(gif, "-o", folder, "--seed", "1");

        // Then both succeed with H.264 video and the soundtrack, and the note says why the video was re-encoded
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("note: gif video re-encoded with libx264 (.mp4 cannot hold gif)", r.Stdout, StringComparison.Ordinal);
        Assert.True(f.ExitCode == 0, f.Stderr);
        foreach (var path in new[] { file, Path.Combine(folder, "candidate-1.mp4") })
        {
            var info = MediaProbe.Probe(path);
            Assert.Equal("h264", info.Video!.Codec);
            Assert.Equal("aac", Assert.Single(info.Audio).Codec);
        }
    }

    [Fact]
    public void A_folder_of_videos_is_scored_into_a_folder_reporting_bad_files_and_resuming_where_it_stopped()
    {
        // Given a folder with two videos, a broken one and a text file
        var inDir = Directory.CreateDirectory(_media.PathOf("batch-in")).FullName;
        File.Copy(_media.Video("one.mp4", seconds: 1, audio: false), Path.Combine(inDir, "one.mp4"));
        File.Copy(_media.Video("two.mkv", seconds: 1, audio: false), Path.Combine(inDir, "two.mkv"));
        File.Copy(_media.Bad("random"), Path.Combine(inDir, "broken.mp4"));
        File.WriteAllText(Path.Combine(inDir, "notes.txt"), "shot list");
        File.WriteAllText(Path.Combine(inDir, "one.transcript.txt"), "Catch the ball!\n");
        File.WriteAllText(Path.Combine(inDir, "two.prompt.txt"), "waves on rocks, gulls\n");
        File.WriteAllText(Path.Combine(inDir, "two.negative.txt"), "music");
        var outDir = _media.PathOf("batch-out");

        // When it is scored into a new folder with one prompt for all
        var first = Generate(inDir, "-o", outDir, "--seed", "5", "--prompt", "a ball bounces");

        // Then both videos are written with their manifests, the broken file gets one line and exit 2, the text is left alone
        Assert.Equal(ExitCodes.BadInput, first.ExitCode);
        var failure = Assert.Single(first.Stderr.Split('\n'), l => l.StartsWith("v2a: ", StringComparison.Ordinal));
        Assert.Contains("broken.mp4", failure, StringComparison.Ordinal);
        Assert.Contains("3 video(s): 2 generated, 0 done before, 1 failed", first.Stdout, StringComparison.Ordinal);
        Assert.Contains("4 other file(s) left alone", first.Stdout, StringComparison.Ordinal);
        string[] outputs = ["one.mp4", "one.mp4.c2pa.json", "two.mkv", "two.mkv.c2pa.json"];
        Assert.Equal(outputs, Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("opus", Assert.Single(MediaProbe.Probe(Path.Combine(outDir, "two.mkv")).Audio).Codec);

        // And the files beside a video gave it its own words, prompt and negative prompt; the option gave the rest
        using var one = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "one.mp4.c2pa.json")));
        using var two = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "two.mkv.c2pa.json")));
        string? Setting(JsonDocument manifest, string name) => manifest.RootElement.GetProperty("assertions")[0].GetProperty("data")
            .GetProperty("actions")[0].GetProperty("parameters").GetProperty(name).GetString();
        Assert.Equal(("Catch the ball!", "a ball bounces", null), (Setting(one, "transcript"), Setting(one, "prompt"), Setting(one, "negativePrompt")));
        Assert.Equal((null, "waves on rocks, gulls", "music"), (Setting(two, "transcript"), Setting(two, "prompt"), Setting(two, "negativePrompt")));

        // When one output is lost (as if interrupted before it) and the same command runs again
        var kept = File.GetLastWriteTimeUtc(Path.Combine(outDir, "one.mp4"));
        File.Delete(Path.Combine(outDir, "two.mkv"));
        var again = Generate(inDir, "-o", outDir, "--seed", "5", "--prompt", "a ball bounces");

        // Then only the missing one is made again; the finished one is left as it was
        Assert.Contains("3 video(s): 1 generated, 1 done before, 1 failed", again.Stdout, StringComparison.Ordinal);
        Assert.Equal(kept, File.GetLastWriteTimeUtc(Path.Combine(outDir, "one.mp4")));
        Assert.True(File.Exists(Path.Combine(outDir, "two.mkv")));

        // And writing into the input folder, or into a file, is refused before any work
        Assert.Equal(ExitCodes.BadInput, Generate(inDir, "-o", inDir).ExitCode);
        Assert.Equal(ExitCodes.BadInput, Generate(inDir, "-o", Path.Combine(inDir, "one.mp4")).ExitCode);
        var toFile = Generate(inDir, "-o", _media.PathOf("all.mp4"));
        Assert.Equal(ExitCodes.BadInput, toFile.ExitCode);
        Assert.StartsWith($"v2a: {inDir}: is a folder: its videos are scored into a folder (-o FOLDER)", toFile.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_media.PathOf("all.mp4")));
    }

    [Fact]
    public void Sigterm_stops_a_generation_cleanly_with_exit_130_leaving_no_file()
    {
        // Given a generation long enough to be caught in the middle (30 s, 100 steps)
        var video = _media.Video("long.mp4", seconds: 30, audio: false);
        var outDir = Directory.CreateDirectory(_media.PathOf("out-term")).FullName;
        var before = Directory.GetDirectories(Path.GetTempPath(), "v2a-gen-*").ToHashSet();

        // When it is sent SIGTERM once sampling has started
        var r = CliProcess.RunAndTerminate(["generate", video, "-o", Path.Combine(outDir, "out.mp4"), "--model", _model.Dir, "--steps", "100"], "generating");

        // Then it stops with exit 130 and one line saying so, and leaves no output, temporary file or scratch folder
        Assert.True(r.ExitCode == ExitCodes.Interrupted, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains("v2a: interrupted", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(outDir));
        Assert.DoesNotContain(Directory.GetDirectories(Path.GetTempPath(), "v2a-gen-*"), d => !before.Contains(d));
    }

    [Fact]
    public void The_prompts_their_strengths_and_a_transcript_are_recorded_and_a_bad_strength_is_refused()
    {
        var video = _media.Video("neg.mp4", seconds: 2);
        var folder = _media.PathOf("neg-cands");

        var r = Generate(video, "-o", folder, "--prompt", "knock", "--prompt-strength", "0.75", "--negative", "rain", "--negative-strength", "2.5",
            "--transcript", "See you at noon.", "--seed", "3");

        Assert.True(r.ExitCode == 0, r.Stderr);
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "candidate-1.json")));
        Assert.Equal("rain", settings.RootElement.GetProperty("negative").GetString());
        Assert.Equal(2.5, settings.RootElement.GetProperty("negative_strength").GetDouble());
        Assert.Equal(0.75, settings.RootElement.GetProperty("prompt_strength").GetDouble());
        Assert.Equal("See you at noon.", settings.RootElement.GetProperty("transcript").GetString());
        var audio = Assert.Single(Directory.GetFiles(folder, "*.wav"));
        var tags = TestMedia.Run("ffprobe", ["-v", "error", "-show_entries", "format_tags", "-of", "default=nw=1", audio]);
        Assert.Contains("See you at noon.", tags, StringComparison.Ordinal);
        Assert.Contains("See you at noon.", File.ReadAllText(audio + ".c2pa.json"), StringComparison.Ordinal);

        var bad = Generate(video, "-o", _media.PathOf("neg-bad.wav"), "--negative", "rain", "--negative-strength", "-1");
        Assert.Equal(ExitCodes.BadInput, bad.ExitCode);
        Assert.Contains("--negative-strength", bad.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_media.PathOf("neg-bad.wav")));

        var badPrompt = Generate(video, "-o", _media.PathOf("prompt-bad.wav"), "--prompt", "knock", "--prompt-strength", "30");
        Assert.Equal(ExitCodes.BadInput, badPrompt.ExitCode);
        Assert.Contains("--prompt-strength", badPrompt.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_media.PathOf("prompt-bad.wav")));
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("random")]
    [InlineData("text")]
    [InlineData("truncated")]
    [InlineData("missing")]
    [InlineData("folder")]
    [InlineData("audio-only")]
    [InlineData("short")]
    [InlineData("tiny")]
    public void Bad_videos_give_one_line_exit_2_and_write_nothing(string kind)
    {
        var input = kind switch
        {
            "audio-only" => _media.Make("tone.m4a", "-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac"),
            "short" => _media.Make("short.mp4", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=0.2", "-c:v", "libx264"),
            "tiny" => _media.Make("tiny.mkv", "-f", "lavfi", "-i", "color=red:size=16x16:rate=25:duration=1,scale=1:1", "-c:v", "ffv1"),
            _ => _media.Bad(kind),
        };
        var outDir = Directory.CreateDirectory(_media.PathOf($"out-{kind}")).FullName;

        var r = Generate(input, "-o", Path.Combine(outDir, "out.mp4"));

        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.StartsWith($"v2a: {input}: ", Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Empty(Directory.GetFileSystemEntries(outDir));
    }

    [Theory]
    [InlineData("missing-folder")]
    [InlineData("read-only")]
    [InlineData("bad-extension")]
    public void Unwritable_outputs_are_refused_before_any_work(string kind)
    {
        var video = _media.Video("in.mp4", seconds: 1, audio: false);
        var output = kind switch
        {
            "missing-folder" => _media.PathOf("no/such/folder/out.mp4"),
            "read-only" => "/proc/v2a-out.mp4", // a folder nobody, root included, can create files in
            _ => _media.PathOf("out.avi"),
        };

        var r = Generate(video, "-o", output);

        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.StartsWith($"v2a: {output}: ", r.Stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void A_missing_model_is_a_clear_error()
    {
        var video = _media.Video("in.mp4", seconds: 1, audio: false);

        var r = CliProcess.Run("generate", video, "-o", _media.PathOf("out.mp4"), "--model", _media.PathOf("nomodel"));

        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.Contains("not a model package", r.Stderr);
    }
}
