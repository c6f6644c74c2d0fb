using System.Diagnostics;
using TorchSharp;
using V2a.Media;
using V2a.Model.Audio;
using V2a.Model.Conditions;
using V2a.Model.FlowMatching;
using static TorchSharp.torch;

namespace V2a.Model.Generation;

/// <summary>What to generate. Steps, guidance and solver default to the model's tuned values when null/0.</summary>
/// <param name="Prompt">What the soundtrack should contain (caption style), or null.</param>
/// <param name="Negative">What it should not contain, or null (then the empty condition is the negative side).</param>
/// <param name="Seed">Same seed, same inputs, same model → the same audio, sample for sample.</param>
/// <param name="Steps">ODE steps per window.</param>
/// <param name="Cfg">Guidance weight w in v = v(neg) + w·(v(pos) − v(neg)); 1 = the conditional prediction alone.</param>
/// <param name="Solver">"euler", "heun" or "midpoint".</param>
/// <param name="WindowSeconds">Length of each generated window (seconds).</param>
/// <param name="OverlapSeconds">Overlap of consecutive windows (seconds): the new window continues the
/// previous one there, and the two are crossfaded.</param>
/// <param name="NegativeStrength">How hard a negative prompt pushes away: s in
/// v = v(∅) + w·(v(pos) − v(∅)) − s·max(0, v(video, neg) − v(video)) — what the negative prompt would add to this video,
/// taken away (<see cref="V2a.Model.FlowMatching.Guidance.CombineTerms"/>) —
/// with two more sides per step (twice the sampling; one more without a prompt). Null: the two-sided
/// v(neg) + w·(v(pos) − v(neg)) of DESIGN.md (negative side: no video + the negative prompt), whose push is only w − 1 = 0.5
/// at the default guidance. Ignored without a negative prompt.</param>
public sealed record GenerationRequest(string? Prompt, string? Negative, long Seed, int Steps = GenerationRequest.DefaultSteps,
    double Cfg = GenerationRequest.DefaultCfg, string Solver = "euler", double WindowSeconds = 8, double OverlapSeconds = 1,
    double? NegativeStrength = GenerationRequest.DefaultNegativeStrength)
{
    public const int DefaultSteps = 12;

    /// <summary>How much more the prompt counts than the video on its own: p in
    /// v = v(∅) + w·(v(pos) − v(∅)) + p·(v(pos) − v(video)) — what the words add to this video, added again — with one
    /// more side per step (1.5× the sampling without a negative prompt; none more with one). 0: the prompt counts only
    /// inside v(pos). Ignored without a prompt, and in the two-sided guidance (<see cref="NegativeStrength"/> null).</summary>
    public double PromptStrength { get; init; } = DefaultPromptStrength;

    public const double DefaultPromptStrength = 0;

    /// <summary>Words spoken in the video, or null. They join the prompt the way training saw a clip's transcript
    /// (<see cref="TextTokenizer.ComposeText"/>: the caption, then "speech: " and the words); without them the model
    /// was trained to expect no speech, and makes none (0 of 11 speech clips recognised as speech by eval's
    /// reference classifier, against 3 of 11 with them; 2026-11-27).</summary>
    public string? Transcript { get; init; }

    /// <summary>Measured with the term that only takes out (max(0, ·)) on all 94 held-out clips of the default
    /// small-6b10fe4870b5 (`v2a eval --clips 0 --seeds 1 --negative-strength S`, 87 with a class to name, 2026-11-28):
    /// S = 1.5 / 3 / 6 / 10 lowers the named class in 72 / 78 / 85 / 91 % of clips (mean −0.15 / −0.22 / −0.27 / −0.35)
    /// while the negatively prompted output's onset F1 stays at 0.62 / 0.63 / 0.63 / 0.62 (0.60 without the negative
    /// prompt) and the clip's other true classes move +0.03 / +0.02 / +0.01 / −0.03. The term before it, not clamped,
    /// lowered the class in 84 % at 1.5 but added sound the scene does not have: raw level +24 dB, onset F1 0.44.</summary>
    public const double DefaultNegativeStrength = 10;

    /// <summary>Measured on 12 held-out clips with the default model (`v2a eval --cfg`): 1 gave the best onset F1
    /// (0.25) and class agreement (50 %) but ignores the negative prompt; 1.5 kept most of that (0.23, 42 %), let
    /// the negative prompt act and left the raw level near the real audio's; 2 and 3 overshoot the level
    /// (−21 and +1 LUFS raw against −29) and smear the onsets (F1 0.12, 0.09).</summary>
    public const double DefaultCfg = 1.5;
}

