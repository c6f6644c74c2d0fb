namespace V2a.Audio;

/// <summary>
/// Settings of <see cref="OnsetDetector"/>. Times are in seconds and converted to samples or frames at the
/// input's sample rate; the defaults suit sharp everyday events (impacts, steps, knocks, notes).
/// </summary>
public sealed record OnsetOptions
{
    public static OnsetOptions Default { get; } = new();

    /// <summary>
    /// Source of the frame rate: the detector hops by SampleRate / Audio.FramesPerSecond input samples
    /// (256 at 16 kHz: one mel frame), so <see cref="OnsetDetector.Envelope"/> runs at the mel frame rate.
    /// </summary>
    public AudioSettings Audio { get; init; } = AudioSettings.Default;

    /// <summary>Analysis window (Hann) in seconds; shorter than the mel window for sharper attacks.</summary>
    public double WindowSeconds { get; init; } = 0.032;

    /// <summary>Measure flux on mel bands (fewer, steadier values than FFT bins) rather than FFT bins.</summary>
    public bool MelBands { get; init; } = true;

    /// <summary>
    /// γ in log(1 + γ·a), where a is the band magnitude scaled so a sine of amplitude A reads A. Sound
    /// much quieter than 1/γ (−60 dBFS at 1000) hardly moves the envelope.
    /// </summary>
    public double Compression { get; init; } = 1000;

    /// <summary>
    /// Bands more than this many dB below the loudest band of the frame pair being compared are held at
    /// that floor, so splatter far below the sound that plays (a tone switching off) is not a rise.
    /// </summary>
    public double DynamicRangeDb { get; init; } = 30;

    /// <summary>
    /// Each band's rise is measured from the previous frame's maximum over this many neighbouring bands on
    /// either side (0: plain spectral flux). Steady noise then rises far less; new sounds still do.
    /// </summary>
    public int MaxFilterBands { get; init; } = 2;

    /// <summary>Minimum time between two onsets; the later one is dropped (30–50 ms is usual).</summary>
    public double MinGapSeconds { get; init; } = 0.04;

    /// <summary>A peak must be the envelope's maximum within ± this many seconds.</summary>
    public double PeakWindowSeconds { get; init; } = 0.035;

    /// <summary>The background a peak is judged against spans this many seconds before it…</summary>
    public double BackgroundBeforeSeconds { get; init; } = 0.2;

    /// <summary>…and this many after (the peak's own frame and its two neighbours are left out).</summary>
    public double BackgroundAfterSeconds { get; init; } = 0.1;

    /// <summary>
    /// A peak must top the background's median by this much (envelope units: mean log-magnitude rise per
    /// band) — the threshold that matters over silence.
    /// </summary>
    public double Delta { get; init; } = 0.02;

    /// <summary>
    /// …and by this many robust standard deviations (1.4826 × median absolute deviation) of the background
    /// — the threshold that matters over noise or dense sound.
    /// </summary>
    public double SpreadFactor { get; init; } = 6;

    /// <summary>
    /// A peak that fails the spread test still counts when the envelope over this many seconds before its
    /// previous frame stayed under 1/<see cref="QuietRatio"/> of it: a sound out of quiet, though the wider
    /// background is busy with earlier sounds (a chirp train, a bounce sequence). 0 turns this off.
    /// </summary>
    public double QuietLeadSeconds { get; init; } = 0.05;

    /// <summary>How far (as a ratio) a peak must top the envelope just before it to count as rising out of quiet.</summary>
    public double QuietRatio { get; init; } = 5;

    /// <summary>
    /// Move each onset from its frame to the sample where the waveform's energy rises (see
    /// <see cref="OnsetDetector"/>); without it an onset is reported at its frame's centre.
    /// </summary>
    public bool RefineToSample { get; init; } = true;

    /// <summary>Length in seconds of the short energy windows used by the refinement.</summary>
    public double RefineWindowSeconds { get; init; } = 0.004;
}
