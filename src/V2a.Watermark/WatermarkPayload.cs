using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace V2a.Watermark;

/// <summary>
/// The 48 bits a mark carries: which model made the audio (16 bits) and which generation (32 bits). Both are
/// short hashes of the full ids, which the manifest keeps: a decoded payload points to its manifest, and a
/// manifest can be checked against the audio. <see cref="Hex"/> is the form reports and manifests use.
/// </summary>
public readonly record struct WatermarkPayload(ushort ModelId, uint GenerationId)
{
    /// <summary>Data bits carried (before the CRC and the error-correcting code).</summary>
    public const int Bits = 48;

    /// <summary>The payload for the given full ids: the first 16 and 32 bits of their SHA-256.</summary>
    public static WatermarkPayload FromIds(string modelId, string generationId) =>
        new(HashToUInt16(modelId), HashToUInt32(generationId));

    /// <summary>16-bit tag of a model id (first two bytes of SHA-256 of its UTF-8 text).</summary>
    public static ushort HashToUInt16(string text)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return (ushort)((h[0] << 8) | h[1]);
    }

    /// <summary>32-bit tag of a generation id (first four bytes of SHA-256 of its UTF-8 text).</summary>
    public static uint HashToUInt32(string text)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return ((uint)h[0] << 24) | ((uint)h[1] << 16) | ((uint)h[2] << 8) | h[3];
    }

    /// <summary>12 hex digits: model id (4) then generation id (8).</summary>
    public string Hex => $"{ModelId:x4}{GenerationId:x8}";

    /// <summary>Parses <see cref="Hex"/>.</summary>
    public static WatermarkPayload ParseHex(string hex)
    {
        if (hex.Length != 12 || !ulong.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v))
        {
            throw new BadInputException(null, $"'{hex}' is not a watermark payload (12 hex digits: 4 for the model, 8 for the generation)");
        }

        return new WatermarkPayload((ushort)(v >> 32), (uint)v);
    }

    /// <summary>The 48 data bits, most significant first.</summary>
    internal byte[] ToBits()
    {
        var v = ((ulong)ModelId << 32) | GenerationId;
        var bits = new byte[Bits];
        for (var i = 0; i < Bits; i++)
        {
            bits[i] = (byte)((v >> (Bits - 1 - i)) & 1);
        }

        return bits;
    }

    internal static WatermarkPayload FromBits(ReadOnlySpan<byte> bits)
    {
        ulong v = 0;
        for (var i = 0; i < Bits; i++)
        {
            v = (v << 1) | bits[i];
        }

        return new WatermarkPayload((ushort)(v >> 32), (uint)v);
    }

    public override string ToString() => Hex;
}
