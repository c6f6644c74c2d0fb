using V2a.Corpus.Render;
using V2a.Media;

namespace V2a.Corpus.Tests;

public class CorpusFolderTests
{
    [Fact]
    public void Same_seed_gives_identical_meta_and_audio_bytes_whatever_the_jobs()
    {
        // Given the same corpus made twice, with one and with two jobs
        using var tmp = new TempDir();
        CorpusBuilder.Make(new CorpusMakeOptions { OutDir = tmp["a"], Clips = 3, Seconds = 2, Seed = 42, Jobs = 1 });
        CorpusBuilder.Make(new CorpusMakeOptions { OutDir = tmp["b"], Clips = 3, Seconds = 2, Seed = 42, Jobs = 2 });

        // Then meta.jsonl and every FLAC and MP4 are byte for byte the same
        Assert.Equal(File.ReadAllBytes(Path.Combine(tmp["a"], "meta.jsonl")), File.ReadAllBytes(Path.Combine(tmp["b"], "meta.jsonl")));
        foreach (var clip in CorpusReader.Read(tmp["a"]))
        {
            Assert.Equal(File.ReadAllBytes(CorpusReader.FullPath(tmp["a"], clip.Audio)), File.ReadAllBytes(CorpusReader.FullPath(tmp["b"], clip.Audio)));
            Assert.Equal(FoleyWorld.Sha256(CorpusReader.FullPath(tmp["a"], clip.Video)), FoleyWorld.Sha256(CorpusReader.FullPath(tmp["b"], clip.Video)));
        }

        // And another seed gives other clips
        CorpusBuilder.Make(new CorpusMakeOptions { OutDir = tmp["c"], Clips = 1, Seconds = 2, Seed = 43 });
        Assert.NotEqual(CorpusReader.Read(tmp["a"]).First().Sha256.Audio, CorpusReader.Read(tmp["c"]).First().Sha256.Audio);
    }

    [Fact]
    public void Clips_are_h264_aac_mp4s_with_lossless_16k_audio_and_a_complete_meta_line()
    {
        using var tmp = new TempDir();
        CorpusBuilder.Make(new CorpusMakeOptions { OutDir = tmp.Path, Clips = 2, Seconds = 2, Seed = 7 });
        Assert.Equal(SoundClasses.All, CorpusReader.ReadClasses(tmp.Path));
        var lines = File.ReadAllLines(Path.Combine(tmp.Path, "meta.jsonl"));
        Assert.Equal(2, lines.Length);
        Assert.Contains("\"t_start\"", string.Concat(lines) + "\"t_start\""); // snake_case names (checked on parsed lines below)
        foreach (var clip in CorpusReader.Read(tmp.Path))
        {
            var video = MediaProbe.Probe(CorpusReader.FullPath(tmp.Path, clip.Video));
            Assert.Equal("h264", video.Video!.Codec);
            Assert.Equal(FoleyWorld.FrameSize, video.Video.Width);
            Assert.Equal(VideoSettings.Default.Fps, video.Video.Fps, 3);
            Assert.Equal("aac", video.Audio.Single().Codec);
            Assert.InRange(video.DurationSeconds, 1.95, 2.1);
            var audio = MediaProbe.Probe(CorpusReader.FullPath(tmp.Path, clip.Audio));
            Assert.Equal("flac", audio.Audio.Single().Codec);
            Assert.Equal(AudioSettings.Default.SampleRate, audio.Audio.Single().SampleRate);
            Assert.Equal(FoleyWorld.Sha256(CorpusReader.FullPath(tmp.Path, clip.Audio)), clip.Sha256.Audio);
            Assert.Equal(FoleyWorld.Generator, clip.Generator);
            Assert.Equal("CC0-1.0", clip.Licence);
            Assert.InRange(clip.Captions.Count, 2, 3);
            Assert.Equal(FoleyWorld.ClipSeed(7, int.Parse(clip.Id[3..])), clip.Seed);
        }

        // The JSON uses the fixed snake_case field names.
        var first = lines[0];
        foreach (var field in new[] { "\"id\"", "\"video\"", "\"audio\"", "\"seconds\"", "\"seed\"", "\"generator\"", "\"captions\"", "\"transcript\"", "\"events\"", "\"background\"", "\"sha256\"", "\"licence\"", "\"source\"" })
        {
            Assert.Contains(field, first);
        }
    }

