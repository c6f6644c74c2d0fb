namespace V2a.Audio.Tests;

public class RealFftTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(1024)]
    public void Matches_a_naive_dft_on_random_input(int size)
    {
        // Given random input
        var rng = new Random(size);
        var x = Enumerable.Range(0, size).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var fft = new RealFft(size);
        var re = new double[fft.Bins];
        var im = new double[fft.Bins];

        // When
        fft.Forward(x, re, im);

        // Then every bin equals the textbook DFT
        var expected = Signals.NaiveDft(x);
        for (var k = 0; k < fft.Bins; k++)
        {
            Assert.Equal(expected[k].Re, re[k], 1e-9);
            Assert.Equal(expected[k].Im, im[k], 1e-9);
        }
    }

    [Fact]
    public void Turns_an_impulse_into_a_flat_spectrum()
    {
        // Given a unit impulse at sample 0
        var x = new double[16];
        x[0] = 1;
        var fft = new RealFft(16);
        var re = new double[9];
        var im = new double[9];

        // When
        fft.Forward(x, re, im);

        // Then every bin is exactly 1 + 0i
        Assert.All(re, v => Assert.Equal(1.0, v, 1e-15));
        Assert.All(im, v => Assert.Equal(0.0, v, 1e-15));
    }

    [Fact]
    public void Rejects_a_size_that_is_not_a_power_of_two()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RealFft(1000));
    }
}
