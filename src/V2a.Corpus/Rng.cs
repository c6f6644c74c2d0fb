namespace V2a.Corpus;

/// <summary>
/// The corpus's own random numbers: xoshiro256** seeded through SplitMix64. System.Random's sequence is not
/// promised across .NET versions; this one is fixed by its definition, so a seed means the same clip on any
/// runtime. <see cref="Fork"/> gives independent streams per part of a scene, so adding a draw in one part
/// (a new look for the rain) does not shift the numbers of another (the ball's bounces).
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>A well-mixed 64-bit hash of <paramref name="a"/> and <paramref name="b"/>.</summary>
    public static ulong Mix(ulong a, ulong b)
    {
        var x = a ^ (b * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL);
        return SplitMix64(ref x);
    }

    /// <summary>A stable hash of a text (FNV-1a), for forking by name.</summary>
    public static ulong Hash(string text)
    {
        var h = 14695981039346656037UL;
        foreach (var ch in text)
        {
            h = (h ^ ch) * 1099511628211UL;
        }

        return h;
    }

    private static ulong SplitMix64(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        var result = RotL(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotL(_s3, 45);
        return result;

        static ulong RotL(ulong v, int k) => (v << k) | (v >> (64 - k));
    }

    /// <summary>An independent stream named by <paramref name="salt"/>; does not advance this one.</summary>
    public Rng Fork(string salt) => new(Mix(_s0 ^ RotState(), Hash(salt)));

    /// <summary>An independent stream numbered by <paramref name="salt"/>; does not advance this one.</summary>
    public Rng Fork(long salt) => new(Mix(_s0 ^ RotState(), (ulong)salt));

    private ulong RotState() => _s1 + (_s2 << 1) + (_s3 << 2);

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [lo, hi).</summary>
    public double Uniform(double lo, double hi) => lo + ((hi - lo) * NextDouble());

    /// <summary>Uniform integer in [0, n).</summary>
    public int Int(int n)
    {
        if (n <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(n), "n must be positive");
        }

        return (int)((NextULong() >> 11) % (ulong)n);
    }

    /// <summary>Uniform integer in [lo, hi] (both included).</summary>
    public int Int(int lo, int hi) => lo + Int(hi - lo + 1);

    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal (Box–Muller).</summary>
    public double Gaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Uniform in [-1, 1), as a float (noise samples).</summary>
    public float NoiseSample() => (float)((NextDouble() * 2.0) - 1.0);

    public T Pick<T>(IReadOnlyList<T> items) => items[Int(items.Count)];

    /// <summary>Picks an index with probability proportional to its weight.</summary>
    public int PickWeighted(IReadOnlyList<double> weights)
    {
        var total = weights.Sum();
        var r = NextDouble() * total;
        for (var i = 0; i < weights.Count; i++)
        {
            r -= weights[i];
            if (r < 0)
            {
                return i;
            }
        }

        return weights.Count - 1;
    }

    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = Int(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
