namespace V2a;

/// <summary>
/// The audio representation, in one place (DESIGN.md, "Audio representation"). Every STFT, mel, vocoder
/// and writer default reads its numbers from here; a model package stores its own copy in config.json.
/// </summary>
public sealed record AudioSettings
{
    /// <summary>Samples per second of every generated and analysed waveform.</summary>
    public int SampleRate { get; init; } = 16_000;

    /// <summary>STFT size in samples (64 ms at 16 kHz).</summary>
    public int NFft { get; init; } = 1024;

    /// <summary>STFT hop in samples (16 ms at 16 kHz): one mel frame.</summary>
    public int HopLength { get; init; } = 256;

    /// <summary>Hann window length in samples.</summary>
    public int WinLength { get; init; } = 1024;

    /// <summary>Mel bins, Slaney scale and Slaney area normalisation, covering [FMin, FMax] Hz.</summary>
    public int MelBins { get; init; } = 80;

    public double FMinHz { get; init; }

    public double FMaxHz { get; init; } = 8_000;

    /// <summary>Floor applied before the log: log(clamp(mel, LogFloor)).</summary>
    public double LogFloor { get; init; } = 1e-5;

    /// <summary>Mel frames per second (62.5 at 16 kHz / hop 256).</summary>
    public double FramesPerSecond => (double)SampleRate / HopLength;

    /// <summary>
    /// Mel frames of <paramref name="seconds"/> of audio: ⌊samples / hop⌋, exactly what the mel front end
    /// (V2a.Audio.LogMel, V2a.Model.Audio.MelSpectrogram) produces (8 s → 500).
    /// </summary>
    public int FramesFor(double seconds) => (int)(SamplesFor(seconds) / HopLength);

    /// <summary>Samples covering <paramref name="seconds"/> of audio.</summary>
    public long SamplesFor(double seconds) => (long)Math.Round(seconds * SampleRate);

    public static AudioSettings Default { get; } = new();
}

/// <summary>
/// The video representation: frames decoded at a fixed rate and a small size (DESIGN.md, "Video
/// representation"). Sync features use <see cref="Fps"/>, semantic features may use <see cref="SemanticFps"/>.
/// </summary>
public sealed record VideoSettings
{
    /// <summary>Frames per second fed to the visual encoder (40 ms a frame: the sync resolution).</summary>
    public double Fps { get; init; } = 25;

    /// <summary>Lower rate for appearance/semantic features.</summary>
    public double SemanticFps { get; init; } = 8;

    /// <summary>Width and height in pixels of the square frames the encoder sees.</summary>
    public int FrameSize { get; init; } = 64;

    public static VideoSettings Default { get; } = new();
}
