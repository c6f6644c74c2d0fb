using TorchSharp;
using V2a.Model.Network;
using V2a.Model.Training;
using static TorchSharp.torch;

namespace V2a.Model.Tests.Network;

public class SoundtrackNetworkTests
{
    [Fact]
    public void Predicts_velocity_of_the_mel_shape_for_any_duration()
    {
        // Given the debug network and stretches of several lengths (one not a whole number of tokens)
        var config = TestSupport.Debug();
        using var net = TestSupport.Network(config);
        foreach (var seconds in new[] { 1.28, 2.0, 3.3 })
        {
            using var scope = torch.NewDisposeScope();
            var seq = config.Sequence(seconds);
            var (frames, ids, mask) = TestSupport.Inputs(config, seq, batch: 2);

            // When conditions are prepared and one velocity is predicted
            var cond = net.PrepareConditions(frames, ids, mask, TestSupport.Flags(false, true), TestSupport.Flags(false, false), seq);
            var v = net.PredictVelocity(torch.randn(2, config.Audio.MelBins, seq.MelFrames), torch.tensor(new[] { 0.1f, 0.9f }), cond);

            // Then it has the mel shape: (B, 80, whole tokens × 2 mel frames)
            Assert.Equal(new long[] { 2, config.Audio.MelBins, seq.MelFrames }, v.shape);
            Assert.Equal(seq.AudioTokens * 2, seq.MelFrames);
            Assert.True(seq.MelFrames >= config.Audio.FramesFor(seconds));
        }
    }

    [Fact]
    public void Derives_every_length_from_duration_and_rates()
    {
        // Given the small preset, when an 8 s stretch is described
        var seq = ModelConfig.FromPreset("small").Sequence(8);

        // Then 8 s is 500 mel frames = 250 tokens, 200 video frames, 64 visual tokens at 8 fps
        Assert.Equal(500, seq.MelFrames);
        Assert.Equal(250, seq.AudioTokens);
        Assert.Equal(200, seq.VideoFrames);
        Assert.Equal(64, seq.VisualTokens);
        Assert.Equal(128_000, seq.Samples);
        Assert.Equal(0.16, ModelConfig.FromPreset("small").AlignmentSeconds, 9);
    }

    [Fact]
    public void Starts_as_zero_velocity_so_untrained_blocks_are_identities()
    {
        // Given a freshly built network (adaLN-Zero initialisation)
        var config = TestSupport.Debug();
        using var net = TestSupport.Network(config);
        using var scope = torch.NewDisposeScope();
        var seq = config.Sequence(1.28);
        var (frames, ids, mask) = TestSupport.Inputs(config, seq, 1);

        // When it predicts a velocity
        var cond = net.PrepareConditions(frames, ids, mask, TestSupport.Flags(false), TestSupport.Flags(false), seq);
        var v = net.PredictVelocity(torch.randn(1, config.Audio.MelBins, seq.MelFrames), torch.tensor(new[] { 0.5f }), cond);

        // Then the output is exactly zero
        Assert.Equal(0f, v.abs().max().item<float>());
    }

    [Fact]
    public void Small_preset_fits_the_40_MB_package_with_a_full_vocabulary()
    {
        // Given the small preset with the largest compact vocabulary data prepare builds by default (2048 ids)
        var config = ModelConfig.FromPreset("small") with { TextVocabSize = 2048 };
        using var net = TestSupport.Network(config);

        // Then its fp32 weights stay under 40 MB
        var megabytes = net.ParameterCount * 4 / 1e6;
        Assert.True(megabytes <= 40, $"{net.ParameterCount} parameters = {megabytes:0.0} MB");
    }

