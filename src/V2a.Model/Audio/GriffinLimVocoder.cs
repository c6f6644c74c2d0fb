using TorchSharp;
using static TorchSharp.torch;

namespace V2a.Model.Audio;

/// <summary>
/// Mel → waveform without a trained network. Two steps:
/// <list type="number">
/// <item>Mel inversion: the linear magnitude S ≥ 0 that best explains the mel (least squares under
/// S ≥ 0) — started from the filterbank's pseudo-inverse, clamped at zero, then refined by
/// multiplicative non-negative least-squares updates (S ← S·Mᵀmel / MᵀM·S).</item>
/// <item>Fast Griffin-Lim (Perraudin, Balazs &amp; Søndergaard 2013): alternate projections between
/// spectrograms with magnitude S and consistent spectrograms, with momentum α = 0.99 applied to the
/// consistent estimate (c = tₙ + α(tₙ − tₙ₋₁)), started from the phase-gradient heap integration of the
/// magnitude (<see cref="PhaseGradient"/>; random phases where it is below its tolerance, from a seeded
/// generator) or, with <see cref="PhaseStart.Random"/>, from random phases everywhere, so the output
/// is deterministic. It works in the padded time domain of the mel front end (T frames ↔ T·hop + 2·pad
/// samples, un-centred STFT) with an own overlap-add inverse (torch.istft rejects the zero window
/// envelope at the very first sample of an un-centred frame), and trims the padding at the end.</item>
/// </list>
/// Output length = frames·hop samples exactly; the frame t ↔ samples [t·hop, (t+1)·hop) alignment of
/// <see cref="MelSpectrogram"/> is kept.
/// </summary>
public sealed class GriffinLimVocoder : IVocoder
{
    private readonly MelSpectrogram _front;
    private readonly Tensor _pinv;     // (F, M) pseudo-inverse of the filterbank
    private readonly Tensor _basis;    // (M, F)
    private readonly Tensor _basisT;   // (F, M)
    private readonly Tensor _window;   // (NFft) analysis/synthesis window, centred in n_fft
    private readonly Device _device;

