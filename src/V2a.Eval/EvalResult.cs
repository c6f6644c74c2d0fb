namespace V2a.Eval;

/// <summary>Everything <c>v2a eval</c> measured (the --json file). NaN marks a figure that could not be computed.</summary>
public sealed record EvalResult
{
    public required string Evaluated { get; init; }

    public required string Corpus { get; init; }

    public required string Split { get; init; }

    public required int Clips { get; init; }

    public int? Steps { get; init; }

    public double? Cfg { get; init; }

    /// <summary>Seeds generated per clip (K); diversity needs K ≥ 2.</summary>
    public required int Seeds { get; init; }

    public required string Reference { get; init; }

    public required FdResult Fd { get; init; }

    public required ClassResult Classes { get; init; }

    /// <summary>Onset accuracy of the generated audio against the corpus's on-screen sharp events.</summary>
    public required OnsetResult Onsets { get; init; }

    /// <summary>The same measured on the real audio: the detector's ceiling.</summary>
    public required OnsetResult RealOnsets { get; init; }

    /// <summary>With several seeds: onset F1 (±50 ms) of candidate k over all clips, k = 0 first (<see cref="Onsets"/>'s):
    /// how much the timing figure moves with the seed alone.</summary>
    public IReadOnlyList<double>? OnsetF1BySeed { get; init; }

    /// <summary>With several seeds: onset F1 (±50 ms) when each clip's best-timed candidate is picked, knowing the reference
    /// onsets — the most that choosing among this many candidates (by any score) could give.</summary>
    public double? OnsetF1BestSeed { get; init; }

    /// <summary>Per sound class, its reference onsets and how many the generated and the real audio have within ±50 ms
    /// (candidate 0): which kinds of event a model times and which it misses. Null in results written before
    /// the night of 2026-11-28.</summary>
    public IReadOnlyList<ClassOnsetResult>? OnsetRecallByClass { get; init; }

    public required OffsetResult Offset { get; init; }

    public required DiversityResult Diversity { get; init; }

    public required PromptResult NegativePrompt { get; init; }

    /// <summary>What the negative prompt does besides lowering the class it names.</summary>
    public required NegativeSideEffects NegativeSideEffects { get; init; }

    public required PromptResult PromptAdherence { get; init; }

    /// <summary>An ambience the clip lacks, asked for as the whole prompt; null in results written before it was measured.</summary>
    public AddedSoundResult? PromptAddsAbsent { get; init; }

    /// <summary>The generator's raw output level, before eval brings it to the real clip's loudness.</summary>
    public required LevelResult Level { get; init; }

    public required SpeedResult Speed { get; init; }

    public required IReadOnlyList<ClipResult> PerClip { get; init; }

    public required string CreatedAt { get; init; }
}

/// <param name="Generated">FD(generated, real) over all clips (the field's FD).</param>
/// <param name="Floor">FD(real half A, real half B): what two disjoint real sets of half the size score.</param>
/// <param name="GeneratedHalves">Mean of FD(generated A, real B) and FD(generated B, real A): the same sizes as the floor, so the two compare directly.</param>
/// <param name="EmbeddingDim">Width of the embedding.</param>
public sealed record FdResult(double Generated, double Floor, double GeneratedHalves, int EmbeddingDim);

/// <param name="KlSoftmax">Mean over clips of KL(softmax(real logits) ‖ softmax(generated logits)), nats (PaSST convention).</param>
/// <param name="KlBernoulli">Mean over clips of Σ_c Bernoulli KL(p_real ‖ p_generated), nats.</param>
/// <param name="Top1Agreement">Fraction of clips whose most probable class is the same for real and generated audio.</param>
/// <param name="LabelAgreementF1">Mean F1 between the label sets (p ≥ 0.5) of real and generated audio.</param>
/// <param name="GeneratedVsTruthF1">Mean F1 between the generated audio's label set and the corpus's true classes.</param>
/// <param name="RealVsTruthF1">The same for real audio: the classifier's ceiling.</param>
public sealed record ClassResult(double KlSoftmax, double KlBernoulli, double Top1Agreement, double LabelAgreementF1, double GeneratedVsTruthF1, double RealVsTruthF1);

