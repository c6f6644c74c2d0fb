using System.Text.Json;
using TorchSharp;
using TorchSharp.PyBridge;
using V2a.Audio;
using V2a.Media;
using V2a.Model.Conditions;
using static TorchSharp.torch;

namespace V2a.Model.Data;

/// <summary>Settings of <c>v2a data prepare</c>.</summary>
public sealed record DataPrepareOptions
{
    public required string CorpusDir { get; init; }

    public required string OutDir { get; init; }

    /// <summary>Fraction of clips (by id hash) held out for evaluation.</summary>
    public double ValFraction { get; init; } = 0.05;

    /// <summary>Square frame size in pixels stored for the visual encoder; must equal the preset's.</summary>
    public int FrameSize { get; init; } = ModelConfig.FromPreset("small").Video.FrameSize;

    /// <summary>Most clips in one shard; fewer where their frames would pass <see cref="MaxShardFrameBytes"/>.</summary>
    public int ClipsPerShard { get; init; } = 256;

    /// <summary>Most bytes of frames in one shard (1 GiB): one shard's frames are one .NET array while it is written, so
    /// 256 clips of 8 s at 128×128 (2.5 GB) would not fit; they go 109 to a shard instead.</summary>
    public const long MaxShardFrameBytes = 1L << 30;

    /// <summary>Largest compact vocabulary (rows of the text embedding table).</summary>
    public int MaxVocab { get; init; } = 2048;

    /// <summary>A text vocabulary to use instead of building one from the training captions: a model package's
    /// <c>vocab.json</c> (or the package folder), so that shards of another corpus — or of a newer build of the same
    /// one — fit the package's text embedding for a run from <c>--init-from</c>. Words it lacks become the
    /// out-of-vocabulary token. Null: built from the training captions (<see cref="MaxVocab"/>).</summary>
    public string? Vocabulary { get; init; }

    public int TextMaxTokens { get; init; } = ModelConfig.FromPreset("small").TextMaxTokens;

    public int TextsPerClip { get; init; } = 4;

    /// <summary>Clips longer than this are cut (seconds).</summary>
    public double MaxClipSeconds { get; init; } = 10;

    public AudioSettings Audio { get; init; } = AudioSettings.Default;

    public double Fps { get; init; } = VideoSettings.Default.Fps;

    /// <summary>
    /// Event classes whose start is a visible, sharp onset (a bounce, a knock, a flash): their on-screen events become
    /// the onset targets of the sync loss. Null: every on-screen event. Clips whose meta has no events get none.
    /// </summary>
    public IReadOnlySet<string>? OnsetClasses { get; init; }
}