    [Fact]
    public void Larger_frames_keep_the_cell_grid_and_the_size_with_one_more_stage_per_doubling()
    {
        // Given the debug network at its own 16×16 frames, and the same preset at 32×32 and 64×64 with its 2×2 cell grid kept
        var config = TestSupport.Debug();
        var cells = config.Video.FrameSize / 8;
        using var net = TestSupport.Network(config);
        var c = config.VisualChannels[2];
        foreach (var (size, stages) in new[] { (32, 4), (64, 5) })
        {
            var larger = config with { VisualCells = cells, Video = config.Video with { FrameSize = size } };
            larger.Validate();
            using var big = TestSupport.Network(larger);

            // Then each doubling adds one stride-2 stage of C→C 3×3 weights and bias, and nothing else grows
            Assert.Equal(stages, larger.VisualStages);
            Assert.Equal(net.ParameterCount + ((stages - 3) * ((c * c * 9) + c)), big.ParameterCount);

            // And it predicts the mel shape from frames of that size
            using var scope = torch.NewDisposeScope();
            var seq = larger.Sequence(1.28);
            var (frames, ids, mask) = TestSupport.Inputs(larger, seq, batch: 1);
            var condBig = big.PrepareConditions(frames, ids, mask, TestSupport.Flags(false), TestSupport.Flags(false), seq);
            var v = big.PredictVelocity(torch.randn(1, larger.Audio.MelBins, seq.MelFrames), torch.tensor(new[] { 0.5f }), condBig);
            Assert.Equal(new long[] { 1, larger.Audio.MelBins, seq.MelFrames }, v.shape);
        }

        // And a grid that no halving reaches is refused
        Assert.Throws<InvalidOperationException>(() => (config with { VisualCells = 3, Video = config.Video with { FrameSize = 64 } }).Validate());
    }

    [Fact]
    public void A_visual_patch_sees_frames_twice_as_large_through_the_same_stages_and_every_pixel_counts()
    {
        // Given the debug network at its own 16×16 frames, and the same preset at 32×32 with 2×2 pixel blocks folded into channels
        var config = TestSupport.Debug();
        using var net = TestSupport.Network(config);
        var patched = config with { VisualPatch = 2, Video = config.Video with { FrameSize = config.Video.FrameSize * 2 } };
        patched.Validate();
        using var big = TestSupport.Network(patched);

        // Then its CNN has the same stages and grid, and only the first convolution's input grows (6 → 24 channels)
        Assert.Equal(config.VisualStages, patched.VisualStages);
        Assert.Equal(config.Video.FrameSize, patched.VisualInputSide);
        Assert.Equal(net.ParameterCount + ((24 - 6) * config.VisualChannels[0] * 9), big.ParameterCount);

        // And one pixel changed inside a block (odd row and column) changes the frame's feature: nothing is subsampled
        using var encoder = new V2a.Model.Conditions.VisualEncoder(patched);
        encoder.eval();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        torch.manual_seed(5);
        var frames = torch.randint(0, 256, [1, 4, 32, 32, 3]).to_type(ScalarType.Byte);
        var moved = frames.clone();
        moved[0, 2, 7, 9, 1] = torch.tensor((byte)(255 - frames[0, 2, 7, 9, 1].item<byte>()));
        var a = encoder.forward(frames);
        var b = encoder.forward(moved);
        Assert.Equal(new long[] { 1, 4, patched.Dim }, a.shape);
        Assert.True((a - b).abs().max().item<float>() > 1e-4);

        // And a patch that does not divide the frame, or leaves a side no multiple of 8, is refused
        Assert.Throws<InvalidOperationException>(() => (config with { VisualPatch = 3 }).Validate());
        Assert.Throws<InvalidOperationException>(() => (config with { VisualPatch = 4 }).Validate());
    }