/// <param name="MedianErrorMs">Median |detected − reference| over the ±100 ms matches, ms.</param>
/// <param name="P90ErrorMs">90th percentile of the same, ms.</param>
/// <param name="MeanSignedErrorMs">Mean detected − reference (positive: late), ms.</param>
public sealed record OnsetResult(
    int Reference, int Detected,
    double Precision50, double Recall50, double F1At50,
    double Precision100, double Recall100, double F1At100,
    double MedianErrorMs, double P90ErrorMs, double MeanSignedErrorMs);

/// <param name="Class">A sharp sound class (FoleyWorld's names).</param>
/// <param name="Reference">Its reference onsets over the clips scored.</param>
/// <param name="Generated">How many of them the generated audio has within ±50 ms.</param>
/// <param name="Real">The same for the real audio: the detector's ceiling for the class.</param>
public sealed record ClassOnsetResult(string Class, int Reference, int Generated, int Real);

/// <summary>Audio–video offset over clips, for the generated audio and (Real…) for the real audio, the floor.</summary>
/// <param name="MeanAbsSeconds">Mean |lag| over clips with an estimate (the DeSync analogue), seconds.</param>
/// <param name="MedianSignedSeconds">Median lag (positive: audio late): the systematic offset, robust to the clips whose lag is noise.</param>
/// <param name="InSyncFraction">Fraction of clips with |lag| ≤ 80 ms (two video frames).</param>
/// <param name="Estimated">Clips with an estimate for the generated audio (a static video or silent audio has none).</param>
public sealed record OffsetResult(
    double MeanAbsSeconds, double MedianSignedSeconds, double InSyncFraction,
    double RealMeanAbsSeconds, double RealMedianSignedSeconds, double RealInSyncFraction, int Estimated)
{
    /// <summary>|lag| up to this counts as in sync (seconds): two frames at 25 fps.</summary>
    public const double InSyncSeconds = 0.08;
}

/// <param name="MeanPairwise">Mean over clips of the mean pairwise embedding distance between the K seeds' outputs.</param>
/// <param name="RealAcrossClips">Mean pairwise distance between different real clips: the scale to read it against.</param>
public sealed record DiversityResult(double MeanPairwise, double RealAcrossClips);

/// <param name="Trials">Clips tested (those with a sounding class to name).</param>
/// <param name="Fraction">How often the named class's probability moved the intended way (down for negative, up for prompt).</param>
/// <param name="MeanChange">Mean change of that probability (generated with − without), in probability units.</param>
public sealed record PromptResult(int Trials, double Fraction, double MeanChange);

/// <summary>A sound the clip does not have, asked for by a prompt that names it alone (same seed as without a prompt).</summary>
/// <param name="Trials">Clips tested (those lacking at least one ambience).</param>
/// <param name="HeardWith">Share of clips where the reference classifier hears it (probability ≥ <see cref="Heard"/>) with the prompt.</param>
/// <param name="HeardWithout">The same without any prompt: what the video alone brings.</param>
/// <param name="MeanChange">Mean change of its probability, with the prompt minus without.</param>
public sealed record AddedSoundResult(int Trials, double HeardWith, double HeardWithout, double MeanChange)
{
    /// <summary>The classifier's probability at which a class counts as heard.</summary>
    public const double Heard = 0.5;
}

