using System.Text.Json;
using System.Text.Json.Serialization;

namespace V2a.Eval.Reference;

/// <summary>
/// Everything that fixes the reference classifier: its classes (in the corpus's order), its architecture,
/// its audio front end and the log-mel normalisation, stored as config.json beside model.safetensors so a
/// package is never read with the wrong settings.
/// </summary>
public sealed record ReferenceConfig
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string CardFile = "MODEL_CARD.md";

    /// <summary>Class names in output order (FoleyWorld's classes.json order).</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    /// <summary>Output channels of the convolution stages.</summary>
    public int[] Channels { get; init; } = [32, 64, 128, 256];

    /// <summary>Width of the penultimate embedding, the Fréchet distance feature space.</summary>
    public int EmbeddingDim { get; init; } = 128;

    /// <summary>The log-mel front end (must equal the generator's: same sample rate, STFT and mel).</summary>
    public AudioSettings Audio { get; init; } = AudioSettings.Default;

    /// <summary>Per-mel-bin mean of log-mel over the classifier's training clips (natural log).</summary>
    public float[] MelMean { get; init; } = [];

    /// <summary>Per-mel-bin standard deviation of log-mel over the training clips.</summary>
    public float[] MelStd { get; init; } = [];

    /// <summary>How the weights were made (corpus, split, epochs, held-out scores): provenance, not architecture.</summary>
    public ReferenceTrainingInfo? Training { get; init; }

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static ReferenceConfig Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new BadInputException(path, "reference classifier config not found (train one with 'v2a reference train')");
        }

        try
        {
            var config = JsonSerializer.Deserialize<ReferenceConfig>(File.ReadAllText(path), JsonOptions)
                ?? throw new BadInputException(path, "is empty, expected a reference classifier config");
            if (config.Classes.Count == 0 || config.MelMean.Length != config.Audio.MelBins || config.MelStd.Length != config.Audio.MelBins)
            {
                throw new BadInputException(path, $"has {config.Classes.Count} classes and {config.MelMean.Length}/{config.MelStd.Length} normalisation values for {config.Audio.MelBins} mel bins");
            }

            return config;
        }
        catch (JsonException e)
        {
            throw new BadInputException(path, $"is not a reference classifier config ({e.Message})");
        }
    }
}

/// <summary>Provenance and held-out scores of a trained reference classifier.</summary>
public sealed record ReferenceTrainingInfo
{
    public string Corpus { get; init; } = "";

    /// <summary>How the corpus was made, from its corpus.json ("foleyworld 1.0, seed 1000, 900 clips of 8 s"), or "".</summary>
    public string CorpusDescription { get; init; } = "";

    /// <summary>The <c>v2a corpus make</c> command that remakes the corpus, or "" when unknown.</summary>
    public string CorpusCommand { get; init; } = "";

    public int TrainClips { get; init; }

    public int HeldOutClips { get; init; }

    public int Epochs { get; init; }

    public long Seed { get; init; }

    public double CropSeconds { get; init; }

    public double TrainSeconds { get; init; }

    public string Command { get; init; } = "";

    public string TrainedAt { get; init; } = "";

    /// <summary>Held-out scores on real corpus audio (full clips).</summary>
    public ClassifierScores? HeldOut { get; init; }
}

/// <summary>Multi-label scores of the classifier on a labelled set of clips.</summary>
public sealed record ClassifierScores
{
    public int Clips { get; init; }

    /// <summary>Mean over classes with positives of the average precision.</summary>
    public double MeanAveragePrecision { get; init; }

    /// <summary>F1 over all (clip, class) decisions at threshold 0.5.</summary>
    public double MicroF1 { get; init; }

    /// <summary>Fraction of clips whose predicted label set (≥ 0.5) equals the true set exactly.</summary>
    public double SubsetAccuracy { get; init; }

    /// <summary>Fraction of clips whose most probable class is one of its true classes.</summary>
    public double Top1Accuracy { get; init; }

    /// <summary>Fraction of all (clip, class) yes/no decisions that are right.</summary>
    public double BinaryAccuracy { get; init; }

    public IReadOnlyList<ClassScore> PerClass { get; init; } = [];
}

/// <summary>One class's held-out scores. Accuracy is over all clips' yes/no decisions for this class.</summary>
public sealed record ClassScore(string Class, int Positives, double Precision, double Recall, double F1, double AveragePrecision, double Accuracy);
