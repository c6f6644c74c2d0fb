using TorchSharp;
using V2a.Model.FlowMatching;
using static TorchSharp.torch;

namespace V2a.Model.Tests.FlowMatching;

public class TransientWeightTests
{
    private const int Bins = 4;
    private const int Frames = 40;

    /// <summary>(1, Bins, Frames) mel whose every bin follows <paramref name="level"/>(frame).</summary>
    private static Tensor Mel(Func<int, float> level)
    {
        var data = new float[Bins * Frames];
        for (var b = 0; b < Bins; b++)
        {
            for (var t = 0; t < Frames; t++)
            {
                data[(b * Frames) + t] = level(t);
            }
        }

        return torch.tensor(data).view(1, Bins, Frames);
    }

    private static float[] Weights(Tensor mel, double strength) =>
        FlowMatchingLoss.TransientWeights(mel, strength).squeeze(0).data<float>().ToArray();

    [Fact]
    public void A_steady_or_falling_mel_weighs_every_frame_one()
    {
        TorchRuntime.Initialise();
        using var scope = torch.NewDisposeScope();

        // Given a constant mel and one that only decays
        // Then no frame gets extra weight: only rises mark a transient
        Assert.All(Weights(Mel(_ => -3f), 4), w => Assert.Equal(1f, w));
        Assert.All(Weights(Mel(t => 2f - (0.2f * t)), 4), w => Assert.Equal(1f, w));
    }

    [Fact]
    public void A_full_rise_weighs_the_frames_around_and_after_it()
    {
        TorchRuntime.Initialise();
        using var scope = torch.NewDisposeScope();

        // Given a mel that steps up by 1 (twice the full rise) at frame 20 and stays there
        var w = Weights(Mel(t => t >= 20 ? 1f : 0f), 3);

        // Then frames 20 − Before … 20 + After weigh 1 + 3, and every other frame 1
        for (var t = 0; t < Frames; t++)
        {
            var inside = t >= 20 - FlowMatchingLoss.TransientFramesBefore && t <= 20 + FlowMatchingLoss.TransientFramesAfter;
            Assert.Equal(inside ? 4f : 1f, w[t]);
        }
    }

    [Fact]
    public void A_small_rise_weighs_in_proportion_and_the_larger_of_two_wins()
    {
        TorchRuntime.Initialise();
        using var scope = torch.NewDisposeScope();

        // Given a rise of half the full rise at frame 10 and a full one at frame 13 (their windows overlap)
        var half = (float)(FlowMatchingLoss.TransientFullRise / 2);
        var full = (float)FlowMatchingLoss.TransientFullRise;
        var w = Weights(Mel(t => t >= 13 ? half + full : t >= 10 ? half : 0f), 2);

        // Then frame 9 (in only the small rise's window) weighs 1 + 2·0.5, frame 12 (in both) 1 + 2·1
        Assert.Equal(2f, w[9 - FlowMatchingLoss.TransientFramesBefore + 1], 5);
        Assert.Equal(3f, w[12], 5);
        Assert.Equal(1f, w[13 + FlowMatchingLoss.TransientFramesAfter + 1], 5);
    }

    [Fact]
    public void Equal_weights_give_the_plain_loss_and_one_weighted_frame_gives_that_frames_error()
    {
        TorchRuntime.Initialise();
        using var scope = torch.NewDisposeScope();
        var x1 = torch.randn(2, Bins, Frames, generator: new Generator(5));
        Tensor Zero(Tensor xt, Tensor t) => torch.zeros_like(xt);

        // Given the same noise and times (same generator seed) for every loss
        var plain = FlowMatchingLoss.Loss(Zero, x1, new Generator(9)).item<float>();
        var equal = FlowMatchingLoss.Loss(Zero, x1, new Generator(9), frameWeight: torch.full(2, Frames, 3f)).item<float>();

        // When only frame 7 carries weight
        var only7 = torch.zeros(2, Frames);
        only7.select(1, 7).fill_(1f);
        var weighted = FlowMatchingLoss.Loss(Zero, x1, new Generator(9), frameWeight: only7).item<float>();

        // Then equal weights change nothing, and the loss is the mean squared target velocity of frame 7 alone
        // (the loss draws its noise first, so the same seed gives the same x0)
        var x0 = torch.randn(x1.shape, generator: new Generator(9));
        var expected = (x1 - x0).select(2, 7).square().mean().item<float>();
        Assert.Equal(plain, equal, 5);
        Assert.Equal(expected, weighted, 5);
        Assert.NotEqual(plain, weighted, 2);
    }
}
