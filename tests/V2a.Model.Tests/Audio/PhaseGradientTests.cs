using V2a.Model.Audio;
using static TorchSharp.torch;

namespace V2a.Model.Tests.Audio;

public class PhaseGradientTests
{
    private static readonly AudioSettings S = AudioSettings.Default;
    private static readonly int Bins = (S.NFft / 2) + 1;

    /// <summary>The front end's complex spectrum of a padded signal, as (magnitude, phase) arrays (bins, frames).</summary>
    private static (float[] Magnitude, float[] Phase, int Frames) Analyse(float[] padded)
    {
        using var front = new MelSpectrogram(S);
        using var scope = NewDisposeScope();
        var spec = front.Spectrum(tensor(padded).unsqueeze(0))[0]; // (F, T) complex
        var frames = (int)spec.shape[1];
        return (spec.abs().contiguous().data<float>().ToArray(), spec.angle().contiguous().data<float>().ToArray(), frames);
    }

    private static double Wrap(double x) => Math.IEEERemainder(x, 2 * Math.PI);

    [Fact]
    public void A_steady_tone_advances_its_phase_by_its_frequency_times_the_hop_every_frame()
    {
        // Given a tone at 1 kHz + a third of a bin (not a bin centre, so the magnitude's slope matters)
        var f = 1000 + (S.SampleRate / (double)S.NFft / 3);
        var x = new float[S.SampleRate];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)(0.5 * Math.Sin(2 * Math.PI * f * i / S.SampleRate));
        }

        var (magnitude, truePhase, frames) = Analyse(x);

        // When its phase is rebuilt from the magnitude alone
        var phase = PhaseGradient.Reconstruct(magnitude, Bins, frames, S, new Random(1));

        // Then at the peak bin and its neighbours each frame-to-frame step matches the true one within 0.05 rad
        var peak = (int)Math.Round(f * S.NFft / S.SampleRate);
        foreach (var k in new[] { peak - 1, peak, peak + 1 })
        {
            for (var n = 5; n < frames - 5; n++)
            {
                var i = (k * frames) + n;
                var step = Wrap(phase[i + 1] - phase[i]);
                var trueStep = Wrap(truePhase[i + 1] - truePhase[i]);
                Assert.True(Math.Abs(Wrap(step - trueStep)) < 0.05, $"bin {k} frame {n}: step {step:0.000}, true {trueStep:0.000}");
            }
        }
    }

    [Fact]
    public void A_click_gets_the_phase_slope_across_frequency_of_its_place_in_the_window()
    {
        // Given one click 100 samples after the peak of frame 20's window
        var x = new float[S.SampleRate / 2];
        var frame = 20;
        x[(frame * S.HopLength) + (S.NFft / 2) + 100] = 1;
        var (magnitude, truePhase, frames) = Analyse(x);

        // When its phase is rebuilt from the magnitude alone
        var phase = PhaseGradient.Reconstruct(magnitude, Bins, frames, S, new Random(1));

        // Then in that frame the bin-to-bin steps match the true ones (−2π·100/n_fft = −0.614 rad, and the (−1)^k of the
        // window's place) within 0.1 rad (the Gaussian stand-in for the Hann window, differenced over frames a hop
        // apart, says −0.677: off by 0.064)
        for (var k = 10; k < Bins - 10; k++)
        {
            var i = (k * frames) + frame;
            var step = Wrap(phase[i + frames] - phase[i]);
            var trueStep = Wrap(truePhase[i + frames] - truePhase[i]);
            Assert.True(Math.Abs(Wrap(step - trueStep)) < 0.1, $"bin {k}: step {step:0.000}, true {trueStep:0.000}");
        }
    }

    [Fact]
    public void Griffin_lim_started_from_it_rebuilds_clicks_closer_than_from_random_phases()
    {
        // Given the magnitude of a train of decaying clicks (knocks)
        var x = new float[S.SampleRate];
        var random = new Random(3);
        for (var start = 1000; start < x.Length - 2000; start += 2900)
        {
            for (var j = 0; j < 1500; j++)
            {
                x[start + j] += (float)(Math.Exp(-j / 150.0) * ((random.NextDouble() * 2) - 1));
            }
        }

        using var scope = NewDisposeScope();
        var (magnitude, _, frames) = Analyse(x);
        var target = tensor(magnitude, [1, Bins, frames]);

        // When Griffin-Lim runs 8 iterations from each start
        double Convergence(PhaseStart start)
        {
            using var vocoder = new GriffinLimVocoder(S, iterations: 8, start: start);
            vocoder.GriffinLim(target);
            return vocoder.LastSpectralConvergence;
        }

        var fromGradient = Convergence(PhaseStart.PhaseGradient);
        var fromRandom = Convergence(PhaseStart.Random);

        // Then the phase-gradient start ends at under half the random start's spectral convergence
        Assert.True(fromGradient < fromRandom / 2, $"phase gradient {fromGradient:0.000}, random {fromRandom:0.000}");
    }

    [Fact]
    public void Silence_and_quiet_coefficients_keep_seeded_random_phases()
    {
        var silent = new float[Bins * 4];
        var a = PhaseGradient.Reconstruct(silent, Bins, 4, S, new Random(5));
        var b = PhaseGradient.Reconstruct(silent, Bins, 4, S, new Random(5));
        Assert.Equal(a, b);
        Assert.All(a, p => Assert.InRange(p, 0, 2 * Math.PI));
        Assert.Throws<ArgumentException>(() => PhaseGradient.Reconstruct(silent, Bins - 1, 4, S, new Random(5)));
    }
}
