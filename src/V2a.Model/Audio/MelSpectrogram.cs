using TorchSharp;
using V2a.Audio;
using static TorchSharp.torch;

namespace V2a.Model.Audio;

/// <summary>
/// The log-mel front end as a TorchSharp module: waveform (B, samples) in [-1, 1] → log-mel
/// (B, MelBins, frames), frames = ⌊samples / hop⌋ (8 s at 16 kHz → 500). It follows
/// <see cref="LogMel"/> exactly — reflect padding of (n_fft − hop)/2 samples each side and an un-centred
/// torch.stft, magnitude √(re² + im² + 1e-9), the Slaney <see cref="MelFilterbank"/> (registered as the
/// buffer <c>mel_basis</c>), ln(max(mel, LogFloor)) — so frame t describes samples [t·hop, (t+1)·hop) and
/// a vocoder returns frames·hop samples. Agrees with the plain-array <see cref="LogMel.Compute"/> to ~1e-5.
/// </summary>
public sealed class MelSpectrogram : nn.Module<Tensor, Tensor>
{
    // Buffers; field names are the state-dict keys.
    private readonly Tensor mel_basis; // (MelBins, NFft/2 + 1)
    private readonly Tensor window;    // (WinLength)

    public MelSpectrogram(AudioSettings settings) : base(nameof(MelSpectrogram))
    {
        ArgumentNullException.ThrowIfNull(settings);
        TorchRuntime.Initialise();
        Settings = settings;
        Padding = LogMel.Padding(settings);
        mel_basis = ToTensor(MelFilterbank.Create(settings));
        window = hann_window(settings.WinLength);
        RegisterComponents();
    }

    public AudioSettings Settings { get; }

    /// <summary>Reflect padding in samples on each side: (n_fft − hop)/2.</summary>
    public int Padding { get; }

    /// <summary>(B, samples) → (B, MelBins, ⌊samples/hop⌋) natural-log mel.</summary>
    public override Tensor forward(Tensor waveform)
    {
        using var scope = NewDisposeScope();
        var magnitude = Magnitude(waveform);                               // (B, F, T)
        var mel = matmul(mel_basis, magnitude);                            // (B, M, T)
        return mel.AtLeast(Settings.LogFloor).log().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// STFT magnitude with the front end's padding: (B, samples) → (B, NFft/2 + 1, ⌊samples/hop⌋),
    /// √(re² + im² + 1e-9).
    /// </summary>
    public Tensor Magnitude(Tensor waveform)
    {
        using var scope = NewDisposeScope();
        var spec = Spectrum(Pad(waveform));                                // (B, F, T) complex
        return spec.real.Squared().Plus(spec.imag.Squared()).Plus(LogMel.MagnitudeEpsilonSquared).sqrt().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Reflect-pads (B, samples) by <see cref="Padding"/> on each side → (B, samples + 2·Padding), mirroring
    /// repeatedly for inputs shorter than the padding (as <see cref="Stft"/> does) instead of failing.
    /// </summary>
    public Tensor Pad(Tensor waveform)
    {
        if (waveform.dim() != 2)
        {
            throw new ArgumentException($"waveform must be (B, samples), got ({string.Join(", ", waveform.shape)})", nameof(waveform));
        }

        var n = (int)waveform.shape[1];
        if (n < Settings.HopLength)
        {
            throw new ArgumentException($"waveform of {n} samples is shorter than one hop ({Settings.HopLength}): no mel frame", nameof(waveform));
        }

        using var scope = NewDisposeScope();
        if (waveform.dtype != window.dtype)
        {
            waveform = waveform.to(window.dtype);
        }

        var left = new long[Padding];
        var right = new long[Padding];
        for (var i = 0; i < Padding; i++)
        {
            left[i] = Stft.Reflect(i - Padding, n);
            right[i] = Stft.Reflect(n + i, n);
        }

        var device = waveform.device;
        var padded = cat([
            waveform.index_select(1, tensor(left, device: device)),
            waveform,
            waveform.index_select(1, tensor(right, device: device)),
        ], 1);
        return padded.MoveToOuterDisposeScope();
    }

    /// <summary>Complex STFT of an already padded (B, samples + 2·Padding) waveform → (B, F, T), no centring.</summary>
    internal Tensor Spectrum(Tensor padded) =>
        stft(padded, Settings.NFft, Settings.HopLength, Settings.WinLength, window, center: false, return_complex: true);

    internal Tensor Window => window;

    /// <summary>The filterbank buffer (MelBins, NFft/2 + 1); mel = MelBasis · magnitude.</summary>
    public Tensor MelBasis => mel_basis;

    private static Tensor ToTensor(float[,] matrix)
    {
        var rows = matrix.GetLength(0);
        var cols = matrix.GetLength(1);
        var flat = new float[rows * cols];
        Buffer.BlockCopy(matrix, 0, flat, 0, flat.Length * sizeof(float));
        return tensor(flat, [rows, cols]);
    }
}
