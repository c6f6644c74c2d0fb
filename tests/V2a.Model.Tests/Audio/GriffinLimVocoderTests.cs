using V2a.Model.Audio;
using static TorchSharp.torch;

namespace V2a.Model.Tests.Audio;

public class GriffinLimVocoderTests
{
    private static readonly AudioSettings S = AudioSettings.Default;

    /// <summary>A 1 s harmonic tone (f0 220 Hz, 8 partials, 1/h amplitudes) with a gentle swell, peak ~0.5.</summary>
    private static float[] Harmonic(double seconds)
    {
        var n = (int)(seconds * S.SampleRate);
        var x = new float[n];
        for (var i = 0; i < n; i++)
        {
            var t = (double)i / S.SampleRate;
            var v = 0.0;
            for (var h = 1; h <= 8; h++)
            {
                v += Math.Sin(2 * Math.PI * 220 * h * t + h) / h;
            }

            x[i] = (float)(0.2 * v * (0.6 + 0.4 * Math.Sin(2 * Math.PI * 1.5 * t)));
        }

        return x;
    }

    [Fact]
    public void Output_has_frames_times_hop_samples()
    {
        using var vocoder = new GriffinLimVocoder(S, iterations: 2);
        using var scope = NewDisposeScope();
        var logMel = full(2, S.MelBins, 37, -4f);
        Assert.Equal(new long[] { 2, 37 * S.HopLength }, vocoder.Vocode(logMel).shape);
    }

    [Fact]
    public void Mel_to_waveform_to_mel_of_a_harmonic_tone_has_a_small_log_mel_error()
    {
        // Given the log-mel of a harmonic tone
        using var mel = new MelSpectrogram(S);
        using var vocoder = new GriffinLimVocoder(S); // 32 iterations, momentum 0.99
        using var scope = NewDisposeScope();
        var x = tensor(Harmonic(1.0)).unsqueeze(0);                      // (1, 16000)
        var logMel = mel.call(x);                                        // (1, 80, 62)

        // When it is vocoded and analysed again
        var y = vocoder.Vocode(logMel);                                  // (1, 15872)
        var again = mel.call(y);

        // Then over bins within 40 dB of the loudest the mean |Δ log-mel| is below 0.2 nats (1.7 dB; measured
        // 0.12), and the spectral convergence of the last Griffin-Lim iterate is below 0.15 (measured 0.09)
        var loud = logMel > (logMel.max() - Math.Log(100));
        var error = (again - logMel).abs().masked_select(loud).mean().item<float>();
        Assert.True(error < 0.2, $"mean |Δ log-mel| = {error}");
        Assert.True(vocoder.LastSpectralConvergence < 0.15, $"spectral convergence {vocoder.LastSpectralConvergence}");
    }

    [Fact]
    public void Is_deterministic()
    {
        using var mel = new MelSpectrogram(S);
        using var a = new GriffinLimVocoder(S, iterations: 4, seed: 7);
        using var b = new GriffinLimVocoder(S, iterations: 4, seed: 7);
        using var scope = NewDisposeScope();
        var logMel = mel.call(tensor(Harmonic(0.3)).unsqueeze(0));
        Assert.True(a.Vocode(logMel).allclose(b.Vocode(logMel), rtol: 0, atol: 0));
    }

    [Fact]
    public void Silence_vocodes_to_near_silence()
    {
        using var vocoder = new GriffinLimVocoder(S, iterations: 4);
        using var scope = NewDisposeScope();
        var y = vocoder.Vocode(full(1, S.MelBins, 20, (float)Math.Log(S.LogFloor)));
        Assert.True(y.isfinite().all().item<bool>());
        Assert.True(y.abs().max().item<float>() < 1e-3);
    }
}
