using TorchSharp;
using TorchSharp.PyBridge;
using V2a.Model.Conditions;
using static TorchSharp.torch;

namespace V2a.Model.Data;

/// <summary>A training batch: B aligned crops. Tensors belong to the dispose scope open when it was made.</summary>
/// <param name="Mel">(B, 80, T) normalised log-mel, float32.</param>
/// <param name="Frames">(B, F, S, S, 3) uint8.</param>
/// <param name="TextIds">(B, L) int64 compact ids.</param>
/// <param name="TextMask">(B, L) bool, true on real tokens.</param>
/// <param name="HasText">(B) bool, false for clips without any caption or transcript.</param>
/// <param name="Onsets">(B, T) float32, 1 on mel frames where an annotated on-screen onset starts; null when the shards have none.</param>
/// <param name="OnsetsAnnotated">(B) bool, true for clips whose events were annotated (their onsets row is the truth); null with <paramref name="Onsets"/>.</param>
/// <param name="EventClasses">(B, T, C) float32, 1 where an on-screen event of class c sounds on mel frame t (classes as the
/// manifest's <see cref="ShardManifest.EventClasses"/>); null when the shards have none. Annotated rows as <paramref name="OnsetsAnnotated"/>.</param>
/// <param name="Overlaid">(B) bool, true for clips that got a donor's ambience and caption (<see cref="ModelConfig.OverlayProbability"/>):
/// they keep both conditions. Null when no overlay was drawn.</param>
public sealed record TrainingBatch(Tensor Mel, Tensor Frames, Tensor TextIds, Tensor TextMask, Tensor HasText, SequenceConfig Sequence,
    Tensor? Onsets = null, Tensor? OnsetsAnnotated = null, Tensor? EventClasses = null, Tensor? Overlaid = null)
{
    public long Size => Mel.shape[0];
}

/// <summary>
/// One split of a shard folder, held in memory as a few big tensors (no video decoding during training).
/// Batches are crops aligned on <see cref="ModelConfig.AlignmentSeconds"/>, so mel frames and video
/// frames of a crop start at the same instant.
/// </summary>
public sealed class ShardDataset : IDisposable
{
    private readonly Tensor _mel;        // (N, 80, T) float16
    private readonly Tensor? _frames;    // (N, F, S, S, 3) uint8, or null when they are read from the shard files
    private readonly MappedFrames? _mapped; // the frames read from the shard files as batches need them, or null
    private readonly Tensor _text;       // (N, K, L) int32
    private readonly int[] _melFrames;   // valid mel frames per clip
    private readonly int[] _textCount;   // texts per clip
    private readonly Tensor? _onsets;    // (N, T) uint8, or null (shards without onset targets)
    private readonly bool[] _annotated;  // per clip: its events were annotated
    private readonly long[][]? _events;  // per clip, per mel frame: bits of the on-screen event classes sounding, or null
    private readonly long[]? _offScreen; // per clip: bits of the classes of its off-screen events (bit 63: unlisted), or null
    private (string Key, int[] Clips)? _donors; // overlay donors for one class list

    private ShardDataset(ShardManifest manifest, string split, Tensor mel, Tensor? frames, MappedFrames? mapped, Tensor text, int[] melFrames,
        int[] textCount, IReadOnlyList<string> ids, Tensor? onsets, bool[] annotated, long[][]? events, long[]? offScreen)
    {
        _mapped = mapped;
        _events = events;
        _offScreen = offScreen;
        _onsets = onsets;
        _annotated = annotated;
        Manifest = manifest;
        Split = split;
        _mel = mel;
        _frames = frames;
        _text = text;
        _melFrames = melFrames;
        _textCount = textCount;
        ClipIds = ids;
    }

    public ShardManifest Manifest { get; }

    public string Split { get; }

    public IReadOnlyList<string> ClipIds { get; }

    public int Count => ClipIds.Count;

    /// <summary>Whether a split's frames are read from the shard files (<see cref="FrameStorage.Mapped"/>) rather than held in memory.</summary>
    public bool FramesMapped => _mapped is not null;