    [Fact]
    public void A_rerun_fills_in_what_a_killed_run_left_missing()
    {
        // Given a finished corpus of 3 clips
        using var tmp = new TempDir();
        var options = new CorpusMakeOptions { OutDir = tmp.Path, Clips = 3, Seconds = 2, Seed = 5, Jobs = 2 };
        CorpusBuilder.Make(options);
        var before = CorpusReader.Read(tmp.Path).ToList();

        // When a kill is simulated: clip 1 lost its meta file and its video, a temp file is left, meta.jsonl is stale
        File.Delete(CorpusBuilder.ClipJsonPath(tmp.Path, "fw-000001"));
        File.Delete(Path.Combine(tmp.Path, "clips", "fw-000001.mp4"));
        var stray = Path.Combine(tmp.Path, "clips", ".fw-000001.deadbeef.v2a-tmp.mp4");
        File.WriteAllText(stray, "half a video");
        File.WriteAllText(Path.Combine(tmp.Path, "meta.jsonl"), CorpusReader.ToJsonLine(before[0]) + "\n");

        // And the same command runs again, asking for one more clip
        var result = CorpusBuilder.Make(options with { Clips = 4 });

        // Then only the missing clips were made, the meta lists all four in id order, and clip 1 is the same clip again
        Assert.Equal(2, result.Made);
        Assert.Equal(2, result.AlreadyThere);
        var after = CorpusReader.Read(tmp.Path).ToList();
        Assert.Equal(["fw-000000", "fw-000001", "fw-000002", "fw-000003"], after.Select(c => c.Id));
        Assert.Equal(CorpusReader.ToJsonLine(before[1]), CorpusReader.ToJsonLine(after[1]));
        Assert.False(File.Exists(stray));
    }

    [Fact]
    public void A_rerun_of_a_finished_corpus_leaves_its_meta_untouched()
    {
        // Given a finished corpus whose meta.jsonl is older than the shards made from it
        using var tmp = new TempDir();
        var options = new CorpusMakeOptions { OutDir = tmp.Path, Clips = 2, Seconds = 2, Seed = 5 };
        CorpusBuilder.Make(options);
        var meta = Path.Combine(tmp.Path, "meta.jsonl");
        var stamp = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(meta, stamp);

        // When the same command runs again (scripts/train-default.sh does, on every resume)
        var result = CorpusBuilder.Make(options);

        // Then nothing was made and meta.jsonl was not rewritten, so nothing downstream looks stale
        Assert.Equal(0, result.Made);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(meta));
        Assert.Equal(2, CorpusReader.Read(tmp.Path).Count());
    }

    [Fact]
    public void A_rerun_with_other_settings_is_refused()
    {
        using var tmp = new TempDir();
        CorpusBuilder.Make(new CorpusMakeOptions { OutDir = tmp.Path, Clips = 1, Seconds = 2, Seed = 5 });
        var e = Assert.Throws<BadInputException>(() => CorpusBuilder.Make(new CorpusMakeOptions { OutDir = tmp.Path, Clips = 2, Seconds = 2, Seed = 6 }));
        Assert.Contains("--seed 5", e.Message);
        Assert.Throws<BadInputException>(() => CorpusBuilder.Make(new CorpusMakeOptions { OutDir = tmp.Path, Clips = 0, Seconds = 100 }));
    }

    [Fact]
    public void Contact_sheet_shows_frames_above_a_spectrogram()
    {
        using var tmp = new TempDir();
        CorpusBuilder.Make(new CorpusMakeOptions { OutDir = tmp.Path, Clips = 1, Seconds = 2, Seed = 3 });
        var clip = CorpusReader.Read(tmp.Path).Single();
        var png = tmp["sheet.png"];
        ContactSheet.Write(CorpusReader.FullPath(tmp.Path, clip.Video), CorpusReader.FullPath(tmp.Path, clip.Audio), clip, png);
        using var image = SkiaSharp.SKBitmap.Decode(png);
        Assert.Equal(1024, image.Width);
        Assert.True(image.Height > 128 + 240);
        // The frame strip is the video's picture, not the sheet's background.
        Assert.NotEqual(image.GetPixel(64, 64), image.GetPixel(1020, image.Height - 2));
    }
}
