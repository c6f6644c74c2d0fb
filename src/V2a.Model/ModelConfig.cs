using System.Text.Json;
using System.Text.Json.Serialization;

namespace V2a.Model;

/// <summary>
/// Everything that fixes the generator's architecture and its audio/video front end, as one record stored
/// inside every checkpoint and model package (config.json), so training, resume and inference never guess.
/// Presets: <c>debug</c> (tiny, for tests), <c>small</c> (the CPU default), <c>medium</c> and <c>large</c>
/// (for GPUs). Sequence lengths are never stored here: <see cref="Sequence"/> derives them from a duration.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Names accepted by <see cref="FromPreset"/>.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["debug", "small", "medium", "large"];

    public string Preset { get; init; } = "small";

    /// <summary>Width of every token (audio, visual, text) in the generator.</summary>
    public int Dim { get; init; } = 256;

    /// <summary>Generator blocks (self-attention over audio tokens, cross-attention to conditions, MLP).</summary>
    public int Layers { get; init; } = 6;

    public int Heads { get; init; } = 4;

    /// <summary>MLP hidden width = Dim × MlpRatio.</summary>
    public int MlpRatio { get; init; } = 4;

    /// <summary>Mel frames folded into one audio token (2 → 31.25 tokens/s, 32 ms a token).</summary>
    public int MelFramesPerToken { get; init; } = 2;

    /// <summary>Channels of the per-frame visual CNN's three stride-2 convolutions.</summary>
    public int[] VisualChannels { get; init; } = [32, 64, 128];

    /// <summary>Side of the cell grid the visual CNN ends at. Null: frame size / 8 (three stride-2 stages). When set
    /// smaller, further stride-2 stages (last channel count) bring larger frames down to it, so a model that sees
    /// 64×64 frames keeps the 4×4 grid, and the size, of one that sees 32×32.</summary>
    public int? VisualCells { get; init; }

    /// <summary>Side of the pixel blocks the visual CNN folds into channels before its first convolution (space to
    /// depth). 1: none. 2: a 128×128 frame (and its difference to the one before) enters as 64×64 cells of 2×2 pixels,
    /// so its convolutions cost 1.4× those of a 64×64 frame (the first takes 24 channels) and it sees every pixel of the
    /// larger one; the element-wise input stage on four times the pixels makes a training step about twice as long.</summary>
    public int VisualPatch { get; init; } = 1;

    /// <summary>Side of the grid the visual CNN's first convolution sees: the frame size / <see cref="VisualPatch"/>.</summary>
    [JsonIgnore]
    public int VisualInputSide => Video.FrameSize / VisualPatch;

    /// <summary>Stride-2 stages of the visual CNN: three, plus one per halving from its input side / 8 to <see cref="VisualCells"/>.</summary>
    [JsonIgnore]
    public int VisualStages
    {
        get
        {
            var stages = 3;
            for (var side = VisualInputSide / 8; VisualCells is { } cells && side > cells; side /= 2)
            {
                stages++;
            }

            return stages;
        }
    }

    /// <summary>Depth of the temporal convolution stack over per-frame visual features (25 fps).</summary>
    public int VisualTemporalLayers { get; init; } = 2;

    /// <summary>
    /// Channels of the visual encoder's event path (0: none). Each cell of the CNN's frame / 8 grid (before any further
    /// stride-2 stage) gets a temporal convolution over its own features in three consecutive frames — where a moving thing
    /// reverses at that place — and the strongest response over the cells is added to the frame's feature: an event
    /// anywhere in the picture counts, wherever it is.
    /// </summary>
    public int VisualEventChannels { get; init; }

    /// <summary>Rate of the pooled visual tokens the audio attends to (the frame-rate features are added to
    /// the audio tokens instead).</summary>
    public double VisualTokenFps { get; init; } = 8;

    /// <summary>Transformer layers of the text encoder.</summary>
    public int TextLayers { get; init; } = 2;

    /// <summary>Text tokens kept per prompt (caption plus transcript); longer prompts are cut.</summary>
    public int TextMaxTokens { get; init; } = 48;

    /// <summary>Rows of the text embedding table: the compact vocabulary's size (set at <c>data prepare</c>).</summary>
    public int TextVocabSize { get; init; } = 4;

    /// <summary>Length in seconds of most crops trained on (a multiple of <see cref="AlignmentSeconds"/>); short
    /// crops buy samples per second. Every <see cref="LongCropEvery"/>-th step trains on a whole
    /// <see cref="WindowSeconds"/> window instead, so the model also knows the length it generates.</summary>
    public double TrainSeconds { get; init; } = 4;

    /// <summary>Every this many steps, one step on <see cref="WindowSeconds"/> crops (batch scaled down to keep
    /// the tokens per step); 0 never.</summary>
    public int LongCropEvery { get; init; } = 4;

    /// <summary>Default generation window in seconds; longer videos are covered by overlapping windows.</summary>
    public double WindowSeconds { get; init; } = 8;

    /// <summary>Probability that training replaces the text condition by the learned empty one.</summary>
    public double TextDropProbability { get; init; } = 0.15;

    /// <summary>Probability that training replaces the visual condition by the learned empty one.</summary>
    public double VisualDropProbability { get; init; } = 0.1;

    /// <summary>Probability that training replaces both conditions together by the empty ones, on top of the two
    /// independent drops. Guidance steers away from that side (video and text both empty), yet the independent drops
    /// alone train it on only <see cref="TextDropProbability"/> × <see cref="VisualDropProbability"/> of the clips
    /// (1.5 %): the default's from-noise error there stayed at 1.2–1.8 where the conditioned one is 0.45. 0 for
    /// packages made before it existed.</summary>
    public double BothDropProbability { get; init; }

    /// <summary>Probability that a training clip's frames are mirrored left to right (its sound, mono, is the same):
    /// the visual encoder sees twice the scenes and cannot learn a side of the picture by heart. 0 for packages made
    /// before it existed.</summary>
    public double FrameFlipProbability { get; init; }

    /// <summary>Probability that a training clip gets a sound its picture does not show: the sound of a donor clip — one
    /// whose annotated events are all of <see cref="OverlayClasses"/> (FoleyWorld's ambiences: rain, wind, fire) — mixed
    /// under its own (power sum of the two mels, the donor 0 to 9 dB down), and a caption of the donor appended to its
    /// text or replacing it. Such a clip keeps both conditions (no drop), and its onset and class targets stay its own
    /// picture's. It teaches the model that words may ask for what the video does not show: without it the default
    /// made an absent ambience asked for as the prompt heard in 18 % of held-out clips; 1,000 steps of it at 0.25 brought that
    /// to 55–65 % on the 1,906 training clips but the onset F1 from 0.613 to 0.527–0.577 (the same continuation without it:
    /// 0.582); on the 3,804 clips at lr 1e-4 it brought it to 56 % with the onset F1 kept (0.609; without it 0.599) — the
    /// default since 2026-11-28 (models/default/MODEL_CARD.md). 0 for packages made before it.</summary>
    public double OverlayProbability { get; init; }

    /// <summary>The event classes a donor clip of <see cref="OverlayProbability"/> may have (all of its annotated events
    /// among them, at least one); null without overlays.</summary>
    public string[]? OverlayClasses { get; init; }

    /// <summary>Whether the run that made these weights kept the video side — the visual encoder and its onset and class
    /// heads — as the package it started from (<c>--freeze-video</c> with <c>--init-from</c>): only the generator and
    /// the text side learned. A continuation teaching the words something new (<see cref="OverlayProbability"/>) then
    /// cannot move what the video side knows of timing — yet with <c>--overlay 0.25</c> it timed the sounds worse than the
    /// same run without it (onset F1 0.527 against 0.562; models/default/MODEL_CARD.md). False for packages made before it.</summary>
    public bool VideoFrozen { get; init; }

    /// <summary>Share of training flow times drawn uniformly instead of from the logit-normal, so that the
    /// noise end of the path (where only the conditions tell what to generate) is trained (see
    /// <see cref="FlowMatching.FlowMatchingLoss"/>).</summary>
    public double UniformTimeFraction { get; init; } = 0.5;

    /// <summary>Shift of the training flow times towards the noise end (<see cref="FlowMatching.FlowMatchingLoss.ShiftTime"/>):
    /// 1 none (every package before 2026-11-28); 2 doubles the share of times under 0.2, the first fifth of the path where
    /// a sound's kind is decided (a copper ball's ring is missing from samples started from noise and restored from the
    /// real mel at t = 0.2; models/default/MODEL_CARD.md). At 2 on a 1,000-step continuation of the default it changed
    /// no evaluation figure beyond noise against the same continuation without it, and named no impact's material.</summary>
    public double FlowTimeShift { get; init; } = 1;

    /// <summary>Weight of the auxiliary sync loss (0: none, and no onset head in the network). With a weight, a
    /// linear head reads the frame-aligned visual features at each audio token and is trained to tell when sounds
    /// start (<see cref="Training.SyncLoss"/>): from annotated on-screen onsets when the shards carry them, else from
    /// the real audio's onset strength — a dense, direct signal meant to teach the visual encoder timing. The default
    /// model is trained with 0.5 on annotated onsets from step 0, seeing 64×64 frames: on the 94 held-out clips its onset
    /// F1 is 0.436 against 0.239 for the same preset without it at 32×32, median error 24.8 ms against 34.3 ms. A
    /// 3,000-step fine-tune of that older model with annotated onsets did not improve its onsets, and with the audio's
    /// onset strength the head learned nothing in 750 steps (models/default/MODEL_CARD.md).</summary>
    public double SyncLossWeight { get; init; }

    /// <summary>Weight of the auxiliary event-class loss (0: none, and no class head in the network). With a weight, a
    /// linear head reads the same frame-aligned visual features as the onset head and is trained to name, at each audio
    /// token, the classes of the on-screen events sounding there (<see cref="EventClasses"/>; multi-label logistic loss,
    /// <see cref="Training.EventClassLoss"/>): the video side is taught what is happening, not only when — a copper ball's
    /// ring, not a rubber knock. Not used when generating.</summary>
    public double EventClassLossWeight { get; init; }

    /// <summary>The classes the event-class head names, in the order of its outputs (the shards' manifest's); null
    /// without a head.</summary>
    public string[]? EventClasses { get; init; }

    /// <summary>Extra weight of the flow-matching loss on transients (0: none, every mel frame counts the same): frames
    /// within about 100 ms after a rise of the real mel weigh up to 1 + this
    /// (<see cref="FlowMatching.FlowMatchingLoss.TransientWeights"/>), so the short impacts whose materials the model
    /// confuses get a larger share of training than their few frames would give them. Validation losses stay unweighted.</summary>
    public double TransientLossWeight { get; init; }

    /// <summary>Extra weight of the flow-matching loss on tonal lines (0: none): mel cells that stand above their
    /// neighbours two bins away for 80 ms weigh up to 1 + this (<see cref="FlowMatching.FlowMatchingLoss.TonalWeights"/>),
    /// so the rings of bells, glass, metal and notes — well under 1 % of the cells — count for more than their share.
    /// Combined with <see cref="TransientLossWeight"/> the two multiply. Validation losses stay unweighted.</summary>
    public double TonalLossWeight { get; init; }

    /// <summary>Base of the rotary position frequencies; positions are in audio tokens (time × token rate).</summary>
    public double RopeBase { get; init; } = 10_000;

    /// <summary>The audio front end (sample rate, STFT, mel). A package keeps its own copy.</summary>
    public AudioSettings Audio { get; init; } = AudioSettings.Default;

    /// <summary>The video front end: frame rate and the square frame size the visual encoder sees.</summary>
    public VideoSettings Video { get; init; } = VideoSettings.Default with { FrameSize = 32 };

    /// <summary>Per-mel-bin statistics of the training set's log-mel; null until data is prepared.</summary>
    public MelNormalisation? Normalisation { get; init; }

    [JsonIgnore]
    public int HeadDim => Dim / Heads;

    /// <summary>Audio tokens per second (31.25 with 16 kHz, hop 256, 2 frames a token).</summary>
    [JsonIgnore]
    public double TokenRate => Audio.FramesPerSecond / MelFramesPerToken;

    /// <summary>The finest time step on which audio tokens, mel frames and video frames all start together
    /// (0.16 s: 4 video frames, 10 mel frames, 5 tokens). Crops and window hops are multiples of it.</summary>
    [JsonIgnore]
    public double AlignmentSeconds
    {
        get
        {
            // In samples: a token is hop × frames-per-token samples; a video frame is sampleRate / fps samples.
            var token = (long)Audio.HopLength * MelFramesPerToken;
            var frame = Audio.SampleRate / Video.Fps;
            if (Math.Abs(frame - Math.Round(frame)) > 1e-9)
            {
                throw new InvalidOperationException($"a video frame ({frame} samples) must be a whole number of samples");
            }

            var f = (long)Math.Round(frame);
            return (double)(token / Gcd(token, f) * f) / Audio.SampleRate;
        }
    }

    /// <summary>Every sequence length for <paramref name="seconds"/> of audio and video.</summary>
    public SequenceConfig Sequence(double seconds) => new(this, seconds);

    public static ModelConfig FromPreset(string name) => name switch
    {
        // Tiny: shape, determinism and overfit tests in seconds.
        "debug" => new ModelConfig
        {
            Preset = "debug", Dim = 32, Layers = 2, Heads = 2, MlpRatio = 2, VisualChannels = [8, 16, 16],
            VisualTemporalLayers = 1, TextLayers = 1, TextMaxTokens = 12, TrainSeconds = 1.28, WindowSeconds = 8,
            Video = VideoSettings.Default with { FrameSize = 16 },
        },

        // The CPU default: 9.3M parameters at its own 32×32 frames, sized by DESIGN.md's two-hour budget on 2 cores
        // (the shipped default trains it at 64×64 with --frame-size 64: 9.4M, 3.5 h).
        "small" => new ModelConfig { Preset = "small", TextLayers = 1, TrainSeconds = 3.2 },

        // GPU presets: full 8 s crops and larger frames.
        "medium" => new ModelConfig
        {
            Preset = "medium", Dim = 512, Layers = 12, Heads = 8, VisualChannels = [48, 96, 192], TextLayers = 4,
            TextMaxTokens = 64, TrainSeconds = 8, Video = VideoSettings.Default with { FrameSize = 64 },
        },
        "large" => new ModelConfig
        {
            Preset = "large", Dim = 768, Layers = 16, Heads = 12, VisualChannels = [64, 128, 256], TextLayers = 6,
            TextMaxTokens = 77, TrainSeconds = 8, Video = VideoSettings.Default with { FrameSize = 64 },
        },
        _ => throw new BadInputException(null, $"unknown preset '{name}' (known: {string.Join(", ", PresetNames)})"),
    };

    /// <summary>Throws when the record cannot describe a working model.</summary>
    public void Validate()
    {
        if (Dim % Heads != 0 || HeadDim % 2 != 0)
        {
            throw new InvalidOperationException($"Dim {Dim} must split into {Heads} heads of an even width");
        }

        if (VisualPatch < 1 || Video.FrameSize % VisualPatch != 0)
        {
            throw new InvalidOperationException($"visual patch {VisualPatch} must be a positive divisor of the frame size {Video.FrameSize}");
        }

        if (VisualChannels.Length != 3 || VisualInputSide % 8 != 0)
        {
            throw new InvalidOperationException("the visual CNN has 3 stride-2 layers: frame size / visual patch must be a multiple of 8");
        }

        if (VisualCells is { } cells && (cells < 1 || VisualInputSide / 8 % cells != 0 || !int.IsPow2(VisualInputSide / 8 / cells)))
        {
            throw new InvalidOperationException($"visual cells {cells}: the CNN's input side / 8 ({VisualInputSide / 8}) must be that times a power of two");
        }

        foreach (var seconds in new[] { TrainSeconds, WindowSeconds })
        {
            var steps = seconds / AlignmentSeconds;
            if (seconds <= 0 || Math.Abs(steps - Math.Round(steps)) > 1e-6)
            {
                throw new InvalidOperationException($"TrainSeconds and WindowSeconds ({seconds}) must be multiples of {AlignmentSeconds} s");
            }
        }

        if (!(FlowTimeShift > 0) || double.IsInfinity(FlowTimeShift))
        {
            throw new InvalidOperationException($"FlowTimeShift {FlowTimeShift} must be a positive number");
        }
    }

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static ModelConfig FromJson(string json, string path)
    {
        try
        {
            var config = JsonSerializer.Deserialize<ModelConfig>(json, JsonOptions)
                ?? throw new BadInputException(path, "is empty, expected a model config");
            config.Validate();
            return config;
        }
        catch (JsonException e)
        {
            throw new BadInputException(path, $"is not a valid model config ({e.Message})");
        }
    }

    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);
}

