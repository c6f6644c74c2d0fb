using TorchSharp;
using V2a.Model.Network;
using static TorchSharp.torch;

namespace V2a.Model.Tests;

/// <summary>Shared helpers: the debug preset with a small vocabulary, random inputs, temp folders.</summary>
public static class TestSupport
{
    public static ModelConfig Debug(int vocab = 16) => ModelConfig.FromPreset("debug") with { TextVocabSize = vocab };

    public static SoundtrackNetwork Network(ModelConfig config, long seed = 1)
    {
        TorchRuntime.Initialise();
        torch.manual_seed(seed);
        var net = new SoundtrackNetwork(config);
        net.eval();
        return net;
    }

    /// <summary>Random frames (B, F, S, S, 3) uint8 and text ids (B, L) for a stretch.</summary>
    public static (Tensor Frames, Tensor Ids, Tensor Mask) Inputs(ModelConfig config, SequenceConfig seq, int batch, long seed = 2)
    {
        var g = new Generator((ulong)seed);
        var s = config.Video.FrameSize;
        var frames = torch.randint(0, 256, [batch, seq.VideoFrames, s, s, 3], dtype: ScalarType.Byte, generator: g);
        var ids = torch.randint(2, config.TextVocabSize, [batch, 5], dtype: ScalarType.Int64, generator: g);
        var mask = torch.ones(batch, 5, dtype: ScalarType.Bool);
        return (frames, ids, mask);
    }

    public static Tensor Flags(params bool[] values) => torch.tensor(values);

    /// <summary>Adds N(0, scale²) to every weight, so a fresh network (whose output layers start at zero)
    /// gives a non-trivial velocity that depends on its inputs.</summary>
    public static SoundtrackNetwork Perturb(SoundtrackNetwork net, double scale = 0.1, long seed = 9)
    {
        using var noGrad = torch.no_grad();
        var g = new Generator((ulong)seed);
        foreach (var p in net.parameters())
        {
            p.add_(torch.randn(p.shape, generator: g) * scale);
        }

        return net;
    }

    /// <summary>A debug model (perturbed random weights, identity normalisation) ready for the generator.</summary>
    public static SoundtrackModel RandomModel(long seed = 1)
    {
        var config = Debug(vocab: 40) with { Normalisation = new MelNormalisation(Enumerable.Repeat(-6f, 80).ToArray(), Enumerable.Repeat(2f, 80).ToArray()) };
        var tokenizer = V2a.Model.Conditions.TextTokenizer.Build(["white flashes with clicks", "red flashes with beeps", "rain and wind"]);
        config = config with { TextVocabSize = tokenizer.VocabSize };
        var net = Perturb(Network(config, seed));
        return new SoundtrackModel(net, tokenizer, "debug-test");
    }

    public static string TempDir(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"v2a-test-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
