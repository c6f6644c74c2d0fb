namespace V2a.Watermark;

/// <summary>
/// The watermark's time–frequency grid, in one place. The mark lives on a short-time Fourier grid of its own
/// (not the model's mel grid): frames of <see cref="FrameLength"/> samples at a hop of half that, grouped into
/// tiles of <see cref="TileFrames"/> frames × <see cref="BinsPerBand"/> bins over [<see cref="LowHz"/>,
/// <see cref="HighHz"/>]. Every tile carries one keyed ±1 chip; the pattern repeats every
/// <see cref="PeriodColumns"/> tile columns (the synchronisation period), so any excerpt is aligned by a
/// search over <see cref="Offsets"/> frame offsets. Changing any number here changes the mark: old marks stop
/// being detected, so <see cref="Version"/> names the layout.
/// </summary>
public sealed record WatermarkSettings
{
    /// <summary>Layout version, written to manifests and detection reports.</summary>
    public string Version { get; init; } = "v2a-wm-1";

    /// <summary>Samples per second the mark is embedded and detected at (the generator's rate).</summary>
    public int SampleRate { get; init; } = AudioSettings.Default.SampleRate;

    /// <summary>STFT frame in samples (32 ms at 16 kHz); sqrt-Hann analysis and synthesis, hop = half a frame.</summary>
    public int FrameLength { get; init; } = 512;

    /// <summary>Hop between frames in samples (16 ms at 16 kHz).</summary>
    public int Hop => FrameLength / 2;

    /// <summary>Frames per tile column (64 ms at 16 kHz): long enough that a sub-frame shift barely blurs a tile.</summary>
    public int TileFrames { get; init; } = 4;

    /// <summary>STFT bins per band (125 Hz at 16 kHz).</summary>
    public int BinsPerBand { get; init; } = 4;

    /// <summary>Lowest frequency carrying the mark, in Hz. Below it lives most of the energy (and its cost in SNR).</summary>
    public double LowHz { get; init; } = 300;

    /// <summary>Highest frequency carrying the mark, in Hz. Bands above a low-pass simply drop out of detection.</summary>
    public double HighHz { get; init; } = 7_000;

    /// <summary>Tile columns in one synchronisation period (16 × 64 ms ≈ 1.02 s at 16 kHz).</summary>
    public int PeriodColumns { get; init; } = 16;

    /// <summary>Share of a period's tiles that carry the payload-independent synchronisation chips (the detection score).</summary>
    public double SyncFraction { get; init; } = 0.55;

    /// <summary>Mark-to-audio SNR the embedder aims at, in dB; the result is never below <see cref="MinSnrDb"/>.</summary>
    public double TargetSnrDb { get; init; } = 25.25;

    /// <summary>Mark-to-audio SNR guaranteed by the embedder, in dB (the mark is scaled down if needed).</summary>
    public double MinSnrDb { get; init; } = 25.05;

    /// <summary>Largest magnitude change of a tile as a fraction of its own magnitude (0.12 ≈ ±1 dB), before host cancellation.</summary>
    public double MaxRelativeStrength { get; init; } = 0.25;

    /// <summary>False-positive probability the detection threshold is set for (per file, all offsets and windows searched).</summary>
    public double FalsePositiveTarget { get; init; } = 1e-6;

    /// <summary>Length of the sliding windows that locate the mark in time, in synchronisation periods (3 ≈ 3.07 s).</summary>
    public int WindowPeriods { get; init; } = 3;

    /// <summary>Shortest input the detector decides on, in seconds (one synchronisation period).</summary>
    public double MinDecideSeconds => (double)PeriodColumns * TileFrames * Hop / SampleRate;

    /// <summary>Length of the excerpt the detection guarantee is stated for, in seconds.</summary>
    public double GuaranteedExcerptSeconds { get; init; } = 3.0;

    /// <summary>Width of one STFT bin in Hz.</summary>
    public double BinHz => (double)SampleRate / FrameLength;

    /// <summary>First STFT bin of the lowest band.</summary>
    public int FirstBin => (int)Math.Ceiling(LowHz / BinHz);

    /// <summary>Number of marked bands.</summary>
    public int BandCount => ((int)Math.Floor(HighHz / BinHz) - FirstBin) / BinsPerBand;

    /// <summary>Tiles in one synchronisation period.</summary>
    public int TilesPerPeriod => PeriodColumns * BandCount;

    /// <summary>Frames in one synchronisation period.</summary>
    public int PeriodFrames => PeriodColumns * TileFrames;

    /// <summary>Alignment hypotheses the detector tries on each excerpt: every frame offset within a period.</summary>
    public int Offsets => PeriodFrames;

    /// <summary>Seconds per STFT frame hop.</summary>
    public double SecondsPerFrame => (double)Hop / SampleRate;

    public static WatermarkSettings Default { get; } = new();
}
