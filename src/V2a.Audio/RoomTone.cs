namespace V2a.Audio;

/// <summary>
/// A quiet, steady noise floor like the room tone every recording has: Gaussian white noise through a bank of
/// three one-pole low-passes plus a direct path (the classic three-pole approximation of pink noise), so the
/// level falls with frequency through the low and middle bands and levels off toward Nyquist. Deterministic:
/// the same seed gives the same samples, however the signal is split into calls.
/// <para>Or, for a watermarked soundtrack, the same filter driven by a keyed periodic sequence of ±1 chips instead of
/// Gaussian noise (<see cref="RoomTone(double, sbyte[])"/>): it sounds the same (white excitation of the same variance
/// through the same filter) and is itself a mark a detector that knows the chips finds by correlation, under noise
/// or another track that would bury a mark shaped by so quiet a sound.</para>
/// <para>v2a adds it to every generated soundtrack (<c>--no-room-tone</c> turns it off) for two reasons:
/// digital silence under a picture sounds broken, and a silent stretch cannot carry the watermark.</para>
/// </summary>
public sealed class RoomTone
{
    /// <summary>
    /// The level v2a gives it, RMS dBFS: 45 dB under the −23 LUFS its soundtracks are normalised to, about the room
    /// tone of a quiet studio recording. Every band from 250 Hz to 7 kHz (where the watermark lives) is then 16 dB or
    /// more above the watermark detector's live floor per tile (30 dB at 250 Hz), 10 dB after a −6 dB gain change.
    /// </summary>
    public const double DefaultLevelDbfs = -68;

    // (pole, input gain) of each one-pole branch; the direct path adds white noise × DirectGain.
    private static readonly (double Pole, double Gain)[] Branches = [(0.99765, 0.0990460), (0.96300, 0.2965164), (0.57000, 1.0526913)];
    private const double DirectGain = 0.1848;

    /// <summary>Samples drawn and dropped at construction so the slowest branch starts near its steady state (0.25 s at 16 kHz).</summary>
    private const int WarmUp = 4000;

    private readonly Random? _random;
    private readonly sbyte[]? _chips;
    private readonly double[] _state = new double[Branches.Length];
    private readonly double _scale;
    private double? _spare;
    private long _index;

    /// <param name="rmsDbfs">Level of the tone, RMS in dBFS (a full-scale sine is −3 dBFS RMS).</param>
    /// <param name="seed">Fixes the noise.</param>
    public RoomTone(double rmsDbfs, int seed)
    {
        _random = new Random(seed);
        _scale = Scale(rmsDbfs);
        for (var i = 0; i < WarmUp; i++)
        {
            Next();
        }
    }

    /// <param name="rmsDbfs">Level of the tone, RMS in dBFS.</param>
    /// <param name="chips">The excitation, ±1 values repeated with this period: output sample n is the filter's response to
    /// chips[n mod period] and the chips before it (the filter starts as if the sequence had been running for
    /// <see cref="WarmUp"/> samples, so sample 0 is already in its steady state).</param>
    public RoomTone(double rmsDbfs, sbyte[] chips)
    {
        ArgumentNullException.ThrowIfNull(chips);
        if (chips.Length < WarmUp || chips.Any(c => c is not (1 or -1)))
        {
            throw new ArgumentException($"room tone chips must be ±1, at least {WarmUp} of them", nameof(chips));
        }

        _chips = chips;
        _scale = Scale(rmsDbfs);
        _index = -WarmUp;
        for (var i = 0; i < WarmUp; i++)
        {
            Next();
        }
    }

    private static double Scale(double rmsDbfs)
    {
        if (!double.IsFinite(rmsDbfs) || rmsDbfs > 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rmsDbfs), rmsDbfs, "room tone level must be a finite dBFS value ≤ 0");
        }

        return Math.Pow(10, rmsDbfs / 20) / Math.Sqrt(UnitVariance);
    }

    /// <summary>
    /// The shaping filter's frequency response at <paramref name="cyclesPerSample"/> (0 … 0.5), for unit-variance white
    /// excitation at level 0 dB: H(f) = c + Σ g_i / (1 − a_i·e^(−2πif)), times the scale that gives the tone
    /// <paramref name="rmsDbfs"/> RMS. A detector that knows the excitation filters what it hears by its conjugate.
    /// </summary>
    public static System.Numerics.Complex Response(double cyclesPerSample, double rmsDbfs = 0)
    {
        var z1 = System.Numerics.Complex.FromPolarCoordinates(1, -2 * Math.PI * cyclesPerSample); // z^-1 on the unit circle
        System.Numerics.Complex h = DirectGain;
        foreach (var (a, g) in Branches)
        {
            h += g / (1 - (a * z1));
        }

        return h * Scale(rmsDbfs);
    }

    /// <summary>
    /// Steady-state variance of the shaping filter's output for white noise of variance 1, exactly: with
    /// b_i[n] = a_i·b_i[n−1] + g_i·w[n] and y = Σ b_i + c·w, E[b_i·b_j] = g_i·g_j / (1 − a_i·a_j) and E[b_i·w] = g_i.
    /// </summary>
    public static double UnitVariance
    {
        get
        {
            double v = DirectGain * DirectGain;
            foreach (var (ai, gi) in Branches)
            {
                v += 2 * DirectGain * gi;
                foreach (var (aj, gj) in Branches)
                {
                    v += gi * gj / (1 - (ai * aj));
                }
            }

            return v;
        }
    }

    /// <summary>Adds the next <c>samples.Length</c> samples of the tone to <paramref name="samples"/> in place.</summary>
    public void AddTo(Span<float> samples)
    {
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] += (float)(Next() * _scale);
        }
    }

    private double Next()
    {
        double w;
        if (_chips is null)
        {
            w = Gaussian();
        }
        else
        {
            var p = _index % _chips.Length;
            w = _chips[p < 0 ? p + _chips.Length : p];
            _index++;
        }

        var y = DirectGain * w;
        for (var k = 0; k < Branches.Length; k++)
        {
            _state[k] = (Branches[k].Pole * _state[k]) + (Branches[k].Gain * w);
            y += _state[k];
        }

        return y;
    }

    /// <summary>Standard normal draws by the polar Box–Muller method (two per accepted pair).</summary>
    private double Gaussian()
    {
        if (_spare is { } s)
        {
            _spare = null;
            return s;
        }

        double u, v, r;
        do
        {
            u = (2 * _random!.NextDouble()) - 1;
            v = (2 * _random.NextDouble()) - 1;
            r = (u * u) + (v * v);
        }
        while (r >= 1 || r == 0);

        var f = Math.Sqrt(-2 * Math.Log(r) / r);
        _spare = v * f;
        return u * f;
    }
}
