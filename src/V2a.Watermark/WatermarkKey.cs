using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace V2a.Watermark;

/// <summary>
/// The secret that generates the chip pattern. Audio marked with one key is invisible to a detector holding
/// another. v2a ships a public default key so anyone can check v2a output with the public detector; an
/// operator who wants private marks sets <see cref="EnvironmentVariable"/> (or passes --key) to their own secret.
/// </summary>
public sealed class WatermarkKey
{
    /// <summary>Environment variable holding a private key.</summary>
    public const string EnvironmentVariable = "V2A_WATERMARK_KEY";

    /// <summary>The public default key (documented in docs/watermark.md): not a secret, by design.</summary>
    public const string PublicKeyText = "v2a public watermark key 1";

    private readonly byte[] _secret;

    private WatermarkKey(byte[] secret, bool isPublic)
    {
        _secret = secret;
        IsPublic = isPublic;
    }

    /// <summary>True for the public default key.</summary>
    public bool IsPublic { get; }

    public static WatermarkKey Public { get; } = new(SHA256.HashData(Encoding.UTF8.GetBytes(PublicKeyText)), true);

    /// <summary>A key from any text (a passphrase or a hex/base64 secret, used as its UTF-8 bytes).</summary>
    public static WatermarkKey FromText(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw new BadInputException(null, "the watermark key is empty");
        }

        return text == PublicKeyText ? Public : new WatermarkKey(SHA256.HashData(Encoding.UTF8.GetBytes(text)), false);
    }

    /// <summary>The key from <paramref name="explicitKey"/> (a --key option), else <see cref="EnvironmentVariable"/>, else the public key.</summary>
    public static WatermarkKey Resolve(string? explicitKey = null)
    {
        if (!string.IsNullOrEmpty(explicitKey))
        {
            return FromText(explicitKey);
        }

        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrEmpty(env) ? Public : FromText(env);
    }

    /// <summary>A short, non-secret fingerprint to tell keys apart in reports (first 8 hex digits of a hash of the key).</summary>
    public string Fingerprint => Convert.ToHexStringLower(SHA256.HashData([.. _secret, .. "fingerprint"u8]))[..8];

    /// <summary>A keyed pseudo-random byte stream for one purpose (HMAC-SHA256 in counter mode), stable across platforms.</summary>
    internal KeyStream Stream(string purpose) => new(_secret, purpose);

    public override string ToString() => IsPublic ? $"public ({Fingerprint})" : $"private ({Fingerprint})";
}

/// <summary>Deterministic keyed random numbers: HMAC-SHA256(key, purpose ‖ block counter), consumed in order.</summary>
internal sealed class KeyStream
{
    private readonly HMACSHA256 _mac;
    private readonly byte[] _purpose;
    private byte[] _block = [];
    private int _pos;
    private long _counter;

    public KeyStream(byte[] secret, string purpose)
    {
        _mac = new HMACSHA256(secret);
        _purpose = Encoding.UTF8.GetBytes(purpose);
    }

    public ulong NextUInt64()
    {
        if (_pos + 8 > _block.Length)
        {
            var input = new byte[_purpose.Length + 8];
            _purpose.CopyTo(input, 0);
            BinaryPrimitives.WriteInt64LittleEndian(input.AsSpan(_purpose.Length), _counter++);
            _block = _mac.ComputeHash(input);
            _pos = 0;
        }

        var v = BinaryPrimitives.ReadUInt64LittleEndian(_block.AsSpan(_pos));
        _pos += 8;
        return v;
    }

    /// <summary>Uniform integer in [0, n) (rejection sampling, no modulo bias).</summary>
    public int NextInt(int n)
    {
        var limit = ulong.MaxValue - (ulong.MaxValue % (ulong)n);
        ulong v;
        do
        {
            v = NextUInt64();
        }
        while (v >= limit);
        return (int)(v % (ulong)n);
    }

    /// <summary>A chip: +1 or −1 with equal probability.</summary>
    public sbyte NextChip() => (NextUInt64() & 1) == 0 ? (sbyte)1 : (sbyte)-1;
}
