using TorchSharp;
using TorchSharp.Modules;
using V2a.Model.Conditions;
using static TorchSharp.torch;

namespace V2a.Model.Network;

// Shape letters: B batch, M mel bins, T mel frames, N audio tokens (T / frames-per-token), F video frames,
// V pooled visual tokens, L text tokens, S = L + V condition tokens, D model width.

/// <summary>
/// The conditions of a batch, prepared once per clip (or window) and reused at every sampling step.
/// Its tensors belong to the dispose scope that was open when it was prepared.
/// </summary>
public sealed class ConditionSet
{
    internal ConditionSet(SequenceConfig sequence, Tensor audioAdd, Tensor global, CrossMemory[] memory, Tensor crossMask,
        Tensor cos, Tensor sin, Tensor syncFeatures)
    {
        SyncFeatures = syncFeatures;
        Sequence = sequence;
        AudioAdd = audioAdd;
        Global = global;
        Memory = memory;
        CrossMask = crossMask;
        Cos = cos;
        Sin = sin;
    }

    public SequenceConfig Sequence { get; }

    /// <summary>(B, N, D) frame-aligned visual features, added to the audio tokens.</summary>
    public Tensor AudioAdd { get; }

    /// <summary>(B, N, D) the visual encoder's features interpolated to the audio tokens' times (before projection).</summary>
    internal Tensor SyncFeatures { get; }

    /// <summary>(B, D) pooled text + pooled visual, added to the timestep embedding.</summary>
    public Tensor Global { get; }

    /// <summary>Per block: keys and values of the condition tokens.</summary>
    internal CrossMemory[] Memory { get; }

    /// <summary>(B, 1, 1, S) bool.</summary>
    internal Tensor CrossMask { get; }

    /// <summary>(N, E/2) rotary angles of the audio tokens.</summary>
    internal Tensor Cos { get; }

    internal Tensor Sin { get; }

    public long Batch => Global.shape[0];
}

/// <summary>
/// The generator network v̂(x_t, t, c): a transformer over audio tokens (two mel frames each) with
/// cross-attention to text tokens and to pooled visual tokens, frame-aligned visual features added to the
/// audio tokens, and timestep/condition modulation. Split as the sampler needs it: <see cref="PrepareConditions"/>
/// once per clip, <see cref="PredictVelocity"/> at every step.
/// </summary>
public sealed class SoundtrackNetwork : nn.Module
{
    private const int TimeFrequencies = 256;

    private readonly VisualEncoder visual;
    private readonly TextEncoder text;
    private readonly Linear audio_in;
    private readonly Linear visual_to_audio;
    private readonly Linear visual_tokens;
    private readonly Parameter empty_visual;
    private readonly Parameter empty_text;
    private readonly Parameter text_type;
    private readonly Linear text_pool;
    private readonly Linear visual_pool;
    private readonly Linear time_in;
    private readonly Linear time_out;
    private readonly Linear adaln;
    private readonly ModuleList<GeneratorBlock> blocks;
    private readonly LayerNorm final_norm;
    private readonly Linear final_adaln;
    private readonly Linear out_proj;
    private readonly Linear? onset_head;
    private readonly Linear? class_head;

    private readonly Dictionary<(int N, int F, string Device), Tensor> _interpolation = [];

    /// <summary>Zeroes the visual event path's output (see <see cref="VisualEncoder.SilenceEventPath"/>).</summary>
    internal void SilenceEventPath() => visual.SilenceEventPath();

    /// <summary>Stops gradients into the video side: the visual encoder and the onset and class heads that read it
    /// (<see cref="ModelConfig.VideoFrozen"/>). The projections of the video features into the generator stay trainable.</summary>
    internal void FreezeVideoSide()
    {
        foreach (var module in new nn.Module?[] { visual, onset_head, class_head })
        {
            foreach (var p in module?.parameters() ?? [])
            {
                p.requires_grad = false;
            }
        }
    }

