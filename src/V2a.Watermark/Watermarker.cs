namespace V2a.Watermark;

/// <summary>What the embedder did to one signal.</summary>
public sealed record EmbedReport
{
    /// <summary>Mark-to-audio SNR in dB: 10·log10(Σ x² / Σ (x' − x)²).</summary>
    public double SnrDb { get; init; }

    /// <summary>
    /// How closely the mark follows the audio's own spectrum: Pearson correlation, over live tiles, between the
    /// log energy of the audio and the log energy of the mark (1 = the mark is a fixed fraction of the audio
    /// everywhere). Reported alongside the SNR as the "shaped by the audio's own spectrum" figure.
    /// </summary>
    public double SpectralShapeCorrelation { get; init; }

    /// <summary>Median over live tiles of the mark-to-audio energy ratio in the tile, in dB.</summary>
    public double TileRatioMedianDb { get; init; }

    /// <summary>95th percentile over live tiles of the mark-to-audio energy ratio in the tile, in dB (the mark stays under the audio everywhere).</summary>
    public double TileRatioP95Db { get; init; }

    /// <summary>Tiles that carry a mark (live tiles of the host).</summary>
    public int MarkedTiles { get; init; }

    /// <summary>True when the signal had nothing to mark (silence): the output equals the input.</summary>
    public bool Silent { get; init; }
}

/// <summary>
/// Keyed spread-spectrum watermark in the STFT magnitude domain (design: docs/watermark.md). Each tile's
/// magnitude is scaled by exp(±λ), λ a fraction of the tile's own level (capped so the whole mark stays
/// ≥ 25 dB under the audio), with the sign set by a keyed chip — times the coded payload bit for payload tiles.
/// Informed embedding cancels the host's own projection on each synchronisation period and each coded bit, so
/// the detector sees the chips, not the music. Detection correlates the high-passed log tile energies with the
/// chips over every alignment; the score is ~N(0, 1) on unmarked audio, whatever the audio.
/// </summary>
public static class Watermarker
{
    /// <summary>Returns a marked copy of <paramref name="samples"/> (mono, [-1, 1], at the settings' rate).</summary>
    public static float[] Embed(float[] samples, int sampleRate, WatermarkPayload payload, WatermarkKey key,
        WatermarkSettings? settings = null) => EmbedWithReport(samples, sampleRate, payload, key, settings).Samples;

    public static (float[] Samples, EmbedReport Report) EmbedWithReport(float[] samples, int sampleRate,
        WatermarkPayload payload, WatermarkKey key, WatermarkSettings? settings = null)
    {
        var s = settings ?? WatermarkSettings.Default;
        CheckRate(sampleRate, s);
        ArgumentNullException.ThrowIfNull(samples);
        var pattern = PatternCache.Get(s, key);
        var coded = PayloadCode.Encode(payload);
        var host = TileFeatures.Analyze(s, samples);
        var columns = host.Columns(0, includePartial: true);
        var bands = s.BandCount;
        var tileE = host.TileEnergies(0, columns);
        var y = host.Features(tileE, columns, out var live);
        if (live == 0 || host.TotalEnergy <= 0)
        {
            return ((float[])samples.Clone(), new EmbedReport { SnrDb = double.PositiveInfinity, Silent = true });
        }

        // Strength per tile, as log-magnitude amplitude λ (the magnitude is multiplied by e^±λ): the largest
        // relative change allowed, lowered on the loudest tiles until the mark's energy (≈ λ²·E per tile, both
        // spectrum halves) fits the SNR budget. Loud tiles get a smaller fraction, quiet ones the cap.
        var lambdaMax = Math.Log(1 + s.MaxRelativeStrength);
        var budget = host.TotalEnergy * Math.Pow(10, -s.TargetSnrDb / 10);
        var eRef = SolveReferenceEnergy(tileE, host.LiveFloor, lambdaMax, budget);
        var lambda = new double[tileE.Length];
        var dir = new sbyte[tileE.Length];
        for (var i = 0; i < tileE.Length; i++)
        {
            if (tileE[i] < host.LiveFloor)
            {
                continue;
            }

            lambda[i] = lambdaMax * Math.Min(1, Math.Sqrt(eRef / tileE[i]));
            var p = PatternIndex(i, bands, s.PeriodColumns);
            var role = pattern.Roles[p];
            var sign = role == ChipPattern.Sync ? 1 : (coded[role] == 1 ? 1 : -1);
            dir[i] = (sbyte)(sign * pattern.Chips[p]);
        }

        // Informed embedding (improved spread spectrum): per group — each period's sync tiles, each coded bit's
        // tiles over the whole signal — scale the strength so that the host's own projection on the group's
        // chips is cancelled. Bounded: at most 2× the strength on a sync group, 3× on a coded bit
        // (a bit has few tiles, so its host projection is relatively larger and more worth cancelling).
        var groups = CodedBitsAndPeriods(pattern, columns, bands, s.PeriodColumns);
        var kappa = new double[groups.Count];
        var groupOf = new int[tileE.Length];
        for (var g = 0; g < groups.Count; g++)
        {
            double proj = 0, amp = 0;
            foreach (var i in groups[g])
            {
                groupOf[i] = g;
                proj += dir[i] * y[i];
                amp += 2 * lambda[i];
            }

            kappa[g] = amp > 0 ? Math.Clamp(-proj / amp, -0.6, g < PayloadCode.CodedBits ? 2.0 : 1.0) : 0;
        }

        var gain = new float[tileE.Length];
        for (var i = 0; i < tileE.Length; i++)
        {
            gain[i] = (float)Math.Exp(dir[i] * lambda[i] * (1 + kappa[groupOf[i]]));
        }

        var marked = ApplyGains(s, samples, gain, bands);
        var report = Finish(s, samples, marked, tileE, host.LiveFloor, live);
        return (marked, report);
    }

