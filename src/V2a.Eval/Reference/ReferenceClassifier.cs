using TorchSharp;
using TorchSharp.PyBridge;
using V2a.Model;
using V2a.Model.Audio;
using static TorchSharp.torch;

namespace V2a.Eval.Reference;

/// <summary>What the reference classifier makes of one stretch of audio.</summary>
/// <param name="Logits">(K) class logits.</param>
/// <param name="Probabilities">(K) sigmoid of the logits: each class on its own (multi-label).</param>
/// <param name="Embedding">(E) the penultimate layer: the Fréchet distance feature.</param>
public sealed record ReferenceOutput(float[] Logits, float[] Probabilities, float[] Embedding);

/// <summary>
/// A trained reference audio classifier package (models/reference/: config.json, model.safetensors,
/// MODEL_CARD.md), ready to classify and embed 16 kHz audio. Trained on real corpus audio only, never on
/// generated audio, so it measures the generator instead of agreeing with it.
/// </summary>
public sealed class ReferenceClassifier : IDisposable
{
    private readonly ReferenceNetwork _network;
    private readonly MelSpectrogram _frontEnd;
    private readonly bool _ownsNetwork;

    private ReferenceClassifier(ReferenceConfig config, ReferenceNetwork network, string directory, bool ownsNetwork)
    {
        Config = config;
        _network = network;
        Directory = directory;
        _ownsNetwork = ownsNetwork;
        _frontEnd = new MelSpectrogram(config.Audio);
    }

    public ReferenceConfig Config { get; }

    public string Directory { get; }

    public IReadOnlyList<string> Classes => Config.Classes;

    /// <summary>
    /// The package v2a uses when none is named: V2A_REFERENCE, else the first <c>models/reference</c> holding a
    /// config.json in the current folder, the program's folder, or a folder above either; null when none.
    /// </summary>
    public static string? FindDefault()
    {
        var fromEnv = Environment.GetEnvironmentVariable("V2A_REFERENCE");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv;
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "models", "reference");
                if (File.Exists(Path.Combine(candidate, ReferenceConfig.ConfigFile)))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Loads a package folder.</summary>
    /// <exception cref="BadInputException">The folder lacks config.json or model.safetensors, or they do not fit.</exception>
    public static ReferenceClassifier Load(string directory)
    {
        var config = ReferenceConfig.Read(Path.Combine(directory, ReferenceConfig.ConfigFile));
        var weights = Path.Combine(directory, ReferenceConfig.WeightsFile);
        if (!File.Exists(weights))
        {
            throw new BadInputException(weights, "reference classifier weights not found");
        }

        TorchRuntime.Initialise();
        var network = new ReferenceNetwork(config);
        try
        {
            network.load_safetensors(weights);
        }
        catch (Exception e) when (e is not V2aException)
        {
            network.Dispose();
            throw new BadInputException(weights, $"does not fit the classifier in config.json ({e.Message})");
        }

        network.eval();
        return new ReferenceClassifier(config, network, directory, ownsNetwork: true);
    }

    /// <summary>Wraps an in-memory network without taking it over (training scores the held-out clips with it).</summary>
    internal static ReferenceClassifier FromNetwork(ReferenceConfig config, ReferenceNetwork network) => new(config, network, "", ownsNetwork: false);

    /// <summary>Classifies and embeds <paramref name="samples"/> (mono, at <see cref="AudioSettings.SampleRate"/> of the config).</summary>
    public ReferenceOutput Analyse(ReadOnlySpan<float> samples)
    {
        return Analyse(NormalisedLogMel(samples));
    }

    /// <summary>Classifies and embeds a normalised log-mel (M, T).</summary>
    internal ReferenceOutput Analyse(float[,] normalisedLogMel)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (m, t) = (normalisedLogMel.GetLength(0), normalisedLogMel.GetLength(1));
        var x = torch.tensor(Flatten(normalisedLogMel), [1, m, t]); // (1, M, T)
        var embedding = _network.Embed(x); // (1, E)
        var logits = _network.Classify(embedding); // (1, K)
        var probs = torch.sigmoid(logits);
        return new ReferenceOutput(logits[0].data<float>().ToArray(), probs[0].data<float>().ToArray(), embedding[0].data<float>().ToArray());
    }

    /// <summary>
    /// Log-mel of <paramref name="samples"/> computed by the generator's own front end
    /// (<see cref="MelSpectrogram"/>), normalised per bin with the training statistics: (M, T).
    /// </summary>
    public float[,] NormalisedLogMel(ReadOnlySpan<float> samples)
    {
        var raw = LogMelOf(samples, _frontEnd);
        Normalise(raw, Config.MelMean, Config.MelStd);
        return raw;
    }

    /// <summary>
    /// Natural-log mel (M, T) of mono samples through <paramref name="frontEnd"/>: T = ⌊samples / hop⌋.
    /// Inputs shorter than one hop are padded with silence to one hop (one frame).
    /// </summary>
    public static float[,] LogMelOf(ReadOnlySpan<float> samples, MelSpectrogram frontEnd)
    {
        ArgumentNullException.ThrowIfNull(frontEnd);
        var hop = frontEnd.Settings.HopLength;
        var input = samples.Length >= hop ? samples.ToArray() : new float[hop];
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var mel = frontEnd.forward(torch.tensor(input, [1, input.Length])); // (1, M, T)
        var (m, t) = ((int)mel.shape[1], (int)mel.shape[2]);
        var flat = mel.contiguous().data<float>().ToArray();
        var result = new float[m, t];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(float));
        return result;
    }

    /// <summary>In place: (x − mean[m]) / std[m] for every frame.</summary>
    internal static void Normalise(float[,] logMel, float[] mean, float[] std)
    {
        var (m, t) = (logMel.GetLength(0), logMel.GetLength(1));
        for (var i = 0; i < m; i++)
        {
            var inv = 1f / Math.Max(std[i], 1e-3f);
            for (var j = 0; j < t; j++)
            {
                logMel[i, j] = (logMel[i, j] - mean[i]) * inv;
            }
        }
    }

    internal static float[] Flatten(float[,] a)
    {
        var result = new float[a.Length];
        Buffer.BlockCopy(a, 0, result, 0, a.Length * sizeof(float));
        return result;
    }

    public void Dispose()
    {
        _frontEnd.Dispose();
        if (_ownsNetwork)
        {
            _network.Dispose();
        }
    }
}
