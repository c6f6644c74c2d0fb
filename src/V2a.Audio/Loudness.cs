namespace V2a.Audio;

/// <summary>
/// Integrated loudness of a mono signal per ITU-R BS.1770-4, and loudness normalisation with a sample-peak
/// ceiling. K-weighting is the standard's two biquads (a high shelf of about +4 dB above ~1.7 kHz, then a
/// ~38 Hz high pass), designed from their analogue parameters for any sample rate (the coefficients
/// printed in the standard are the 48 kHz case). Gating: 400 ms blocks every 100 ms (75 % overlap), an
/// absolute gate at −70 LUFS, then a relative gate 10 LU below the loudness of the blocks that passed.
/// A signal shorter than one block is measured as one block of its own length (the standard leaves such
/// signals unmeasured; short sound effects still need a level).
/// Memory is O(duration / 100 ms): samples are filtered as they stream past, only per-100 ms energies kept.
/// </summary>
public static class Loudness
{
    /// <summary>−0.691 dB offsets the K-filter's gain at 997 Hz, so a full-scale 997 Hz sine reads −3.01 LUFS.</summary>
    private const double Offset = -0.691;
    internal const double AbsoluteGateLufs = -70;
    internal const double RelativeGateLu = -10;
    internal const double BlockSeconds = 0.4;
    internal const double StepSeconds = 0.1;

    // Analogue prototypes of the two K-weighting stages (the BS.1770 48 kHz coefficients re-derived as
    // centre frequency / Q / gain, so they can be redesigned by the bilinear transform at other rates).
    private const double ShelfHz = 1681.974450955533;
    private const double ShelfGainDb = 3.999843853973347;
    private const double ShelfQ = 0.7071752369554196;
    private const double ShelfVbExponent = 0.4996667741545416;
    private const double HighPassHz = 38.13547087602444;
    private const double HighPassQ = 0.5003270373238773;

    /// <summary>
    /// Integrated loudness in LUFS, or <see cref="double.NegativeInfinity"/> when nothing passes the
    /// absolute gate (silence, or a signal quieter than −70 LUFS throughout).
    /// </summary>
    public static double Integrated(ReadOnlySpan<float> samples, int sampleRate)
    {
        var meter = new LoudnessMeter(sampleRate);
        meter.Add(samples);
        return meter.Integrated;
    }

    /// <summary>
    /// The one linear gain that brings the signal to <paramref name="targetLufs"/>, lowered if needed so the
    /// sample peak stays at or below <paramref name="peakCeilingDbfs"/>. 1 for silence (and for a signal
    /// that is all below the absolute gate: there is nothing to measure).
    /// </summary>
    public static double NormalizationGain(ReadOnlySpan<float> samples, int sampleRate, double targetLufs = -23, double peakCeilingDbfs = -1)
    {
        var meter = new LoudnessMeter(sampleRate);
        meter.Add(samples);
        return meter.NormalizationGain(targetLufs, peakCeilingDbfs);
    }

    /// <summary>
    /// A copy of <paramref name="samples"/> scaled by <see cref="NormalizationGain"/>: one gain, no limiter,
    /// so the result never clips (its sample peak is at most <paramref name="peakCeilingDbfs"/>) and may
    /// land below the target when the peak ceiling binds. Silence stays silence.
    /// </summary>
    public static float[] Normalize(float[] samples, int sampleRate, double targetLufs = -23, double peakCeilingDbfs = -1)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var gain = NormalizationGain(samples, sampleRate, targetLufs, peakCeilingDbfs);
        var result = new float[samples.Length];
        for (var i = 0; i < samples.Length; i++)
        {
            result[i] = (float)(samples[i] * gain);
        }

        return result;
    }

    internal readonly record struct Biquad(double B0, double B1, double B2, double A1, double A2);

    /// <summary>The two K-weighting stages at <paramref name="sampleRate"/> (a0 normalised to 1).</summary>
    internal static (Biquad Shelf, Biquad HighPass) KWeighting(int sampleRate)
    {
        var k = Math.Tan(Math.PI * ShelfHz / sampleRate);
        var vh = Math.Pow(10, ShelfGainDb / 20);
        var vb = Math.Pow(vh, ShelfVbExponent);
        var a0 = 1 + k / ShelfQ + k * k;
        var shelf = new Biquad(
            (vh + vb * k / ShelfQ + k * k) / a0,
            2 * (k * k - vh) / a0,
            (vh - vb * k / ShelfQ + k * k) / a0,
            2 * (k * k - 1) / a0,
            (1 - k / ShelfQ + k * k) / a0);

        k = Math.Tan(Math.PI * HighPassHz / sampleRate);
        a0 = 1 + k / HighPassQ + k * k;
        // The standard keeps the high pass numerator at (1, −2, 1), not normalised by a0 (passband gain
        // ≈ +0.04 dB at 48 kHz); the −0.691 offset was calibrated with exactly that filter.
        var highPass = new Biquad(1, -2, 1, 2 * (k * k - 1) / a0, (1 - k / HighPassQ + k * k) / a0);
        return (shelf, highPass);
    }

    internal static (double Sum, int Count) GatedMean(IReadOnlyList<double> z2, double gate)
    {
        var sum = 0.0;
        var count = 0;
        foreach (var z in z2)
        {
            if (z > gate)
            {
                sum += z;
                count++;
            }
        }

        return (sum, count);
    }

    internal static double ToLufs(double meanSquare) => Offset + 10 * Math.Log10(meanSquare);

    internal static double FromLufs(double lufs) => Math.Pow(10, (lufs - Offset) / 10);
}