    /// <summary>Loads every shard of <paramref name="split"/> ("train" or "val"); its frames as <paramref name="storage"/> says
    /// (by default in memory unless they would take more than half of the machine's memory).</summary>
    public static ShardDataset Load(string shardsDir, string split, FrameStorage storage = FrameStorage.Auto)
    {
        var manifest = ShardManifest.Load(shardsDir);
        var shards = manifest.Shards.Where(s => s.Split == split).ToList();
        if (shards.Count == 0)
        {
            throw new BadInputException(shardsDir, $"has no '{split}' shards");
        }

        // Each tensor is allocated once for all clips and filled shard by shard, each shard freed once copied: the
        // peak is the dataset plus one shard, not twice the dataset (frames are 2.4 MB a clip at 64×64).
        var total = shards.Sum(s => s.Clips.Count);
        var side = manifest.Video.FrameSize;
        var frameBytes = (long)total * manifest.VideoFrames * side * side * 3;
        var mapped = storage == FrameStorage.Mapped
            || (storage == FrameStorage.Auto && frameBytes > GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2)
            ? new MappedFrames(manifest.VideoFrames, side) : null;
        var mel = new Rows(total);
        var frame = new Rows(total);
        var text = new Rows(total);
        var onset = new Rows(total);
        var melFrames = new List<int>();
        var textCount = new List<int>();
        var ids = new List<string>();
        var annotated = new List<bool>();
        var withOnsets = 0;
        var events = new List<long[]>();
        var withEvents = 0;
        var offScreen = new List<long>();
        var withOffScreen = 0;
        try
        {
            foreach (var shard in shards)
            {
                var path = Path.Combine(shardsDir, shard.File);
                if (!File.Exists(path))
                {
                    throw new BadInputException(path, "is listed in the manifest but missing; run 'v2a data prepare' again");
                }

                // Mapped frames are not read here: the shard's other tensors only.
                var dict = mapped is null ? Safetensors.LoadStateDict(path) : Safetensors.LoadStateDict(path, mapped.Append(path));
                var n = dict["mel"].shape[0];
                if (n != shard.Clips.Count)
                {
                    throw new BadInputException(path, $"holds {n} clips where the manifest lists {shard.Clips.Count}; run 'v2a data prepare' again");
                }

                mel.Append(dict["mel"]);
                if (mapped is null)
                {
                    frame.Append(dict["frames"]);
                }

                text.Append(dict["text"]);
                melFrames.AddRange(dict["mel_frames"].data<int>().ToArray());
                textCount.AddRange(dict["text_count"].data<int>().ToArray());
                if (dict.TryGetValue("onsets", out var o) && dict.TryGetValue("onsets_annotated", out var a))
                {
                    onset.Append(o);
                    annotated.AddRange(a.data<byte>().ToArray().Select(v => v != 0));
                    withOnsets++;
                }

                if (dict.TryGetValue("event_classes", out var ev))
                {
                    var frames = (int)ev.shape[1];
                    var all = ev.data<long>().ToArray();
                    for (var r = 0; r < n; r++)
                    {
                        events.Add(all.AsSpan(r * frames, frames).ToArray());
                    }

                    withEvents++;
                }

                if (dict.TryGetValue("offscreen_classes", out var off))
                {
                    offScreen.AddRange(off.data<long>().ToArray());
                    withOffScreen++;
                }

                foreach (var t in dict.Values)
                {
                    t.Dispose();
                }

                ids.AddRange(shard.Clips);
            }

            if (withOnsets != 0 && withOnsets != shards.Count)
            {
                throw new BadInputException(shardsDir, "mixes shards with and without onset targets; run 'v2a data prepare' again");
            }

            if (withEvents != 0 && (withEvents != shards.Count || withOnsets != shards.Count))
            {
                throw new BadInputException(shardsDir, "mixes shards with and without event classes; run 'v2a data prepare' again");
            }

            return new ShardDataset(manifest, split, mel.Result, mapped is null ? frame.Result : null, mapped, text.Result, [.. melFrames], [.. textCount], ids,
                withOnsets == 0 ? null : onset.Result, [.. annotated], withEvents == 0 ? null : [.. events],
                withOffScreen == shards.Count ? [.. offScreen] : null);
        }
        catch
        {
            mapped?.Dispose(); // the maps are the dataset's once it is made; not before
            throw;
        }
    }

