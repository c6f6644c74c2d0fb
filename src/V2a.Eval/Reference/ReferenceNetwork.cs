using TorchSharp;
using TorchSharp.Modules;
using V2a.Model;
using static TorchSharp.torch;

namespace V2a.Eval.Reference;

// Shape letters: B batch, M mel bins, T mel frames, C channels, K classes, E embedding width.

/// <summary>One stage of the CNN: 3×3 convolution, batch norm, ReLU, then 2×2 average pooling (when asked).</summary>
internal sealed class ConvBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;
    private readonly bool _pool;

    public ConvBlock(long inChannels, long outChannels, bool pool) : base(nameof(ConvBlock))
    {
        conv = nn.Conv2d(inChannels, outChannels, 3, padding: 1, bias: false);
        bn = nn.BatchNorm2d(outChannels);
        _pool = pool;
        RegisterComponents();
    }

    /// <param name="x">(B, C, M, T)</param>
    public override Tensor forward(Tensor x)
    {
        var h = nn.functional.relu(bn.forward(conv.forward(x)));
        return _pool ? nn.functional.avg_pool2d(h, 2) : h;
    }
}

/// <summary>
/// The reference audio classifier: a small CNN over normalised log-mel in the manner of PANNs' CNN
/// (convolution stages with pooling, then mean over frequency and mean + max over time), a penultimate
/// embedding layer and a multi-label (sigmoid) head over the corpus classes. The embedding is the feature
/// space of v2a's Fréchet distance, as PANNs' 2048-d embedding is for FD_PANNs. Any length of input works
/// (global pooling over time); an 8 s clip is 500 frames.
/// </summary>
public sealed class ReferenceNetwork : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ConvBlock> blocks;
    private readonly Linear embed;
    private readonly Linear head;

    public ReferenceNetwork(ReferenceConfig config) : base(nameof(ReferenceNetwork))
    {
        ArgumentNullException.ThrowIfNull(config);
        blocks = new ModuleList<ConvBlock>();
        long inChannels = 1;
        for (var i = 0; i < config.Channels.Length; i++)
        {
            // Every stage but the last halves frequency and time (80×T → 10×T/8 with four stages).
            blocks.Add(new ConvBlock(inChannels, config.Channels[i], pool: i < config.Channels.Length - 1));
            inChannels = config.Channels[i];
        }

        embed = nn.Linear(inChannels, config.EmbeddingDim);
        head = nn.Linear(config.EmbeddingDim, config.Classes.Count);
        RegisterComponents();
    }

    /// <summary>Class logits (B, K) of normalised log-mel (B, M, T).</summary>
    public override Tensor forward(Tensor logMel) => head.forward(Embed(logMel));

    /// <summary>The penultimate embedding (B, E) of normalised log-mel (B, M, T): ReLU outputs, so ≥ 0.</summary>
    public Tensor Embed(Tensor logMel) => nn.functional.relu(embed.forward(Pool(logMel)));

    /// <summary>Class logits from an embedding (B, E) → (B, K).</summary>
    public Tensor Classify(Tensor embedding) => head.forward(embedding);

    private Tensor Pool(Tensor logMel)
    {
        var x = logMel.unsqueeze(1); // (B, 1, M, T)
        foreach (var block in blocks)
        {
            x = block.forward(x);
        }

        var perFrame = x.mean([2]); // (B, C, T') mean over frequency
        return perFrame.mean([2]).Plus(perFrame.amax([2])); // (B, C) mean + max over time (HeldScalars: no transient Scalar)
    }
}
