using static TorchSharp.torch;

namespace V2a.Model.Audio;

/// <summary>
/// Turns log-mel (B, MelBins, frames) in the <see cref="MelSpectrogram"/> convention into waveforms
/// (B, frames·hop) in [-1, 1]-ish at <see cref="Settings"/>.SampleRate. Griffin-Lim fills it now
/// (<see cref="GriffinLimVocoder"/>); a trained neural vocoder (a Module) can fill it later.
/// </summary>
public interface IVocoder : IDisposable
{
    AudioSettings Settings { get; }

    /// <summary>(B, MelBins, frames) natural-log mel → (B, frames·hop) samples. Deterministic.</summary>
    Tensor Vocode(Tensor logMel);
}
