namespace V2a.Watermark.Tests;

public class PayloadCodeTests
{
    [Fact]
    public void Decodes_its_own_encoding_exactly()
    {
        // Given a payload, when its coded bits are decoded with full confidence, then the same payload comes back.
        var p = new WatermarkPayload(0xA5C3, 0xDEADBEEF);
        var soft = PayloadCode.Encode(p).Select(b => b == 1 ? 1.0 : -1.0).ToArray();
        Assert.Equal(p, PayloadCode.Decode(soft));
    }

    [Fact]
    public void Corrects_flipped_coded_bits()
    {
        // Given 6 coded bits flipped, spread out (a K=7 rate-1/2 code has free distance 10), the payload still decodes.
        var p = new WatermarkPayload(0x0102, 0x03040506);
        var soft = PayloadCode.Encode(p).Select(b => b == 1 ? 1.0 : -1.0).ToArray();
        foreach (var k in new[] { 3, 27, 51, 77, 101, 129 })
        {
            soft[k] = -soft[k];
        }

        Assert.Equal(p, PayloadCode.Decode(soft));
    }

    [Fact]
    public void Rejects_noise_through_the_crc()
    {
        // Given random soft bits, the CRC-16 rejects almost every decode (expected 2^-16 accepted).
        var rng = new Random(3);
        var accepted = 0;
        for (var t = 0; t < 500; t++)
        {
            var soft = Enumerable.Range(0, PayloadCode.CodedBits).Select(_ => rng.NextDouble() - 0.5).ToArray();
            accepted += PayloadCode.Decode(soft) is null ? 0 : 1;
        }

        Assert.Equal(0, accepted);
    }

    [Fact]
    public void Carries_at_least_48_data_bits_in_hex()
    {
        var p = WatermarkPayload.FromIds("v2a-small-1", "gen-0001");
        Assert.Equal(12, p.Hex.Length);
        Assert.Equal(p, WatermarkPayload.ParseHex(p.Hex));
        Assert.Throws<BadInputException>(() => WatermarkPayload.ParseHex("xyz"));
    }

    [Fact]
    public void Gaussian_tail_matches_known_values()
    {
        Assert.InRange(Gaussian.UpperTail(1), 0.1586552 * (1 - 2e-7), 0.1586553 * (1 + 2e-7));
        Assert.InRange(Gaussian.UpperTail(5), 2.866515e-7 * (1 - 2e-7), 2.866516e-7 * (1 + 2e-7));
        Assert.Equal(4.753424, Gaussian.InverseUpperTail(1e-6), 4);
        Assert.True(double.IsFinite(Gaussian.LogUpperTail(60)));
    }
}
