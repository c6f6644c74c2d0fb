using V2a.Model.Training;
using static TorchSharp.torch;

namespace V2a.Model.Tests.Training;

public class SyncLossTests
{
    [Fact]
    public void Onset_target_is_the_rising_flux_at_its_tokens_strongest_frame()
    {
        // Given 2 mel bins over 6 frames: a rise of 1 and 3 at frame 1, a fall at frame 2, a rise of 2 (bin 0) at frame 5
        var mel = tensor(new float[]
        {
            0, 1, 1, 0, 0, 2,
            0, 3, 0, 0, 0, 0,
        }, [1, 2, 6]);

        // When the onset strength of tokens of 2 frames is taken
        var target = SyncLoss.OnsetTarget(mel, 2);

        // Then frame fluxes are [0, 2, 0, 0, 0, 1] (mean over bins of the rises; falls count 0) and each token keeps its larger
        Assert.Equal([1L, 3L], target.shape);
        Assert.Equal(new float[] { 2, 0, 1 }, target.data<float>().ToArray());
    }

    [Fact]
    public void Onset_target_refuses_a_length_that_is_not_whole_tokens()
    {
        Assert.Throws<ArgumentException>(() => SyncLoss.OnsetTarget(zeros(1, 2, 5), 2));
    }

    [Fact]
    public void Loss_counts_only_rows_whose_video_was_shown()
    {
        // Given two rows: the first predicted 1 off everywhere, the second 3 off
        var target = zeros(2, 4);
        var predicted = tensor(new float[] { 1, 1, 1, 1, 3, 3, 3, 3 }, [2, 4]);

        // Then with both rows the loss is the mean square (1 + 9) / 2, with the first only 1, with none 0
        Assert.Equal(5f, SyncLoss.Loss(predicted, target, tensor(new[] { true, true })).item<float>(), 5);
        Assert.Equal(1f, SyncLoss.Loss(predicted, target, tensor(new[] { true, false })).item<float>(), 5);
        Assert.Equal(0f, SyncLoss.Loss(predicted, target, tensor(new[] { false, false })).item<float>(), 5);
    }
}
