using TorchSharp;
using static TorchSharp.torch;

namespace V2a.Model.Training;

/// <summary>
/// The auxiliary sync objective (config <see cref="ModelConfig.SyncLossWeight"/>): from the video alone, predict
/// when the real audio's sounds start. The target is the onset strength of each audio token — the positive
/// spectral flux of the normalised log-mel (mean over bins of max(0, x[t] − x[t−1])), its largest value over the
/// token's mel frames. It needs no annotation, so imported footage trains it as FoleyWorld does. Sounds the
/// video cannot show (off-screen, steady rain) are noise to it; the squared error then predicts their mean.
/// </summary>
public static class SyncLoss
{
    /// <summary>(B, M, T) normalised log-mel → (B, N) onset strength per audio token, N = T / framesPerToken.</summary>
    public static Tensor OnsetTarget(Tensor mel, int framesPerToken)
    {
        var (b, t) = (mel.shape[0], mel.shape[2]);
        if (t % framesPerToken != 0)
        {
            throw new ArgumentException($"mel frames ({t}) must be a multiple of {framesPerToken}");
        }

        var rise = (mel.narrow(2, 1, t - 1) - mel.narrow(2, 0, t - 1)).clamp_min(0).mean([1]); // (B, T−1)
        var flux = nn.functional.pad(rise, [1, 0]); // frame 0 has no predecessor: 0
        return flux.view(b, t / framesPerToken, framesPerToken).amax([2]);
    }

    /// <summary>Mean squared error of <paramref name="predicted"/> (B, N) against <paramref name="target"/> (B, N) over
    /// the rows where <paramref name="useRow"/> (B) is true (rows whose video was shown); 0 when none is.</summary>
    public static Tensor Loss(Tensor predicted, Tensor target, Tensor useRow)
    {
        var w = useRow.to_type(ScalarType.Float32).to(predicted.device).unsqueeze(1); // (B, 1)
        var sq = (predicted - target).square() * w;
        return sq.sum() / (w.sum() * predicted.shape[1]).clamp_min(1);
    }
}
