using System.Globalization;
using System.Text;

namespace V2a.Eval.Report;

/// <summary>The markdown report of an eval run: headline table, each metric beside its floor or ceiling, figures, per-clip rows.</summary>
public static class EvalReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(EvalResult r, IReadOnlyList<string> clipFigures, string onsetFigure, string offsetFigure)
    {
        ArgumentNullException.ThrowIfNull(r);
        var s = new StringBuilder();
        s.AppendLine("# v2a eval report");
        s.AppendLine();
        s.AppendLine($"- Evaluated: {r.Evaluated}");
        s.AppendLine($"- Corpus: `{r.Corpus}`, split `{r.Split}`, {r.Clips} clips; {r.Seeds} seed(s) a clip"
            + (r.Steps is { } st ? $", {st} steps" : "") + (r.Cfg is { } cfg ? $", cfg {F(cfg, "0.##")}" : ""));
        s.AppendLine($"- Reference classifier: `{r.Reference}`");
        s.AppendLine($"- Made {r.CreatedAt}. Definitions: docs/eval.md.");
        s.AppendLine();
        s.AppendLine("## Summary");
        s.AppendLine();
        s.AppendLine("| metric | generated | reference point | better |");
        s.AppendLine("|---|---|---|---|");
        s.AppendLine($"| FD (reference embedding, {r.Fd.EmbeddingDim}-d) | {F(r.Fd.Generated)} | — | lower |");
        s.AppendLine($"| FD, half-size sets | {F(r.Fd.GeneratedHalves)} | floor (real A vs real B): {F(r.Fd.Floor)} | lower; the floor is as low as it gets |");
        s.AppendLine($"| KL softmax (nats) | {F(r.Classes.KlSoftmax, "0.000")} | 0 | lower |");
        s.AppendLine($"| KL per-class Bernoulli (nats) | {F(r.Classes.KlBernoulli, "0.000")} | 0 | lower |");
        s.AppendLine($"| top-1 class agreement with real | {P(r.Classes.Top1Agreement)} | 100% | higher |");
        s.AppendLine($"| label-set agreement with real (F1) | {F(r.Classes.LabelAgreementF1, "0.000")} | 1 | higher |");
        s.AppendLine($"| label F1 against true classes | {F(r.Classes.GeneratedVsTruthF1, "0.000")} | real audio: {F(r.Classes.RealVsTruthF1, "0.000")} | higher |");
        s.AppendLine($"| onset F1 ±50 ms | {F(r.Onsets.F1At50, "0.000")} | real audio: {F(r.RealOnsets.F1At50, "0.000")} | higher |");
        s.AppendLine($"| onset F1 ±100 ms | {F(r.Onsets.F1At100, "0.000")} | real audio: {F(r.RealOnsets.F1At100, "0.000")} | higher |");
        if (r.OnsetF1BySeed is { } bySeed && r.OnsetF1BestSeed is { } bestSeed)
        {
            s.AppendLine($"| onset F1 ±50 ms by seed (candidates 0–{bySeed.Count - 1}) / each clip's best-timed candidate | {string.Join(" / ", bySeed.Select(f => F(f, "0.000")))} / {F(bestSeed, "0.000")} | real audio: {F(r.RealOnsets.F1At50, "0.000")} | the spread is the seed's share of the figure; the best is what picking among the candidates could give at most |");
        }
        s.AppendLine($"| onset error median / p90 (ms) | {F(r.Onsets.MedianErrorMs, "0.0")} / {F(r.Onsets.P90ErrorMs, "0.0")} | real audio: {F(r.RealOnsets.MedianErrorMs, "0.0")} / {F(r.RealOnsets.P90ErrorMs, "0.0")} | lower |");
        s.AppendLine($"| AV offset, mean abs (s) (DeSync analogue) | {F(r.Offset.MeanAbsSeconds, "0.000")} | real audio: {F(r.Offset.RealMeanAbsSeconds, "0.000")} | lower |");
        s.AppendLine($"| AV offset, median signed (s) | {F(r.Offset.MedianSignedSeconds, "+0.000;-0.000")} | real audio: {F(r.Offset.RealMedianSignedSeconds, "+0.000;-0.000")} | nearer 0 |");
        s.AppendLine($"| clips in sync (abs lag ≤ 80 ms) | {P(r.Offset.InSyncFraction)} | real audio: {P(r.Offset.RealInSyncFraction)} | higher |");
        s.AppendLine($"| diversity across seeds | {F(r.Diversity.MeanPairwise, "0.000")} | spread of different real clips: {F(r.Diversity.RealAcrossClips, "0.000")} | higher (0 = every seed the same) |");
        s.AppendLine($"| negative prompt lowers the named class | {P(r.NegativePrompt.Fraction)} of {r.NegativePrompt.Trials}, mean change {F(r.NegativePrompt.MeanChange, "+0.000;-0.000")} | — | higher share, more negative change |");
        var ns = r.NegativeSideEffects;
        s.AppendLine($"| negative prompt: change of the other true classes / raw level / onset F1 ±50 ms | {F(ns.OthersChange, "+0.000;-0.000")} / {F(ns.RawLufsChange, "+0.0;-0.0")} dB / {F(ns.OnsetF1At50, "0.000")} ({P(ns.ClippedFraction)} beyond ±1) | without it, same clips: 0 / 0 dB / {F(ns.PlainOnsetF1At50, "0.000")} | near the reference point |");
        s.AppendLine($"| prompt raises the named class | {P(r.PromptAdherence.Fraction)} of {r.PromptAdherence.Trials}, mean change {F(r.PromptAdherence.MeanChange, "+0.000;-0.000")} | — | higher share, more positive change |");
        if (r.PromptAddsAbsent is { } added)
        {
            s.AppendLine($"| prompt adds an ambience the clip lacks (rain, wind or fire), heard | {P(added.HeardWith)} of {added.Trials}, mean change {F(added.MeanChange, "+0.000;-0.000")} | without the prompt: {P(added.HeardWithout)} | higher share |");
        }

        s.AppendLine($"| raw output level (LUFS), before level matching | {F(r.Level.GeneratedLufs, "0.0")} ({P(r.Level.ClippedFraction)} of clips beyond ±1) | real audio: {F(r.Level.RealLufs, "0.0")} | near real, none beyond ±1 |");
        s.AppendLine($"| real-time factor | {F(r.Speed.RealTimeFactor, "0.00")}× ({F(r.Speed.VideoSeconds, "0")} s of video in {F(r.Speed.GenerationSeconds, "0.0")} s, {r.Speed.Generations} generations) | 1× = real time | higher |");
        s.AppendLine();
        s.AppendLine("Generated audio is brought to each real clip's integrated loudness (one gain, peak ≤ −1 dBFS) before it is measured, as the engine normalises loudness anyway; its raw level is the row above.");
        s.AppendLine();
        s.AppendLine("## Onsets");
        s.AppendLine();
        s.AppendLine("Reference: the on-screen sharp events of each clip (`t_start`), except those masked (12 dB or more under another sounding source). Detections next to off-screen or masked sharp events, inside gradual sounds (fire, rain, speech, engines, rolling) and in the body of a sharp sound after the tolerance are set aside; all others count (docs/eval.md).");
        s.AppendLine();
        s.AppendLine("| audio | reference | detected | P@50 | R@50 | F1@50 | P@100 | R@100 | F1@100 | median err ms | p90 err ms | mean signed ms |");
        s.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (name, o) in new[] { ("generated", r.Onsets), ("real", r.RealOnsets) })
        {
            s.AppendLine($"| {name} | {o.Reference} | {o.Detected} | {F(o.Precision50, "0.000")} | {F(o.Recall50, "0.000")} | {F(o.F1At50, "0.000")} | {F(o.Precision100, "0.000")} | {F(o.Recall100, "0.000")} | {F(o.F1At100, "0.000")} | {F(o.MedianErrorMs, "0.0")} | {F(o.P90ErrorMs, "0.0")} | {F(o.MeanSignedErrorMs, "+0.0;-0.0")} |");
        }

        if (r.OnsetRecallByClass is { Count: > 0 } onsetClasses)
        {
            s.AppendLine();
            s.AppendLine("By class: how many of each class's reference onsets the audio has within ±50 ms (recall; a detection has no class, so there is no precision by class).");
            s.AppendLine();
            s.AppendLine("| class | reference onsets | found in generated | found in real audio |");
            s.AppendLine("|---|---|---|---|");
            foreach (var c in onsetClasses.OrderBy(c => c.Reference == 0 ? 1 : (double)c.Generated / c.Reference).ThenBy(c => c.Class, StringComparer.Ordinal))
            {
                s.AppendLine($"| {c.Class} | {c.Reference} | {c.Generated} ({P(c.Reference == 0 ? double.NaN : (double)c.Generated / c.Reference)}) | {c.Real} ({P(c.Reference == 0 ? double.NaN : (double)c.Real / c.Reference)}) |");
            }
        }

        s.AppendLine();
        s.AppendLine($"![onset errors]({onsetFigure})");
        s.AppendLine();
        s.AppendLine("## Audio–video offset");
        s.AppendLine();
        s.AppendLine($"Per clip, the lag (seconds, positive = audio late) that best aligns the video's motion flux with the audio's onset envelope; {r.Offset.Estimated} clips had an estimate. Generated: mean |lag| {F(r.Offset.MeanAbsSeconds, "0.000")} s, median lag {F(r.Offset.MedianSignedSeconds, "+0.000;-0.000")} s, {P(r.Offset.InSyncFraction)} of clips within 80 ms. Real audio: mean |lag| {F(r.Offset.RealMeanAbsSeconds, "0.000")} s, median lag {F(r.Offset.RealMedianSignedSeconds, "+0.000;-0.000")} s, {P(r.Offset.RealInSyncFraction)} within 80 ms. Per clip the estimate is coarse (real audio is the floor); the median lag tracks a systematic shift closely.");
        s.AppendLine();
        s.AppendLine($"![audio-video offsets]({offsetFigure})");
        s.AppendLine();
        if (clipFigures.Count > 0)
        {
            s.AppendLine("## Spectrograms");
            s.AppendLine();
            s.AppendLine("Real (top) and generated (bottom) log-mel of the first clips. Top ticks (white): on-screen sharp events, the reference. Bottom ticks: onsets the detector found, red where they count, grey where they are set aside at ±50 ms (off-screen or masked events, gradual sounds, the body of a sound).");
            s.AppendLine();
            foreach (var f in clipFigures)
            {
                s.AppendLine($"![{f}]({f})");
                s.AppendLine();
            }
        }

        var byClass = ByClass(r.PerClip);
        if (byClass.Count > 0)
        {
            s.AppendLine("## By class");
            s.AppendLine();
            s.AppendLine("Agreement: of the clips whose real audio the reference classifier puts in the class, how many generated ones it puts there too, and the commonest other answer. Negative / prompt: the tests that named the class (it is the clip's most audible true class), how often the class's probability fell / rose, and the mean change.");
            s.AppendLine();
            s.AppendLine("| class | agreement (real top) | commonest wrong answer | negative lowers | mean neg Δp | prompt raises | mean prompt Δp |");
            s.AppendLine("|---|---|---|---|---|---|---|");
            foreach (var c in byClass)
            {
                s.AppendLine($"| {c.Class} | {(c.RealTop == 0 ? "—" : $"{c.Agreed}/{c.RealTop}")} | {c.CommonestWrong ?? "—"} | "
                    + $"{(c.NegativeTrials == 0 ? "—" : $"{c.NegativeLowered}/{c.NegativeTrials}")} | {O(c.NegativeMean)} | "
                    + $"{(c.PromptTrials == 0 ? "—" : $"{c.PromptRaised}/{c.PromptTrials}")} | {O(c.PromptMean)} |");
            }

            s.AppendLine();
        }

        s.AppendLine("## Per clip");
        s.AppendLine();
        s.AppendLine("| clip | true classes | real top | generated top | KL | onsets ref/gen | F1@50 | offset s (real) | diversity | named | neg Δp | prompt Δp | RTF |");
        s.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var c in r.PerClip)
        {
            s.AppendLine($"| {c.Id} | {string.Join(", ", c.TrueClasses)} | {c.RealTopClass} | {c.GeneratedTopClass} | {F(c.KlSoftmax, "0.00")} | {c.ReferenceOnsets}/{c.GeneratedOnsets} | {F(c.OnsetF1At50, "0.00")} | {O(c.OffsetSeconds)} ({O(c.RealOffsetSeconds)}) | {O(c.Diversity)} | {c.NamedClass ?? "—"} | {O(c.NegativeChange)} | {O(c.PromptChange)} | {F(c.RealTimeFactor, "0.0")} |");
        }

        return s.ToString();
    }

    /// <summary>One class's share of the per-clip results (see <see cref="ByClass"/>).</summary>
    public sealed record ClassRow(string Class, int RealTop, int Agreed, string? CommonestWrong, int NegativeTrials, int NegativeLowered,
        double? NegativeMean, int PromptTrials, int PromptRaised, double? PromptMean);

    /// <summary>
    /// Per class: clips whose real top class it is and how many generated top classes agree (with the commonest other
    /// answer, ties broken by name), and the negative / prompt tests that named it. Classes in neither, left out;
    /// ordered by clips then name.
    /// </summary>
    public static IReadOnlyList<ClassRow> ByClass(IReadOnlyList<ClipResult> clips)
    {
        ArgumentNullException.ThrowIfNull(clips);
        var names = clips.Select(c => c.RealTopClass).Concat(clips.Select(c => c.NamedClass).OfType<string>()).Distinct();
        return names.Select(name =>
            {
                var top = clips.Where(c => c.RealTopClass == name).ToList();
                var wrong = top.Where(c => c.GeneratedTopClass != name).GroupBy(c => c.GeneratedTopClass)
                    .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).FirstOrDefault();
                var neg = clips.Where(c => c.NamedClass == name && c.NegativeChange is not null).Select(c => c.NegativeChange!.Value).ToList();
                var prompt = clips.Where(c => c.NamedClass == name && c.PromptChange is not null).Select(c => c.PromptChange!.Value).ToList();
                return new ClassRow(name, top.Count, top.Count(c => c.GeneratedTopClass == name), wrong,
                    neg.Count, neg.Count(x => x < 0), neg.Count > 0 ? neg.Average() : null,
                    prompt.Count, prompt.Count(x => x > 0), prompt.Count > 0 ? prompt.Average() : null);
            })
            .OrderByDescending(r => Math.Max(r.RealTop, r.NegativeTrials)).ThenBy(r => r.Class, StringComparer.Ordinal).ToList();
    }

    private static string F(double x, string format = "0.00") => double.IsNaN(x) ? "n/a" : x.ToString(format, Inv);

    private static string P(double x) => double.IsNaN(x) ? "n/a" : (x * 100).ToString("0", Inv) + "%";

    private static string O(double? x) => x is { } v ? v.ToString("+0.000;-0.000;0.000", Inv) : "—";
}
