using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace V2a.Model.Conditions;

/// <summary>
/// Frames at the video rate (25 fps) → one feature per frame (B, F, D), trained from scratch. Each frame's
/// input is its appearance (RGB) and its motion (the difference to the previous frame), through a small CNN
/// with shared weights (three stride-2 convolutions, so a 32×32 frame ends as 4×4 cells, whose layout is
/// kept; larger frames may get more stride-2 stages down to <see cref="ModelConfig.VisualCells"/>); a stack of
/// residual temporal convolutions then mixes neighbouring frames (±1 frame = ±40 ms a layer).
/// </summary>
public sealed class VisualEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Conv2d conv3;
    private readonly ModuleList<Conv2d> down;
    private readonly Linear frame_proj;
    private readonly ModuleList<Conv1d> temporal;
    private readonly Conv1d? event_conv;
    private readonly Linear? event_proj;
    private readonly LayerNorm norm;
    private readonly int patch;

    public VisualEncoder(ModelConfig config) : base(nameof(VisualEncoder))
    {
        var c = config.VisualChannels;
        patch = config.VisualPatch;
        conv1 = nn.Conv2d(6 * patch * patch, c[0], 3, stride: 2, padding: 1);
        conv2 = nn.Conv2d(c[0], c[1], 3, stride: 2, padding: 1);
        conv3 = nn.Conv2d(c[1], c[2], 3, stride: 2, padding: 1);
        down = new ModuleList<Conv2d>();
        for (var i = 3; i < config.VisualStages; i++)
        {
            down.Add(nn.Conv2d(c[2], c[2], 3, stride: 2, padding: 1));
        }

        var cells = config.VisualInputSide >> config.VisualStages;
        frame_proj = nn.Linear(c[2] * cells * cells, config.Dim);
        temporal = new ModuleList<Conv1d>();
        for (var i = 0; i < config.VisualTemporalLayers; i++)
        {
            temporal.Add(nn.Conv1d(config.Dim, config.Dim, 3, padding: 1));
        }

        if (config.VisualEventChannels > 0)
        {
            event_conv = nn.Conv1d(c[2], config.VisualEventChannels, 3, padding: 1);
            event_proj = nn.Linear(config.VisualEventChannels, config.Dim);
        }

        norm = nn.LayerNorm(config.Dim);
        RegisterComponents();
    }

    /// <summary>Zeroes the event path's output projection, so that the path adds nothing until training grows it:
    /// an encoder given the path on top of trained weights starts as the encoder it was.</summary>
    internal void SilenceEventPath()
    {
        if (event_proj is null)
        {
            throw new InvalidOperationException("this visual encoder has no event path");
        }

        using var noGrad = torch.no_grad();
        event_proj.weight!.zero_();
        event_proj.bias!.zero_();
    }

    /// <summary>Frames the per-frame CNN takes at once when no gradient is kept (generation, evaluation).</summary>
    internal const int InferenceFrameChunk = 64;

    /// <summary>Channels of <see cref="Input"/>'s layout for blocks of side <paramref name="patch"/>: the 6·P² of the
    /// pixels, then zero channels up to a multiple of 16 where 6·P² is over 16 and not one already. libtorch 2.10's
    /// float32 CPU convolution computes wrong outputs for more than 16 input channels that are no multiple of 16 (on
    /// the dev VM's AMD EPYC: 17–31, 33–47, … all wrong by the order of the outputs themselves, its gradients with
    /// respect to the weights right — measured against float64), which 2×2 blocks (24) would meet; 1 (6) and 4 (96)
    /// do not. The zero channels meet zero weights (the first convolution's are padded to match), so the result is
    /// the 6·P²-channel convolution's.</summary>
    public static long InputChannels(int patch)
    {
        var c = 6L * patch * patch;
        return c <= 16 || c % 16 == 0 ? c : (c + 15) / 16 * 16;
    }

    /// <summary>The per-frame CNN's input: each frame's RGB, (x − 0.5)·4, and its difference to the frame before
    /// (zero for the first), ·4, both scaled from [0, 255]; with <paramref name="patch"/> P > 1 each P×P block of pixels
    /// folded into channels as <c>pixel_unshuffle</c> orders them (channel k·P² + i·P + j: input channel k at row i,
    /// column j of the block), then zero channels up to <see cref="InputChannels"/>.</summary>
    /// <param name="frames">(B, F, S, S, 3) uint8.</param>
    /// <returns>(B·F, <see cref="InputChannels"/>, S/P, S/P) float32.</returns>
    public static Tensor Input(Tensor frames, int patch)
    {
        var (b, f, s) = (frames.shape[0], frames.shape[1], frames.shape[2]);
        var (side, c, all) = (s / patch, 3L * patch * patch, InputChannels(patch));
        using var scope = torch.NewDisposeScope();
        // The blocks folded into channels while still bytes (a byte moved per value, not four), then to float straight
        // into the output's halves and scaled in place: the same arithmetic, in the same order, as the plain
        // cat([(rgb − 0.5)·4, (rgb − rgb before)·4]) with rgb = frames / 255, so the result is identical to the bit —
        // in a fraction of the passes over memory (at 128×128 the plain way took 0.61 s of a 3.34 s encoder step, this 0.14 s).
        var bytes = frames.reshape(b, f, side, patch, side, patch, 3).permute(0, 1, 6, 3, 5, 2, 4).reshape(b, f, c, side, side);
        var x = torch.empty([b, f, all, side, side], ScalarType.Float32, frames.device);
        if (all > 2 * c)
        {
            x.narrow(2, 2 * c, all - (2 * c)).zero_();
        }

        var rgb = x.narrow(2, 0, c);
        rgb.copy_(bytes).div_(255);
        var motion = x.narrow(2, c, c);
        motion.narrow(1, 0, 1).zero_();
        if (f > 1)
        {
            motion.narrow(1, 1, f - 1).copy_(rgb.narrow(1, 1, f - 1) - rgb.narrow(1, 0, f - 1)).mul_(4);
        }

        rgb.sub_(0.5).mul_(4);

        return scope.MoveToOuter(x.view(b * f, all, side, side));
    }

    /// <summary>The first convolution's weights for frames <paramref name="patch"/> times finer, folded in P×P blocks
    /// (<see cref="Input"/>), that compute what <paramref name="weight"/> computes on the same frames averaged over
    /// each block: every input channel's kernel spread over its P² block positions, divided by P². The rest of the
    /// encoder sees the same grid, so a package trained on area-scaled frames starts on the finer ones as it was.</summary>
    /// <param name="weight">(O, 6, K, K) of an encoder without blocks.</param>
    /// <returns>(O, 6·P², K, K).</returns>
    public static Tensor WidenInputWeight(Tensor weight, int patch)
    {
        if (weight.dim() != 4 || weight.shape[1] != 6)
        {
            throw new ArgumentException($"expected the (O, 6, K, K) weight of an encoder without blocks, got ({string.Join(", ", weight.shape)})", nameof(weight));
        }

        var blocks = patch * patch;
        using var scope = torch.NewDisposeScope();
        // Channel k·P² + i·P + j takes input channel k's kernel: repeat each channel P² times in place.
        var widened = weight.repeat_interleave(blocks, dim: 1).div(blocks);
        return scope.MoveToOuter(widened);
    }

    /// <param name="frames">(B, F, S, S, 3) uint8 RGB frames, F consecutive frames at the video rate.</param>
    /// <returns>(B, F, D): feature of each frame, in the frame's time.</returns>
    public override Tensor forward(Tensor frames)
    {
        var (b, f) = (frames.shape[0], frames.shape[1]);
        var x = Input(frames, patch);
        Tensor fine;
        if (torch.is_grad_enabled() || b * f <= InferenceFrameChunk)
        {
            (fine, x) = Cells(x);
        }
        else
        {
            // Generating: run the per-frame CNN a chunk of frames at a time and free each chunk's activations at once,
            // so the peak is one chunk's (at 64×64, all 200 frames of a guided window at once held ~0.3 GB).
            var (fineParts, parts) = (new List<Tensor>(), new List<Tensor>());
            for (long start = 0; start < b * f; start += InferenceFrameChunk)
            {
                using var scope = torch.NewDisposeScope();
                var (chunkFine, chunk) = Cells(x.narrow(0, start, Math.Min(InferenceFrameChunk, (b * f) - start)));
                parts.Add(scope.MoveToOuter(chunk));
                if (event_conv is not null)
                {
                    fineParts.Add(scope.MoveToOuter(chunkFine));
                }
            }

            x.Dispose();
            x = torch.cat(parts, 0);
            fine = event_conv is null ? x : torch.cat(fineParts, 0);
            parts.ForEach(p => p.Dispose());
            fineParts.ForEach(p => p.Dispose());
        }

        var h = frame_proj.forward(x.flatten(1)).view(b, f, -1).transpose(1, 2); // (B, D, F)
        if (event_conv is not null && event_proj is not null)
        {
            // Each cell of the frame / 8 grid, its features over consecutive frames (B·cells, C, F); the strongest cell
            // at each frame.
            var (ch, cells) = (fine.shape[1], fine.shape[2] * fine.shape[3]);
            var perCell = fine.view(b, f, ch, cells).permute(0, 3, 2, 1).reshape(b * cells, ch, f);
            var events = nn.functional.gelu(event_conv.forward(perCell)).view(b, cells, -1, f).amax([1]); // (B, E, F)
            h = h.Plus(event_proj.forward(events.transpose(1, 2)).transpose(1, 2));
        }

        foreach (var conv in temporal)
        {
            h = h.Plus(nn.functional.gelu(conv.forward(h)));
        }

        return norm.forward(h.transpose(1, 2)); // (B, F, D)
    }

    /// <summary>The per-frame CNN: (N, <see cref="InputChannels"/>, S, S) → its S/8 grid (N, C, S/8, S/8) and the config's cell grid (N, C, cells, cells).</summary>
    private (Tensor Fine, Tensor Cells) Cells(Tensor x)
    {
        var pad = x.shape[1] - conv1.weight!.shape[1];
        x = nn.functional.gelu(pad == 0
            ? conv1.forward(x)
            : nn.functional.conv2d(x, nn.functional.pad(conv1.weight, [0, 0, 0, 0, 0, pad]), conv1.bias, strides: [2, 2], padding: [1, 1]));
        x = nn.functional.gelu(conv2.forward(x));
        var fine = nn.functional.gelu(conv3.forward(x)); // (N, C, S/8, S/8)
        x = fine;
        foreach (var conv in down)
        {
            x = nn.functional.gelu(conv.forward(x)); // halves again, down to the config's cell grid
        }

        return (fine, x);
    }
}