    /// <param name="settings">The audio representation the log-mel was made with.</param>
    /// <param name="iterations">Griffin-Lim iterations (each one inverse + one forward STFT).</param>
    /// <param name="momentum">Fast Griffin-Lim's α; 0 gives plain Griffin-Lim.</param>
    /// <param name="seed">Seed of the initial phases: the same seed gives the same waveform.</param>
    /// <param name="melInversionIterations">Non-negative least-squares refinements of the mel inversion.</param>
    /// <param name="device">Where the work runs (default <see cref="TorchRuntime.Device"/>); results return on the input's device.</param>
    /// <param name="start">Where the iterations start: phase-gradient integration of the magnitude, or random phases.</param>
    public GriffinLimVocoder(AudioSettings settings, int iterations = 32, double momentum = 0.99, long seed = 0,
        int melInversionIterations = 100, Device? device = null, PhaseStart start = PhaseStart.PhaseGradient)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (iterations < 0 || melInversionIterations < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), "iteration counts must be >= 0");
        }

        TorchRuntime.Initialise();
        Settings = settings;
        Iterations = iterations;
        Momentum = momentum;
        Seed = seed;
        MelInversionIterations = melInversionIterations;
        Start = start;
        _device = device ?? TorchRuntime.Device;
        _front = new MelSpectrogram(settings);
        _front.to(_device);
        _basis = _front.MelBasis.clone();
        _basisT = _basis.t().contiguous();
        _pinv = linalg.pinv(_basis.cpu().to(ScalarType.Float64)).to(ScalarType.Float32).to(_device);
        var offset = (settings.NFft - settings.WinLength) / 2;
        _window = nn.functional.pad(_front.Window, [offset, settings.NFft - settings.WinLength - offset]);
    }

    public AudioSettings Settings { get; }

    public int Iterations { get; }

    public double Momentum { get; }

    public long Seed { get; }

    public int MelInversionIterations { get; }

    public PhaseStart Start { get; }

    /// <summary>Spectral convergence ‖S − |STFT(y)|‖ / ‖S‖ of the last <see cref="Vocode"/> (in its padded domain).</summary>
    public double LastSpectralConvergence { get; private set; } = double.NaN;

    public Tensor Vocode(Tensor logMel)
    {
        using var scope = NewDisposeScope();
        var magnitude = MelToMagnitude(logMel.to(_device));                 // (B, F, T)
        var waveform = GriffinLim(magnitude);                               // (B, T·hop)
        return waveform.to(logMel.device).MoveToOuterDisposeScope();
    }

    /// <summary>(B, MelBins, T) log-mel → (B, NFft/2 + 1, T) non-negative linear magnitude.</summary>
    public Tensor MelToMagnitude(Tensor logMel)
    {
        if (logMel.dim() != 3 || logMel.shape[1] != Settings.MelBins)
        {
            throw new ArgumentException($"log-mel must be (B, {Settings.MelBins}, frames), got ({string.Join(", ", logMel.shape)})", nameof(logMel));
        }

        using var scope = NewDisposeScope();
        var mel = logMel.to(ScalarType.Float32).exp();                      // (B, M, T)
        var s = matmul(_pinv, mel).AtLeast(1e-10);                          // (B, F, T)
        var numerator = matmul(_basisT, mel);                               // (B, F, T): Mᵀ·mel, fixed
        for (var i = 0; i < MelInversionIterations; i++)
        {
            var denominator = matmul(_basisT, matmul(_basis, s)).Plus(1e-12); // (B, F, T): MᵀM·S
            s = s * numerator / denominator;
        }

        return s.MoveToOuterDisposeScope();
    }

    /// <summary>(B, F, T) magnitude → (B, T·hop) waveform by fast Griffin-Lim.</summary>
    public Tensor GriffinLim(Tensor magnitude)
    {
        using var scope = NewDisposeScope();
        var batch = magnitude.shape[0];
        var frames = magnitude.shape[2];
        var hop = Settings.HopLength;
        var nFft = Settings.NFft;
        var padding = _front.Padding;
        var length = (frames - 1) * hop + nFft;                              // padded domain, samples
        var envelope = OverlapAdd(_window.Squared().reshape(1, nFft, 1).expand(1, nFft, frames), length)
            .AtLeast(1e-11);                                                 // (1, L)

        Tensor Inverse(Tensor spec)                                          // (B, F, T) complex → (B, L)
        {
            var framesTime = fft.irfft(spec, nFft, dim: 1) * _window.reshape(1, nFft, 1); // (B, n_fft, T)
            return OverlapAdd(framesTime, length) / envelope;
        }

        Tensor Forward(Tensor y) => _front.Spectrum(y);                      // (B, L) → (B, F, T) complex

        var phase = InitialPhase(magnitude);
        var angles = polar(ones_like(phase), phase);                         // (B, F, T) unit complex
        Tensor? previous = null;
        for (var i = 0; i < Iterations; i++)
        {
            using var step = NewDisposeScope();
            var rebuilt = Forward(Inverse(magnitude * angles));
            var accelerated = previous is null ? rebuilt : rebuilt.Plus((rebuilt - previous).Times(Momentum));
            var next = accelerated / accelerated.abs().Plus(1e-16);
            previous?.Dispose();
            angles.Dispose();
            previous = rebuilt.MoveToOuterDisposeScope();
            angles = next.MoveToOuterDisposeScope();
        }

        var waveform = Inverse(magnitude * angles);                          // (B, L)
        var consistent = Forward(waveform).abs();
        LastSpectralConvergence = ((magnitude - consistent).norm() / magnitude.norm().AtLeast(1e-12)).item<float>();
        return waveform.narrow(1, padding, frames * hop).MoveToOuterDisposeScope();
    }

    /// <summary>(B, F, T) starting phases, computed on the CPU (the same on every device), on the magnitude's device.</summary>
    private Tensor InitialPhase(Tensor magnitude)
    {
        var (batch, bins, frames) = (magnitude.shape[0], (int)magnitude.shape[1], (int)magnitude.shape[2]);
        if (Start == PhaseStart.Random)
        {
            using var generator = new Generator((ulong)Seed);
            return rand([batch, bins, frames], generator: generator).Times(2 * Math.PI).to(magnitude.device);
        }

        var values = magnitude.cpu().to(ScalarType.Float32).contiguous().data<float>().ToArray();
        var phases = new float[values.Length];
        var random = new Random((int)(Seed % int.MaxValue));
        var size = bins * frames;
        for (var b = 0; b < batch; b++)
        {
            PhaseGradient.Reconstruct(values.AsSpan(b * size, size), bins, frames, Settings, random).CopyTo(phases, b * size);
        }

        return tensor(phases, [batch, bins, frames]).to(magnitude.device);
    }

    /// <summary>Spectral convergence ‖target − |STFT(waveform)|‖ / ‖target‖ in the front end's convention.</summary>
    public double SpectralConvergence(Tensor targetMagnitude, Tensor waveform)
    {
        using var scope = NewDisposeScope();
        var actual = _front.Magnitude(waveform);
        return ((targetMagnitude - actual).norm() / targetMagnitude.norm().AtLeast(1e-12)).item<float>();
    }

    public void Dispose()
    {
        _front.Dispose();
        _pinv.Dispose();
        _basis.Dispose();
        _basisT.Dispose();
        _window.Dispose();
    }

    /// <summary>Sums (B, n_fft, T) frames placed hop apart into (B, length) samples.</summary>
    private Tensor OverlapAdd(Tensor frames, long length)
    {
        var folded = nn.functional.fold(frames, output_size: (1L, length), kernel_size: (1L, (long)Settings.NFft), stride: (1L, (long)Settings.HopLength));
        return folded.reshape(frames.shape[0], length);                     // (B, 1, 1, L) → (B, L)
    }
}

/// <summary>Where Griffin-Lim's iterations start.</summary>
public enum PhaseStart
{
    /// <summary>Phase-gradient heap integration of the magnitude (<see cref="PhaseGradient"/>).</summary>
    PhaseGradient,

    /// <summary>Uniform random phases from the vocoder's seed.</summary>
    Random,
}