/// <summary>Timing of the last <see cref="SoundtrackGenerator.Generate"/> run (seconds of wall clock).</summary>
public sealed record GenerationStats(double AudioSeconds, double WallSeconds, int Windows, double DecodeSeconds, double SamplingSeconds,
    double VocoderSeconds)
{
    /// <summary>Wall time per second of audio (below 1: faster than real time).</summary>
    public double RealTimeFactor => AudioSeconds > 0 ? WallSeconds / AudioSeconds : 0;
}

/// <summary>One window of the plan, in alignment units (see <see cref="ModelConfig.AlignmentSeconds"/>).</summary>
public sealed record GenerationWindow(int Index, int StartUnits, int LengthUnits);

/// <summary>
/// Video → soundtrack, any length: the video is covered by overlapping windows (8 s by default); each window
/// is sampled with its frames and the prompt, continuing the end of the previous window (its first
/// overlap frames are held to the previous window's mel along the flow path), vocoded, and joined to the
/// previous window with an equal-gain raised-cosine crossfade over the overlap. Output is streamed as
/// 16 kHz mono chunks, one per window; memory does not grow with video length.
/// </summary>
public sealed class SoundtrackGenerator
{
    private readonly SoundtrackModel _model;
    private readonly Func<Tensor, Tensor> _vocode;

    /// <summary>A generator that vocodes with <paramref name="vocoder"/> (Griffin-Lim at the model's audio
    /// settings when null). The generator does not own the vocoder.</summary>
    public SoundtrackGenerator(SoundtrackModel model, IVocoder? vocoder = null)
        : this(model, (vocoder ?? new GriffinLimVocoder(model.Config.Audio)).Vocode)
    {
    }

    /// <param name="vocode">Natural-log mel (1, M, T) → waveform (1, T·hop) or (T·hop) in [-1, 1].</param>
    public SoundtrackGenerator(SoundtrackModel model, Func<Tensor, Tensor> vocode)
    {
        _model = model;
        _vocode = vocode;
    }

    public SoundtrackModel Model => _model;

    /// <summary>Timing of the most recent finished <see cref="Generate"/>.</summary>
    public GenerationStats? LastStats { get; private set; }

    /// <summary>The windows that cover <paramref name="durationSeconds"/>: equal windows of WindowSeconds
    /// starting every (WindowSeconds − OverlapSeconds), the last one shortened to end at the video's end.
    /// All lengths are whole alignment units (0.16 s), so mel frames, tokens and video frames line up.</summary>
    public static IReadOnlyList<GenerationWindow> Plan(ModelConfig config, double durationSeconds, double windowSeconds, double overlapSeconds)
    {
        var a = config.AlignmentSeconds;
        var total = Math.Max(1, (int)Math.Ceiling((durationSeconds / a) - 1e-9));
        var window = Math.Max(2, (int)Math.Round(windowSeconds / a));
        var overlap = Math.Clamp((int)Math.Round(overlapSeconds / a), 1, window - 1);
        var hop = window - overlap;
        var windows = new List<GenerationWindow>();
        for (var start = 0; ; start += hop)
        {
            var length = Math.Min(window, total - start);
            windows.Add(new GenerationWindow(windows.Count, start, length));
            if (start + length >= total)
            {
                break;
            }
        }

        return windows;
    }

    /// <summary>Streams the soundtrack of <paramref name="videoPath"/>, in order, as mono chunks at the
    /// model's sample rate; the chunks add up to exactly <paramref name="durationSeconds"/> of samples.</summary>
    public IEnumerable<float[]> Generate(string videoPath, double durationSeconds, GenerationRequest request, IProgressSink progress)
    {
        if (durationSeconds <= 0 || !double.IsFinite(durationSeconds))
        {
            throw new BadInputException(videoPath, $"duration {durationSeconds} s is not a positive length");
        }

        if (request.Steps < 1 || request.Cfg < 0 || !double.IsFinite(request.Cfg))
        {
            throw new BadInputException(null, $"steps must be ≥ 1 and guidance ≥ 0 (got {request.Steps}, {request.Cfg})");
        }

        if (request.OverlapSeconds <= 0 || request.OverlapSeconds >= request.WindowSeconds)
        {
            throw new BadInputException(null, $"overlap {request.OverlapSeconds} s must be positive and shorter than the window ({request.WindowSeconds} s)");
        }

        var solver = FlowMatchingSampler.ParseSolver(request.Solver);
        var config = _model.Config;
        var frameSize = config.Video.FrameSize;
        var frames = FrameReader.Read(videoPath, config.Video.Fps, frameSize, frameSize);
        return Iterate(videoPath, frames, durationSeconds, request, solver, progress);
    }