/// <summary>
/// BS.1770 integrated loudness and sample peak of a signal fed in chunks of any size (see <see cref="Loudness"/>
/// for the method). Memory is one double per 100 ms, so a soundtrack of any length is measured while it is
/// generated and normalised in a second pass, never held whole.
/// </summary>
public sealed class LoudnessMeter
{
    private readonly Loudness.Biquad _shelf;
    private readonly Loudness.Biquad _highPass;
    private readonly int _step;
    private readonly List<double> _segments = []; // Σ K-weighted x² of each finished 100 ms segment
    private double _s1, _s2, _h1, _h2; // direct form II transposed state of the two stages
    private double _current; // Σ of the segment being filled
    private int _inCurrent;
    private long _samples;

    public LoudnessMeter(int sampleRate)
    {
        if (sampleRate <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be positive");
        }

        SampleRate = sampleRate;
        (_shelf, _highPass) = Loudness.KWeighting(sampleRate);
        _step = Math.Max(1, (int)Math.Round(Loudness.StepSeconds * sampleRate));
    }

    public int SampleRate { get; }

    /// <summary>Largest absolute sample seen.</summary>
    public double Peak { get; private set; }

    public void Add(ReadOnlySpan<float> samples)
    {
        var shelf = _shelf;
        var hp = _highPass;
        foreach (var sample in samples)
        {
            double x = sample;
            Peak = Math.Max(Peak, Math.Abs(x));
            var y = shelf.B0 * x + _s1;
            _s1 = shelf.B1 * x - shelf.A1 * y + _s2;
            _s2 = shelf.B2 * x - shelf.A2 * y;
            var z = hp.B0 * y + _h1;
            _h1 = hp.B1 * y - hp.A1 * z + _h2;
            _h2 = hp.B2 * y - hp.A2 * z;
            _current += z * z;
            if (++_inCurrent == _step)
            {
                _segments.Add(_current);
                _current = 0;
                _inCurrent = 0;
            }
        }

        _samples += samples.Length;
    }

    /// <summary>Integrated loudness in LUFS so far, or −∞ when nothing passes the absolute gate.</summary>
    public double Integrated
    {
        get
        {
            if (_samples == 0)
            {
                return double.NegativeInfinity;
            }

            var stepsPerBlock = (int)Math.Round(Loudness.BlockSeconds / Loudness.StepSeconds);
            var blockLength = stepsPerBlock * _step;
            var z2 = new List<double>();
            if (_samples < blockLength)
            {
                // A signal shorter than one block is measured as one block of its own length.
                z2.Add((_segments.Sum() + _current) / _samples);
            }
            else
            {
                var blocks = (int)((_samples - blockLength) / _step) + 1;
                for (var j = 0; j < blocks; j++)
                {
                    var sum = 0.0;
                    for (var s = 0; s < stepsPerBlock; s++)
                    {
                        sum += _segments[j + s];
                    }

                    z2.Add(sum / blockLength);
                }
            }

            var absoluteGate = Loudness.FromLufs(Loudness.AbsoluteGateLufs);
            var (absSum, absCount) = Loudness.GatedMean(z2, absoluteGate);
            if (absCount == 0)
            {
                return double.NegativeInfinity;
            }

            var relativeGate = Math.Max(absoluteGate, Loudness.FromLufs(Loudness.ToLufs(absSum / absCount) + Loudness.RelativeGateLu));
            var (sum2, count2) = Loudness.GatedMean(z2, relativeGate);
            return Loudness.ToLufs(sum2 / count2);
        }
    }

    /// <summary>The one gain that brings what was measured to <paramref name="targetLufs"/>, lowered so the
    /// sample peak stays at or below <paramref name="peakCeilingDbfs"/>; 1 for silence.</summary>
    public double NormalizationGain(double targetLufs = -23, double peakCeilingDbfs = -1)
    {
        var lufs = Integrated;
        if (Peak == 0 || double.IsNegativeInfinity(lufs))
        {
            return 1;
        }

        var gain = Math.Pow(10, (targetLufs - lufs) / 20);
        var ceiling = Math.Pow(10, peakCeilingDbfs / 20);
        return Math.Min(gain, ceiling / Peak);
    }
}
