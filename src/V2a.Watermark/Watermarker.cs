namespace V2a.Watermark;

/// <summary>What the embedder did to one signal.</summary>
public sealed record EmbedReport
{
    /// <summary>How a video input's picture went into a video output (copied or re-encoded); null for audio outputs.</summary>
    public V2a.Media.VideoHandling? Video { get; init; }

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

    /// <summary>
    /// Largest mark-to-audio energy ratio of any tile, in dB, as analysed. Above the design cap (−16.5 dB for ±15%) only
    /// where a quiet tile borders a loud one, whose mark spills over (and which masks both).
    /// </summary>
    public double TileRatioMaxDb { get; init; }

    /// <summary>Median over live tiles of the mark-to-masker ratio, in dB: the tile's mark against the mean tile energy of its critical band (same column).</summary>
    public double MaskerRatioMedianDb { get; init; }

    /// <summary>95th percentile of the mark-to-masker ratio over live tiles, in dB.</summary>
    public double MaskerRatioP95Db { get; init; }

    /// <summary>Largest mark-to-masker ratio of any tile, in dB.</summary>
    public double MaskerRatioMaxDb { get; init; }

    /// <summary>Tiles that carry a mark (live tiles of the host).</summary>
    public int MarkedTiles { get; init; }

    /// <summary>True when the signal had nothing to mark (silence): the output equals the input.</summary>
    public bool Silent { get; init; }
}

/// <summary>
/// Keyed spread-spectrum watermark in the STFT magnitude domain (design: docs/watermark.md). Each live tile's
/// magnitude is scaled by exp(±λ) — at most ±15% (±25% where a louder tile of the critical band masks it), lowered
/// on loud tiles so the whole mark stays ≥ 25 dB under the audio — with the sign set by a keyed chip (times the coded payload bit on payload slots), opposite on the two
/// bands of a pair. Informed embedding cancels the host's own projection group by group, so the detector sees the
/// chips, not the audio. Detection correlates the pairs' log-energy differences with the chips over every
/// alignment; the score is ~N(0, 1) on unmarked audio, whatever the audio.
/// </summary>
public static class Watermarker
{
    /// <summary>Returns a marked copy of <paramref name="samples"/> (mono, [-1, 1], at the settings' rate).</summary>
    public static float[] Embed(float[] samples, int sampleRate, WatermarkPayload payload, WatermarkKey key,
        WatermarkSettings? settings = null) => EmbedWithReport(samples, sampleRate, payload, key, settings).Samples;

    /// <summary>Marks a whole signal (through <see cref="WatermarkEmbedder"/>: the same output a stream of it gets).</summary>
    public static (float[] Samples, EmbedReport Report) EmbedWithReport(float[] samples, int sampleRate,
        WatermarkPayload payload, WatermarkKey key, WatermarkSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        using var embedder = new WatermarkEmbedder(sampleRate, payload, key, settings);
        var head = embedder.Process(samples);
        var tail = embedder.Flush();
        var y = new float[samples.Length];
        head.CopyTo(y, 0);
        tail.CopyTo(y, head.Length);
        return (y, embedder.Report);
    }

    /// <summary>Looks for the mark in <paramref name="samples"/> (mono, at the settings' rate), at any alignment.</summary>
    public static DetectionResult Detect(float[] samples, int sampleRate, WatermarkKey key, WatermarkSettings? settings = null)
    {
        var detector = new WatermarkDetector(sampleRate, key, settings);
        detector.Process(samples);
        return detector.Finish();
    }

    /// <summary>
    /// The decision. Three tests share the false-positive budget α (weighted Bonferroni, so the union stays ≤ α):
    /// (A) the synchronisation score over the whole input, at every alignment, in each of the two views of the slots
    /// (<see cref="AlignmentSearch.AllSlots"/>, <see cref="AlignmentSearch.SoundSlots"/>; α/2 shared 3:1 by the two, or
    /// 3α/4 when there are no windows); (B) the same over every window of <see cref="WatermarkSettings.WindowPeriods"/>
    /// periods, for a mark in part of a long file (α/4); (C) the payload: at each view's best whole-input alignment the
    /// coded bits are decoded and the CRC-16 checked — on unmarked audio the decode is a uniform random word, so a CRC
    /// passes with probability 2⁻¹⁶ per try, independently of the synchronisation slots (the two use disjoint slots and
    /// independent chips), which lets (C) accept a far lower synchronisation score (α/4). Since the keyed room tone (2026-11-28)
    /// two more tests take α/4 and α/8 and the three above share the rest in the same proportions: (D) the room tone's
    /// correlation with the key's pilot chips at every offset in its period (<see cref="RoomToneSearch"/>, Hoeffding's
    /// bound); (E) the sum of the see-saw's best whole-input score and the room tone's, for marks that neither layer
    /// shows clearly alone (a loud soundtrack under added noise).
    /// </summary>
    internal static DetectionResult Decide(AlignmentSearch search, RoomToneSearch roomTone, long sampleCount, WatermarkKey key, WatermarkSettings s)
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

