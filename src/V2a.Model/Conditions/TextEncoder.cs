using TorchSharp;
using TorchSharp.Modules;
using V2a.Model.Network;
using static TorchSharp.torch;

namespace V2a.Model.Conditions;

/// <summary>
/// Compact token ids → per-token features (B, L, D) and a pooled feature (B, D): an embedding table with
/// learned positions and a few transformer layers. Prompt and negative prompt go through the same encoder.
/// </summary>
public sealed class TextEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding embed;
    private readonly Parameter positions;
    private readonly ModuleList<TransformerLayer> layers;
    private readonly LayerNorm norm;

    public TextEncoder(ModelConfig config) : base(nameof(TextEncoder))
    {
        embed = nn.Embedding(config.TextVocabSize, config.Dim, padding_idx: TextTokenizer.PadId);
        positions = nn.Parameter(torch.randn(config.TextMaxTokens, config.Dim) * 0.02);
        layers = new ModuleList<TransformerLayer>();
        for (var i = 0; i < config.TextLayers; i++)
        {
            layers.Add(new TransformerLayer(config.Dim, config.Heads, config.MlpRatio));
        }

        norm = nn.LayerNorm(config.Dim);
        RegisterComponents();
    }

    /// <param name="ids">(B, L) int64 compact ids, padded with <see cref="TextTokenizer.PadId"/>.</param>
    /// <param name="mask">(B, L) bool, true on real tokens; every row needs at least one (use the empty
    /// condition for rows without text).</param>
    /// <returns>(B, L, D) token features.</returns>
    public override Tensor forward(Tensor ids, Tensor mask)
    {
        var l = ids.shape[1];
        var x = embed.forward(ids).Plus(positions.narrow(0, 0, l)); // (B, L, D)
        var keyMask = mask.unsqueeze(1).unsqueeze(1); // (B, 1, 1, L)
        foreach (var layer in layers)
        {
            x = layer.forward(x, keyMask);
        }

        return norm.forward(x);
    }
}