    public SoundtrackNetwork(ModelConfig config) : base(nameof(SoundtrackNetwork))
    {
        config.Validate();
        Config = config;
        var d = config.Dim;
        var tokenWidth = config.Audio.MelBins * config.MelFramesPerToken;
        visual = new VisualEncoder(config);
        text = new TextEncoder(config);
        audio_in = nn.Linear(tokenWidth, d);
        visual_to_audio = nn.Linear(d, d);
        visual_tokens = nn.Linear(d, d);
        empty_visual = nn.Parameter(torch.randn(d) * 0.02);
        empty_text = nn.Parameter(torch.randn(config.TextMaxTokens, d) * 0.02);
        text_type = nn.Parameter(torch.randn(d) * 0.02);
        text_pool = nn.Linear(d, d);
        visual_pool = nn.Linear(d, d);
        time_in = nn.Linear(TimeFrequencies, d);
        time_out = nn.Linear(d, d);
        adaln = nn.Linear(d, 6 * d);
        blocks = new ModuleList<GeneratorBlock>();
        for (var i = 0; i < config.Layers; i++)
        {
            blocks.Add(new GeneratorBlock(d, config.Heads, config.MlpRatio));
        }

        final_norm = nn.LayerNorm(d, elementwise_affine: false);
        final_adaln = nn.Linear(d, 2 * d);
        out_proj = nn.Linear(d, tokenWidth);
        if (config.SyncLossWeight > 0)
        {
            onset_head = nn.Linear(d, 1);
        }

        if (config.EventClassLossWeight > 0 && config.EventClasses is { Length: > 0 } classes)
        {
            class_head = nn.Linear(d, classes.Length);
        }

        RegisterComponents();

        // adaLN-Zero: every block starts as the identity and the output as zero velocity.
        using (torch.no_grad())
        {
            foreach (var lin in new[] { adaln, final_adaln, out_proj })
            {
                nn.init.zeros_(lin.weight!);
                nn.init.zeros_(lin.bias!);
            }
        }
    }