/// <summary>The negative-prompted soundtracks against candidate 0 of the same clips (same seed, same prompt, no
/// negative): what a stronger push costs the rest of the soundtrack.</summary>
/// <param name="Trials">Clips tested (as <see cref="EvalResult.NegativePrompt"/>).</param>
/// <param name="OthersChange">Mean change (with − without) of the probabilities of each clip's other true classes,
/// the ones not named: near 0 when the negative prompt takes away only what it names.</param>
/// <param name="RawLufsChange">Mean change of the raw output level (dB, LU), over clips where both are not silent:
/// near 0 when the push does not overshoot the level.</param>
/// <param name="ClippedFraction">Fraction of negative-prompted clips whose raw audio leaves [-1, 1] somewhere.</param>
/// <param name="OnsetF1At50">Onset F1 (±50 ms) of the negative-prompted audio over these clips.</param>
/// <param name="PlainOnsetF1At50">The same for candidate 0 over the same clips.</param>
public sealed record NegativeSideEffects(int Trials, double OthersChange, double RawLufsChange, double ClippedFraction, double OnsetF1At50,
    double PlainOnsetF1At50);

/// <param name="GeneratedLufs">Mean integrated loudness (LUFS) of the raw generated audio (candidate 0), over clips that are not silent.</param>
/// <param name="RealLufs">The same for the real audio.</param>
/// <param name="ClippedFraction">Fraction of clips whose raw generated audio leaves [-1, 1] somewhere (it would clip if written unnormalised).</param>
public sealed record LevelResult(double GeneratedLufs, double RealLufs, double ClippedFraction);

/// <param name="RealTimeFactor">Video seconds generated per wall-clock second (above 1: faster than real time).</param>
public sealed record SpeedResult(double RealTimeFactor, double VideoSeconds, double GenerationSeconds, int Generations);

/// <summary>One clip's figures.</summary>
public sealed record ClipResult
{
    public required string Id { get; init; }

    public string? Caption { get; init; }

    public required IReadOnlyList<string> TrueClasses { get; init; }

    public required string RealTopClass { get; init; }

    public required string GeneratedTopClass { get; init; }

    public required double KlSoftmax { get; init; }

    public required int ReferenceOnsets { get; init; }

    public required int GeneratedOnsets { get; init; }

    public required double OnsetF1At50 { get; init; }

    /// <summary>With several seeds: each candidate's onset F1 (±50 ms), candidate 0's first (it is <see cref="OnsetF1At50"/>).</summary>
    public IReadOnlyList<double>? CandidateOnsetF1At50 { get; init; }

    /// <summary>With several seeds: each candidate's detected onsets that count (as <see cref="GeneratedOnsets"/>).</summary>
    public IReadOnlyList<int>? CandidateGeneratedOnsets { get; init; }

    public double? OffsetSeconds { get; init; }

    public double? RealOffsetSeconds { get; init; }

    public double? Diversity { get; init; }

    public string? NamedClass { get; init; }

    public double? NegativeChange { get; init; }

    /// <summary>Mean change of the other true classes' probabilities under the negative prompt (see <see cref="NegativeSideEffects.OthersChange"/>).</summary>
    public double? NegativeOthersChange { get; init; }

    /// <summary>Raw level of the negative-prompted audio minus that of candidate 0 (dB).</summary>
    public double? NegativeRawLufsChange { get; init; }

    /// <summary>Detected onsets that count (as <see cref="GeneratedOnsets"/>) in the negative-prompted audio; null in
    /// results written before 2026-11-28 evening or where the clip had no negative-prompt test.</summary>
    public int? NegativeGeneratedOnsets { get; init; }

    /// <summary>Onset F1 (±50 ms) of the negative-prompted audio against the same reference onsets, so that
    /// <c>eval compare</c> can put an interval on <see cref="NegativeSideEffects.OnsetF1At50"/>.</summary>
    public double? NegativeOnsetF1At50 { get; init; }

    public double? PromptChange { get; init; }

    /// <summary>The ambience asked for that the clip lacks (<see cref="EvalResult.PromptAddsAbsent"/>), or null.</summary>
    public string? AbsentClass { get; init; }

    /// <summary>Its probability with the prompt naming it.</summary>
    public double? AbsentWithPrompt { get; init; }

    /// <summary>Its probability without a prompt.</summary>
    public double? AbsentWithoutPrompt { get; init; }

    public required double RealTimeFactor { get; init; }
}