    [Theory]
    [InlineData("debug", 1)]
    [InlineData("small", 1)]
    [InlineData("small", 2)]
    [InlineData("medium", 1)]
    [InlineData("large", 1)]
    public void Every_convolution_takes_an_input_channel_count_libtorchs_cpu_convolution_gets_right(string preset, int patch)
    {
        // Given a preset's network (the small one also at 64×64 with the event path, and at 128×128 in 2×2 blocks)
        var config = ModelConfig.FromPreset(preset) with { TextVocabSize = 16 };
        if (preset == "small")
        {
            config = config with { VisualEventChannels = 128, VisualCells = 4, VisualPatch = patch, Video = config.Video with { FrameSize = 64 * patch } };
        }

        using var net = TestSupport.Network(config);

        // Then every convolution's input, as it is run, has at most 16 channels or a multiple of 16: libtorch 2.10's float32
        // CPU convolution computes wrong outputs for 17–31, 33–47, … on the dev VM (VisualEncoder.InputChannels); the
        // first visual convolution runs on its input padded to VisualEncoder.InputChannels
        foreach (var (name, w) in net.state_dict().Where(kv => kv.Key.EndsWith(".weight", StringComparison.Ordinal) && kv.Value.dim() >= 3))
        {
            var channels = name == Trainer.VisualInputWeight ? V2a.Model.Conditions.VisualEncoder.InputChannels(config.VisualPatch) : w.shape[1];
            Assert.True(channels <= 16 || channels % 16 == 0, $"{preset}: {name} takes {channels} input channels");
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void A_widened_first_convolution_sees_each_block_as_the_encoder_without_blocks_sees_its_average(int patch)
    {
        // Given the debug visual encoder at 16×16 frames, and one at 16·P frames in P×P blocks whose first convolution is
        // the first's widened and every other weight the first's
        var config = TestSupport.Debug() with { VisualEventChannels = 8 };
        var patched = config with { VisualPatch = patch, Video = config.Video with { FrameSize = config.Video.FrameSize * patch } };
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        torch.manual_seed(8);
        using var plain = new V2a.Model.Conditions.VisualEncoder(config);
        using var blocks = new V2a.Model.Conditions.VisualEncoder(patched);
        var weights = blocks.state_dict();
        foreach (var (name, p) in plain.state_dict())
        {
            weights[name].copy_(name == "conv1.weight" ? V2a.Model.Conditions.VisualEncoder.WidenInputWeight(p, patch) : p);
        }

        plain.eval();
        blocks.eval();

        // When the first sees random frames and the second the same frames with each pixel grown to a P×P block
        var frames = torch.randint(0, 256, [2, 6, 16, 16, 3]).to_type(ScalarType.Byte);
        var grown = frames.repeat_interleave(patch, dim: 2).repeat_interleave(patch, dim: 3);

        // Then both give the same features (with 2×2 blocks only since the input is padded to 32 channels: libtorch's float32
        // CPU convolution over 24 input channels was off by 0.07 here, see VisualEncoder.InputChannels)
        var a = plain.forward(frames);
        var b = blocks.forward(grown);
        Assert.True(a.allclose(b, rtol: 0, atol: 1e-5), $"max difference {(a - b).abs().max().item<float>()}");

        // And the widened kernel of channel k at block position (i, j) is the kernel of channel k over P²
        var w = plain.state_dict()["conv1.weight"];
        var wide = V2a.Model.Conditions.VisualEncoder.WidenInputWeight(w, patch);
        Assert.Equal(new long[] { w.shape[0], 6 * patch * patch, 3, 3 }, wide.shape);
        Assert.True(wide.narrow(1, (4 * patch * patch) + patch + 1, 1).equal(w.narrow(1, 4, 1) / (patch * patch)).all().item<bool>());
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 5)]
    [InlineData(4, 1)]
    public void The_visual_input_is_each_frame_and_its_motion_scaled_and_folded_in_blocks_to_the_bit(int patch, int frameCount)
    {
        // Given 2 clips of random RGB bytes, 16×16
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(11);
        var frames = torch.randint(0, 256, [2, frameCount, 16, 16, 3]).to_type(ScalarType.Byte);

        // When the encoder's input is made from them
        var x = V2a.Model.Conditions.VisualEncoder.Input(frames, patch);

        // Then it is, value for value, the plain recipe: rgb = bytes / 255 as (rgb − 0.5)·4 and (rgb − the frame before)·4
        // (zero for the first frame), channels first, each P×P block folded into channels as pixel_unshuffle does
        var rgb = frames.to_type(ScalarType.Float32).div(255).permute(0, 1, 4, 2, 3);
        var before = torch.cat([rgb.narrow(1, 0, 1), rgb.narrow(1, 0, frameCount - 1)], 1);
        var plain = torch.cat([(rgb - 0.5) * 4, (rgb - before) * 4], 2).reshape(2 * frameCount, 6, 16, 16);
        if (patch > 1)
        {
            plain = nn.functional.pixel_unshuffle(plain, patch);
        }

        // (then zero channels up to a multiple of 16: 24 → 32 for 2×2 blocks; 6 and 96 stay)
        var channels = V2a.Model.Conditions.VisualEncoder.InputChannels(patch);
        Assert.Equal(patch == 2 ? 32 : 6 * patch * patch, channels);
        Assert.Equal(new long[] { 2 * frameCount, channels, 16 / patch, 16 / patch }, x.shape);
        var pixels = x.narrow(1, 0, 6 * patch * patch);
        Assert.True(plain.equal(pixels).all().item<bool>(), $"max difference {(plain - pixels).abs().max().item<float>()}");
        Assert.True(x.narrow(1, 6 * patch * patch, channels - (6 * patch * patch)).eq(0).all().item<bool>());

        // And a block's channels are its pixels: channel k·P² + i·P + j of cell (r, c) is input channel k at pixel
        // (r·P + i, c·P + j) — here green (k = 1) at row 1, column 0 of the block of cell (3, 2) in clip 1's last frame
        var (i, j, r, c) = (patch > 1 ? 1 : 0, 0, 3, 2);
        var expected = ((frames[1, frameCount - 1, (r * patch) + i, (c * patch) + j, 1].item<byte>() / 255f) - 0.5f) * 4;
        Assert.Equal(expected, x[(2 * frameCount) - 1, (1 * patch * patch) + (i * patch) + j, r, c].item<float>(), 6);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    public void Visual_features_are_the_same_when_generation_encodes_frames_a_chunk_at_a_time(int eventChannels)
    {
        // Given the debug visual encoder (with and without its event path, on a 64×64 frame whose grid is halved once more)
        // and 2 clips of 3.2 s (160 frames: more than one inference chunk, not a multiple)
        var config = TestSupport.Debug() is var debug && eventChannels > 0
            ? debug with { VisualEventChannels = eventChannels, VisualCells = debug.Video.FrameSize / 8, Video = debug.Video with { FrameSize = debug.Video.FrameSize * 2 } }
            : TestSupport.Debug();
        using var encoder = new V2a.Model.Conditions.VisualEncoder(config);
        encoder.eval();
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var frames = torch.randint(0, 256, [2, 80, config.Video.FrameSize, config.Video.FrameSize, 3]).to_type(ScalarType.Byte);
        Assert.True(2 * 80 > V2a.Model.Conditions.VisualEncoder.InferenceFrameChunk);

        // When it encodes them with gradients on (all frames at once, as in training) and off (chunked, as in generation)
        var whole = encoder.forward(frames);
        Tensor chunked;
        using (torch.no_grad())
        {
            chunked = encoder.forward(frames);
        }

        // Then every feature is the same
        Assert.Equal(whole.shape, chunked.shape);
        Assert.True(torch.allclose(whole.detach(), chunked, rtol: 1e-5, atol: 1e-6), $"max difference {(whole.detach() - chunked).abs().max().item<float>()}");
    }

    [Fact]
    public void Config_round_trips_through_json()
    {
        // Given a config with normalisation stats
        var config = TestSupport.Debug(vocab: 77) with { Normalisation = new MelNormalisation([1f, 2f], [0.5f, 0.25f]) };

        // When it is written and read back
        var back = ModelConfig.FromJson(config.ToJson(), "config.json");

        // Then nothing changed
        Assert.Equal(config.ToJson(), back.ToJson());
        Assert.Equal(77, back.TextVocabSize);
        Assert.Equal(16, back.Video.FrameSize);
    }
}