    public ModelConfig Config { get; }

    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>Encodes text and frames once for a stretch described by <paramref name="sequence"/>.</summary>
    /// <param name="frames">(B, F, S, S, 3) uint8 with F = sequence.VideoFrames.</param>
    /// <param name="textIds">(B, L) int64 compact ids, L ≤ TextMaxTokens.</param>
    /// <param name="textMask">(B, L) bool, true on real tokens.</param>
    /// <param name="dropText">(B) bool: use the learned empty text condition (no prompt, or CFG's negative side).</param>
    /// <param name="dropVisual">(B) bool: use the learned empty visual condition.</param>
    public ConditionSet PrepareConditions(Tensor frames, Tensor textIds, Tensor textMask, Tensor dropText, Tensor dropVisual,
        SequenceConfig sequence)
    {
        var b = frames.shape[0];
        if (frames.shape.Length != 5 || frames.shape[1] != sequence.VideoFrames || frames.shape[2] != Config.Video.FrameSize)
        {
            throw new ArgumentException($"frames: expected (B, {sequence.VideoFrames}, {Config.Video.FrameSize}, {Config.Video.FrameSize}, 3), got ({string.Join(", ", frames.shape)})");
        }

        if (textIds.shape[0] != b || textIds.shape[1] > Config.TextMaxTokens || textIds.shape[1] < 1)
        {
            throw new ArgumentException($"textIds: expected (B={b}, 1..{Config.TextMaxTokens}), got ({string.Join(", ", textIds.shape)})");
        }

        var device = frames.device;
        var l = Config.TextMaxTokens;
        if (textIds.shape[1] < l)
        {
            // Pad to the full length so the empty condition (L learned tokens) and real text stack.
            var pad = l - textIds.shape[1];
            textIds = nn.functional.pad(textIds, [0, pad], value: TextTokenizer.PadId);
            textMask = nn.functional.pad(textMask, [0, pad], value: 0);
        }

        // A row without any token would attend to nothing: it must use the empty condition instead.
        dropText = dropText.logical_or(textMask.any(1).logical_not());

        // Text: (B, L, D) tokens, mask (B, L), pooled (B, D).
        var safeMask = textMask.logical_or(dropText.unsqueeze(1));
        var tokens = text.forward(textIds, safeMask);
        var dt = dropText.view(b, 1, 1);
        tokens = torch.where(dt, empty_text.unsqueeze(0).expand(b, -1, -1), tokens).Plus(text_type);
        var mask = torch.where(dropText.unsqueeze(1), torch.ones_like(textMask), textMask);
        var maskF = mask.to_type(ScalarType.Float32).unsqueeze(2); // (B, L, 1)
        var textPooled = (tokens * maskF).sum([1]) / maskF.sum([1]); // (B, D)

        // Visual: (B, F, D) per frame, replaced by the learned empty feature where dropped.
        var feats = visual.forward(frames);
        feats = torch.where(dropVisual.view(b, 1, 1), empty_visual.expand(b, feats.shape[1], -1), feats);
        var interp = Interpolation(sequence, device); // (N, F)
        var sync = torch.matmul(interp, feats); // (B, N, D)
        var audioAdd = visual_to_audio.forward(sync);
        var pooled = nn.functional.adaptive_avg_pool1d(feats.transpose(1, 2), sequence.VisualTokens).transpose(1, 2); // (B, V, D)
        var visTokens = visual_tokens.forward(pooled);
        var global = text_pool.forward(textPooled).Plus(visual_pool.forward(feats.mean([1])));

        var cond = torch.cat([tokens, visTokens], 1); // (B, S, D)
        var crossMask = torch.cat([mask, torch.ones(b, sequence.VisualTokens, dtype: ScalarType.Bool, device: device)], 1)
            .view(b, 1, 1, -1); // (B, 1, 1, S)
        var visPositions = Enumerable.Range(0, sequence.VisualTokens).Select(k => sequence.VisualTokenTime(k) * Config.TokenRate).ToArray();
        var (visCos, visSin) = Rope.Angles(visPositions, Config.HeadDim, Config.RopeBase, device);
        var memory = blocks.Select(block => block.Memory(cond, l, visCos, visSin)).ToArray();
        var audioPositions = Enumerable.Range(0, sequence.AudioTokens).Select(i => sequence.AudioTokenTime(i) * Config.TokenRate).ToArray();
        var (cos, sin) = Rope.Angles(audioPositions, Config.HeadDim, Config.RopeBase, device);
        return new ConditionSet(sequence, audioAdd, global, memory, crossMask, cos, sin, sync);
    }

    /// <summary>True when the network has the onset head of the auxiliary sync loss (config SyncLossWeight &gt; 0).</summary>
    public bool HasOnsetHead => onset_head is not null;

    /// <summary>The onset head's output for each audio token, from the video alone: (B, N) — the logit of "an annotated
    /// onset starts here" when trained on shards with onset targets, else the predicted onset strength.</summary>
    public Tensor PredictOnsets(ConditionSet conditions)
    {
        if (onset_head is null)
        {
            throw new InvalidOperationException("this network has no onset head (its config's sync_loss_weight is 0)");
        }

        return onset_head.forward(conditions.SyncFeatures).squeeze(-1);
    }

    /// <summary>True when the network has the event-class head (config EventClassLossWeight &gt; 0 with EventClasses).</summary>
    public bool HasClassHead => class_head is not null;

    /// <summary>The event-class head's logits for each audio token, from the video alone: (B, N, C), C =
    /// config.EventClasses — "an on-screen event of class c sounds here".</summary>
    public Tensor PredictEventClasses(ConditionSet conditions)
    {
        if (class_head is null)
        {
            throw new InvalidOperationException("this network has no event-class head (its config's event_class_loss_weight is 0)");
        }

        return class_head.forward(conditions.SyncFeatures);
    }