/// <summary>Per-bin mean and standard deviation of log-mel (natural log) over the training split.</summary>
public sealed record MelNormalisation(float[] Mean, float[] Std);

/// <summary>
/// Sequence lengths for one stretch of <see cref="Seconds"/>, derived from the config's rates (the only
/// place that does so): mel frames padded to whole audio tokens, video frames at <c>Video.Fps</c>, pooled
/// visual tokens at <c>VisualTokenFps</c>, and the time in seconds each position stands for.
/// </summary>
public sealed record SequenceConfig
{
    public SequenceConfig(ModelConfig config, double seconds)
    {
        if (seconds <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "duration must be positive");
        }

        Config = config;
        Seconds = seconds;
        Samples = config.Audio.SamplesFor(seconds);
        AudioTokens = (int)Math.Ceiling((double)config.Audio.FramesFor(seconds) / config.MelFramesPerToken);
        MelFrames = AudioTokens * config.MelFramesPerToken;
        VideoFrames = Math.Max(1, (int)Math.Ceiling((seconds * config.Video.Fps) - 1e-9));
        VisualTokens = Math.Max(1, (int)Math.Round(seconds * config.VisualTokenFps));
    }

    public ModelConfig Config { get; }

    public double Seconds { get; }

    /// <summary>Waveform samples covering <see cref="Seconds"/>.</summary>
    public long Samples { get; }

    /// <summary>Mel frames the generator produces: whole tokens, so up to one frame more than the audio needs.</summary>
    public int MelFrames { get; }

    public int AudioTokens { get; }

    /// <summary>Frames at the video rate covering the stretch (frame j shows time j / fps).</summary>
    public int VideoFrames { get; }

    /// <summary>Pooled visual tokens in the cross-attention.</summary>
    public int VisualTokens { get; }

    /// <summary>Time in seconds of audio token i: the centre of the samples its mel frames describe (mel frame k
    /// describes samples [k·hop, (k+1)·hop), V2a.Audio.LogMel's convention).</summary>
    public double AudioTokenTime(int i) =>
        (i + 0.5) * Config.MelFramesPerToken * Config.Audio.HopLength / Config.Audio.SampleRate;

    /// <summary>Time in seconds of video frame j (its presentation time).</summary>
    public double VideoFrameTime(int j) => j / Config.Video.Fps;

    /// <summary>Video frames pooled into visual token k: [start, end), as adaptive average pooling splits them.</summary>
    public (int Start, int End) VisualTokenFrames(int k) =>
        ((int)Math.Floor((double)k * VideoFrames / VisualTokens), (int)Math.Ceiling((double)(k + 1) * VideoFrames / VisualTokens));

    /// <summary>Time in seconds of visual token k: the mean time of its pooled frames.</summary>
    public double VisualTokenTime(int k)
    {
        var (s, e) = VisualTokenFrames(k);
        return (VideoFrameTime(s) + VideoFrameTime(e - 1)) / 2;
    }
}
