namespace V2a.Watermark;

/// <summary>
/// Channel code of the payload: 48 data bits + CRC-16/CCITT (so a decoder knows when it succeeded), then the
/// rate-1/2 constraint-length-7 convolutional code (generators 171, 133 octal — the NASA/802.11 code) with
/// 6 zero tail bits: 140 coded bits. Decoded by soft-decision Viterbi on the per-bit correlations.
/// </summary>
internal static class PayloadCode
{
    public const int CrcBits = 16;
    public const int ConstraintLength = 7;
    private const int G0 = 0b1111001; // 171 octal
    private const int G1 = 0b1011011; // 133 octal
    private const int States = 1 << (ConstraintLength - 1);

    public static int InfoBits => WatermarkPayload.Bits + CrcBits;

    public static int CodedBits => 2 * (InfoBits + ConstraintLength - 1);

    /// <summary>Coded bits (0/1) of a payload.</summary>
    public static byte[] Encode(WatermarkPayload payload)
    {
        var data = payload.ToBits();
        var crc = Crc16(data);
        var info = new byte[InfoBits + ConstraintLength - 1];
        data.CopyTo(info, 0);
        for (var i = 0; i < CrcBits; i++)
        {
            info[WatermarkPayload.Bits + i] = (byte)((crc >> (CrcBits - 1 - i)) & 1);
        }

        var coded = new byte[CodedBits];
        var reg = 0;
        for (var i = 0; i < info.Length; i++)
        {
            reg = ((reg << 1) | info[i]) & ((1 << ConstraintLength) - 1);
            coded[2 * i] = Parity(reg & G0);
            coded[(2 * i) + 1] = Parity(reg & G1);
        }

        return coded;
    }

    /// <summary>
    /// Soft Viterbi. <paramref name="soft"/>[k] &gt; 0 favours coded bit k = 1. Returns the payload when the
    /// decoded CRC matches, else null.
    /// </summary>
    public static WatermarkPayload? Decode(ReadOnlySpan<double> soft)
    {
        if (soft.Length != CodedBits)
        {
            throw new ArgumentException($"expected {CodedBits} soft bits, got {soft.Length}", nameof(soft));
        }

        var steps = InfoBits + ConstraintLength - 1;
        var metric = new double[States];
        var next = new double[States];
        Array.Fill(metric, double.NegativeInfinity);
        metric[0] = 0;
        // survivor[t, s]: the previous state that led to state s at step t (the input bit is s's lowest bit).
        var survivor = new byte[steps, States];
        for (var t = 0; t < steps; t++)
        {
            Array.Fill(next, double.NegativeInfinity);
            var s0 = soft[2 * t];
            var s1 = soft[(2 * t) + 1];
            var tail = t >= InfoBits;
            for (var s = 0; s < States; s++)
            {
                if (double.IsNegativeInfinity(metric[s]))
                {
                    continue;
                }

                for (var bit = 0; bit <= (tail ? 0 : 1); bit++)
                {
                    var reg = (s << 1) | bit;
                    var m = metric[s] + (Parity(reg & G0) == 1 ? s0 : -s0) + (Parity(reg & G1) == 1 ? s1 : -s1);
                    var ns = reg & (States - 1);
                    if (m > next[ns])
                    {
                        next[ns] = m;
                        survivor[t, ns] = (byte)s;
                    }
                }
            }

            (metric, next) = (next, metric);
        }

        var info = new byte[steps];
        var state = 0;
        for (var t = steps - 1; t >= 0; t--)
        {
            info[t] = (byte)(state & 1);
            state = survivor[t, state];
        }

        var data = info.AsSpan(0, WatermarkPayload.Bits);
        var crc = 0;
        for (var i = 0; i < CrcBits; i++)
        {
            crc = (crc << 1) | info[WatermarkPayload.Bits + i];
        }

        return crc == Crc16(data) ? WatermarkPayload.FromBits(data) : null;
    }

    /// <summary>CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over a bit string, most significant first.</summary>
    public static int Crc16(ReadOnlySpan<byte> bits)
    {
        var crc = 0xFFFF;
        foreach (var b in bits)
        {
            var top = ((crc >> 15) & 1) ^ b;
            crc = (crc << 1) & 0xFFFF;
            if (top == 1)
            {
                crc ^= 0x1021;
            }
        }

        return crc;
    }

    private static byte Parity(int v) => (byte)(System.Numerics.BitOperations.PopCount((uint)v) & 1);
}
