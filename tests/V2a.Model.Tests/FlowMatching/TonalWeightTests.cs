using TorchSharp;
using V2a.Model.FlowMatching;
using static TorchSharp.torch;

namespace V2a.Model.Tests.FlowMatching;

public class TonalWeightTests
{
    private const int Bins = 12;
    private const int Frames = 30;

    /// <summary>(1, Bins, Frames) mel from <paramref name="level"/>(bin, frame).</summary>
    private static Tensor Mel(Func<int, int, float> level)
    {
        var data = new float[Bins * Frames];
        for (var b = 0; b < Bins; b++)
        {
            for (var t = 0; t < Frames; t++)
            {
                data[(b * Frames) + t] = level(b, t);
            }
        }

        return torch.tensor(data).view(1, Bins, Frames);
    }

    private static float[,] Weights(Tensor mel, double strength)
    {
        var w = FlowMatchingLoss.TonalWeights(mel, strength).squeeze(0).data<float>().ToArray();
        var grid = new float[Bins, Frames];
        for (var b = 0; b < Bins; b++)
        {
            for (var t = 0; t < Frames; t++)
            {
                grid[b, t] = w[(b * Frames) + t];
            }
        }

        return grid;
    }

    private static void AssertAllOne(float[,] weights)
    {
        foreach (var x in weights)
        {
            Assert.Equal(1f, x);
        }
    }

    [Fact]
    public void Flat_sloped_or_broadband_mel_weighs_every_cell_one()
    {
        TorchRuntime.Initialise();
        using var scope = torch.NewDisposeScope();

        // Given a flat spectrum, a spectrum falling with frequency, and a broadband click (every bin up for 2 frames)
        // Then no cell gets extra weight: nothing stands above its flanks
        foreach (var mel in new[] { Mel((_, _) => -1f), Mel((b, _) => 2f - (0.5f * b)), Mel((_, t) => t is 10 or 11 ? 3f : -1f) })
        {
            AssertAllOne(Weights(mel, 5));
        }
    }

    [Fact]
    public void A_lasting_line_weighs_its_bins_in_proportion_to_its_height_while_it_lasts()
    {
        TorchRuntime.Initialise();
        using var scope = torch.NewDisposeScope();

        // Given a tone in bins 5 and 6 (two triangles lit) from frame 8 to 19, bin 5 a full peak above the floor, bin 6 half one
        var full = (float)FlowMatchingLoss.TonalFullPeak;
        var w = Weights(Mel((b, t) => t is >= 8 and < 20 ? b == 5 ? full : b == 6 ? full / 2 : 0f : 0f), 4);

        // Then inside the ring, away from its ends by half the lasting window, bin 5 weighs 1 + 4 and bin 6 1 + 4·0.5;
        // the flanks and every other cell weigh 1
        var h = FlowMatchingLoss.TonalFrames / 2;
        for (var t = 0; t < Frames; t++)
        {
            var inside = t >= 8 + h && t < 20 - h;
            Assert.Equal(inside ? 5f : 1f, w[5, t], 5);
            Assert.Equal(inside ? 3f : 1f, w[6, t], 5);
            Assert.Equal(1f, w[3, t]);
            Assert.Equal(1f, w[8, t]);
        }
    }

    [Fact]
    public void A_line_shorter_than_the_lasting_window_gets_no_weight()
    {
        TorchRuntime.Initialise();
        using var scope = torch.NewDisposeScope();

        // Given a narrow peak that lasts one frame less than the window (a click's ghost, not a ring)
        var w = Weights(Mel((b, t) => b == 4 && t >= 10 && t < 10 + FlowMatchingLoss.TonalFrames - 1 ? 3f : 0f), 4);

        // Then it weighs nothing extra
        AssertAllOne(w);
    }

    [Fact]
    public void Cell_weights_give_the_plain_loss_when_equal_and_one_cells_error_when_alone()
    {
        TorchRuntime.Initialise();
        using var scope = torch.NewDisposeScope();
        var x1 = torch.randn(2, Bins, Frames, generator: new Generator(5));
        Tensor Zero(Tensor xt, Tensor t) => torch.zeros_like(xt);

        var plain = FlowMatchingLoss.Loss(Zero, x1, new Generator(9)).item<float>();
        var equal = FlowMatchingLoss.Loss(Zero, x1, new Generator(9), frameWeight: torch.ones(2, Bins, Frames).Times(2)).item<float>();
        var cells = new float[2 * Bins * Frames];
        cells[(((1 * Bins) + 3) * Frames) + 7] = 1f; // cell (1, 3, 7) alone
        var only = torch.tensor(cells).view(2, Bins, Frames);
        var weighted = FlowMatchingLoss.Loss(Zero, x1, new Generator(9), frameWeight: only).item<float>();

        var x0 = torch.randn(x1.shape, generator: new Generator(9));
        var expected = (x1 - x0)[1, 3, 7].Squared().item<float>();
        Assert.Equal(plain, equal, 5);
        Assert.Equal(expected, weighted, 5);
    }
}