    /// <summary>Rows of one tensor gathered from the shards into a single tensor allocated on the first shard.</summary>
    private sealed class Rows(long total)
    {
        private Tensor? _all;
        private long _filled;

        public Tensor Result => _all ?? throw new InvalidOperationException("no shard was appended");

        public void Append(Tensor part)
        {
            _all ??= torch.empty([total, .. part.shape.Skip(1)], dtype: part.dtype);
            _all.narrow(0, _filled, part.shape[0]).copy_(part);
            _filled += part.shape[0];
        }
    }

    /// <summary>
    /// Crops of <paramref name="seconds"/> from the clips <paramref name="indices"/>: each crop starts at a
    /// random multiple of the alignment step that keeps it inside the clip's audio (or at 0 when
    /// <paramref name="random"/> is null), with one of the clip's texts chosen at random (the first when null).
    /// </summary>
    public TrainingBatch Batch(IReadOnlyList<int> indices, double seconds, ModelConfig config, Random? random)
    {
        var seq = config.Sequence(seconds);
        var align = config.AlignmentSeconds;
        var melPerAlign = (int)Math.Round(align * config.Audio.FramesPerSecond);
        var videoPerAlign = (int)Math.Round(align * config.Video.Fps);
        var totalMel = (int)_mel.shape[2];
        var totalVideo = _mapped?.FramesPerClip ?? (int)_frames!.shape[1];
        var l = Math.Min(config.TextMaxTokens, (int)_text.shape[2]);
        var mels = new List<Tensor>();
        var frames = new List<Tensor>();
        var texts = new List<Tensor>();
        var onsets = new List<Tensor>();
        var hasText = new bool[indices.Count];
        var annotated = new bool[indices.Count];
        var classCount = Manifest.EventClasses?.Count ?? 0;
        var eventTargets = _events is null ? null : new float[indices.Count * seq.MelFrames * classCount];
        var donors = random is not null && config.OverlayProbability > 0 ? OverlayDonors(config.OverlayClasses ?? []) : [];
        var overlaid = new bool[indices.Count];
        using var mean = donors.Length > 0 ? NormalisationColumn(config, std: false) : null;
        using var std = donors.Length > 0 ? NormalisationColumn(config, std: true) : null;
        for (var b = 0; b < indices.Count; b++)
        {
            var i = indices[b];
            var maxUnits = Math.Max(0, Math.Min((_melFrames[i] - seq.MelFrames) / melPerAlign, (totalMel - seq.MelFrames) / melPerAlign));
            maxUnits = Math.Min(maxUnits, Math.Max(0, (totalVideo - seq.VideoFrames) / videoPerAlign));
            var unit = random is null ? 0 : random.Next(maxUnits + 1);
            mels.Add(Crop(_mel[i], 1, unit * melPerAlign, seq.MelFrames, totalMel));
            if (_onsets is not null)
            {
                // Past the stored end nothing starts: pad with zeros, not the last frame's flag.
                var row = _onsets[i];
                var have = Math.Min(seq.MelFrames, totalMel - (unit * melPerAlign));
                var part = row.narrow(0, unit * melPerAlign, have);
                onsets.Add(have == seq.MelFrames ? part : torch.cat([part, torch.zeros(seq.MelFrames - have, dtype: part.dtype)], 0));
                annotated[b] = _annotated[i];
            }

            if (eventTargets is not null)
            {
                // Bits to (T, C) flags; past the stored end nothing sounds.
                var bits = _events![i];
                for (var t = 0; t < seq.MelFrames && (unit * melPerAlign) + t < bits.Length; t++)
                {
                    var word = bits[(unit * melPerAlign) + t];
                    for (var c = 0; word != 0 && c < classCount; c++)
                    {
                        if ((word & (1L << c)) != 0)
                        {
                            eventTargets[(((b * seq.MelFrames) + t) * classCount) + c] = 1;
                        }
                    }
                }
            }

            var clipFrames = _mapped is null
                ? Crop(_frames![i], 0, unit * videoPerAlign, seq.VideoFrames, totalVideo) // (F, S, S, 3)
                : _mapped.Read(i, unit * videoPerAlign, seq.VideoFrames);
            var k = _textCount[i] == 0 ? 0 : random is null ? 0 : random.Next(_textCount[i]);
            // Mirror augmentation (drawn only when enabled, so runs without it keep their random sequence).
            var mirror = random is not null && config.FrameFlipProbability > 0 && random.NextDouble() < config.FrameFlipProbability;
            frames.Add(mirror ? clipFrames.flip(2) : clipFrames);
            hasText[b] = _textCount[i] > 0;
            var text = _text[i, k].narrow(0, 0, l);

            // Overlay (drawn only when enabled, so runs without it keep their random sequence): a donor's ambience under
            // the clip's sound, the donor's caption after the clip's text or instead of it.
            if (donors.Length > 0 && random!.NextDouble() < config.OverlayProbability)
            {
                var pick = random.Next(donors.Length);
                var d = donors[donors[pick] == i ? (pick + 1) % donors.Length : pick]; // never the clip itself, given another
                var donorUnits = Math.Max(0, Math.Min((_melFrames[d] - seq.MelFrames) / melPerAlign, (totalMel - seq.MelFrames) / melPerAlign));
                var donorMel = Crop(_mel[d], 1, random.Next(donorUnits + 1) * melPerAlign, seq.MelFrames, totalMel);
                var gainDb = -OverlayMaxAttenuationDb * random.NextDouble();
                var donorText = _text[d, random.Next(_textCount[d])].narrow(0, 0, l);
                var replace = random.NextDouble() < 0.5;
                if (d != i)
                {
                    mels[^1] = MixNormalised(mels[^1], donorMel, gainDb, mean!, std!);
                    text = torch.tensor(JoinTexts(hasText[b] && !replace ? text.data<int>().ToArray() : [], donorText.data<int>().ToArray(), l));
                    hasText[b] = true;
                    overlaid[b] = true;
                }
            }

            texts.Add(text);
        }

        var ids = torch.stack(texts).to_type(ScalarType.Int64);
        return new TrainingBatch(torch.stack(mels).to_type(ScalarType.Float32), torch.stack(frames), ids, ids.NotEqual(TextTokenizer.PadId), torch.tensor(hasText), seq,
            _onsets is null ? null : torch.stack(onsets).to_type(ScalarType.Float32), _onsets is null ? null : torch.tensor(annotated),
            eventTargets is null ? null : torch.tensor(eventTargets, [indices.Count, seq.MelFrames, classCount]),
            donors.Length > 0 ? torch.tensor(overlaid) : null);
    }

