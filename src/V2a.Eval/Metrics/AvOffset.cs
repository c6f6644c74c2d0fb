namespace V2a.Eval.Metrics;

/// <summary>One clip's audio–video offset.</summary>
/// <param name="LagSeconds">How late the audio is relative to the video, in seconds (negative: early). The
/// lag that maximises the correlation, refined below one audio frame by a parabola through the peak.</param>
/// <param name="Correlation">Pearson correlation of the two envelopes at that lag (−1..1): how much the
/// estimate can be trusted; near 0 the envelopes share nothing and the lag is noise.</param>
public sealed record OffsetEstimate(double LagSeconds, double Correlation);

/// <summary>
/// The audio–video offset of a clip, v2a's stand-in for DeSync (which is Synchformer's predicted offset in
/// seconds, from −2 to +2 s in 0.2 s classes; the field reports its mean absolute value). Here the offset is
/// the lag that best aligns the video's motion-event envelope (<see cref="MotionEnvelope"/>, one value a
/// video frame) with the audio's onset envelope (<c>V2a.Audio.OnsetDetector.Envelope</c>, one value a mel
/// frame). The video envelope is linearly interpolated onto the audio's frame times, so the search runs on
/// the mel frame grid (16 ms at 16 kHz / hop 256) and the estimate is good to about one mel frame.
/// </summary>
public static class AvOffset
{
    /// <summary>Largest lag searched, in seconds either way (Synchformer's classes span ±2 s; an 8 s clip
    /// with ±1 s keeps at least 7 s of overlap).</summary>
    public const double DefaultMaxLagSeconds = 1.0;

    /// <summary>
    /// Estimates the offset, or null when either envelope is flat (a static video or silent audio: there is
    /// nothing to align).
    /// </summary>
    /// <param name="video">Motion-event envelope, value j at time <paramref name="videoStartSeconds"/> + j / <paramref name="videoRate"/>.</param>
    /// <param name="videoRate">Video envelope values per second (the frame rate).</param>
    /// <param name="audio">Onset envelope, value t at time <paramref name="audioStartSeconds"/> + t / <paramref name="audioRate"/>.</param>
    /// <param name="audioRate">Audio envelope values per second (mel frames per second).</param>
    public static OffsetEstimate? Estimate(
        ReadOnlySpan<double> video, double videoRate, ReadOnlySpan<double> audio, double audioRate,
        double videoStartSeconds = 0, double audioStartSeconds = 0, double maxLagSeconds = DefaultMaxLagSeconds)
    {
        if (videoRate <= 0 || audioRate <= 0 || maxLagSeconds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(videoRate), "rates must be positive and the lag range non-negative");
        }

        if (video.Length < 2 || audio.Length < 2)
        {
            return null;
        }

        // The video envelope on the audio's frame times (zero outside the video).
        var v = new double[audio.Length];
        for (var t = 0; t < audio.Length; t++)
        {
            var x = ((audioStartSeconds + (t / audioRate)) - videoStartSeconds) * videoRate; // in video frames
            var j = (int)Math.Floor(x);
            if (j >= 0 && j + 1 < video.Length)
            {
                var f = x - j;
                v[t] = (video[j] * (1 - f)) + (video[j + 1] * f);
            }
            else if (j == video.Length - 1 && x - j < 1e-9)
            {
                v[t] = video[j];
            }
        }

        if (IsFlat(v) || IsFlat(audio))
        {
            return null;
        }

        var maxLag = (int)Math.Round(maxLagSeconds * audioRate); // in audio frames
        maxLag = Math.Min(maxLag, audio.Length - 2);
        var corr = new double[(2 * maxLag) + 1];
        var best = 0;
        for (var lag = -maxLag; lag <= maxLag; lag++)
        {
            var c = Pearson(v, audio, lag);
            corr[lag + maxLag] = c;
            if (c > corr[best])
            {
                best = lag + maxLag;
            }
        }

        // Sub-frame refinement: the vertex of the parabola through the peak and its two neighbours.
        var refined = (double)(best - maxLag);
        if (best > 0 && best < corr.Length - 1)
        {
            var (l, c0, r) = (corr[best - 1], corr[best], corr[best + 1]);
            var denom = l - (2 * c0) + r;
            if (denom < 0)
            {
                refined += Math.Clamp(0.5 * (l - r) / denom, -0.5, 0.5);
            }
        }

        return new OffsetEstimate(refined / audioRate, corr[best]);
    }

    /// <summary>Pearson correlation of the pairs (v[t], a[t + lag]) over the times where both exist.</summary>
    internal static double Pearson(ReadOnlySpan<double> v, ReadOnlySpan<double> a, int lag)
    {
        var start = Math.Max(0, -lag);
        var end = Math.Min(v.Length, a.Length - lag);
        var n = end - start;
        if (n < 2)
        {
            return 0;
        }

        double sv = 0, sa = 0;
        for (var t = start; t < end; t++)
        {
            sv += v[t];
            sa += a[t + lag];
        }

        var mv = sv / n;
        var ma = sa / n;
        double cov = 0, vv = 0, va = 0;
        for (var t = start; t < end; t++)
        {
            var dv = v[t] - mv;
            var da = a[t + lag] - ma;
            cov += dv * da;
            vv += dv * dv;
            va += da * da;
        }

        return vv <= 0 || va <= 0 ? 0 : cov / Math.Sqrt(vv * va);
    }

    private static bool IsFlat(ReadOnlySpan<double> x)
    {
        var min = double.PositiveInfinity;
        var max = double.NegativeInfinity;
        foreach (var value in x)
        {
            min = Math.Min(min, value);
            max = Math.Max(max, value);
        }

        return !(max - min > 1e-12);
    }
}
