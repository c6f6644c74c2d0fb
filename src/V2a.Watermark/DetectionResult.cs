using System.Text.Json.Serialization;

namespace V2a.Watermark;

/// <summary>The detector's answer.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Verdict>))]
public enum Verdict
{
    /// <summary>The mark is there: the score passed the threshold set for the target false-positive rate.</summary>
    Watermarked,

    /// <summary>No mark found. For input shorter than the guaranteed excerpt length a weak mark may be missed; see Note.</summary>
    NotWatermarked,

    /// <summary>Less than one synchronisation period of audio: no honest decision is possible.</summary>
    TooShort,

    /// <summary>Too little audible content (silence, near-silence) to carry or reveal a mark.</summary>
    TooQuiet,

    /// <summary>The file has no audio stream.</summary>
    NoAudio,
}

/// <summary>A time range where the mark was found, in seconds from the start of the input, with its own score.</summary>
public sealed record MarkedRange(double StartSeconds, double EndSeconds, double Score);

/// <summary>What <see cref="Watermarker.Detect"/> found.</summary>
public sealed record DetectionResult
{
    public required Verdict Verdict { get; init; }

    [JsonIgnore]
    public bool Detected => Verdict == Verdict.Watermarked;

    /// <summary>Detection score: the best normalised correlation of the synchronisation chips, ~N(0, 1) on unmarked audio.</summary>
    public double Score { get; init; }

    /// <summary>Score needed to decide "watermarked" (false-positive probability <see cref="FalsePositiveTarget"/>).</summary>
    public double Threshold { get; init; }

    /// <summary>Probability that unmarked audio scores at least <see cref="Score"/> somewhere in the search (Gaussian tail × hypotheses tried).</summary>
    public double FalsePositiveProbability { get; init; }

    /// <summary>log10 of <see cref="FalsePositiveProbability"/>, finite even where the probability underflows to 0.</summary>
    public double Log10FalsePositiveProbability { get; init; }

    public double FalsePositiveTarget { get; init; }

    /// <summary>Alignment hypotheses × excerpt windows searched (the multiple-comparison count in the probability).</summary>
    public int HypothesesSearched { get; init; }

    /// <summary>The decoded payload when its CRC checks, else null.</summary>
    public WatermarkPayload? Payload { get; init; }

    /// <summary>Hex of <see cref="Payload"/>, or null.</summary>
    public string? PayloadHex => Payload?.Hex;

    /// <summary>Where the mark was found (empty unless watermarked).</summary>
    public IReadOnlyList<MarkedRange> Ranges { get; init; } = [];

    /// <summary>Seconds of audio examined.</summary>
    public double DurationSeconds { get; init; }

    /// <summary>Offset of the mark's grid in the input, in seconds modulo one synchronisation period.</summary>
    public double? AlignmentSeconds { get; init; }

    /// <summary>A sentence for people: what the verdict means here.</summary>
    public string Note { get; init; } = "";

    /// <summary>Fingerprint of the key detection used (never the key).</summary>
    public string KeyFingerprint { get; init; } = "";

    /// <summary>Score of one fixed alignment hypothesis (no search): exactly the statistic whose null law is N(0, 1).</summary>
    [JsonIgnore]
    public double FixedHypothesisScore { get; init; }

    /// <summary>Which test found the mark: "sync" (the synchronisation score), "sync-sounds" (the same, counting the sounds
    /// above the input's background: noise or another sound laid over it), "sync-window" (in part of the input), "payload"
    /// (a payload whose CRC checks at the best alignment), "room-tone" (the keyed room tone of v2a's output), "both-layers"
    /// (the see-saw score and the room tone's together); null when not watermarked.</summary>
    public string? DecidedBy { get; init; }

    /// <summary>The keyed room tone's score (<see cref="RoomToneMark"/>): the best |correlation| of what was heard with the key's
    /// chips over every offset, in units of its standard deviation on unmarked audio. Only v2a's own soundtracks carry it.</summary>
    public double RoomToneScore { get; init; }

    /// <summary>Room tone score needed on its own to decide "watermarked" (its share of the false-positive target).</summary>
    public double RoomToneThreshold { get; init; }

    /// <summary>Layout version (<see cref="WatermarkSettings.Version"/>).</summary>
    public string Layout { get; init; } = "";
}