    /// <summary>A donor's sound is laid at most this far (uniformly 0 to this) under its own level.</summary>
    public const double OverlayMaxAttenuationDb = 9;

    /// <summary>The training clips that may lend their sound to an overlay: annotated and captioned, with at least one on-screen event,
    /// every event of theirs among <paramref name="classes"/> — on screen, and off screen where the shards record it
    /// (shards prepared before they did: on-screen events only). Empty without event bits.</summary>
    public int[] OverlayDonors(IReadOnlyList<string> classes)
    {
        var key = string.Join(",", classes);
        if (_donors is { } cached && cached.Key == key)
        {
            return cached.Clips;
        }

        var names = Manifest.EventClasses ?? [];
        var allowed = 0L;
        for (var c = 0; c < names.Count; c++)
        {
            allowed |= classes.Contains(names[c]) ? 1L << c : 0;
        }

        var clips = _events is null || allowed == 0
            ? []
            : Enumerable.Range(0, Count).Where(i => _annotated[i] && _textCount[i] > 0
                && _events[i].Aggregate(0L, (all, bits) => all | bits) is var union && union != 0
                && ((union | (_offScreen?[i] ?? 0)) & ~allowed) == 0).ToArray();
        _donors = (key, clips);
        return clips;
    }

    /// <summary>
    /// Two normalised log-mels (80, T) of sounds heard together: x = (ln m − mean) / std per bin, m the magnitude mel,
    /// so the mixture's magnitude is √(m_a² + (g·m_b)²) for uncorrelated sounds (powers add), g = 10^(gainDb / 20).
    /// </summary>
    public static Tensor MixNormalised(Tensor a, Tensor b, double gainDb, Tensor mean, Tensor std)
    {
        using var scope = torch.NewDisposeScope();
        using var twoLnGain = torch.tensor((float)(2 * gainDb / 20 * Math.Log(10)));
        var la = a.to_type(ScalarType.Float32).mul(std).add(mean);
        var lb = b.to_type(ScalarType.Float32).mul(std).add(mean);
        var twiceMixed = torch.logaddexp(la.add(la), lb.add(lb).add(twoLnGain));
        using var half = torch.tensor(0.5f);
        return twiceMixed.mul(half).sub(mean).div(std).to_type(a.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The non-padding tokens of <paramref name="first"/> then those of <paramref name="second"/>, padded to
    /// <paramref name="length"/>; where both do not fit, <paramref name="first"/> is cut so <paramref name="second"/> stays whole.</summary>
    public static int[] JoinTexts(int[] first, int[] second, int length)
    {
        var a = first.TakeWhile(t => t != TextTokenizer.PadId).ToArray();
        var b = second.TakeWhile(t => t != TextTokenizer.PadId).Take(length).ToArray();
        var joined = new int[length];
        a.AsSpan(0, Math.Min(a.Length, length - b.Length)).CopyTo(joined);
        b.CopyTo(joined, Math.Min(a.Length, length - b.Length));
        return joined;
    }

    /// <summary>The shards' per-bin mean or standard deviation as an (80, 1) column.</summary>
    private static Tensor NormalisationColumn(ModelConfig config, bool std)
    {
        var norm = config.Normalisation ?? throw new InvalidOperationException("overlays need the mel normalisation in the config");
        var values = std ? norm.Std : norm.Mean;
        return torch.tensor(values, [values.Length, 1]);
    }

    /// <summary>length items of x along dim from start; past the stored end the last item repeats
    /// (clips shorter than a crop: silence and a still frame, as stored).</summary>
    private static Tensor Crop(Tensor x, int dim, int start, int length, int total)
    {
        if (start + length <= total)
        {
            return x.narrow(dim, start, length);
        }

        var have = x.narrow(dim, start, total - start);
        var last = x.narrow(dim, total - 1, 1);
        var reps = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
        reps[dim] = length - (total - start);
        return torch.cat([have, last.repeat(reps)], dim);
    }

    public void Dispose()
    {
        _mel.Dispose();
        _frames?.Dispose();
        _mapped?.Dispose();
        _text.Dispose();
        _onsets?.Dispose();
    }
}

/// <summary>
/// Which clips make up each training step's batch, as a pure function of (seed, step): each epoch is a
/// permutation seeded by (seed, epoch). Resume therefore continues with exactly the batches an unbroken
/// run would have seen.
/// </summary>
public sealed class BatchPlan
{
    private readonly int _count;
    private readonly long _seed;
    private int _cachedEpoch = -1;
    private int[] _cachedOrder = [];

    public BatchPlan(int count, long seed)
    {
        if (count <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "no clips to train on");
        }

        _count = count;
        _seed = seed;
    }

    /// <summary>The clips of the batch that starts at overall sample position <paramref name="position"/>.</summary>
    public int[] Indices(long position, int batchSize)
    {
        var result = new int[batchSize];
        for (var b = 0; b < batchSize; b++)
        {
            var p = position + b;
            var epoch = (int)(p / _count);
            result[b] = Order(epoch)[(int)(p % _count)];
        }

        return result;
    }

    private int[] Order(int epoch)
    {
        if (epoch != _cachedEpoch)
        {
            var order = Enumerable.Range(0, _count).ToArray();
            new Random(Seeds.Int(_seed, epoch, 0x5eed)).Shuffle(order);
            _cachedOrder = order;
            _cachedEpoch = epoch;
        }

        return _cachedOrder;
    }
}