    /// <summary>Predicted velocity dx/dt at time t.</summary>
    /// <param name="x">(B, M, T) normalised log-mel at flow time t, T = sequence.MelFrames.</param>
    /// <param name="t">(B) flow time in [0, 1] (0 noise, 1 data).</param>
    /// <returns>(B, M, T).</returns>
    public Tensor PredictVelocity(Tensor x, Tensor t, ConditionSet conditions)
    {
        var seq = conditions.Sequence;
        var (b, m, frames) = (x.shape[0], x.shape[1], x.shape[2]);
        if (m != Config.Audio.MelBins || frames != seq.MelFrames || b != conditions.Batch)
        {
            throw new ArgumentException($"x: expected ({conditions.Batch}, {Config.Audio.MelBins}, {seq.MelFrames}), got ({string.Join(", ", x.shape)})");
        }

        var n = seq.AudioTokens;
        var tokenWidth = m * Config.MelFramesPerToken;
        var h = audio_in.forward(x.transpose(1, 2).reshape(b, n, tokenWidth)).Plus(conditions.AudioAdd); // (B, N, D)
        var c = conditions.Global.Plus(time_out.forward(nn.functional.silu(time_in.forward(TimeEmbedding(t))))); // (B, D)
        var sc = nn.functional.silu(c);
        var mod = adaln.forward(sc).view(b, 6, -1); // (B, 6, D)
        for (var i = 0; i < blocks.Count; i++)
        {
            h = blocks[i].Forward(h, mod, conditions.Cos, conditions.Sin, conditions.Memory[i], conditions.CrossMask);
        }

        var fin = final_adaln.forward(sc).chunk(2, 1); // 2 × (B, D)
        h = (final_norm.forward(h) * fin[1].unsqueeze(1).Plus(1)).Plus(fin[0].unsqueeze(1));
        return out_proj.forward(h).reshape(b, frames, m).transpose(1, 2); // (B, M, T)
    }

    /// <summary>Sinusoidal features of t·1000: (B) → (B, 256).</summary>
    private static Tensor TimeEmbedding(Tensor t)
    {
        var half = TimeFrequencies / 2;
        using var stop = half.ToScalar();
        var freqs = torch.exp(torch.arange(stop, dtype: ScalarType.Float32, device: t.device).Times(-Math.Log(10_000) / half));
        var args = t.to_type(ScalarType.Float32).Times(1000).unsqueeze(1) * freqs.unsqueeze(0); // (B, 128)
        return torch.cat([args.cos(), args.sin()], 1);
    }

    /// <summary>
    /// (N, F) linear interpolation from video-frame times to audio-token times: row i holds the weights of
    /// the two frames around token i's time (clamped at the ends). Cached per length and device.
    /// </summary>
    private Tensor Interpolation(SequenceConfig seq, Device device)
    {
        var key = (seq.AudioTokens, seq.VideoFrames, device.ToString());
        lock (_interpolation)
        {
            if (_interpolation.TryGetValue(key, out var cached))
            {
                return cached;
            }

            var w = new float[seq.AudioTokens * seq.VideoFrames];
            for (var i = 0; i < seq.AudioTokens; i++)
            {
                var u = Math.Clamp(seq.AudioTokenTime(i) * Config.Video.Fps, 0, seq.VideoFrames - 1);
                var j0 = (int)Math.Floor(u);
                var j1 = Math.Min(j0 + 1, seq.VideoFrames - 1);
                var frac = (float)(u - j0);
                w[(i * seq.VideoFrames) + j0] += 1 - frac;
                w[(i * seq.VideoFrames) + j1] += frac;
            }

            var tensor = torch.tensor(w, [seq.AudioTokens, seq.VideoFrames], device: device).DetachFromDisposeScope();
            _interpolation[key] = tensor;
            return tensor;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_interpolation)
            {
                foreach (var t in _interpolation.Values)
                {
                    t.Dispose();
                }

                _interpolation.Clear();
            }
        }

        base.Dispose(disposing);
    }
}
