using TorchSharp;
using static TorchSharp.torch;

namespace V2a.Model.FlowMatching;

/// <summary>
/// Rectified-flow training objective (DESIGN.md, "Flow matching"): x1 = data, x0 ~ N(0, I),
/// x_t = (1 − t)·x0 + t·x1, target velocity x1 − x0, loss = mean squared error of the predicted velocity.
/// Flow time t runs from 0 (noise) to 1 (data) and is drawn from a logit-normal, mixed with a uniform share.
/// Knows nothing of the network.
/// </summary>
/// <remarks>
/// Why the uniform share: a logit-normal puts almost no weight near t = 0 (P(t &lt; 0.05) ≈ 0.2%), where x_t holds
/// no trace of the data and only the conditions can say what the sound is. Trained that way on a small budget,
/// v2a's small model learned to denoise from x_t and ignored video and text: its prediction from pure noise was
/// near the corpus mean for every clip (x1-estimate MSE 0.994, no better than guessing 0 everywhere: 0.91), so sampling, which
/// starts from pure noise, drew sounds unrelated to the video.
/// </remarks>
public static class FlowMatchingLoss
{
    /// <summary>(B) flow times: sigmoid(z), z ~ N(0, 1) (most weight on the middle of the path), except that a
    /// share <paramref name="uniformFraction"/> of them, chosen at random, is uniform on [0, 1).</summary>
    public static Tensor SampleTime(long batch, Generator generator, Device device, double uniformFraction = 0)
    {
        var logitNormal = torch.sigmoid(torch.randn(batch, generator: generator));
        if (uniformFraction <= 0)
        {
            return logitNormal.to(device);
        }

        var uniform = torch.rand(batch, generator: generator);
        var pick = torch.rand(batch, generator: generator).LessThan(uniformFraction);
        return torch.where(pick, uniform, logitNormal).to(device);
    }

    /// <summary>x_t for data x1 (B, …), noise x0 (B, …) and times t (B).</summary>
    public static Tensor Interpolate(Tensor x0, Tensor x1, Tensor t)
    {
        var tt = t.view([t.shape[0], .. Enumerable.Repeat(1L, (int)x1.dim() - 1)]);
        return (tt.OneMinus() * x0).Plus(tt * x1);
    }

    /// <summary>The loss of one batch.</summary>
    /// <param name="velocity">The network: (x_t, t) → predicted velocity, same shape as x_t.</param>
    /// <param name="x1">(B, …) data.</param>
    /// <param name="generator">Source of the noise and the times (seeded per step, so resume repeats it).</param>
    /// <param name="uniformTimeFraction">Share of flow times drawn uniformly (see <see cref="SampleTime"/>).</param>
    public static Tensor Loss(Func<Tensor, Tensor, Tensor> velocity, Tensor x1, Generator generator, double uniformTimeFraction = 0)
    {
        var x0 = torch.randn(x1.shape, generator: generator).to(x1.device);
        var t = SampleTime(x1.shape[0], generator, x1.device, uniformTimeFraction);
        var xt = Interpolate(x0, x1, t);
        var predicted = velocity(xt, t);
        return nn.functional.mse_loss(predicted, x1 - x0);
    }
}
