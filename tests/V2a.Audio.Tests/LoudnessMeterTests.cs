namespace V2a.Audio.Tests;

public sealed class LoudnessMeterTests
{
    [Fact]
    public void Chunked_measurement_equals_the_whole_signal_measurement()
    {
        var rng = new Random(3);
        var x = new float[16_000 * 5 + 123];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)((rng.NextDouble() - 0.5) * (i < 30_000 ? 0.05 : 0.4));
        }

        var meter = new LoudnessMeter(16_000);
        for (var at = 0; at < x.Length; at += 777)
        {
            meter.Add(x.AsSpan(at, Math.Min(777, x.Length - at)));
        }

        Assert.Equal(Loudness.Integrated(x, 16_000), meter.Integrated, 9);
        Assert.Equal(Loudness.NormalizationGain(x, 16_000), meter.NormalizationGain(), 9);
        Assert.Equal(x.Max(v => Math.Abs(v)), meter.Peak, 6);
    }

    [Fact]
    public void Silence_needs_no_gain()
    {
        var meter = new LoudnessMeter(16_000);
        meter.Add(new float[16_000]);

        Assert.True(double.IsNegativeInfinity(meter.Integrated));
        Assert.Equal(1, meter.NormalizationGain());
    }
}
