using TorchSharp;
using V2a.Model.Conditions;
using V2a.Model.Data;
using static TorchSharp.torch;

namespace V2a.Model.Tests.Data;

/// <summary>One prepared synthetic corpus shared by the data tests (preparing costs a few seconds of ffmpeg).</summary>
public sealed class PreparedCorpusFixture : IDisposable
{
    public PreparedCorpusFixture()
    {
        TorchRuntime.Initialise();
        Root = TestSupport.TempDir("data");
        Clips = SyntheticCorpus.Make(count: 10, seconds: 2.56, eventsPerClip: 3);
        CorpusDir = SyntheticCorpus.Write(Path.Combine(Root, "corpus"), Clips);
        ShardsDir = Path.Combine(Root, "shards");
        Manifest = DataPreparer.Prepare(new DataPrepareOptions
        {
            CorpusDir = CorpusDir, OutDir = ShardsDir, ValFraction = 0.2, FrameSize = 16, ClipsPerShard = 4, TextMaxTokens = 12,
        }, NullProgress.Instance);
    }

    public string Root { get; }

    public List<SyntheticCorpus.Clip> Clips { get; }

    public string CorpusDir { get; }

    public string ShardsDir { get; }

    public ShardManifest Manifest { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

public class DataPrepareTests(PreparedCorpusFixture fixture) : IClassFixture<PreparedCorpusFixture>
{
    [Fact]
    public void Splits_by_clip_id_and_records_both_sides()
    {
        // Given a 10-clip corpus prepared with val=0.2
        var m = fixture.Manifest;
        var train = m.ClipIds("train").ToHashSet();
        var val = m.ClipIds("val").ToHashSet();

        // Then every clip is on exactly one side, the rule decides the side, and only training clips are in the ledger
        Assert.Equal(10, train.Count + val.Count);
        Assert.Empty(train.Intersect(val));
        Assert.NotEmpty(val);
        var byRule = fixture.Clips.Select(c => c.Id).Where(id => ShardManifest.IsValidation(id, 0.2)).ToHashSet();
        if (byRule.Count > 0)
        {
            Assert.Equal(byRule.Order(), val.Order());
        }
        else
        {
            Assert.Single(val); // the rule held out nothing: the fallback holds out one clip
        }

        var ledger = File.ReadAllLines(Path.Combine(fixture.ShardsDir, ShardManifest.LedgerFileName));
        Assert.Equal(train.Count, ledger.Length);
        Assert.All(val, id => Assert.DoesNotContain(ledger, l => l.Contains($"\"{id}\"", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(32, 256)]
    [InlineData(64, 256)]
    [InlineData(128, 109)] // 256 such clips are 2.5 GB of frames: more than one array holds
    [InlineData(2048, 1)]
    public void Shards_hold_fewer_clips_where_their_frames_would_pass_a_gibibyte(int frameSize, int clips)
    {
        // Given 8 s clips (200 frames at 25 fps) at a frame size, and the default of 256 clips a shard
        var o = new DataPrepareOptions { CorpusDir = "", OutDir = "", FrameSize = frameSize };

        // Then a shard holds as many as fit in 1 GiB of frames, at most 256, at least one
        Assert.Equal(clips, DataPreparer.ClipsPerShard(o, videoFrames: 200));
        Assert.True(clips == 1 || (long)clips * 200 * frameSize * frameSize * 3 <= DataPrepareOptions.MaxShardFrameBytes);
    }

    [Fact]
    public void Stores_normalised_mel_frames_and_tokens_in_shards()
    {
        // Given the prepared training split
        using var data = ShardDataset.Load(fixture.ShardsDir, "train");
        var config = TestSupport.Debug(fixture.Manifest.VocabSize) with { Normalisation = fixture.Manifest.Normalisation };
        using var scope = torch.NewDisposeScope();

        // When the whole clips are read back as one batch
        var batch = data.Batch(Enumerable.Range(0, data.Count).ToArray(), 2.56, config, random: null);

        // Then mel is normalised (mean ≈ 0, std ≈ 1 over the training set), frames are 16×16 at 25 fps, captions are tokens
        Assert.Equal(new long[] { data.Count, 80, 160 }, batch.Mel.shape);
        Assert.Equal(new long[] { data.Count, 64, 16, 16, 3 }, batch.Frames.shape);
        Assert.InRange(batch.Mel.mean().item<float>(), -0.05f, 0.05f);
        Assert.InRange(batch.Mel.std().item<float>(), 0.9f, 1.1f);
        Assert.True(batch.HasText.all().item<bool>());
        Assert.True(batch.TextMask.sum([1]).min().item<long>() >= 3);
        Assert.Equal(2.56, fixture.Manifest.ClipSeconds, 9);
    }

    [Fact]
    public void Loading_gathers_every_shard_row_for_row_in_manifest_order()
    {
        // Given training clips spread over several shards (4 clips a shard)
        var shards = fixture.Manifest.Shards.Where(s => s.Split == "train").ToList();
        Assert.True(shards.Count >= 2);
        using var scope = torch.NewDisposeScope();
        using var data = ShardDataset.Load(fixture.ShardsDir, "train");
        var config = TestSupport.Debug(fixture.Manifest.VocabSize) with { Normalisation = fixture.Manifest.Normalisation };

        // When the loaded clips are read back whole, and each shard file directly
        var batch = data.Batch(Enumerable.Range(0, data.Count).ToArray(), 2.56, config, random: null);
        var row = 0;
        foreach (var shard in shards)
        {
            var dict = TorchSharp.PyBridge.Safetensors.LoadStateDict(Path.Combine(fixture.ShardsDir, shard.File));
            var n = (int)dict["mel"].shape[0];

            // Then clip i of the dataset is row i of the shards in manifest order: its id, mel, frames and onsets
            Assert.Equal(shard.Clips, data.ClipIds.Skip(row).Take(n));
            Assert.True(batch.Mel.narrow(0, row, n).eq(dict["mel"].to_type(ScalarType.Float32)).all().item<bool>());
            Assert.True(batch.Frames.narrow(0, row, n).eq(dict["frames"]).all().item<bool>());
            Assert.True(batch.Onsets!.narrow(0, row, n).eq(dict["onsets"].to_type(ScalarType.Float32)).all().item<bool>());
            row += n;
        }

        Assert.Equal(data.Count, row);
    }

    [Fact]
    public void A_given_vocabulary_is_used_as_it_is_instead_of_one_built_from_the_captions()
    {
        // Given a package-style folder whose vocabulary is the fixture's in reverse order, less its commonest word
        var built = TextTokenizer.Load(Path.Combine(fixture.ShardsDir, ShardManifest.VocabFileName));
        var package = Path.Combine(fixture.Root, "package-vocab");
        Directory.CreateDirectory(package);
        var given = new TextTokenizer(built.Gpt2Ids.Skip(1).Reverse().ToList());
        given.Save(Path.Combine(package, ModelPackage.VocabFile));

        // When the same corpus is prepared with it
        var shards = Path.Combine(fixture.Root, "shards-given-vocab");
        var manifest = DataPreparer.Prepare(new DataPrepareOptions
        {
            CorpusDir = fixture.CorpusDir, OutDir = shards, ValFraction = 0.2, FrameSize = 16, ClipsPerShard = 4, TextMaxTokens = 12,
            Vocabulary = package,
        }, NullProgress.Instance);

        // Then the shards carry that vocabulary, id for id, and their captions are encoded with it
        Assert.Equal(given.Gpt2Ids, TextTokenizer.Load(Path.Combine(shards, ShardManifest.VocabFileName)).Gpt2Ids);
        Assert.Equal(given.VocabSize, manifest.VocabSize);
        using var scope = torch.NewDisposeScope();
        using var data = ShardDataset.Load(shards, "train");
        var config = TestSupport.Debug(manifest.VocabSize) with { Normalisation = manifest.Normalisation };
        var batch = data.Batch([0], 2.56, config, random: null);
        var caption = fixture.Clips.Single(c => c.Id == data.ClipIds[0]).Kind == "click" ? "white flashes with clicks" : "red flashes with beeps";
        var expected = given.Encode(TextTokenizer.ComposeText(caption, null), 12);
        var stored = batch.TextIds[0].narrow(0, 0, expected.Length).data<long>().Select(v => (int)v).ToArray();
        Assert.Equal(expected, stored);
        Assert.Contains(TextTokenizer.OovId, expected); // the dropped word is out of its vocabulary
    }

    [Fact]
    public void Crops_keep_sound_and_picture_on_the_same_instant()
    {
        // Given training clips whose square lights up exactly when their sound starts
        using var data = ShardDataset.Load(fixture.ShardsDir, "train");
        var config = TestSupport.Debug(fixture.Manifest.VocabSize) with { Normalisation = fixture.Manifest.Normalisation };
        var random = new Random(3);
        for (var trial = 0; trial < 5; trial++)
        {
            using var scope = torch.NewDisposeScope();

            // When a random 1.28 s crop is taken
            var batch = data.Batch([trial % data.Count], 1.28, config, random);

            // Then each lit frame (time j/25 s) has its sound onset within one video frame in the mel crop
            var brightness = batch.Frames[0].to_type(ScalarType.Float32).mean([1, 2, 3]).data<float>().ToArray(); // (F)
            var energy = batch.Mel[0].mean([0]).data<float>().ToArray(); // (T)
            for (var j = 1; j < brightness.Length; j++)
            {
                if (brightness[j] > 40 && brightness[j - 1] < 40)
                {
                    var t = j / 25.0;
                    var k = (int)Math.Round(t * config.Audio.FramesPerSecond);
                    var before = energy.Skip(Math.Max(0, k - 4)).Take(2).Average();
                    var after = energy.Skip(k).Take(3).Max();
                    Assert.True(after - before > 1.0, $"no onset at frame {j} ({t:0.00} s): {before:0.00} → {after:0.00}");
                }
            }
        }
    }

    [Fact]
    public void Frames_read_from_the_shard_files_give_the_same_batches_as_frames_in_memory()
    {
        // Given the training split loaded twice: frames in memory, and frames mapped from the shard files
        using var memory = ShardDataset.Load(fixture.ShardsDir, "train", FrameStorage.Memory);
        using var mapped = ShardDataset.Load(fixture.ShardsDir, "train", FrameStorage.Mapped);
        Assert.False(memory.FramesMapped);
        Assert.True(mapped.FramesMapped);
        var config = TestSupport.Debug(fixture.Manifest.VocabSize) with { Normalisation = fixture.Manifest.Normalisation, FrameFlipProbability = 0.5 };
        var all = Enumerable.Range(0, memory.Count).ToArray();

        // When the same random crops (and whole clips, and crops longer than the clips, whose last frame repeats) are drawn from each
        var (a, b) = (new Random(11), new Random(11));
        foreach (var seconds in new[] { 1.28, 2.56, 2.56, 1.28, fixture.Manifest.ClipSeconds, fixture.Manifest.ClipSeconds + 1.28 })
        {
            using var scope = torch.NewDisposeScope();
            var x = memory.Batch(all, seconds, config, a);
            var y = mapped.Batch(all, seconds, config, b);

            // Then every frame, and everything else, is the same
            Assert.Equal(x.Frames.shape, y.Frames.shape);
            Assert.True(x.Frames.equal(y.Frames).all().item<bool>(), $"frames differ at {seconds} s");
            Assert.True(x.Mel.equal(y.Mel).all().item<bool>());
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    public void Mirroring_flips_some_training_frames_left_to_right_and_nothing_else(double probability)
    {
        // Given the training split, whole clips, and a config that mirrors frames with the given probability
        using var data = ShardDataset.Load(fixture.ShardsDir, "train");
        var config = TestSupport.Debug(fixture.Manifest.VocabSize) with { Normalisation = fixture.Manifest.Normalisation, FrameFlipProbability = probability };
        using var scope = torch.NewDisposeScope();
        var all = Enumerable.Range(0, data.Count).ToArray();
        var plain = data.Batch(all, 2.56, config, random: null);

        // When 40 training batches of the same clips are drawn
        var random = new Random(7);
        int mirrored = 0, kept = 0;
        for (var trial = 0; trial < 40; trial++)
        {
            var batch = data.Batch(all, 2.56, config, random);

            // Then each clip's frames are either as stored or exactly mirrored (width axis), its sound and onsets unchanged
            Assert.True(batch.Mel.equal(plain.Mel).all().item<bool>());
            Assert.True(batch.Onsets!.equal(plain.Onsets!).all().item<bool>());
            for (var b = 0; b < data.Count; b++)
            {
                if (batch.Frames[b].equal(plain.Frames[b]).all().item<bool>())
                {
                    kept++;
                }
                else
                {
                    Assert.True(batch.Frames[b].equal(plain.Frames[b].flip(2)).all().item<bool>(), "frames neither as stored nor mirrored");
                    mirrored++;
                }
            }
        }

        // And about the given share is mirrored (none without it; validation batches, random null, never)
        var share = (double)mirrored / (mirrored + kept);
        Assert.InRange(share, probability - 0.12, probability + 0.12);
    }

    [Fact]
    public void Mixing_two_normalised_mels_adds_their_powers()
    {
        // Given a normalisation with two bins and a mel of two frames
        using var scope = torch.NewDisposeScope();
        var mean = torch.tensor(new[] { -2f, 1f }, [2, 1]);
        var std = torch.tensor(new[] { 0.5f, 2f }, [2, 1]);
        var a = torch.tensor(new[] { 0f, 1f, -1f, 0.5f }, [2, 2]);

        // When a mel is mixed with itself at 0 dB, and at −6.0206 dB (half the magnitude)
        var same = ShardDataset.MixNormalised(a, a, 0, mean, std).data<float>().ToArray();
        var half = ShardDataset.MixNormalised(a, a, 20 * Math.Log10(0.5), mean, std).data<float>().ToArray();

        // Then the log magnitude rises by ½ ln 2, resp. ½ ln 1.25, in every bin, divided by the bin's std once normalised
        float[] stds = [0.5f, 0.5f, 2f, 2f];
        float[] x = [0f, 1f, -1f, 0.5f];
        for (var k = 0; k < 4; k++)
        {
            Assert.Equal(x[k] + (0.5 * Math.Log(2) / stds[k]), same[k], 5);
            Assert.Equal(x[k] + (0.5 * Math.Log(1.25) / stds[k]), half[k], 5);
        }

        // And a donor 40 dB far below a clip barely moves it
        var quiet = ShardDataset.MixNormalised(a, a, -40, mean, std).data<float>().ToArray();
        Assert.All(Enumerable.Range(0, 4), k => Assert.Equal(x[k], quiet[k], 3));
    }

    [Fact]
    public void Joined_texts_keep_the_second_whole_and_cut_the_first()
    {
        Assert.Equal([5, 6, 7, 0], ShardDataset.JoinTexts([5, 6, 0, 0], [7, 0, 0, 0], 4));
        Assert.Equal([5, 6, 7, 9], ShardDataset.JoinTexts([5, 6, 8, 0], [7, 9, 0, 0], 4));
        Assert.Equal([7, 9, 0, 0], ShardDataset.JoinTexts([], [7, 9, 0, 0], 4));
        Assert.Equal([7, 8, 9], ShardDataset.JoinTexts([5, 6], [7, 8, 9, 4], 3));
    }

    [Fact]
    public void Overlays_lay_a_donor_clips_sound_and_caption_on_other_clips_and_leave_their_targets()
    {
        // Given the training split (beep clips and click clips), whole clips, and a config that overlays every clip with
        // a donor whose events are all beeps
        using var data = ShardDataset.Load(fixture.ShardsDir, "train");
        var config = TestSupport.Debug(fixture.Manifest.VocabSize) with
        {
            Normalisation = fixture.Manifest.Normalisation, OverlayProbability = 1, OverlayClasses = ["beep"],
        };
        using var scope = torch.NewDisposeScope();
        var all = Enumerable.Range(0, data.Count).ToArray();
        var plain = data.Batch(all, 2.56, config with { OverlayProbability = 0 }, new Random(5));
        var donors = data.OverlayDonors(["beep"]);
        Assert.Equal(Enumerable.Range(0, data.Count).Where(i => fixture.Clips.Single(c => c.Id == data.ClipIds[i]).Kind == "beep"), donors);
        Assert.Empty(data.OverlayDonors(["rain"]));
        Assert.Null(plain.Overlaid);

        // When training batches are drawn
        var random = new Random(5);
        var beepText = data.Batch(donors, 2.56, config with { OverlayProbability = 0 }, null).TextIds[0].data<long>().ToArray()
            .TakeWhile(t => t != TextTokenizer.PadId).ToArray();
        var appended = 0;
        for (var trial = 0; trial < 6; trial++)
        {
            var batch = data.Batch(all, 2.56, config, random);

            // Then every clip got a donor (no donor lends to itself) with its sound louder in every bin and frame, its text
            // ending on the donor's caption, and its onsets and event classes exactly its own
            Assert.True(batch.Onsets!.equal(plain.Onsets!).all().item<bool>());
            Assert.True(batch.EventClasses!.equal(plain.EventClasses!).all().item<bool>());
            Assert.True(batch.HasText.all().item<bool>());
            for (var b = 0; b < data.Count; b++)
            {
                Assert.True(batch.Overlaid![b].item<bool>());
                var own = data.Batch([b], 2.56, config with { OverlayProbability = 0 }, null).Mel[0];
                Assert.True(batch.Mel[b].ge(own.sub(1e-2)).all().item<bool>(), "the mixture is quieter than the clip somewhere");
                Assert.True(batch.Mel[b].sub(own).abs().max().item<float>() > 0.1f, "no sound was added");
                var ids = batch.TextIds[b].data<long>().ToArray().TakeWhile(t => t != TextTokenizer.PadId).ToArray();
                Assert.Equal(beepText, ids[^beepText.Length..]);
                appended += ids.Length > beepText.Length ? 1 : 0;
            }
        }

        // And about half the texts keep the clip's own caption before the donor's (the rest are the donor's alone)
        Assert.InRange(appended, 12, 36);
    }

    [Fact]
    public void Shards_carry_each_annotated_on_screen_onset_on_its_mel_frame()
    {
        // Given the training split of clips whose annotated events start at known video frames
        using var data = ShardDataset.Load(fixture.ShardsDir, "train");
        var config = TestSupport.Debug(fixture.Manifest.VocabSize) with { Normalisation = fixture.Manifest.Normalisation };
        using var scope = torch.NewDisposeScope();

        // When the whole clips are read back
        var batch = data.Batch(Enumerable.Range(0, data.Count).ToArray(), 2.56, config, random: null);

        // Then each clip's onset row is 1 exactly on the mel frames round(t · 62.5) of its events, and every clip is annotated
        Assert.NotNull(batch.Onsets);
        Assert.Equal(batch.Mel.shape[2], batch.Onsets!.shape[1]);
        Assert.True(batch.OnsetsAnnotated!.all().item<bool>());
        for (var b = 0; b < data.Count; b++)
        {
            var clip = fixture.Clips.Single(c => c.Id == data.ClipIds[b]);
            var expected = clip.EventFrames.Select(f => (int)Math.Round(f / SyntheticCorpus.Fps * config.Audio.FramesPerSecond)).ToHashSet();
            var row = batch.Onsets[b].data<float>().ToArray();
            var flagged = Enumerable.Range(0, row.Length).Where(k => row[k] > 0).ToHashSet();
            Assert.Equal(expected.Order(), flagged.Order());
        }

        Assert.Equal("every on-screen event", fixture.Manifest.OnsetRule);
    }

    [Fact]
    public void Onset_flags_keep_only_on_screen_events_of_the_named_classes()
    {
        var clip = new CorpusMetaClip
        {
            Id = "c", Video = "c.mp4", Audio = "c.flac",
            Events =
            [
                new CorpusMetaEvent { Class = "bell", TStart = 0.1, OnScreen = true },
                new CorpusMetaEvent { Class = "bell", TStart = 0.5, OnScreen = false },
                new CorpusMetaEvent { Class = "rain", TStart = 0.2, OnScreen = true },
                new CorpusMetaEvent { Class = "bell", TStart = 9.0, OnScreen = true },
            ],
        };
        var audio = V2a.AudioSettings.Default;

        var flags = DataPreparer.OnsetFlags(clip, new HashSet<string> { "bell" }, audio, 100);

        // 0.1 s → frame round(6.25) = 6; off-screen, other-class and past-the-end events leave nothing
        Assert.Equal([6], Enumerable.Range(0, flags.Length).Where(k => flags[k] != 0));
        Assert.Equal(2, DataPreparer.OnsetFlags(clip, null, audio, 100).Count(v => v != 0));
        Assert.DoesNotContain((byte)1, DataPreparer.OnsetFlags(clip with { Events = null }, null, audio, 100));
    }

    [Fact]
    public void Event_bits_mark_each_on_screen_event_from_its_start_to_its_end_under_its_class()
    {
        var clip = new CorpusMetaClip
        {
            Id = "c", Video = "c.mp4", Audio = "c.flac",
            Events =
            [
                new CorpusMetaEvent { Class = "bell", TStart = 0.1, TEnd = 0.2, OnScreen = true },
                new CorpusMetaEvent { Class = "rain", TStart = 0.0, TEnd = 0.05, OnScreen = true },
                new CorpusMetaEvent { Class = "rain", TStart = 0.5, TEnd = 0.9, OnScreen = false },
                new CorpusMetaEvent { Class = "bell", TStart = 1.5, OnScreen = true },
                new CorpusMetaEvent { Class = "wind", TStart = 0.1, TEnd = 0.2, OnScreen = true },
            ],
        };
        var classes = new Dictionary<string, int> { ["bell"] = 0, ["rain"] = 1 };

        var bits = DataPreparer.EventBits(clip, classes, V2a.AudioSettings.Default, 100);

        // bell 0.1–0.2 s → frames round(6.25) = 6 to round(12.5) − 1 = 11 (bit 0); rain 0–0.05 s → 0 to round(3.125) − 1 = 2
        // (bit 1); the off-screen rain and the unlisted wind leave nothing; a bell without an end at 1.5 s → frame 94 alone
        var expected = new long[100];
        for (var m = 6; m <= 11; m++)
        {
            expected[m] = 1;
        }

        for (var m = 0; m <= 2; m++)
        {
            expected[m] = 2;
        }

        expected[94] = 1;
        Assert.Equal(expected, bits);
        Assert.All(DataPreparer.EventBits(clip with { Events = null }, classes, V2a.AudioSettings.Default, 100), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Off_screen_bits_name_each_class_heard_out_of_view_and_flag_unlisted_ones()
    {
        var clip = new CorpusMetaClip
        {
            Id = "c", Video = "c.mp4", Audio = "c.flac",
            Events =
            [
                new CorpusMetaEvent { Class = "rain", TStart = 0.0, TEnd = 8, OnScreen = true },
                new CorpusMetaEvent { Class = "bell", TStart = 0.5, OnScreen = false },
            ],
        };
        var classes = new Dictionary<string, int> { ["bell"] = 0, ["rain"] = 1 };

        // An off-screen bell: bit 0; the on-screen rain is not off screen; an off-screen class outside the list: bit 63
        Assert.Equal(1L, DataPreparer.OffScreenBits(clip, classes));
        Assert.Equal(1L | (1L << 63), DataPreparer.OffScreenBits(clip with
        {
            Events = [.. clip.Events!, new CorpusMetaEvent { Class = "footsteps", TStart = 1, OnScreen = false }],
        }, classes));
        Assert.Equal(0L, DataPreparer.OffScreenBits(clip with { Events = [clip.Events![0]] }, classes));
        Assert.Equal(0L, DataPreparer.OffScreenBits(clip with { Events = null }, classes));
    }

    [Fact]
    public void Shards_carry_the_event_classes_sounding_on_each_mel_frame()
    {
        // Given the synthetic clips, each of one kind ("click" or "beep") with events of 0.1 s
        using var data = ShardDataset.Load(fixture.ShardsDir, "train");
        var config = TestSupport.Debug(fixture.Manifest.VocabSize) with { Normalisation = fixture.Manifest.Normalisation };
        using var scope = torch.NewDisposeScope();

        // When the whole clips are read back
        var batch = data.Batch(Enumerable.Range(0, data.Count).ToArray(), 2.56, config, random: null);

        // Then the manifest names both classes in order, and each clip's own class sounds from each event's start frame
        // to its end 0.1 s later, the other class never
        Assert.Equal(["beep", "click"], fixture.Manifest.EventClasses);
        Assert.Equal(new long[] { data.Count, batch.Mel.shape[2], 2 }, batch.EventClasses!.shape);
        for (var b = 0; b < data.Count; b++)
        {
            var clip = fixture.Clips.Single(c => c.Id == data.ClipIds[b]);
            var k = clip.Kind == "beep" ? 0 : 1;
            var flags = batch.EventClasses[b].data<float>().ToArray();
            var frames = batch.Mel.shape[2];
            var expected = new HashSet<int>();
            foreach (var f in clip.EventFrames)
            {
                var start = (int)Math.Round(f / SyntheticCorpus.Fps * config.Audio.FramesPerSecond);
                var end = (int)Math.Round(((f / SyntheticCorpus.Fps) + 0.1) * config.Audio.FramesPerSecond) - 1;
                expected.UnionWith(Enumerable.Range(start, end - start + 1).Where(m => m < frames));
            }

            var own = Enumerable.Range(0, (int)frames).Where(t => flags[(t * 2) + k] > 0).ToHashSet();
            Assert.Equal(expected.Order(), own.Order());
            Assert.DoesNotContain(Enumerable.Range(0, (int)frames), t => flags[(t * 2) + (1 - k)] > 0);
        }
    }

    [Fact]
    public void Batch_plan_is_a_seeded_permutation_per_epoch()
    {
        // Given a plan over 7 clips
        var plan = new BatchPlan(7, seed: 5);

        // When the first two epochs are drawn in batches of 7
        var epoch0 = plan.Indices(0, 7);
        var epoch1 = plan.Indices(7, 7);

        // Then each epoch visits every clip once, epochs differ, and a new plan repeats them exactly
        Assert.Equal(Enumerable.Range(0, 7), epoch0.Order());
        Assert.Equal(Enumerable.Range(0, 7), epoch1.Order());
        Assert.NotEqual(epoch0, epoch1);
        Assert.Equal(epoch1, new BatchPlan(7, seed: 5).Indices(7, 7));
        Assert.Equal(epoch0.Skip(3).Take(3), new BatchPlan(7, seed: 5).Indices(3, 3));
    }

    [Fact]
    public void Rejects_a_folder_without_a_corpus()
    {
        var empty = TestSupport.TempDir("nocorpus");
        var e = Assert.Throws<BadInputException>(() => DataPreparer.Prepare(new DataPrepareOptions { CorpusDir = empty, OutDir = empty + "-out" }, NullProgress.Instance));
        Assert.Contains("meta.jsonl", e.Message, StringComparison.Ordinal);
        Directory.Delete(empty);
    }
}
