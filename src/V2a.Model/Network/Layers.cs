using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace V2a.Model.Network;

// Shape letters: B batch, N audio tokens, S condition tokens (text then visual), L text tokens,
// H heads, E head width, D model width.

/// <summary>Root-mean-square normalisation over the last axis with a learned gain (used on queries and keys).</summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _eps;

    public RmsNorm(long dim, double eps = 1e-6) : base(nameof(RmsNorm))
    {
        weight = nn.Parameter(torch.ones(dim));
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => x * torch.rsqrt(x.Squared().mean([-1], keepdim: true).Plus(_eps)) * weight;
}

/// <summary>
/// Rotary positions. A position is a time expressed in audio tokens (seconds × token rate), so the same
/// moment gets the same rotation in the audio stream and the visual stream (DESIGN.md, "Time alignment").
/// </summary>
internal static class Rope
{
    /// <summary>cos and sin of every position's angles: each (N, E/2).</summary>
    public static (Tensor Cos, Tensor Sin) Angles(IReadOnlyList<double> positions, int headDim, double ropeBase, Device device)
    {
        var half = headDim / 2;
        var angles = new float[positions.Count * half];
        for (var n = 0; n < positions.Count; n++)
        {
            for (var i = 0; i < half; i++)
            {
                var freq = Math.Pow(ropeBase, -2.0 * i / headDim);
                angles[(n * half) + i] = (float)(positions[n] * freq);
            }
        }

        var a = torch.tensor(angles, [positions.Count, half], device: device);
        return (a.cos(), a.sin());
    }

    /// <summary>Rotates x (B, H, N, E) by the angles (N, E/2), halves layout.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        return torch.cat([(x1 * cos) - (x2 * sin), (x1 * sin).Plus(x2 * cos)], -1);
    }
}

/// <summary>Two-layer perceptron with tanh-approximated GELU.</summary>
internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;

    public Mlp(long dim, long hidden) : base(nameof(Mlp))
    {
        fc1 = nn.Linear(dim, hidden);
        fc2 = nn.Linear(hidden, dim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc2.forward(nn.functional.gelu(fc1.forward(x), TorchSharp.Modules.GELU.Approximate.tanh));
}

/// <summary>A plain pre-norm transformer layer with a key padding mask (the text encoder's layers).</summary>
internal sealed class TransformerLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
    private readonly int _heads;

    public TransformerLayer(int dim, int heads, int mlpRatio) : base(nameof(TransformerLayer))
    {
        _heads = heads;
        norm1 = nn.LayerNorm(dim);
        qkv = nn.Linear(dim, 3 * dim);
        proj = nn.Linear(dim, dim);
        norm2 = nn.LayerNorm(dim);
        mlp = new Mlp(dim, dim * mlpRatio);
        RegisterComponents();
    }

    /// <param name="x">(B, L, D)</param>
    /// <param name="keyMask">(B, 1, 1, L) bool, true where a token may be attended to.</param>
    public override Tensor forward(Tensor x, Tensor keyMask)
    {
        var (b, l, d) = (x.shape[0], x.shape[1], x.shape[2]);
        var parts = qkv.forward(norm1.forward(x)).view(b, l, 3, _heads, d / _heads).permute(2, 0, 3, 1, 4); // (3, B, H, L, E)
        var att = nn.functional.scaled_dot_product_attention(parts[0], parts[1], parts[2], keyMask); // (B, H, L, E)
        x = x.Plus(proj.forward(att.transpose(1, 2).reshape(b, l, d)));
        return x.Plus(mlp.forward(norm2.forward(x)));
    }
}

/// <summary>Keys and values of the condition tokens for one generator block, computed once per clip.</summary>
public sealed record CrossMemory(Tensor Keys, Tensor Values);

/// <summary>
/// One generator block: modulated self-attention over audio tokens (rotary positions), cross-attention to
/// the condition tokens (text without positions, visual tokens with time-aligned rotary positions), and a
/// modulated MLP. Modulation (shift, scale, gate for attention and MLP) is the shared timestep/condition
/// projection plus this block's own learned table ("adaLN-single"), gates starting at zero.
/// </summary>
internal sealed class GeneratorBlock : nn.Module
{
    private readonly LayerNorm norm1;
    private readonly Linear qkv;
    private readonly RmsNorm q_norm;
    private readonly RmsNorm k_norm;
    private readonly Linear proj;
    private readonly LayerNorm cross_norm;
    private readonly Linear cross_q;
    private readonly Linear cross_kv;
    private readonly RmsNorm cross_q_norm;
    private readonly RmsNorm cross_k_norm;
    private readonly Linear cross_proj;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
    private readonly Parameter modulation;
    private readonly int _heads;
    private readonly int _headDim;

