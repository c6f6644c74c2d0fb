using TorchSharp;
using V2a.Model.Training;
using static TorchSharp.torch;

namespace V2a.Model.Generation;

/// <summary>
/// Choosing among several starting noises the one whose sound starts where the picture says something happens: each
/// draw is taken a few steps along the flow, the sketch of its finished mel (<see
/// cref="FlowMatching.FlowMatchingSampler.Advance"/>) is reduced to its onset strength per audio token, and the draw
/// whose onset strength follows the onset head's prediction from the video most closely (Pearson correlation, both
/// smoothed over ±1 token, about ±32 ms) is the one finished. The onset head is trained with the model (the sync
/// loss) and otherwise unused when generating.
/// </summary>
public static class SyncSelection
{
    /// <summary>The correlation of the sketch's onset strength with the predicted onsets; 0 where either is flat.</summary>
    /// <param name="estimate">(1, M, T) normalised log-mel sketch.</param>
    /// <param name="onsetLogits">(1, N) the onset head's logits, N = T / <paramref name="framesPerToken"/>.</param>
    public static double Score(Tensor estimate, Tensor onsetLogits, int framesPerToken)
    {
        using var scope = torch.NewDisposeScope();
        var strength = Smooth(SyncLoss.OnsetTarget(estimate, framesPerToken));
        var predicted = Smooth(torch.sigmoid(onsetLogits.to_type(ScalarType.Float32)));
        var a = strength - strength.mean();
        var b = predicted - predicted.mean();
        var norm = (a.Squared().sum() * b.Squared().sum()).sqrt().item<float>();
        return norm > 1e-12 ? (a * b).sum().item<float>() / norm : 0;
    }

    /// <summary>(1, N) → (1, N): ¼, ½, ¼ over neighbouring tokens (edges repeat).</summary>
    private static Tensor Smooth(Tensor x)
    {
        var padded = nn.functional.pad(x.unsqueeze(1), [1, 1], PaddingModes.Replicate); // (1, 1, N + 2)
        var kernel = torch.tensor(new float[] { 0.25f, 0.5f, 0.25f }, [1, 1, 3], device: x.device);
        return nn.functional.conv1d(padded, kernel).squeeze(1);
    }

    /// <summary>The step after which the draws are compared when none is asked for: a quarter of the steps, at least one.</summary>
    public static int DefaultSelectStep(int steps) => Math.Max(1, (int)Math.Ceiling(steps / 4.0));
}