        if (search.LiveSlots < s.SlotsPerPeriod / 4)
        {
            return baseResult with
            {
                Verdict = Verdict.TooQuiet,
                Note = "too quiet to decide: the audio is silent or nearly so, and silence carries no mark.",
            };
        }

        var alpha = s.FalsePositiveTarget;
        var alphaD = alpha / 4;
        var alphaE = alpha / 8;
        var alphaSeeSaw = alpha - alphaD - alphaE; // (A), (B) and (C), in the proportions they had alone
        var h = search.Hypotheses;
        var windows = search.Windows;
        // (A)'s share goes 3:1 to the every-slot view, which finds the mark in the audio as made (the common case, whose
        // threshold should rise least); the sound view needs its help only under added noise.
        var alphaWhole = windows > 0 ? alphaSeeSaw / 2 : 3 * alphaSeeSaw / 4;
        var alphaA = new[] { 0.75 * alphaWhole, 0.25 * alphaWhole }; // per view: AllSlots, SoundSlots
        var alphaB = windows > 0 ? alphaSeeSaw / 4 : 0;
        var alphaC = alphaSeeSaw / 4;
        var crcTries = ChipPattern.CyclePeriods * AlignmentSearch.Views;
        var crcPass = Math.Pow(2, -PayloadCode.CrcBits);

        // Each test's p-value times α / its share of α: the verdict is "watermarked" when the smallest is ≤ α.
        // (A) and (C) look at both views of the slots (AlignmentSearch.AllSlots, SoundSlots), each at its own best alignment.
        var views = search.BestWhole;
        var logViews = views.Select(v => LogP(h, v.Score) + Math.Log(alpha / alphaA[v.View])).ToArray();
        var logA = logViews.Min();
        // Report the every-slot view's alignment whenever it passes on its own: its ranges are the sharper (the sound view
        // weighs a marked stretch's neighbours by their loudness, not by whether they carry the mark).
        var whole = logViews[AlignmentSearch.AllSlots] <= Math.Log(alpha)
            ? views[AlignmentSearch.AllSlots]
            : views[Array.IndexOf(logViews, logA)];
        var (logC, payload) = (0.0, (WatermarkPayload?)null);
        foreach (var candidate in views)
        {
            if (search.DecodePayload(candidate) is { } decoded)
            {
                var logViewC = LogP(h, candidate.Score) + Math.Log(crcTries * crcPass) + Math.Log(alpha / alphaC);
                if (logViewC < logC)
                {
                    (logC, payload) = (logViewC, decoded);
                }
            }
        }

        var logB = windows > 0 ? LogP(h * windows, search.BestWindow.Score) + Math.Log(alpha / alphaB) : 0;
        var logD = roomTone.LogP + Math.Log(alpha / alphaD);
        // (E) both layers together. v2a generate starts both at its output's first sample, so the room tone's offset tells
        // the see-saw's alignment (RoomToneSearch.GridFrame): the statistic is the best, over grid frames and views, of the
        // see-saw's whole-input score at that frame's alignment plus the room tone's best |z| on that frame. Their chips
        // are independent, each score 1-sub-Gaussian given the audio, so P(z₁ + z₂ ≥ t) ≤ e^(−t²/4) for one (offset, sign,
        // view, room-tone search), Bonferroni over all of them. The bound is one-sided: a negative sum is no evidence.
        var tied = Tied(search, roomTone);
        var both = Math.Max(0, tied.Sum);
        var logE = Math.Min(0, Math.Log(2.0 * AlignmentSearch.Views * RoomToneSearch.Searches * RoomToneMark.Period) - (both * both / 4)) + Math.Log(alpha / alphaE);
        var logSeeSaw = Math.Min(logA, Math.Min(logB, logC));
        var logP = Math.Min(0, Math.Min(logSeeSaw, Math.Min(logD, logE)));
        var detected = logP <= Math.Log(alpha);
        var byRoomTone = detected && logD < logSeeSaw && logD <= logE;
        var byBoth = detected && logE < logSeeSaw && logE < logD;
        var hit = logB < logA && logB < logC ? search.BestWindow : whole;
        var result = baseResult with
        {
            Verdict = detected ? Verdict.Watermarked : Verdict.NotWatermarked,
            Score = whole.Score,
            FixedHypothesisScore = search.NullProbeScore,
            Threshold = Gaussian.InverseUpperTail(alphaA[whole.View] / h),
            HypothesesSearched = h * (1 + windows),
            FalsePositiveProbability = Math.Exp(logP),
            Log10FalsePositiveProbability = logP / Math.Log(10),
            RoomToneScore = roomTone.Score,
            RoomToneThreshold = RoomToneSearch.Threshold(alphaD),
            DecidedBy = !detected ? null
                : byRoomTone ? "room-tone"
                : byBoth ? "both-layers"
                : logC <= Math.Min(logA, logB) ? "payload"
                : logA > logB ? "sync-window"
                : whole.View == AlignmentSearch.SoundSlots ? "sync-sounds" : "sync",
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

        payload ??= hit != whole ? search.DecodePayload(hit) : null;
        // The keyed room tone carries the payload too; read where its own score passes (its offset is then the true one).
        payload ??= roomTone.Score >= result.RoomToneThreshold ? roomTone.ReadPayload() : null;
        // Both layers' soft bits together, each as a log-likelihood ratio, at the tied alignment: one decode per view —
        // where the tie is to be trusted: the joint or the room-tone test passes, or the tied alignment is the see-saw's
        // own best (on audio without the tone, e.g. marked by `watermark embed`, a chance offset's alignment meets it 1 time
        // in 64, so decodes at a wrong alignment, each a 2⁻¹⁶ chance of a wrong payload passing the CRC, stay rare).
        bool TieTrusted() => logE <= Math.Log(alpha) || logD <= Math.Log(alpha)
            || views.Any(v => search.At(v.View, tied.GridFrame).Hit is var at && (at.Phase, at.Rotation) == (v.Phase, v.Rotation));
        if (payload is null && tied.Sum > 0 && TieTrusted())
        {
            var toneSoft = roomTone.SoftBits(tied.Offset, tied.Sign, tied.Search);
            var toneWeight = roomTone.SoftWeight(tied.Offset, tied.Sign, tied.Search);
            for (var view = 0; view < AlignmentSearch.Views && payload is null; view++)
            {
                var (at, parity) = search.At(view, tied.GridFrame);
                var seeSawSoft = search.SoftBits(at, parity);
                var seeSawWeight = search.SoftWeight(at);
                payload = PayloadCode.Decode([.. seeSawSoft.Zip(toneSoft, (a, b) => (seeSawWeight * a) + (toneWeight * b))]);
            }
        }

        // Where: the see-saw mark's ranges when it passes on its own (they follow the sounds), else the room tone's.
        var seeSawAlone = logSeeSaw <= Math.Log(alpha);
        return result with
        {
            Payload = payload,
            Ranges = seeSawAlone ? search.Ranges(hit, hit.Score, duration) : roomTone.Ranges(duration, s.SampleRate),
            AlignmentSeconds = seeSawAlone ? search.AlignmentFrames(hit) * s.SecondsPerFrame : null,
            Note = payload is null
                ? "watermarked; the payload did not decode (too damaged or too short), the detection stands."
                : "watermarked; payload decoded and its CRC checks.",
        };
    }

