using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using V2a.Audio;
using V2a.Media;
using V2a.Model;
using V2a.Model.Generation;
using V2a.Watermark;
using WatermarkProvenance = V2a.Watermark.Provenance.Provenance;
using ProvenanceInfo = V2a.Watermark.Provenance.ProvenanceInfo;

namespace V2a.Engine;

/// <summary>
/// The whole generation pipeline, shared by <c>v2a generate</c> and <c>v2a serve</c>: probe the video, plan and
/// check the outputs, sample each candidate's soundtrack with the model, normalise its loudness, add room tone, watermark it,
/// write it (alone and/or muxed into the video, video stream copied) with provenance tags and a manifest.
/// Loads the model once; <see cref="Generate"/> is for one caller at a time.
/// </summary>
public sealed class SoundtrackEngine : IDisposable
{
    /// <summary>Integrated loudness every soundtrack is brought to (EBU R128 broadcast level), LUFS.</summary>
    public const double TargetLufs = -23;

    /// <summary>Sample-peak ceiling of the normalisation, dBFS.</summary>
    public const double PeakCeilingDbfs = -1;

    private readonly SoundtrackModel _model;
    private readonly SoundtrackGenerator _generator;
    private readonly string? _ledgerSha256;

    /// <param name="modelDir">A model package folder; null = the bundled default.</param>
    public SoundtrackEngine(string? modelDir = null)
    {
        TorchRuntime.Initialise();
        var dir = modelDir ?? DefaultModelDir();
        if (!File.Exists(Path.Combine(dir, ModelPackage.ConfigFile)))
        {
            throw new BadInputException(dir, $"is not a model package (no {ModelPackage.ConfigFile})");
        }

        _model = SoundtrackModel.Load(dir);
        _generator = new SoundtrackGenerator(_model);
        var ledger = Path.Combine(dir, ModelPackage.LedgerFile);
        _ledgerSha256 = File.Exists(ledger) ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(ledger))) : null;
    }

    public SoundtrackModel Model => _model;

    /// <summary>Timing of the last candidate's sampling (decode, sampling, vocoder), for reports and bench.</summary>
    public GenerationStats? LastStats => _generator.LastStats;

    /// <summary>The tool version written into provenance.</summary>
    public static string Version { get; } =
        typeof(SoundtrackEngine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>
    /// The bundled default model: V2A_MODEL if set, else <c>models/default</c> found by walking up from the
    /// executable (a repo checkout) or from the current folder.
    /// </summary>
    public static string DefaultModelDir()
    {
        var env = Environment.GetEnvironmentVariable("V2A_MODEL");
        if (!string.IsNullOrEmpty(env))
        {
            return env;
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "models", "default");
                if (File.Exists(Path.Combine(candidate, ModelPackage.ConfigFile)))
                {
                    return candidate;
                }
            }
        }

        throw new MissingDependencyException("models/default", "the bundled default model was not found; pass --model DIR or set V2A_MODEL");
    }

    /// <param name="input">What <see cref="MediaProbe.ProbeVideo"/> said of the input, when the caller already checked it
    /// (saves an ffprobe run); null probes it here.</param>
    public GenerateResult Generate(GenerateOptions options, IProgressSink progress, CancellationToken cancellationToken = default,
        MediaInfo? input = null)
    {
        var clock = Stopwatch.StartNew();
        var info = input ?? MediaProbe.ProbeVideo(options.InputPath);
        var kind = OutputPlan.KindOf(options.OutputPath);
        if (kind == OutputKind.Video)
        {
            Muxer.VideoFor(options.OutputPath, info.Video!.Codec); // refuses unsupported containers before any work
        }

        var plan = OutputPlan.Plan(options.OutputPath, options.Candidates, Path.GetExtension(options.InputPath), info.Video!.Codec);
        var firstSeed = options.Seed ?? Random.Shared.NextInt64(0, 1L << 31);
        var steps = options.Steps ?? GenerationRequest.DefaultSteps;
        var cfg = options.Cfg ?? GenerationRequest.DefaultCfg;
        var negativeStrength = options.NegativeStrength ?? GenerationRequest.DefaultNegativeStrength;
        var promptStrength = options.PromptStrength ?? GenerationRequest.DefaultPromptStrength;
        var key = options.Watermark ? WatermarkKey.Resolve(options.WatermarkKey) : null;
        var rate = _model.Config.Audio.SampleRate;
        var requestId = NewId();
        var transcript = string.IsNullOrWhiteSpace(options.Transcript) ? null : options.Transcript.Trim(); // blank: no words, none recorded
        string? inputSha256 = null; // hashed once, at the first manifest, for every candidate
        var results = new List<CandidateResult>(plan.Count);
        foreach (var paths in plan)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var seed = firstSeed + paths.Index;
            var generationId = plan.Count == 1 ? requestId : $"{requestId}-{paths.Index + 1}";
            var candidateProgress = new CandidateProgress(progress, paths.Index, plan.Count);
            var request = new GenerationRequest(options.Prompt, options.Negative, seed, steps, cfg) { NegativeStrength = negativeStrength, PromptStrength = promptStrength, Transcript = transcript };
            WatermarkPayload? payload = key is null ? null : WatermarkPayload.FromIds(_model.ModelId, generationId);
            var provenance = new ProvenanceInfo
            {
                Version = Version,
                ModelId = _model.ModelId,
                Prompt = options.Prompt,
                Negative = options.Negative,
                Transcript = transcript,
                Seed = seed,
                RoomToneDbfs = options.RoomTone ? RoomTone.DefaultLevelDbfs : null,
                GenerationId = generationId,
                LedgerSha256 = _ledgerSha256,
                WatermarkEnabled = key is not null,
                WatermarkPayload = payload,
                WatermarkKeyFingerprint = key?.Fingerprint,
            };
            var tags = WatermarkProvenance.BuildTags(provenance);
            var work = Directory.CreateTempSubdirectory("v2a-gen-").FullName;
            VideoHandling? video = null;
            try
            {
                // Pass 1: stream the generated soundtrack to a lossless scratch file while measuring its loudness.
                var raw = Path.Combine(work, "raw.wav");
                var meter = new LoudnessMeter(rate);
                using (var scratch = new AudioWriter(raw, rate, AudioFileFormat.WavFloat))
                {
                    foreach (var chunk in _generator.Generate(options.InputPath, info.DurationSeconds, request, candidateProgress))
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        meter.Add(chunk);
                        scratch.Write(chunk);
                    }

                    scratch.Commit();
                }

                // Pass 2: one loudness gain, the watermark, then every file this candidate needs, all streamed.
                candidateProgress.Report("writing", 1, 1);
                var gain = (float)meter.NormalizationGain(TargetLufs, PeakCeilingDbfs);
                // Watermarked output gets the keyed room tone (the mark's second layer: RoomToneMark), unmarked output a seeded one.
                var roomTone = !options.RoomTone ? null
                    : key is not null ? RoomToneMark.Tone(key, payload!.Value)
                    : new RoomTone(RoomTone.DefaultLevelDbfs, unchecked((int)seed));
                var track = paths.VideoPath is null ? null : Path.Combine(work, "track.wav");
                using (var embedder = payload is null ? null : new WatermarkEmbedder(rate, payload.Value, key!))
                using (var trackWriter = track is null ? null : new AudioWriter(track, rate, AudioFileFormat.WavFloat))
                using (var audioWriter = paths.AudioPath is null ? null : new AudioWriter(paths.AudioPath, rate, tags: tags))
                {
                    void Emit(float[] samples)
                    {
                        trackWriter?.Write(samples);
                        audioWriter?.Write(samples);
                    }

                    foreach (var chunk in AudioReader.ReadChunks(raw, rate))
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        for (var i = 0; i < chunk.Length; i++)
                        {
                            chunk[i] *= gain;
                        }

                        roomTone?.AddTo(chunk);

                        Emit(embedder is null ? chunk : embedder.Process(chunk));
                    }

                    if (embedder is not null)
                    {
                        Emit(embedder.Flush());
                    }

                    trackWriter?.Commit();
                    audioWriter?.Commit();
                }

                if (paths.VideoPath is not null)
                {
                    video = Muxer.Mux(options.InputPath, track!, paths.VideoPath, new MuxOptions { Original = options.Original, Tags = tags }, info);
                    WatermarkProvenance.WriteManifest(paths.VideoPath, provenance, options.InputPath, hasVideo: true,
                        inputSha256 ??= WatermarkProvenance.Sha256File(options.InputPath));
                }

                if (paths.AudioPath is not null)
                {
                    WatermarkProvenance.WriteManifest(paths.AudioPath, provenance, options.InputPath, hasVideo: false,
                        inputSha256 ??= WatermarkProvenance.Sha256File(options.InputPath));
                }
            }
            finally
            {
                Directory.Delete(work, recursive: true);
            }

            if (paths.SettingsPath is not null)
            {
                AtomicFile.WriteAllText(paths.SettingsPath, JsonSerializer.Serialize(new
                {
                    input = Path.GetFileName(options.InputPath),
                    prompt = options.Prompt,
                    negative = options.Negative,
                    transcript,
                    seed,
                    steps,
                    cfg,
                    negative_strength = options.Negative is null ? (double?)null : negativeStrength,
                    prompt_strength = options.Prompt is null && transcript is null ? (double?)null : promptStrength, // the words count as prompt text too
                    model = _model.ModelId,
                    generation_id = generationId,
                    watermark = key is not null,
                    room_tone = options.RoomTone,
                    original_audio = options.Original.ToString().ToLowerInvariant(),
                }, new JsonSerializerOptions { WriteIndented = true }));
            }

            results.Add(new CandidateResult(paths.Index, seed, generationId, paths.VideoPath, paths.AudioPath, paths.ManifestPath, video));
        }

        var elapsed = clock.Elapsed.TotalSeconds;
        return new GenerateResult(results, requestId, _model.ModelId, info.DurationSeconds, elapsed,
            elapsed > 0 ? info.DurationSeconds * plan.Count / elapsed : 0);
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    public void Dispose() => _model.Dispose();

    /// <summary>
    /// Maps candidate k's own progress onto the whole job ("generating", permille of all candidates), so a bar
    /// moves once from 0 to 100 % however many candidates there are; the detail names the candidate and stage.
    /// Writing a candidate's files counts as its last 5 %.
    /// </summary>
    private sealed class CandidateProgress(IProgressSink inner, int index, int count) : IProgressSink
    {
        private const long Scale = 1000;

        public void Report(string stage, long done, long total, string? detail = null)
        {
            var own = total > 0 ? Math.Clamp((double)done / total, 0, 1) : 0;
            own = stage == "writing" ? 1 : own * 0.95;
            var overall = (long)Math.Round((index + own) / count * Scale);
            var who = count == 1 ? stage : $"candidate {index + 1}/{count}: {stage}";
            inner.Report("generating", Math.Min(overall, Scale - (index == count - 1 && stage == "writing" ? 0 : 1)), Scale,
                detail is null ? who : $"{who}, {detail}");
        }
    }
}
