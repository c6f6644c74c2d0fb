using static TorchSharp.torch;

namespace V2a.Model.Training;

/// <summary>
/// The auxiliary event-class objective (config <see cref="ModelConfig.EventClassLossWeight"/>): from the video alone,
/// name at each audio token the classes of the on-screen events sounding there (the shards' event_classes). The onset
/// head learns when something happens; this head, on the same frame-aligned visual features, learns what — so the
/// features added to the audio tokens carry "a metal ring now", which the generator can turn into a ring.
/// </summary>
public static class EventClassLoss
{
    /// <summary>(B, T, C) per-mel-frame class flags → (B, N, C) per-token targets: 1 when the class sounds in any of
    /// the token's frames.</summary>
    public static Tensor Target(Tensor flags, int framesPerToken)
    {
        var (b, t, c) = (flags.shape[0], flags.shape[1], flags.shape[2]);
        if (t % framesPerToken != 0)
        {
            throw new ArgumentException($"event frames ({t}) must be a multiple of {framesPerToken}");
        }

        return flags.view(b, t / framesPerToken, framesPerToken, c).amax([2]);
    }

    /// <summary>Logistic loss of <paramref name="logits"/> (B, N, C) against 0/1 <paramref name="target"/> (B, N, C),
    /// averaged over the tokens and classes of the rows where <paramref name="useRow"/> (B) is true; 0 when none is.</summary>
    public static Tensor Loss(Tensor logits, Tensor target, Tensor useRow)
    {
        var w = useRow.to_type(ScalarType.Float32).to(logits.device).view(-1, 1, 1); // (B, 1, 1)
        var per = nn.functional.binary_cross_entropy_with_logits(logits, target.to(logits.device), reduction: nn.Reduction.None);
        return (per * w).sum() / w.sum().Times(logits.shape[1] * logits.shape[2]).AtLeast(1);
    }

    /// <summary>Over the tokens of <paramref name="logits"/> (N, C) where at least one class sounds
    /// (<paramref name="target"/> (N, C)): how many there are, and on how many the head's highest logit is one of them.</summary>
    public static (int Tokens, int Right) TopOne(float[] logits, float[] target, int classes)
    {
        int tokens = 0, right = 0;
        for (var n = 0; n + classes <= logits.Length; n += classes)
        {
            var any = false;
            var best = 0;
            for (var c = 0; c < classes; c++)
            {
                any |= target[n + c] > 0.5f;
                if (logits[n + c] > logits[n + best])
                {
                    best = c;
                }
            }

            if (any)
            {
                tokens++;
                right += target[n + best] > 0.5f ? 1 : 0;
            }
        }

        return (tokens, right);
    }
}