    /// <summary>
    /// The best sum of the two layers' scores where they agree on the alignment: over the see-saw grid's frames (the room
    /// tone's offsets grouped by the frame they put the input's first sample on) and the see-saw's views, its whole-input
    /// score at that alignment plus the room tone's best |z| on that frame; that frame, the room tone's offset and sign.
    /// </summary>
    private static (double Sum, int GridFrame, int Offset, int Sign, int Search) Tied(AlignmentSearch search, RoomToneSearch roomTone)
    {
        // The see-saw's score depends on the grid frame modulo one period only: take the room tone's best frame per
        // alignment first, then score each alignment once per view.
        var perFrame = roomTone.BestPerGridFrame;
        var alignments = Math.Min(search.Hypotheses, perFrame.Count);
        var bestFrame = Enumerable.Range(0, alignments).ToArray(); // frame a is the first of alignment a
        for (var g = alignments; g < perFrame.Count; g++)
        {
            if (perFrame[g].Score > perFrame[bestFrame[g % alignments]].Score)
            {
                bestFrame[g % alignments] = g;
            }
        }

        var best = (Sum: double.NegativeInfinity, GridFrame: 0, Offset: 0, Sign: 1, Search: 0);
        foreach (var g in bestFrame)
        {
            for (var view = 0; view < AlignmentSearch.Views; view++)
            {
                var sum = search.At(view, g).Hit.Score + perFrame[g].Score;
                if (sum > best.Sum)
                {
                    best = (sum, g, perFrame[g].Offset, perFrame[g].Sign, perFrame[g].Search);
                }
            }
        }

        return best;
    }

    /// <summary>ln of the Bonferroni p-value of a best score over <paramref name="hypotheses"/> N(0, 1) scores.</summary>
    private static double LogP(int hypotheses, double score) => Math.Min(0, Math.Log(hypotheses) + Gaussian.LogUpperTail(score));

    internal static void CheckRate(int sampleRate, WatermarkSettings s)
    {
        if (sampleRate != s.SampleRate)
        {
            throw new ArgumentException($"the watermark works at {s.SampleRate} Hz; resample {sampleRate} Hz audio first", nameof(sampleRate));
        }
    }
}

/// <summary>Chip patterns are pure functions of (settings, key): build each once.</summary>
internal static class PatternCache
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(WatermarkSettings, string), ChipPattern> Cache = new();

    public static ChipPattern Get(WatermarkSettings s, WatermarkKey key) =>
        Cache.GetOrAdd((s, key.Fingerprint + (key.IsPublic ? "p" : "s")), _ => new ChipPattern(s, key));
}
