using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using V2a.Engine;
using V2a.Media;
using V2a.Server.Generation;

namespace V2a.Server.Tests;

/// <summary>
/// A generator that does real work without a model: per candidate a sine tone as long as the video (pitch from
/// the candidate's seed), written with <see cref="AudioWriter"/>, muxed into the video with <see cref="Muxer"/>
/// (real ffmpeg), plus a small manifest JSON; files laid out by the engine's own <see cref="OutputPlan"/>. It
/// reports progress, honours cancellation, waits <see cref="DelayPerCandidate"/> per candidate so tests can
/// catch jobs mid-run, and counts starts and completions per job.
/// </summary>
public sealed class ToneGenerator : ISoundtrackGenerator
{
    /// <summary>Sine amplitude in [-1, 1] full scale.</summary>
    public const float Amplitude = 0.5f;

    public TimeSpan DelayPerCandidate { get; set; } = TimeSpan.Zero;

    /// <summary>When set, every generation waits here (after reporting its first progress) until it is set.</summary>
    public ManualResetEventSlim? Gate { get; set; }

    public ConcurrentDictionary<string, int> Started { get; } = new();

    /// <summary>The options each job's generation was called with, by job id.</summary>
    public ConcurrentDictionary<string, GenerateOptions> Options { get; } = new();

    public ConcurrentDictionary<string, int> Completed { get; } = new();

    public ConcurrentDictionary<string, int> Cancelled { get; } = new();

    /// <summary>The tone of a seed, in Hz: 220–880 Hz in 8 steps, so neighbouring candidates sound different.</summary>
    public static double ToneHz(long seed) => 220 + (seed % 8 * 660.0 / 7);

    /// <summary>The job id the server gave: the name of the folder above the output folder (jobs/ID/out).</summary>
    public static string JobIdOf(GenerateOptions options) =>
        Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(options.OutputPath).TrimEnd('/'))!);

    public GenerateResult Generate(GenerateOptions options, IProgressSink progress, CancellationToken cancellationToken)
    {
        var id = JobIdOf(options);
        Started.AddOrUpdate(id, 1, (_, n) => n + 1);
        Options[id] = options;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var info = MediaProbe.ProbeVideo(options.InputPath);
            var plan = OutputPlan.Plan(options.OutputPath, options.Candidates, Path.GetExtension(options.InputPath), info.Video!.Codec);
            var seed = options.Seed ?? 0;
            var sampleRate = AudioSettings.Default.SampleRate;
            var results = new List<CandidateResult>();
            progress.Report("generating", 0, plan.Count);
            if (Gate is { } gate)
            {
                WaitHandle.WaitAny([gate.WaitHandle, cancellationToken.WaitHandle]);
            }

            for (var k = 0; k < plan.Count; k++)
            {
                cancellationToken.WaitHandle.WaitOne(DelayPerCandidate);
                cancellationToken.ThrowIfCancellationRequested();
                var paths = plan[k];
                var candidateSeed = seed + k;
                var hz = ToneHz(candidateSeed);
                using (var writer = new AudioWriter(paths.AudioPath!, sampleRate))
                {
                    var total = AudioSettings.Default.SamplesFor(info.DurationSeconds);
                    var chunk = new float[4096];
                    for (long start = 0; start < total; start += chunk.Length)
                    {
                        var n = (int)Math.Min(chunk.Length, total - start);
                        for (var i = 0; i < n; i++)
                        {
                            chunk[i] = Amplitude * (float)Math.Sin(2 * Math.PI * hz * (start + i) / sampleRate);
                        }

                        writer.Write(chunk.AsSpan(0, n));
                    }

                    writer.Commit();
                }

                Muxer.Mux(options.InputPath, paths.AudioPath!, paths.VideoPath!);
                var generationId = $"{id[..8]}-{k}";
                AtomicFile.WriteAllText(paths.ManifestPath, JsonSerializer.Serialize(new
                {
                    generator = "test-tone",
                    generationId,
                    seed = candidateSeed,
                    toneHz = hz.ToString("0.###", CultureInfo.InvariantCulture),
                    prompt = options.Prompt,
                    negative = options.Negative,
                    transcript = options.Transcript,
                    watermark = new { enabled = options.Watermark },
                }));
                results.Add(new CandidateResult(k, candidateSeed, generationId, paths.VideoPath, paths.AudioPath, paths.ManifestPath));
                progress.Report("generating", k + 1, plan.Count, $"candidate {k + 1} at {hz:0} Hz");
            }

            Completed.AddOrUpdate(id, 1, (_, n) => n + 1);
            var elapsed = clock.Elapsed.TotalSeconds;
            return new GenerateResult(results, $"{id[..8]}", "test-tone", info.DurationSeconds, elapsed, info.DurationSeconds / Math.Max(elapsed, 1e-6));
        }
        catch (OperationCanceledException)
        {
            Cancelled.AddOrUpdate(id, 1, (_, n) => n + 1);
            throw;
        }
    }
}