    private IEnumerable<float[]> Iterate(string videoPath, IEnumerable<VideoFrame> frameStream, double durationSeconds, GenerationRequest request,
        OdeSolver solver, IProgressSink progress)
    {
        TorchRuntime.Initialise();
        var clock = Stopwatch.StartNew();
        double decode = 0, sampling = 0, vocoder = 0;
        var config = _model.Config;
        var a = config.AlignmentSeconds;
        var plan = Plan(config, durationSeconds, request.WindowSeconds, request.OverlapSeconds);
        var framesPerUnit = (int)Math.Round(a * config.Video.Fps);
        var melPerUnit = (int)Math.Round(a * config.Audio.FramesPerSecond);
        var samplesPerUnit = (int)config.Audio.SamplesFor(a);
        var totalSamples = config.Audio.SamplesFor(durationSeconds);
        var frameBytes = config.Video.FrameSize * config.Video.FrameSize * 3;
        var overlapUnits = plan.Count > 1 ? plan[0].LengthUnits - (plan[1].StartUnits - plan[0].StartUnits) : 0;
        var totalSteps = plan.Count * request.Steps;

        using var enumerator = frameStream.GetEnumerator();
        var buffer = new List<byte[]>(); // frames from the current window's start on
        var bufferStart = 0;             // index of buffer[0] in the video
        var videoEnded = false;
        byte[]? lastFrame = null;
        float[]? heldTail = null;        // the previous window's overlap samples, not yet emitted
        Tensor? heldMel = null;          // (1, M, overlap frames) normalised mel the next window continues
        long emitted = 0;
        try
        {
            foreach (var w in plan)
            {
                var seq = config.Sequence(w.LengthUnits * a);
                var startFrame = w.StartUnits * framesPerUnit;

                // Frames [startFrame, startFrame + VideoFrames); a video shorter than its stated duration repeats its last frame.
                var t0 = clock.Elapsed.TotalSeconds;
                buffer.RemoveRange(0, Math.Min(buffer.Count, startFrame - bufferStart));
                bufferStart = startFrame;
                while (buffer.Count < seq.VideoFrames)
                {
                    if (!videoEnded && enumerator.MoveNext())
                    {
                        lastFrame = enumerator.Current.Rgb;
                        if (enumerator.Current.Index >= bufferStart)
                        {
                            buffer.Add(lastFrame);
                        }
                    }
                    else
                    {
                        videoEnded = true;
                        buffer.Add(lastFrame ?? throw new BadInputException(videoPath, "has no decodable video frames"));
                    }
                }

                var pixels = new byte[seq.VideoFrames * frameBytes];
                for (var j = 0; j < seq.VideoFrames; j++)
                {
                    Buffer.BlockCopy(buffer[j], 0, pixels, j * frameBytes, frameBytes);
                }

                decode += clock.Elapsed.TotalSeconds - t0;

                float[] wave;
                Tensor? nextHeld = null;
                var t1 = clock.Elapsed.TotalSeconds;
                using (var scope = torch.NewDisposeScope())
                {
                    var device = TorchRuntime.Device;
                    var frames = torch.tensor(pixels, [1, seq.VideoFrames, config.Video.FrameSize, config.Video.FrameSize, 3]).to(device);
                    var known = heldMel;
                    var done = w.Index * request.Steps;
                    var mel = SampleMel(frames, seq, request, solver, known, w.Index,
                        step => progress.Report("generating", done + step, totalSteps, $"window {w.Index + 1}/{plan.Count}"));
                    sampling += clock.Elapsed.TotalSeconds - t1;
                    if (w.Index + 1 < plan.Count)
                    {
                        var next = plan[w.Index + 1];
                        var offset = (next.StartUnits - w.StartUnits) * melPerUnit;
                        nextHeld = mel.narrow(2, offset, overlapUnits * melPerUnit).clone().DetachFromDisposeScope();
                    }

                    var t2 = clock.Elapsed.TotalSeconds;
                    using (torch.no_grad())
                    {
                        wave = ToSamples(_vocode(_model.Denormalise(mel)), seq.Samples);
                    }

                    vocoder += clock.Elapsed.TotalSeconds - t2;
                }

                heldMel?.Dispose();
                heldMel = nextHeld;

                // Join: crossfade the held tail with this window's start, emit up to where the next window starts.
                var isLast = w.Index + 1 == plan.Count;
                var emitEnd = isLast ? wave.Length : (plan[w.Index + 1].StartUnits - w.StartUnits) * samplesPerUnit;
                var chunk = new List<float>(emitEnd);
                var from = 0;
                if (heldTail is not null)
                {
                    var n = heldTail.Length;
                    for (var i = 0; i < n; i++)
                    {
                        var fade = 0.5 - (0.5 * Math.Cos(Math.PI * (i + 0.5) / n));
                        chunk.Add((float)((heldTail[i] * (1 - fade)) + (wave[i] * fade)));
                    }

                    from = n;
                }

                for (var i = from; i < emitEnd; i++)
                {
                    chunk.Add(wave[i]);
                }

                heldTail = isLast ? null : wave[emitEnd..Math.Min(wave.Length, emitEnd + (overlapUnits * samplesPerUnit))];
                var keep = (int)Math.Min(chunk.Count, totalSamples - emitted);
                emitted += keep;
                yield return keep == chunk.Count ? [.. chunk] : chunk.GetRange(0, keep).ToArray();
            }
        }
        finally
        {
            heldMel?.Dispose();
        }

        LastStats = new GenerationStats(durationSeconds, clock.Elapsed.TotalSeconds, plan.Count, decode, sampling, vocoder);
    }

