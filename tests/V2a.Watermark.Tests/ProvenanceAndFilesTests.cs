using System.Diagnostics;
using System.Text.Json.Nodes;
using V2a.Media;
using V2a.Watermark.Bench;
using V2a.Watermark.Provenance;
using Prov = V2a.Watermark.Provenance.Provenance;

namespace V2a.Watermark.Tests;

public class ProvenanceAndFilesTests
{
    private static readonly WatermarkSettings S = TestAudio.S;

    private static ProvenanceInfo Info() => new()
    {
        Version = "0.1.0",
        ModelId = "v2a-small-1",
        Prompt = "rain on a tin roof, distant thunder",
        Negative = "music",
        Seed = 42,
        GenerationId = "gen-7f3a",
        Date = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero),
        LedgerSha256 = new string('a', 64),
        WatermarkPayload = WatermarkPayload.FromIds("v2a-small-1", "gen-7f3a"),
        WatermarkKeyFingerprint = WatermarkKey.Public.Fingerprint,
    };

    private static string Ffmpeg(params string[] args)
    {
        var psi = new ProcessStartInfo(V2a.Media.Ffmpeg.FfmpegExe) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-v", "error", "-nostdin", "-y", .. args])
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
        return args[^1];
    }

    private static string Video(string name, bool withAudio = false) =>
        withAudio
            ? Ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=4", "-f", "lavfi", "-i", "anoisesrc=d=4:c=pink:a=0.1",
                "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", Path.Combine(TestAudio.TempDir, name))
            : Ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=4", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                Path.Combine(TestAudio.TempDir, name));

    [Theory]
    [InlineData(".mp4")]
    [InlineData(".mkv")]
    public void Tags_survive_muxing_into(string ext)
    {
        // Given a generated track muxed into a video with the provenance tags, ffprobe reads every field back.
        var video = Video($"in{ext}.mp4");
        var audio = Path.Combine(TestAudio.TempDir, $"gen{ext}.wav");
        AudioWriter.WriteFile(audio, TestAudio.Marked(ClipKind.Noise, seconds: 4), S.SampleRate);
        var output = Path.Combine(TestAudio.TempDir, $"out{ext}");
        Muxer.Mux(video, audio, output, new MuxOptions { Tags = Prov.BuildTags(Info()) });

        var tags = Prov.ReadTags(output);
        Assert.Equal("AI-generated audio", tags["v2a_ai_generated"]);
        Assert.Equal("rain on a tin roof, distant thunder", tags["v2a_prompt"]);
        Assert.Equal("music", tags["v2a_negative_prompt"]);
        Assert.Equal("42", tags["v2a_seed"]);
        Assert.Equal("gen-7f3a", tags["v2a_generation_id"]);
        Assert.Equal("v2a-small-1", tags["v2a_model"]);
        Assert.Equal("0.1.0", tags["v2a_version"]);
        Assert.Equal("2026-11-25T12:00:00Z", tags["v2a_date"]);
        Assert.Equal("v2a", tags["v2a_tool"]);
        Assert.Equal(Prov.AiGeneratedLabel, Prov.Read(output).AiGenerated ? Prov.AiGeneratedLabel : "");
    }

    [Fact]
    public void Manifest_says_composite_for_video_and_binds_both_files()
    {
        var input = Video("manifest-in.mp4");
        var audio = Path.Combine(TestAudio.TempDir, "manifest-gen.wav");
        AudioWriter.WriteFile(audio, TestAudio.Marked(ClipKind.Noise, seconds: 4), S.SampleRate);
        var output = Path.Combine(TestAudio.TempDir, "manifest-out.mp4");
        Muxer.Mux(input, audio, output);

        var path = Prov.WriteManifest(output, Info(), input);

        Assert.Equal(output + ".c2pa.json", path);
        var m = JsonNode.Parse(File.ReadAllText(path))!;
        var action = m["assertions"]![0]!["data"]!["actions"]![0]!;
        Assert.Equal("c2pa.actions", m["assertions"]![0]!["label"]!.GetValue<string>());
        Assert.Equal("c2pa.created", action["action"]!.GetValue<string>());
        Assert.Equal(Prov.CompositeWithTrainedAlgorithmicMedia, action["digitalSourceType"]!.GetValue<string>());
        Assert.Equal(Prov.Sha256File(output), m["output"]!["hash"]!["hash"]!.GetValue<string>());
        Assert.Contains(Prov.Sha256File(input), m.ToJsonString());
        Assert.Contains(new string('a', 64), m.ToJsonString());
        Assert.True(Prov.Read(output).OutputHashMatches);

        // A hash the caller already has (one input, several candidates) is recorded as given, not recomputed.
        var given = JsonNode.Parse(File.ReadAllText(Prov.WriteManifest(output, Info(), input, hasVideo: true, inputSha256: new string('b', 64))))!;
        Assert.Contains(new string('b', 64), given.ToJsonString());
        Assert.DoesNotContain(Prov.Sha256File(input), given.ToJsonString());

        // When the output changes after the manifest was written, show says so.
        File.AppendAllText(output, "x");
        Assert.False(Prov.Read(output).OutputHashMatches);
    }

    [Fact]
    public void Manifest_says_trained_algorithmic_media_for_audio_alone_and_records_a_disabled_mark()
    {
        var output = Path.Combine(TestAudio.TempDir, "alone.wav");
        AudioWriter.WriteFile(output, TestAudio.Clip(ClipKind.Noise, seconds: 4), S.SampleRate);
        var m = JsonNode.Parse(File.ReadAllText(Prov.WriteManifest(output, Info() with { WatermarkEnabled = false }, null)))!;
        Assert.Equal(Prov.TrainedAlgorithmicMedia, m["assertions"]![0]!["data"]!["actions"]![0]!["digitalSourceType"]!.GetValue<string>());
        Assert.False(m["assertions"]![2]!["data"]!["enabled"]!.GetValue<bool>());
        Assert.Contains("off", Prov.BuildTags(Info() with { WatermarkEnabled = false })["v2a_watermark"]);
    }

    [Fact]
    public void Detect_answers_no_audio_for_a_silent_video()
    {
        var r = WatermarkFiles.Detect(Video("no-audio.mp4"), WatermarkKey.Public);
        Assert.Equal(Verdict.NoAudio, r.Verdict);
    }

    [Fact]
    public void Detect_names_the_file_when_it_is_garbage()
    {
        var path = Path.Combine(TestAudio.TempDir, "garbage.mp4");
        File.WriteAllBytes(path, [.. Enumerable.Range(0, 5000).Select(i => (byte)(i * 37))]);
        var e = Assert.Throws<BadInputException>(() => WatermarkFiles.Detect(path, WatermarkKey.Public));
        Assert.Contains("garbage.mp4", e.Message);
    }

    [Fact]
    public void Embed_keeps_the_rate_and_channels_and_the_mark_survives_the_file()
    {
        // Given a 44.1 kHz stereo video with audio, embed writes an MP4 whose audio is still 44.1 kHz stereo and marked.
        var input = Video("user.mp4", withAudio: true);
        var output = Path.Combine(TestAudio.TempDir, "user-marked.mp4");
        var payload = new WatermarkPayload(7, 8);
        var report = WatermarkFiles.Embed(input, output, payload, WatermarkKey.Public);
        Assert.True(report.SnrDb >= 25);
        var info = MediaProbe.Probe(output);
        Assert.NotNull(info.Video);
        Assert.Equal(MediaProbe.Probe(input).Audio[0].SampleRate, info.Audio[0].SampleRate);
        var r = WatermarkFiles.Detect(output, WatermarkKey.Public);
        Assert.Equal(Verdict.Watermarked, r.Verdict);
        Assert.Equal(Verdict.NotWatermarked, WatermarkFiles.Detect(input, WatermarkKey.Public).Verdict);
    }

    [Theory]
    [InlineData("marked.opus", 48_000)]
    [InlineData("marked.ogg", 48_000)]
    [InlineData("marked.mp3", 44_100)]
    [InlineData("marked.flac", 44_100)]
    public void Embed_writes_44k1_audio_to_every_audio_format_at_a_rate_its_codec_takes(string name, int expectedRate)
    {
        // Given 44.1 kHz audio (Opus takes only 8, 12, 16, 24 or 48 kHz)
        var input = Ffmpeg("-f", "lavfi", "-i", "anoisesrc=d=4:c=pink:r=44100:a=0.1", Path.Combine(TestAudio.TempDir, "cd-rate.wav"));
        var output = Path.Combine(TestAudio.TempDir, name);

        WatermarkFiles.Embed(input, output, new WatermarkPayload(7, 8), WatermarkKey.Public);

        Assert.Equal(expectedRate, Assert.Single(MediaProbe.Probe(output).Audio).SampleRate);
        Assert.Equal(Verdict.Watermarked, WatermarkFiles.Detect(output, WatermarkKey.Public).Verdict);
    }

    [Fact]
    public void Embed_with_the_room_tone_marks_sparse_audio_so_that_white_noise_does_not_hide_it()
    {
        // Given knocks in digital silence (what the first layer alone marks weakly), embedded with and without --room-tone.
        var input = Path.Combine(TestAudio.TempDir, "knocks.wav");
        using (var w = new AudioWriter(input, TestAudio.S.SampleRate, AudioFileFormat.WavFloat))
        {
            w.Write(TestAudio.Clip(ClipKind.Impacts, seed: 3));
            w.Commit();
        }

        var payload = new WatermarkPayload(7, 8);
        var withTone = Path.Combine(TestAudio.TempDir, "knocks-tone.flac");
        var plain = Path.Combine(TestAudio.TempDir, "knocks-plain.flac");
        var report = WatermarkFiles.Embed(input, withTone, payload, WatermarkKey.Public, roomToneDbfs: -68);
        WatermarkFiles.Embed(input, plain, payload, WatermarkKey.Public);
        Assert.True(report.SnrDb >= 25); // the first layer's budget, counted against the audio with its tone

        // When white noise 20 dB under each file's power is laid over it
        DetectionResult Noisy(string path)
        {
            var x = AudioReader.ReadAll(path, TestAudio.S.SampleRate);
            var rng = new Random(4);
            var sigma = Math.Sqrt(x.Average(v => (double)v * v) / 100);
            return Watermarker.Detect([.. x.Select(v => v + (float)(sigma * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble())))],
                TestAudio.S.SampleRate, WatermarkKey.Public);
        }

        // Then the toned file is found by its room tone with its payload; the plain one has no tone to find.
        var toned = Noisy(withTone);
        Assert.True(toned.Detected && toned.RoomToneScore > toned.RoomToneThreshold, $"room tone {toned.RoomToneScore:0.0}");
        Assert.Equal(payload, toned.Payload);
        Assert.True(Noisy(plain).RoomToneScore < toned.RoomToneThreshold);
    }

    [Fact]
    public void Embed_into_webm_re_encodes_h264_video_and_says_so()
    {
        var input = Video("h264-with-audio.mp4", withAudio: true);
        var output = Path.Combine(TestAudio.TempDir, "marked.webm");

        var report = WatermarkFiles.Embed(input, output, new WatermarkPayload(7, 8), WatermarkKey.Public);

        Assert.Equal("libvpx-vp9", report.Video!.Encoder);
        var info = MediaProbe.Probe(output);
        Assert.Equal(("vp9", "opus", 48_000), (info.Video!.Codec, info.Audio[0].Codec, info.Audio[0].SampleRate));
        var seconds = (double)AudioReader.ReadAll(output, 16_000).Length / 16_000;
        Assert.InRange(seconds, 3.95, 4.05); // the whole 4 s track, not cut short beside the video encoder
        Assert.Equal(Verdict.Watermarked, WatermarkFiles.Detect(output, WatermarkKey.Public).Verdict);
    }
}

public class BenchFolderTests
{
    [Fact]
    public void A_folder_file_that_already_carries_a_mark_is_refused_naming_it_before_any_work()
    {
        // Given a folder of one unmarked and one marked noise clip (ordinary generate output is marked)
        var dir = Directory.CreateDirectory(Path.Combine(TestAudio.TempDir, "bench-folder-" + Guid.NewGuid().ToString("N"))).FullName;
        AudioWriter.WriteFile(Path.Combine(dir, "a-unmarked.wav"), TestAudio.Clip(ClipKind.Noise, seed: 3), TestAudio.S.SampleRate);
        var marked = Path.Combine(dir, "b-marked.wav");
        AudioWriter.WriteFile(marked, TestAudio.Marked(ClipKind.Noise, seed: 4), TestAudio.S.SampleRate);

        // When the bench is run on it
        var e = Assert.Throws<BadInputException>(() =>
            WatermarkBench.Run(new BenchOptions { Clips = 2, Unmarked = 10, Folders = [dir], Threads = 1 }, NullProgress.Instance));

        // Then it refuses the marked file by name, saying why
        Assert.Equal(marked, e.Path);
        Assert.Contains("already carries a v2a watermark", e.Reason, StringComparison.Ordinal);
    }
}
