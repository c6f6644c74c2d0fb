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
    /// share <paramref name="uniformFraction"/> of them, chosen at random, is uniform on [0, 1); then, with
    /// <paramref name="shift"/> ≠ 1, every time moved by <see cref="ShiftTime"/> (above 1: towards the noise end).</summary>
    public static Tensor SampleTime(long batch, Generator generator, Device device, double uniformFraction = 0, double shift = 1)
    {
        var t = torch.sigmoid(torch.randn(batch, generator: generator));
        if (uniformFraction > 0)
        {
            var uniform = torch.rand(batch, generator: generator);
            var pick = torch.rand(batch, generator: generator).LessThan(uniformFraction);
            t = torch.where(pick, uniform, t);
        }

        return ShiftTime(t, shift).to(device);
    }

    /// <summary>t ↦ t / (t + s·(1 − t)): the identity at s = 1; for s &gt; 1 every time moves towards the noise end
    /// (0 and 1 stay put, the middle 0.5 goes to 1 / (1 + s)), so training spends more of itself where x_t holds little of
    /// the data and only the conditions can say what the sound is — a copper ball's ring, a door's knock. The odds
    /// t / (1 − t) are divided by s, so on a logit-normal it is a shift of the mean by −ln s.</summary>
    public static Tensor ShiftTime(Tensor t, double s)
    {
        if (!(s > 0) || double.IsInfinity(s))
        {
            throw new ArgumentOutOfRangeException(nameof(s), s, "the flow-time shift must be a positive number");
        }

        return s == 1 ? t : t / t.Plus(t.OneMinus().Times(s));
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
    /// <param name="frameWeight">Null: the plain mean squared error. Else (B, T) weights of the data's last axis (mel frames
    /// of x1 (B, M, T)), e.g. <see cref="TransientWeights"/>: Σ w·err² / (M·Σ w), which is the plain loss when every
    /// weight is equal; or (B, M, T) weights of every cell, e.g. <see cref="TonalWeights"/>: Σ w·err² / Σ w.</param>
    /// <param name="timeShift">Moves the flow times towards the noise end when above 1 (<see cref="ShiftTime"/>).</param>
    public static Tensor Loss(Func<Tensor, Tensor, Tensor> velocity, Tensor x1, Generator generator, double uniformTimeFraction = 0,
        Tensor? frameWeight = null, double timeShift = 1)
    {
        var x0 = torch.randn(x1.shape, generator: generator).to(x1.device);
        var t = SampleTime(x1.shape[0], generator, x1.device, uniformTimeFraction, timeShift);
        var xt = Interpolate(x0, x1, t);
        var predicted = velocity(xt, t);
        if (frameWeight is null)
        {
            return nn.functional.mse_loss(predicted, x1 - x0);
        }

        var squared = (predicted - (x1 - x0)).Squared();
        if (frameWeight.dim() == x1.dim())
        {
            var cells = frameWeight.to(x1.device); // (B, M, T): a weight per mel cell
            return (squared * cells).sum() / cells.sum();
        }

        var w = frameWeight.to(x1.device).unsqueeze(1); // (B, 1, T)
        return (squared * w).sum() / w.sum().Times(x1.shape[1]);
    }

    /// <summary>Mel frames after a rise that share its weight in <see cref="TransientWeights"/> (about 100 ms at
    /// 62.5 frames/s: an impact's attack and the start of its decay, where its material is heard).</summary>
    public const int TransientFramesAfter = 6;

    /// <summary>Mel frames before a rise that share its weight (the centred STFT window sees an onset up to two frames early).</summary>
    public const int TransientFramesBefore = 2;

    /// <summary>Rise (mean over bins of the positive frame-to-frame increase of the normalised log-mel) at which a frame
    /// counts as a full onset. On the default's shards the median frame rises 0.02, the top 1 % 0.7 or more.</summary>
    public const double TransientFullRise = 0.5;

    /// <summary>
    /// (B, M, T) normalised log-mel → (B, T) loss weights that favour transients: 1 + <paramref name="strength"/>·r, where
    /// r ∈ [0, 1] is the largest rise (<see cref="TransientFullRise"/> = 1) of frames j − <see cref="TransientFramesAfter"/>
    /// … j + <see cref="TransientFramesBefore"/>: a rise weighs its own frame, the frames after it and the two before. The plain loss spends
    /// itself on the long steady and silent stretches; impacts, whose materials the model confuses, last a few frames.
    /// </summary>
    public static Tensor TransientWeights(Tensor mel, double strength)
    {
        var t = mel.shape[2];
        var rise = (mel.narrow(2, 1, t - 1) - mel.narrow(2, 0, t - 1)).AtLeast(0).mean([1]); // (B, T−1): frame k+1's rise
        var perFrame = nn.functional.pad(rise, [1, 0]).DividedBy(TransientFullRise).AtMost(1); // frame 0 has no predecessor
        // Frame j takes the largest rise of frames j − After … j + Before: a max-pool over that window.
        var padded = nn.functional.pad(perFrame.unsqueeze(1), [TransientFramesAfter, TransientFramesBefore]);
        var spread = nn.functional.max_pool1d(padded, TransientFramesAfter + TransientFramesBefore + 1, stride: 1).squeeze(1);
        return spread.Times(strength).Plus(1);
    }

    /// <summary>Mel bins on either side of a bin that a tonal peak must stand above in <see cref="TonalWeights"/>: a pure
    /// tone lights two neighbouring triangles of the Slaney filterbank, so the flanks are looked for two bins away.</summary>
    public const int TonalFlankBins = 2;

    /// <summary>Frames a peak must last in <see cref="TonalWeights"/> (80 ms at 62.5 frames/s: a ring, not a click,
    /// whose broadband attack has no peak anyway).</summary>
    public const int TonalFrames = 5;

    /// <summary>Height above the higher flank, in normalised log-mel, at which a bin counts as fully tonal.</summary>
    public const double TonalFullPeak = 1.0;

    /// <summary>
    /// (B, M, T) normalised log-mel → (B, M, T) loss weights that favour tonal lines: 1 + <paramref name="strength"/>·r,
    /// where r ∈ [0, 1] is how far bin m stands above the higher of bins m ± <see cref="TonalFlankBins"/>
    /// (<see cref="TonalFullPeak"/> = 1), taken as the least over the <see cref="TonalFrames"/> frames centred on the
    /// cell (a peak that lasts). The rings of bells, glass, metal and notes are a few bins of a few hundred
    /// milliseconds: the plain loss spends itself on the broadband rest, and the default makes their attacks without
    /// their tone (MODEL_CARD.md, "Its tonal sounds do not ring").
    /// </summary>
    public static Tensor TonalWeights(Tensor mel, double strength)
    {
        var bins = mel.shape[1];
        var f = TonalFlankBins;
        var padded = nn.functional.pad(mel.unsqueeze(1), [0, 0, f, f], PaddingModes.Replicate).squeeze(1); // (B, M + 2f, T)
        var below = padded.narrow(1, 0, bins);
        var above = padded.narrow(1, 2 * f, bins);
        var peak = mel - torch.maximum(below, above); // (B, M, T); ≤ 0 at the edges and on any slope
        // Least over TonalFrames frames centred on each cell: −max_pool(−x) along time, (B·M, 1, T) for the 1-d pool.
        var h = TonalFrames / 2;
        var flat = peak.reshape(-1, 1, mel.shape[2]).negative();
        var lasting = nn.functional.max_pool1d(nn.functional.pad(flat, [h, h], PaddingModes.Replicate), TonalFrames, stride: 1).negative();
        var r = lasting.view(mel.shape).DividedBy(TonalFullPeak).AtLeast(0).AtMost(1);
        return r.Times(strength).Plus(1);
    }
}