/// <summary>
/// <c>v2a data prepare</c>: decodes every corpus clip once — log-mel from its lossless audio, frames at the
/// video rate and a small size, tokenised captions and transcript — and writes safetensors shards, so
/// training never decodes video. Mel is normalised per bin with statistics of the training split only.
/// Shard tensors (N clips): mel (N, 80, T) float16 normalised; mel_frames (N) int32 valid frames;
/// frames (N, F, S, S, 3) uint8 RGB; video_frames (N) int32; text (N, K, L) int32 compact ids (0 = pad);
/// text_count (N) int32 texts per clip (0 = none); onsets (N, T) uint8, 1 on the mel frame where an annotated
/// on-screen event of <see cref="DataPrepareOptions.OnsetClasses"/> starts; onsets_annotated (N) uint8, 1 when the
/// clip's meta lists its events at all (else its onsets row says nothing); event_classes (N, T) int64, bit k set on the
/// mel frames where an on-screen event of class k of the manifest's <see cref="ShardManifest.EventClasses"/> sounds
/// (from its start to its end) — the targets of the event-class head (<see cref="ModelConfig.EventClassLossWeight"/>);
/// offscreen_classes (N) int64, bit k set when an off-screen event of class k sounds somewhere in the clip (bit 63: of a
/// class outside the list) — what an overlay donor (<see cref="ModelConfig.OverlayProbability"/>) must not carry.
/// </summary>
public static class DataPreparer
{
    public static ShardManifest Prepare(DataPrepareOptions o, IProgressSink progress, CancellationToken cancel = default)
    {
        if (o.ValFraction is < 0 or >= 1)
        {
            throw new BadInputException(null, $"--split val={o.ValFraction} must be in [0, 1)");
        }

        if (o.FrameSize < 8 || o.FrameSize % 8 != 0)
        {
            throw new BadInputException(null, $"frame size {o.FrameSize} must be a positive multiple of 8");
        }

        var clips = CorpusMetaClip.Read(o.CorpusDir);
        Directory.CreateDirectory(o.OutDir);
        AtomicFile.EnsureWritableFolder(o.OutDir);
        foreach (var old in Directory.GetFiles(o.OutDir, "*.safetensors").Append(Path.Combine(o.OutDir, ShardManifest.FileName)))
        {
            File.Delete(old); // A re-run replaces the old shards; the manifest goes first, so a half-run is never taken as whole.
        }

        var alignment = ModelConfig.FromPreset("small").AlignmentSeconds;
        var longest = clips.Max(c => c.Seconds);
        if (longest <= 0)
        {
            throw new BadInputException(Path.Combine(o.CorpusDir, "meta.jsonl"), "gives no clip a duration (\"seconds\")");
        }

        var clipSeconds = Math.Min(o.MaxClipSeconds, Math.Ceiling((longest / alignment) - 1e-9) * alignment);
        var melFrames = o.Audio.FramesFor(clipSeconds);
        var videoFrames = (int)Math.Round(clipSeconds * o.Fps);

        var clipsPerShard = ClipsPerShard(o, videoFrames);
        var val = clips.Where(c => ShardManifest.IsValidation(c.Id, o.ValFraction)).ToList();
        if (val.Count == 0 && o.ValFraction > 0 && clips.Count > 1)
        {
            // Tiny corpora: hold out the clip whose hash is lowest, so there is always something to evaluate on.
            val.Add(clips.OrderBy(c => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(c.Id)))).First());
        }

        var valIds = val.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var train = clips.Where(c => !valIds.Contains(c.Id)).ToList();
        if (train.Count == 0)
        {
            throw new BadInputException(o.CorpusDir, "has no clips left for training after the validation split");
        }

        var tokenizer = o.Vocabulary is { } given
            ? TextTokenizer.Load(Directory.Exists(given) ? Path.Combine(given, ModelPackage.VocabFile) : given)
            : TextTokenizer.Build(train.SelectMany(c => c.Texts(o.TextsPerClip)), o.MaxVocab);
        tokenizer.Save(Path.Combine(o.OutDir, ShardManifest.VocabFileName));

        // Every annotated class, in ordinal order (at most 64: one bit each of an int64 per mel frame).
        var eventClasses = clips.SelectMany(c => c.Events ?? []).Select(e => e.Class).OfType<string>().Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal).ToArray();
        if (eventClasses.Length > 64)
        {
            throw new BadInputException(Path.Combine(o.CorpusDir, "meta.jsonl"), $"annotates {eventClasses.Length} event classes; the shards hold at most 64");
        }

        var classIndex = eventClasses.Select((name, k) => (name, k)).ToDictionary(p => p.name, p => p.k, StringComparer.Ordinal);
        var staging = Path.Combine(o.OutDir, ".staging");
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        Directory.CreateDirectory(staging);
        var sum = new double[o.Audio.MelBins];
        var sumSq = new double[o.Audio.MelBins];
        long count = 0;
        var shards = new List<ShardInfo>();
        var done = 0;
        var total = clips.Count;
        foreach (var (split, list) in new[] { ("train", train), ("val", val) })
        {
            for (var start = 0; start < list.Count; start += clipsPerShard)
            {
                var part = list.Skip(start).Take(clipsPerShard).ToList();
                var decoded = new DecodedClip[part.Count];
                Parallel.For(0, part.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancel }, i =>
                {
                    decoded[i] = Decode(o, part[i], clipSeconds, melFrames, videoFrames, tokenizer, classIndex);
                    var n = Interlocked.Increment(ref done);
                    progress.Report("preparing", n, total, part[i].Id);
                });

                if (split == "train")
                {
                    foreach (var d in decoded)
                    {
                        for (var m = 0; m < o.Audio.MelBins; m++)
                        {
                            for (var t = 0; t < d.ValidMelFrames; t++)
                            {
                                double v = d.Mel[(m * melFrames) + t];
                                sum[m] += v;
                                sumSq[m] += v * v;
                            }
                        }

                        count += d.ValidMelFrames;
                    }
                }

                var file = $"{split}-{shards.Count(s => s.Split == split):D4}.safetensors";
                WriteShard(Path.Combine(staging, file), decoded, melFrames, videoFrames, o);
                shards.Add(new ShardInfo(file, split, part.Select(c => c.Id).ToList()));
            }
        }

        // Second pass over the staged shards (no decoding): normalise with the training statistics.
        var mean = new float[o.Audio.MelBins];
        var std = new float[o.Audio.MelBins];
        for (var m = 0; m < mean.Length; m++)
        {
            var mu = sum[m] / Math.Max(1, count);
            mean[m] = (float)mu;
            std[m] = (float)Math.Max(Math.Sqrt(Math.Max(0, (sumSq[m] / Math.Max(1, count)) - (mu * mu))), 1e-3);
        }

        var normalisation = new MelNormalisation(mean, std);
        foreach (var shard in shards)
        {
            cancel.ThrowIfCancellationRequested();
            NormaliseShard(Path.Combine(staging, shard.File), Path.Combine(o.OutDir, shard.File), normalisation);
        }

        Directory.Delete(staging, recursive: true);
        WriteLedger(Path.Combine(o.OutDir, ShardManifest.LedgerFileName), train);
        var manifest = new ShardManifest
        {
            Corpus = Path.GetFullPath(o.CorpusDir),
            Created = DateTimeOffset.UtcNow,
            Audio = o.Audio,
            Video = VideoSettings.Default with { Fps = o.Fps, FrameSize = o.FrameSize },
            ClipSeconds = clipSeconds,
            MelFrames = melFrames,
            VideoFrames = videoFrames,
            TextMaxTokens = o.TextMaxTokens,
            TextsPerClip = o.TextsPerClip,
            VocabSize = tokenizer.VocabSize,
            ValFraction = o.ValFraction,
            SplitRule = "validation when uint64_le(sha256(utf8(id))[0..8]) / 2^64 < val_fraction (at least one clip when the fraction is positive)",
            Normalisation = normalisation,
            Shards = shards,
            OnsetRule = o.OnsetClasses is null ? "every on-screen event"
                : $"on-screen events of: {string.Join(", ", o.OnsetClasses.Order(StringComparer.Ordinal))}",
            EventClasses = eventClasses.Length == 0 ? null : eventClasses,
        };
        manifest.Save(o.OutDir);
        return manifest;
    }

    private sealed record DecodedClip(float[] Mel, int ValidMelFrames, byte[] Frames, int ValidVideoFrames, int[][] Texts, byte[] Onsets, bool Annotated,
        long[] EventBits, long OffScreenBits);

    /// <summary>Mel-frame flags of the clip's annotated on-screen onsets (frame = round(t · frames per second)); events
    /// past the clip's stored length are dropped.</summary>
    internal static byte[] OnsetFlags(CorpusMetaClip clip, IReadOnlySet<string>? classes, AudioSettings audio, int melFrames)
    {
        var flags = new byte[melFrames];
        foreach (var e in clip.Events ?? [])
        {
            if (!e.OnScreen || (classes is not null && (e.Class is null || !classes.Contains(e.Class))))
            {
                continue;
            }

            var m = (int)Math.Round(e.TStart * audio.FramesPerSecond);
            if (m >= 0 && m < melFrames)
            {
                flags[m] = 1;
            }
        }

        return flags;
    }

    /// <summary>Per mel frame, the bits of the classes (<paramref name="classIndex"/>) of the on-screen events sounding
    /// there: from round(start · frames per second) up to but not including round(end · frames per second), at least one
    /// frame; frames past the clip's stored length are dropped.</summary>
    internal static long[] EventBits(CorpusMetaClip clip, IReadOnlyDictionary<string, int> classIndex, AudioSettings audio, int melFrames)
    {
        var bits = new long[melFrames];
        foreach (var e in clip.Events ?? [])
        {
            if (!e.OnScreen || e.Class is null || !classIndex.TryGetValue(e.Class, out var k))
            {
                continue;
            }

            var first = (int)Math.Round(e.TStart * audio.FramesPerSecond);
            var last = Math.Max(first, (int)Math.Round((e.TEnd ?? e.TStart) * audio.FramesPerSecond) - 1);
            for (var m = Math.Max(0, first); m <= Math.Min(last, melFrames - 1); m++)
            {
                bits[m] |= 1L << k;
            }
        }

        return bits;
    }

    private static DecodedClip Decode(DataPrepareOptions o, CorpusMetaClip clip, double clipSeconds, int melFrames, int videoFrames,
        TextTokenizer tokenizer, IReadOnlyDictionary<string, int> classIndex)
    {
        var audioPath = Path.Combine(o.CorpusDir, clip.Audio);
        var videoPath = Path.Combine(o.CorpusDir, clip.Video);

        // Audio: the lossless file, cut or zero-padded to the clip length; log-mel (80, T) row-major.
        var samples = AudioReader.ReadAll(audioPath, o.Audio.SampleRate, maxSeconds: clipSeconds);
        var padded = new float[o.Audio.SamplesFor(clipSeconds)];
        Array.Copy(samples, padded, Math.Min(samples.Length, padded.Length));
        var logMel = LogMel.Compute(padded, o.Audio);
        if (logMel.GetLength(1) != melFrames)
        {
            throw new InvalidOperationException($"log-mel of {clipSeconds} s has {logMel.GetLength(1)} frames, expected {melFrames}");
        }

        var mel = new float[o.Audio.MelBins * melFrames];
        Buffer.BlockCopy(logMel, 0, mel, 0, mel.Length * sizeof(float));
        var validMel = Math.Min(melFrames, (int)(Math.Min(samples.Length, padded.Length) / o.Audio.HopLength));

        // Frames: streamed at the video rate, letterboxed; a short video repeats its last frame.
        var frameBytes = o.FrameSize * o.FrameSize * 3;
        var frames = new byte[videoFrames * frameBytes];
        var got = 0;
        foreach (var f in FrameReader.Read(videoPath, o.Fps, o.FrameSize, o.FrameSize, clipSeconds))
        {
            if (got >= videoFrames)
            {
                break;
            }

            Buffer.BlockCopy(f.Rgb, 0, frames, got * frameBytes, frameBytes);
            got++;
        }

        for (var j = got; j < videoFrames; j++)
        {
            Buffer.BlockCopy(frames, (got - 1) * frameBytes, frames, j * frameBytes, frameBytes);
        }

        var texts = clip.Texts(o.TextsPerClip).Select(t => tokenizer.Encode(t, o.TextMaxTokens)).Where(t => t.Length > 0).ToArray();
        return new DecodedClip(mel, validMel, frames, got, texts, OnsetFlags(clip, o.OnsetClasses, o.Audio, melFrames), clip.Events is not null,
            EventBits(clip, classIndex, o.Audio, melFrames), OffScreenBits(clip, classIndex));
    }

    /// <summary>Bit k for each class k with an off-screen event in the clip; bit 63 for an off-screen event of an
    /// unlisted class (or none).</summary>
    internal static long OffScreenBits(CorpusMetaClip clip, IReadOnlyDictionary<string, int> classIndex)
    {
        var bits = 0L;
        foreach (var e in clip.Events ?? [])
        {
            if (!e.OnScreen)
            {
                bits |= e.Class is not null && classIndex.TryGetValue(e.Class, out var k) ? 1L << k : 1L << 63;
            }
        }

        return bits;
    }

    /// <summary>Clips in one shard: <see cref="DataPrepareOptions.ClipsPerShard"/>, fewer where their frames would pass
    /// <see cref="DataPrepareOptions.MaxShardFrameBytes"/>; at least one.</summary>
    internal static int ClipsPerShard(DataPrepareOptions o, int videoFrames)
    {
        var clipBytes = (long)videoFrames * o.FrameSize * o.FrameSize * 3;
        return (int)Math.Max(1, Math.Min(o.ClipsPerShard, DataPrepareOptions.MaxShardFrameBytes / clipBytes));
    }

    private static void WriteShard(string path, DecodedClip[] clips, int melFrames, int videoFrames, DataPrepareOptions o)
    {
        using var scope = torch.NewDisposeScope();
        var n = clips.Length;
        var s = o.FrameSize;
        var mel = torch.tensor(clips.SelectMany(c => c.Mel).ToArray(), [n, o.Audio.MelBins, melFrames]);
        var frames = torch.tensor(clips.SelectMany(c => c.Frames).ToArray(), [n, videoFrames, s, s, 3]);
        var text = new int[n * o.TextsPerClip * o.TextMaxTokens];
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < clips[i].Texts.Length; k++)
            {
                clips[i].Texts[k].CopyTo(text, ((i * o.TextsPerClip) + k) * o.TextMaxTokens);
            }
        }

        var dict = new Dictionary<string, Tensor>
        {
            ["mel"] = mel,
            ["mel_frames"] = torch.tensor(clips.Select(c => c.ValidMelFrames).ToArray()),
            ["frames"] = frames,
            ["video_frames"] = torch.tensor(clips.Select(c => c.ValidVideoFrames).ToArray()),
            ["text"] = torch.tensor(text, [n, o.TextsPerClip, o.TextMaxTokens]),
            ["text_count"] = torch.tensor(clips.Select(c => c.Texts.Length).ToArray()),
            ["onsets"] = torch.tensor(clips.SelectMany(c => c.Onsets).ToArray(), [n, melFrames]),
            ["onsets_annotated"] = torch.tensor(clips.Select(c => (byte)(c.Annotated ? 1 : 0)).ToArray()),
            ["event_classes"] = torch.tensor(clips.SelectMany(c => c.EventBits).ToArray(), [n, melFrames]),
            ["offscreen_classes"] = torch.tensor(clips.Select(c => c.OffScreenBits).ToArray()),
        };
        AtomicFile.Write(path, stream => Safetensors.SaveStateDict(stream, dict, leaveOpen: true));
    }

    private static void NormaliseShard(string stagedPath, string finalPath, MelNormalisation norm)
    {
        using var scope = torch.NewDisposeScope();
        var dict = Safetensors.LoadStateDict(stagedPath);
        var mel = dict["mel"];
        var bins = mel.shape[1];
        var mean = torch.tensor(norm.Mean).view(1, bins, 1);
        var std = torch.tensor(norm.Std).view(1, bins, 1);
        dict["mel"] = ((mel - mean) / std).to_type(ScalarType.Float16);
        AtomicFile.Write(finalPath, stream => Safetensors.SaveStateDict(stream, dict, leaveOpen: true));
        foreach (var t in dict.Values)
        {
            t.Dispose();
        }
    }

    private static void WriteLedger(string path, IEnumerable<CorpusMetaClip> train)
    {
        var lines = train.Select(c => JsonSerializer.Serialize(new
        {
            id = c.Id,
            generator = c.Generator,
            licence = c.Licence,
            source = c.Source,
            sha256 = c.Sha256,
            seconds = c.Seconds,
        }));
        AtomicFile.WriteAllText(path, string.Join('\n', lines) + "\n");
    }
}
