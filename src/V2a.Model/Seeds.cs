namespace V2a.Model;

/// <summary>
/// Deterministic seed derivation (SplitMix64). Unlike <see cref="HashCode"/>, the result is the same in
/// every process, which resume and reproducible generation depend on.
/// </summary>
public static class Seeds
{
    public static long Mix(params long[] parts)
    {
        var x = 0x9E3779B97F4A7C15UL;
        foreach (var p in parts)
        {
            x ^= (ulong)p;
            x += 0x9E3779B97F4A7C15UL;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            x ^= x >> 31;
        }

        return (long)(x & 0x7FFF_FFFF_FFFF_FFFFUL);
    }

    /// <summary>A System.Random seed (31 bits) from <see cref="Mix"/>.</summary>
    public static int Int(params long[] parts) => (int)(Mix(parts) & 0x7FFF_FFFF);
}