    /// <summary>Looks for the mark in <paramref name="samples"/> (mono, at the settings' rate), at any alignment.</summary>
    public static DetectionResult Detect(float[] samples, int sampleRate, WatermarkKey key, WatermarkSettings? settings = null)
    {
        var s = settings ?? WatermarkSettings.Default;
        CheckRate(sampleRate, s);
        return Detect(TileFeatures.Analyze(s, samples), samples.Length, key, s);
    }

    internal static DetectionResult Detect(TileFeatures features, long sampleCount, WatermarkKey key, WatermarkSettings s)
    {
        var duration = (double)sampleCount / s.SampleRate;
        var baseResult = new DetectionResult
        {
            Verdict = Verdict.TooShort,
            DurationSeconds = duration,
            FalsePositiveTarget = s.FalsePositiveTarget,
            KeyFingerprint = key.Fingerprint,
            Layout = s.Version,
            FalsePositiveProbability = 1,
        };
        if (duration < s.MinDecideSeconds)
        {
            return baseResult with
            {
                Note = $"{duration:0.###} s of audio is too short to decide; the detector needs at least {s.MinDecideSeconds:0.##} s "
                    + $"(one synchronisation period) and is specified for {s.GuaranteedExcerptSeconds:0.#} s or more.",
            };
        }

        var pattern = PatternCache.Get(s, key);
        var search = new AlignmentSearch(s, pattern, features);
        if (search.LiveTiles < s.TilesPerPeriod / 4)
        {
            return baseResult with
            {
                Verdict = Verdict.TooQuiet,
                Note = "too quiet to decide: the audio is silent or nearly so, and silence carries no mark.",
            };
        }

        var best = search.Best;
        var hypotheses = s.Offsets * search.Tests;
        var logP = Math.Min(0, Math.Log(hypotheses) + Gaussian.LogUpperTail(best.Score));
        var threshold = Gaussian.InverseUpperTail(s.FalsePositiveTarget / hypotheses);
        var detected = best.Score >= threshold;
        var result = baseResult with
        {
            Verdict = detected ? Verdict.Watermarked : Verdict.NotWatermarked,
            Score = best.Score,
            FixedHypothesisScore = search.NullProbeScore,
            Threshold = threshold,
            HypothesesSearched = hypotheses,
            FalsePositiveProbability = Math.Exp(logP),
            Log10FalsePositiveProbability = logP / Math.Log(10),
        };
        if (!detected)
        {
            return result with
            {
                Note = duration < s.GuaranteedExcerptSeconds
                    ? $"no mark found; with under {s.GuaranteedExcerptSeconds:0.#} s of audio a weak mark can be missed."
                    : "no mark found.",
            };
        }

        var payload = search.DecodePayload(best);
        return result with
        {
            Payload = payload,
            Ranges = search.Ranges(best, duration),
            AlignmentSeconds = best.AlignmentFrames * s.SecondsPerFrame,
            Note = payload is null
                ? "watermarked; the payload did not decode (too damaged or too short), the detection stands."
                : "watermarked; payload decoded and its CRC checks.",
        };
    }

    private static void CheckRate(int sampleRate, WatermarkSettings s)
    {
        if (sampleRate != s.SampleRate)
        {
            throw new ArgumentException($"the watermark works at {s.SampleRate} Hz; resample {sampleRate} Hz audio first", nameof(sampleRate));
        }
    }

    internal static int PatternIndex(int tile, int bands, int periodColumns) =>
        ((tile / bands) % periodColumns * bands) + (tile % bands);

