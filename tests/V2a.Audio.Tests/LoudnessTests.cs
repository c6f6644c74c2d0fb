namespace V2a.Audio.Tests;

public class LoudnessTests
{
    private static readonly int Rate = AudioSettings.Default.SampleRate;

    [Fact]
    public void K_weighting_at_48_kHz_reproduces_the_coefficients_printed_in_BS_1770()
    {
        var (shelf, highPass) = Loudness.KWeighting(48_000);
        Assert.Equal(1.53512485958697, shelf.B0, 1e-9);
        Assert.Equal(-2.69169618940638, shelf.B1, 1e-9);
        Assert.Equal(1.19839281085285, shelf.B2, 1e-9);
        Assert.Equal(-1.69065929318241, shelf.A1, 1e-9);
        Assert.Equal(0.73248077421585, shelf.A2, 1e-9);
        Assert.Equal(-1.99004745483398, highPass.A1, 1e-9);
        Assert.Equal(0.99007225036621, highPass.A2, 1e-9);
    }

    [Fact]
    public void A_full_scale_997_Hz_sine_at_48_kHz_reads_minus_3_01_LUFS()
    {
        var x = Signals.Sine(48_000, 5, 997, 1.0);
        Assert.Equal(-3.01, Loudness.Integrated(x, 48_000), 0.01);
    }

    [Fact]
    public void A_1_kHz_sine_at_minus_20_dBFS_reads_about_minus_23_LUFS_at_16_kHz()
    {
        // BS.1770 gives −23.01 for 997 Hz at 48 kHz. At 16 kHz the K filter, designed by the bilinear
        // transform, is 0.047 dB hotter at 1 kHz (its shelf sits closer to Nyquist), so it reads −22.96.
        var x = Signals.Sine(Rate, 5, 1000, 0.1);
        Assert.InRange(Loudness.Integrated(x, Rate), -23.06, -22.94);
    }

    [Fact]
    public void Appended_silence_is_gated_out()
    {
        // Given 10 s of tone, then the same tone followed by 6 s of silence
        var tone = Signals.Sine(Rate, 10, 1000, 0.1);
        var padded = tone.Concat(new float[6 * Rate]).ToArray();

        // Then both read the same: the silent blocks are gated out; only the three blocks that straddle
        // the join (3 of 100) count, lowering the mean energy by 1.5 % (0.07 dB)
        Assert.Equal(Loudness.Integrated(tone, Rate), Loudness.Integrated(padded, Rate), 0.1);
    }

    [Fact]
    public void A_part_20_LU_quieter_falls_below_the_relative_gate()
    {
        // Given 4 s of tone at amplitude 0.1 then 4 s at 0.01 (20 dB quieter)
        var loud = Signals.Sine(Rate, 4, 1000, 0.1);
        var quiet = Signals.Sine(Rate, 4, 1000, 0.01);
        var both = loud.Concat(quiet).ToArray();

        // Then the quiet half barely counts (only blocks that straddle the join pass the −10 LU gate)
        Assert.Equal(Loudness.Integrated(loud, Rate), Loudness.Integrated(both, Rate), 0.3);
    }

    [Fact]
    public void Silence_measures_minus_infinity_and_stays_silence()
    {
        var silence = new float[Rate];
        Assert.Equal(double.NegativeInfinity, Loudness.Integrated(silence, Rate));
        Assert.All(Loudness.Normalize(silence, Rate), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Normalize_brings_noise_to_the_target()
    {
        var noise = Signals.Noise(5 * Rate, 0.01, 7);
        var normalised = Loudness.Normalize(noise, Rate, targetLufs: -23);
        Assert.Equal(-23.0, Loudness.Integrated(normalised, Rate), 0.01);
    }

    [Fact]
    public void Normalize_never_lifts_the_peak_above_the_ceiling()
    {
        // Given a quiet signal with one loud click: reaching −14 LUFS would push the click past full scale
        var x = Signals.Noise(3 * Rate, 0.001, 8);
        x[Rate] = 0.5f;

        // When normalised towards −14 LUFS with a −1 dBFS ceiling
        var y = Loudness.Normalize(x, Rate, targetLufs: -14, peakCeilingDbfs: -1);

        // Then the peak sits exactly at the ceiling and the loudness stays below the target
        Assert.Equal(Math.Pow(10, -1 / 20.0), y.Max(v => Math.Abs(v)), 1e-5);
        Assert.True(Loudness.Integrated(y, Rate) < -14);
    }

    [Fact]
    public void A_signal_shorter_than_one_block_is_measured_as_one_block()
    {
        var x = Signals.Sine(Rate, 0.2, 1000, 0.1);
        Assert.Equal(-23.01, Loudness.Integrated(x, Rate), 0.1);
    }
}
