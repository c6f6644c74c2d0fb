namespace V2a.Watermark;

/// <summary>
/// The watermark's time–frequency grid, in one place. The mark lives on a short-time Fourier grid of its own
/// (not the model's mel grid): frames of <see cref="FrameLength"/> samples at a hop of half that, grouped into
/// tiles of <see cref="TileFrames"/> frames × <see cref="BinsPerBand"/> bins over [<see cref="LowHz"/>,
/// <see cref="HighHz"/>]. Neighbouring bands form pairs; each pair in each tile column (a <em>slot</em>) carries
/// one keyed ±1 chip as a see-saw — the lower tile up and the upper one down, or the reverse — so the host's
/// envelope, common to both tiles, cancels in the detector's difference. The pattern repeats every
/// <see cref="PeriodColumns"/> tile columns (the synchronisation period), so any excerpt is aligned by a search
/// over <see cref="Offsets"/> frame offsets. Changing any number here changes the mark: old marks stop being
/// detected, so <see cref="Version"/> names the layout.
/// </summary>
public sealed record WatermarkSettings
{
    /// <summary>Layout version, written to manifests and detection reports.</summary>
    public string Version { get; init; } = "v2a-wm-2";

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
    public double LowHz { get; init; } = 250;

    /// <summary>Highest frequency carrying the mark, in Hz. Bands above a low-pass simply drop out of detection.</summary>
    public double HighHz { get; init; } = 7_000;

    /// <summary>
    /// Frequency, in Hz, that splits the band pairs into a low and a high region. Informed embedding cancels the host
    /// separately in each region, so a low-pass at this frequency leaves the low region's cancellation intact.
    /// </summary>
    public double SplitHz { get; init; } = 3_900;

    /// <summary>Tile columns in one synchronisation period (16 × 64 ms ≈ 1.02 s at 16 kHz).</summary>
    public int PeriodColumns { get; init; } = 16;

    /// <summary>Share of a period's slots that carry the payload-independent synchronisation chips (the detection score).</summary>
    public double SyncFraction { get; init; } = 0.65;

    /// <summary>
    /// Mark-to-audio SNR the embedder budgets for, in dB, block by block on the time-domain mark (the blocks' budgets add
    /// up to the whole signal's, overlaps included), so the whole signal's SNR is at least this up to float rounding.
    /// </summary>
    public double TargetSnrDb { get; init; } = 25.07;

    /// <summary>Mark-to-audio SNR guaranteed by the embedder, in dB (a little under <see cref="TargetSnrDb"/>: float rounding of the output).</summary>
    public double MinSnrDb { get; init; } = 25.05;

    /// <summary>
    /// Largest magnitude change of a tile as a fraction of its own magnitude (0.15 ≈ ±1.2 dB) where nothing louder
    /// masks it: a tile at or above its critical band's mean level, or a quiet tile in a quiet band, is never
    /// modulated more. The embedder's trade between audibility and robustness (docs/watermark.md has the curve:
    /// 10% is gentler and loses ~10 points of detection after noise or a low-pass); not part of the layout, so
    /// changing it needs no new detector.
    /// </summary>
    public double MaxRelativeStrength { get; init; } = 0.15;

    /// <summary>
    /// Largest magnitude change of a tile that is quieter than its critical band's mean (masked by louder tiles
    /// within one critical band, same tile column): the change may grow to
    /// <see cref="MaxRelativeStrength"/>·√(band mean / tile), up to this. Either way the mark's energy in a critical
    /// band stays under 2·<see cref="MaxRelativeStrength"/>² of the band's (−13.5 dB at 15%).
    /// </summary>
    public double MaskedRelativeStrength { get; init; } = 0.25;

    /// <summary>
    /// Embedding block in synchronisation periods: the SNR budget and the host cancellation of each coded bit are
    /// settled block by block, so a stream is marked with a delay and memory of about one block.
    /// </summary>
    public int BlockPeriods { get; init; } = 4;

    /// <summary>Columns either side whose slot values are the detector's prediction of a slot's host (±2 × 64 ms).</summary>
    public int PredictionRadius { get; init; } = 2;

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

    /// <summary>Number of band pairs (slots per tile column).</summary>
    public int PairCount => ((int)Math.Floor(HighHz / BinHz) - FirstBin) / (2 * BinsPerBand);

    /// <summary>Number of marked bands (two per pair).</summary>
    public int BandCount => 2 * PairCount;

    /// <summary>Pairs wholly under <see cref="SplitHz"/> (the low region); the others form the high region.</summary>
    public int LowPairs => Math.Clamp((int)Math.Floor(((SplitHz / BinHz) - FirstBin) / (2 * BinsPerBand)), 0, PairCount);

    /// <summary>Slots in one synchronisation period.</summary>
    public int SlotsPerPeriod => PeriodColumns * PairCount;

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