    /// <summary>Tile indices of each coded bit (groups 0 … coded−1) and of each period's sync tiles (after).</summary>
    private static List<List<int>> CodedBitsAndPeriods(ChipPattern pattern, int columns, int bands, int periodColumns)
    {
        var coded = PayloadCode.CodedBits;
        var periods = (columns + periodColumns - 1) / periodColumns;
        var groups = new List<List<int>>(coded + periods);
        for (var g = 0; g < coded + periods; g++)
        {
            groups.Add([]);
        }

        for (var i = 0; i < columns * bands; i++)
        {
            var role = pattern.Roles[PatternIndex(i, bands, periodColumns)];
            groups[role == ChipPattern.Sync ? coded + (i / bands / periodColumns) : role].Add(i);
        }

        return groups;
    }

    /// <summary>E_ref such that Σ λmax²·min(E, E_ref)·2 over live tiles equals the budget (∞ when the cap already fits).</summary>
    private static double SolveReferenceEnergy(double[] tileE, double floor, double lambdaMax, double budget)
    {
        double Cost(double eRef)
        {
            double c = 0;
            foreach (var e in tileE)
            {
                if (e >= floor)
                {
                    c += Math.Min(e, eRef);
                }
            }

            return 2 * lambdaMax * lambdaMax * c;
        }

        if (Cost(double.PositiveInfinity) <= budget)
        {
            return double.PositiveInfinity;
        }

        double lo = 0, hi = tileE.Max();
        for (var it = 0; it < 60; it++)
        {
            var mid = 0.5 * (lo + hi);
            if (Cost(mid) > budget)
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        return lo;
    }

    /// <summary>Multiplies each tile's bins by its gain (STFT, gain, inverse STFT); bins outside the bands pass unchanged.</summary>
    private static float[] ApplyGains(WatermarkSettings s, float[] x, float[] gain, int bands)
    {
        var stft = new Stft(s.FrameLength);
        var frames = stft.FrameCount(x.Length);
        var y = new float[x.Length];
        var re = new float[stft.Bins];
        var im = new float[stft.Bins];
        for (var m = 0; m < frames; m++)
        {
            stft.Analyze(x, m, re, im);
            var row = (m / s.TileFrames) * bands;
            for (var b = 0; b < bands; b++)
            {
                var g = gain[row + b];
                var k0 = s.FirstBin + (b * s.BinsPerBand);
                for (var k = k0; k < k0 + s.BinsPerBand; k++)
                {
                    re[k] *= g;
                    im[k] *= g;
                }
            }

            stft.SynthesizeAdd(re, im, m, y);
        }

        return y;
    }

    /// <summary>Guarantees the SNR floor (scales the mark down if needed) and measures the report's figures.</summary>
    private static EmbedReport Finish(WatermarkSettings s, float[] x, float[] y, double[] hostTileE, double floor, int live)
    {
        double sx = 0, sw = 0;
        for (var i = 0; i < x.Length; i++)
        {
            double w = y[i] - x[i];
            sx += (double)x[i] * x[i];
            sw += w * w;
        }

        var snr = 10 * Math.Log10(sx / Math.Max(sw, 1e-300));
        if (snr < s.MinSnrDb)
        {
            var scale = (float)Math.Pow(10, (snr - s.MinSnrDb) / 20);
            for (var i = 0; i < x.Length; i++)
            {
                y[i] = x[i] + ((y[i] - x[i]) * scale);
            }

            snr = s.MinSnrDb;
        }

        var mark = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            mark[i] = y[i] - x[i];
        }

        var markE = TileFeatures.Analyze(s, mark);
        var columns = markE.Columns(0, includePartial: true);
        var mE = markE.TileEnergies(0, columns);
        var a = new List<double>();
        var b = new List<double>();
        var ratio = new List<double>();
        for (var i = 0; i < Math.Min(mE.Length, hostTileE.Length); i++)
        {
            if (hostTileE[i] >= floor && mE[i] > 0)
            {
                a.Add(Math.Log10(hostTileE[i]));
                b.Add(Math.Log10(mE[i]));
                ratio.Add(10 * (b[^1] - a[^1]));
            }
        }

        ratio.Sort();
        return new EmbedReport
        {
            SnrDb = snr,
            SpectralShapeCorrelation = Pearson(a, b),
            TileRatioMedianDb = ratio.Count > 0 ? ratio[ratio.Count / 2] : double.NaN,
            TileRatioP95Db = ratio.Count > 0 ? ratio[(int)(0.95 * (ratio.Count - 1))] : double.NaN,
            MarkedTiles = live,
        };
    }

    private static double Pearson(List<double> a, List<double> b)
    {
        if (a.Count < 2)
        {
            return double.NaN;
        }

        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (var i = 0; i < a.Count; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }

        return sab / Math.Sqrt(saa * sbb);
    }
}

/// <summary>Chip patterns are pure functions of (settings, key): build each once.</summary>
internal static class PatternCache
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(WatermarkSettings, string), ChipPattern> Cache = new();

    public static ChipPattern Get(WatermarkSettings s, WatermarkKey key) =>
        Cache.GetOrAdd((s, key.Fingerprint + (key.IsPublic ? "p" : "s")), _ => new ChipPattern(s, key));
}