    public GeneratorBlock(int dim, int heads, int mlpRatio) : base(nameof(GeneratorBlock))
    {
        _heads = heads;
        _headDim = dim / heads;
        norm1 = nn.LayerNorm(dim, elementwise_affine: false);
        qkv = nn.Linear(dim, 3 * dim);
        q_norm = new RmsNorm(_headDim);
        k_norm = new RmsNorm(_headDim);
        proj = nn.Linear(dim, dim);
        cross_norm = nn.LayerNorm(dim);
        cross_q = nn.Linear(dim, dim);
        cross_kv = nn.Linear(dim, 2 * dim);
        cross_q_norm = new RmsNorm(_headDim);
        cross_k_norm = new RmsNorm(_headDim);
        cross_proj = nn.Linear(dim, dim);
        norm2 = nn.LayerNorm(dim, elementwise_affine: false);
        mlp = new Mlp(dim, dim * mlpRatio);
        modulation = nn.Parameter(torch.zeros(6, dim));
        RegisterComponents();
    }

    /// <summary>
    /// Keys (B, H, S, 2E) and values (B, H, S, E) of the condition tokens. The key's first E channels carry
    /// the text tokens (no rotation), the last E the rotated visual tokens, each zero in the other half; the
    /// query is laid out as [q, rope(q)], so text scores ignore time and visual scores depend only on the
    /// time difference between an audio token and a visual token.
    /// </summary>
    /// <param name="cond">(B, S, D): L text tokens, then visual tokens.</param>
    /// <param name="visCos">(S − L, E/2) angles of the visual tokens.</param>
    public CrossMemory Memory(Tensor cond, int textTokens, Tensor visCos, Tensor visSin)
    {
        var (b, s, d) = (cond.shape[0], cond.shape[1], cond.shape[2]);
        var kv = cross_kv.forward(cond).view(b, s, 2, _heads, _headDim).permute(2, 0, 3, 1, 4); // (2, B, H, S, E)
        var k = cross_k_norm.forward(kv[0]);
        var kText = k.narrow(2, 0, textTokens);
        var kVis = Rope.Apply(k.narrow(2, textTokens, s - textTokens), visCos, visSin);
        var keys = torch.cat([
            torch.cat([kText, torch.zeros_like(kText)], -1),
            torch.cat([torch.zeros_like(kVis), kVis], -1),
        ], 2); // (B, H, S, 2E)
        return new CrossMemory(keys, kv[1]);
    }

    /// <param name="x">(B, N, D) audio tokens.</param>
    /// <param name="mod">(B, 6, D) shared modulation.</param>
    /// <param name="cos">(N, E/2) angles of the audio tokens.</param>
    /// <param name="crossMask">(B, 1, 1, S) bool, false on text padding.</param>
    public Tensor Forward(Tensor x, Tensor mod, Tensor cos, Tensor sin, CrossMemory memory, Tensor crossMask)
    {
        var (b, n, d) = (x.shape[0], x.shape[1], x.shape[2]);
        var m = mod.Plus(modulation).unbind(1); // 6 × (B, D)
        var (shift1, scale1, gate1, shift2, scale2, gate2) = (m[0].unsqueeze(1), m[1].unsqueeze(1), m[2].unsqueeze(1), m[3].unsqueeze(1), m[4].unsqueeze(1), m[5].unsqueeze(1));

        var h = (norm1.forward(x) * scale1.Plus(1)).Plus(shift1);
        var parts = qkv.forward(h).view(b, n, 3, _heads, _headDim).permute(2, 0, 3, 1, 4); // (3, B, H, N, E)
        var q = Rope.Apply(q_norm.forward(parts[0]), cos, sin);
        var k = Rope.Apply(k_norm.forward(parts[1]), cos, sin);
        var att = nn.functional.scaled_dot_product_attention(q, k, parts[2]); // (B, H, N, E)
        x = x.Plus(gate1 * proj.forward(att.transpose(1, 2).reshape(b, n, d)));

        var cq = cross_q_norm.forward(cross_q.forward(cross_norm.forward(x)).view(b, n, _heads, _headDim).transpose(1, 2)); // (B, H, N, E)
        // × √2 because attention divides by √(2E) while each half of the scores is a dot product over E channels.
        var query = torch.cat([cq, Rope.Apply(cq, cos, sin)], -1).Times(Math.Sqrt(2)); // (B, H, N, 2E)
        var cross = nn.functional.scaled_dot_product_attention(query, memory.Keys, memory.Values, crossMask); // (B, H, N, E)
        x = x.Plus(cross_proj.forward(cross.transpose(1, 2).reshape(b, n, d)));

        h = (norm2.forward(x) * scale2.Plus(1)).Plus(shift2);
        return x.Plus(gate2 * mlp.forward(h));
    }
}
