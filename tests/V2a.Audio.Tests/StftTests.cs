namespace V2a.Audio.Tests;

public class StftTests
{
    private static readonly AudioSettings S = AudioSettings.Default;

    [Theory]
    [InlineData(16_000, 63)]
    [InlineData(128_000, 501)]
    [InlineData(1000, 4)]
    [InlineData(0, 0)]
    public void Centered_stft_gives_samples_over_hop_plus_one_frames(int samples, int frames)
    {
        Assert.Equal(frames, Stft.Centered(S).FrameCount(samples));
        Assert.Equal(frames, Stft.Centered(S).Magnitude(new float[samples]).GetLength(1));
    }

    [Fact]
    public void Reflect_mirrors_about_the_end_samples_without_repeating_them()
    {
        // [a b c d e]: index -1 → b, -2 → c, 5 → d, 6 → c
        Assert.Equal(1, Stft.Reflect(-1, 5));
        Assert.Equal(2, Stft.Reflect(-2, 5));
        Assert.Equal(3, Stft.Reflect(5, 5));
        Assert.Equal(2, Stft.Reflect(6, 5));
        Assert.Equal(0, Stft.Reflect(-8, 5));
        Assert.Equal(0, Stft.Reflect(7, 1));
    }

    [Fact]
    public void A_bin_centred_sine_reads_its_amplitude_times_half_the_window_sum()
    {
        // Given a sine exactly on bin 64 (1 kHz at 16 kHz / 1024) with amplitude 0.5
        var x = Signals.Sine(S.SampleRate, 1.0, 64.0 * S.SampleRate / S.NFft, 0.5);

        // When
        var mag = Stft.Centered(S).Magnitude(x);

        // Then an interior frame has |X[64]| = 0.5 · Σw / 2 = 0.5 · 512 / 2, and bins 62 and 66 are empty
        // (a periodic Hann window leaks only into the two neighbouring bins)
        Assert.Equal(128.0, mag[64, 30], 1e-3);
        Assert.Equal(64.0, mag[63, 30], 1e-3);
        Assert.True(mag[62, 30] < 1e-3);
        Assert.True(mag[66, 30] < 1e-3);
    }

    [Fact]
    public void Edge_frames_equal_the_dft_of_the_windowed_reflect_padded_signal()
    {
        // Given a short random signal and an STFT padded by n_fft/2 (torch center=True)
        var stft = new Stft(16, 4, 12, 8);
        var rng = new Random(3);
        var x = Enumerable.Range(0, 21).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();

        // When frames are taken
        var mag = stft.Magnitude(x);

        // Then frame f is the DFT of padded[f·hop .. f·hop+16) times the 12-point Hann centred in 16
        var padded = new double[x.Length + 16];
        for (var i = 0; i < padded.Length; i++)
        {
            padded[i] = x[Stft.Reflect(i - 8, x.Length)];
        }

        Assert.Equal(21 / 4 + 1, mag.GetLength(1));
        for (var f = 0; f < mag.GetLength(1); f++)
        {
            var frame = new double[16];
            for (var i = 0; i < 12; i++)
            {
                frame[2 + i] = padded[f * 4 + 2 + i] * (0.5 - 0.5 * Math.Cos(2 * Math.PI * i / 12));
            }

            var dft = Signals.NaiveDft(frame);
            for (var k = 0; k < 9; k++)
            {
                Assert.Equal(Math.Sqrt(dft[k].Re * dft[k].Re + dft[k].Im * dft[k].Im), mag[k, f], 1e-5);
            }
        }
    }

    [Fact]
    public void Power_is_the_square_of_magnitude()
    {
        var x = Signals.Noise(4000, 0.1, 1);
        var stft = Stft.Centered(S);
        var mag = stft.Magnitude(x);
        var pow = stft.Power(x);
        Assert.Equal(mag[10, 5] * mag[10, 5], pow[10, 5], 1e-3);
    }
}
