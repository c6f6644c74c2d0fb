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

    private static sbyte[] Chips(int n, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => rng.Next(2) == 0 ? (sbyte)1 : (sbyte)-1)];
    }

    [Fact]
    public void A_chip_driven_tone_has_the_requested_level_and_repeats_with_its_period()
    {
        const int period = 1 << 15;
        var x = new float[3 * period];
        new RoomTone(-68, Chips(period, 4)).AddTo(x);
        Assert.Equal(-68, RmsDbfs(x), 0.15);
        // Sample n and n + period are driven by the same chips; they differ only by what the warm-up left out (the slowest
        // branch's memory, 0.99765^4000 ≈ 1e-4 of a sample), and not at all between the second and third period.
        var rms = Math.Pow(10, -68 / 20.0);
        for (var n = 0; n < period; n++)
        {
            Assert.True(Math.Abs(x[n + period] - x[n]) < 1e-3 * rms, $"sample {n}");
            Assert.True(Math.Abs(x[n + (2 * period)] - x[n + period]) < 1e-6 * rms, $"sample {n + period}");
        }
    }

    [Fact]
    public void A_chip_driven_tone_is_its_chips_through_the_filter_whose_response_is_published()
    {
        // Steady state under a periodic excitation: each DFT bin of one period of output is H(k / period) × the chips' DFT.
        const int period = 4096;
        var chips = Chips(period, 8);
        var x = new float[4 * period];
        new RoomTone(-20, chips).AddTo(x);
        foreach (var k in new[] { 1, 7, 64, 300, 1024, 2047 })
        {
            System.Numerics.Complex y = 0, w = 0;
            for (var n = 0; n < period; n++)
            {
                var e = System.Numerics.Complex.FromPolarCoordinates(1, -2 * Math.PI * k * n / period);
                y += x[(3 * period) + n] * e;
                w += chips[n] * e;
            }

            var expected = RoomTone.Response((double)k / period, -20) * w;
            Assert.True((y - expected).Magnitude < 1e-4 * expected.Magnitude, $"bin {k}: {y} against {expected}");
        }
    }

    [Fact]
    public void Chips_that_are_not_plus_or_minus_one_or_too_few_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new RoomTone(-68, new sbyte[100]));
        var chips = Chips(8192, 1);
        chips[5] = 0;
        Assert.Throws<ArgumentException>(() => new RoomTone(-68, chips));
    }

    [Fact]
    public void A_positive_or_infinite_level_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RoomTone(3, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RoomTone(double.NegativeInfinity, 1));
    }
}