    /// <summary>
    /// Samples one window's normalised log-mel (1, M, T) from its frames with guidance. With
    /// <paramref name="knownPrefix"/> (1, M, K), the first K mel frames follow that mel along the flow
    /// path (x_t = (1 − t)·x0 + t·known), so the window continues what came before.
    /// </summary>
    /// <param name="frames">(1, F, S, S, 3) uint8, F = sequence.VideoFrames.</param>
    public Tensor SampleMel(Tensor frames, SequenceConfig sequence, GenerationRequest request, OdeSolver solver, Tensor? knownPrefix = null,
        int windowIndex = 0, Action<int>? onStep = null)
    {
        var config = _model.Config;
        var net = _model.Network;
        var device = frames.device;
        using var noGrad = torch.no_grad();
        var l = config.TextMaxTokens;
        var pos = _model.Tokenizer.Encode(TextTokenizer.ComposeText(request.Prompt, request.Transcript), l); // as training composed its texts
        var neg = _model.Tokenizer.Encode(request.Negative, l);
        // Two rows (no separate terms): video + prompt (or empty text) against no video + the negative prompt (or empty
        // text). With a negative prompt at its own strength, or a prompt at its own strength, the rows of GuidanceRows:
        // video + prompt, video + negative prompt, nothing, and the video alone when there is a prompt.
        var withNegative = neg.Length > 0 && request.NegativeStrength is not null;
        var separate = withNegative || (pos.Length > 0 && request.PromptStrength != 0 && request.NegativeStrength is not null);
        var layout = new GuidanceRows(Prompt: pos.Length > 0, Negative: withNegative);
        var texts = separate ? new List<int[]> { pos } : [pos, neg];
        if (separate && withNegative)
        {
            texts.Add(neg);
        }

        var sides = separate ? layout.Count : 2;
        var ids = new long[sides * l];
        for (var r = 0; r < texts.Count; r++)
        {
            for (var i = 0; i < texts[r].Length; i++)
            {
                ids[(r * l) + i] = texts[r][i];
            }
        }

        var idTensor = torch.tensor(ids, [sides, l], device: device);
        var textEmpty = separate ? layout.TextEmpty() : [pos.Length == 0, neg.Length == 0];
        var videoEmpty = separate ? layout.VideoEmpty() : [false, true];
        var cond = net.PrepareConditions(torch.cat(Enumerable.Repeat(frames, sides).ToArray(), 0), idTensor, idTensor.NotEqual(TextTokenizer.PadId),
            torch.tensor(textEmpty, device: device), torch.tensor(videoEmpty, device: device), sequence);
        var generator = new Generator((ulong)Seeds.Mix(request.Seed, windowIndex, 0x6e0));
        var x0 = torch.randn([1, config.Audio.MelBins, sequence.MelFrames], generator: generator).to(device);
        Func<Tensor, double, Tensor>? constrain = null;
        if (knownPrefix is not null)
        {
            var k = knownPrefix.shape[2];
            var noisePrefix = x0.narrow(2, 0, k);
            constrain = (x, t) => torch.cat([noisePrefix.Times(1 - t).Plus(knownPrefix.Times(t)), x.narrow(2, k, x.shape[2] - k)], 2);
        }

        var guided = separate
            ? Guidance.GuidedTerms((x, t) => net.PredictVelocity(x, t, cond), layout, request.Cfg, withNegative ? request.NegativeStrength!.Value : 0,
                request.PromptStrength)
            : Guidance.Guided((x, t) => net.PredictVelocity(x, t, cond), request.Cfg);
        return new FlowMatchingSampler(request.Steps, solver).Sample(guided, x0, constrain, onStep);
    }

    private static float[] ToSamples(Tensor wave, long samples)
    {
        var flat = wave.reshape(-1).to(torch.CPU).to_type(ScalarType.Float32).data<float>().ToArray();
        if (flat.Length == samples)
        {
            return flat;
        }

        var result = new float[samples];
        Array.Copy(flat, result, Math.Min(flat.Length, result.Length));
        return result;
    }
}
