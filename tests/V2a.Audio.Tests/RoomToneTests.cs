namespace V2a.Audio.Tests;

public class RoomToneTests
{
    private static readonly int Rate = AudioSettings.Default.SampleRate;

    private static float[] Tone(double dbfs, int seed, double seconds)
    {
        var x = new float[(int)(seconds * Rate)];
        new RoomTone(dbfs, seed).AddTo(x);
        return x;
    }

    private static double RmsDbfs(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (var v in x)
        {
            sum += (double)v * v;
        }

        return 10 * Math.Log10(sum / x.Length);
    }

    [Theory]
    [InlineData(-68.0)]
    [InlineData(-40.0)]
    public void Its_level_is_the_requested_RMS(double dbfs)
    {
        // 60 s: the estimate's spread is far under the tolerance.
        Assert.Equal(dbfs, RmsDbfs(Tone(dbfs, 5, 60)), 0.15);
    }

    [Fact]
    public void The_unit_variance_formula_matches_the_filter_run_on_white_noise()
    {
        // A tone at 0 dBFS is the filter's output × 1/√UnitVariance: its measured variance must be 1 (0 dB) — which
        // holds only if the closed form counts every cross term.
        Assert.Equal(0.0, RmsDbfs(Tone(0, 11, 60)), 0.15);
        Assert.InRange(RoomTone.UnitVariance, 1, 100);
    }

    [Fact]
    public void The_same_seed_gives_the_same_samples_however_the_signal_is_split()
    {
        var whole = Tone(-50, 3, 2);
        var parts = new float[whole.Length];
        var tone = new RoomTone(-50, 3);
        tone.AddTo(parts.AsSpan(0, 1));
        tone.AddTo(parts.AsSpan(1, 777));
        tone.AddTo(parts.AsSpan(778));
        Assert.Equal(whole, parts);
        Assert.NotEqual(whole, Tone(-50, 4, 2));
    }

    [Fact]
    public void It_is_added_to_what_is_there()
    {
        var x = Enumerable.Repeat(0.5f, Rate).ToArray();
        new RoomTone(-60, 1).AddTo(x);
        Assert.Equal(0.5, x.Average(), 3);
        Assert.Equal(-60, RmsDbfs(x.Select(v => v - 0.5f).ToArray()), 0.5);
    }

    [Fact]
    public void Its_level_falls_with_frequency_and_keeps_energy_up_to_the_top_octave()
    {
        // Mean power per FFT bin in octave bands, from 60 s averaged over 1024-sample blocks.
        var x = Tone(-60, 9, 60);
        const int n = 1024;
        var fft = new RealFft(n);
        var power = new double[fft.Bins];
        var re = new double[fft.Bins];
        var im = new double[fft.Bins];
        var block = new double[n];
        for (var start = 0; start + n <= x.Length; start += n)
        {
            for (var i = 0; i < n; i++)
            {
                block[i] = x[start + i];
            }

            fft.Forward(block, re, im);
            for (var k = 0; k < fft.Bins; k++)
            {
                power[k] += (re[k] * re[k]) + (im[k] * im[k]);
            }
        }

        double Band(double lo, double hi)
        {
            var k0 = (int)Math.Ceiling(lo * n / Rate);
            var k1 = (int)Math.Floor(hi * n / Rate);
            return 10 * Math.Log10(Enumerable.Range(k0, k1 - k0 + 1).Average(k => power[k]));
        }

        var octaves = new[] { Band(125, 250), Band(250, 500), Band(500, 1000), Band(1000, 2000), Band(2000, 4000), Band(4000, 7900) };
        for (var i = 1; i < octaves.Length; i++)
        {
            Assert.True(octaves[i] < octaves[i - 1] + 0.2, $"octave {i} ({octaves[i]:0.0} dB) above octave {i - 1} ({octaves[i - 1]:0.0} dB)");
        }

        // Pink-like in the middle (about −3 dB per octave per bin, i.e. equal power per octave: −3 dB/bin-octave),
        // and the top octave within 20 dB of 250–500 Hz, so every band the watermark uses has sound.
        Assert.InRange(octaves[1] - octaves[3], 3, 12);
        Assert.InRange(octaves[1] - octaves[5], 3, 20);
    }

    [Fact]
    public void A_positive_or_infinite_level_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RoomTone(3, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RoomTone(double.NegativeInfinity, 1));
    }
}
