using System.Collections.Concurrent;
using System.Diagnostics;
using V2a.Media;

namespace V2a.Watermark.Bench;

/// <summary>Options of the robustness / false-alarm benchmark (<c>v2a watermark bench</c>).</summary>
public sealed record BenchOptions
{
    /// <summary>Marked clips in the robustness matrix.</summary>
    public int Clips { get; init; } = 200;

    /// <summary>Unmarked clips in the false-alarm set.</summary>
    public int Unmarked { get; init; } = 10_000;

    /// <summary>Length of each marked clip in seconds (8 s: the generator's default clip).</summary>
    public double ClipSeconds { get; init; } = 8;

    /// <summary>Optional folders of audio/video files (a corpus, generated output) mixed into both sets. A clip from a
    /// folder is named after it ("corpus" for a corpus's clips/ folder, else the folder's own name).</summary>
    public IReadOnlyList<string> Folders { get; init; } = [];

    /// <summary>Optional folders of v2a soundtracks made without room tone or mark (<c>generate --no-watermark
    /// --no-room-tone</c>): the bench lays under each the room tone <c>v2a generate</c> would — the keyed one
    /// (<see cref="RoomToneMark"/>) where it marks the clip, a seeded one where the clip counts as unmarked — so they stand
    /// for v2a's own output, marked and unmarked. Counted with <see cref="Folders"/> (same labels, same share).</summary>
    public IReadOnlyList<string> Soundtracks { get; init; } = [];

    /// <summary>How many files of each folder to mark (spread evenly over its sorted listing); the rest of the clips are synthesised. Null: all, up to <see cref="Clips"/>.</summary>
    public int? FolderClips { get; init; }

    public int Seed { get; init; } = 1;

    public int Threads { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// One row of the matrix. <c>Dense*</c>: the same over clips with at least <see cref="WatermarkBench.DenseSeconds"/> s of
/// audio above −50 dBFS (a mark is proportional to the audio it rides on: a clip with half a second of sound carries
/// half a second of mark). <c>*ByKind</c>: detected / payload-decoded / clips per kind of clip.
/// </summary>
public sealed record AttackResult(string Attack, int Clips, int Detected, double DetectionRate, int PayloadDecoded,
    double PayloadRate, double MeanScore, double MinScore, int DenseClips, int DenseDetected, double DenseDetectionRate,
    int DensePayloadDecoded, double DensePayloadRate, IReadOnlyDictionary<string, double> MeanScoreByKind,
    IReadOnlyDictionary<string, string> CountsByKind, IReadOnlyList<string> Missed, double MeanRoomToneScore = 0, double MinRoomToneScore = 0,
    int DecidedByRoomToneAlone = 0);

public sealed record UnmarkedResult(int Clips, int FalseAlarms, double MaxScore, double Threshold, double FixedHypothesisMean,
    double FixedHypothesisStd, int FixedAbove3, double ExpectedAbove3, int FixedAbove4, double ExpectedAbove4,
    int TooShortOrQuiet, IReadOnlyDictionary<string, int> ByKind, IReadOnlyDictionary<string, double> MaxScoreByKind,
    double MaxRoomToneScore = 0, double RoomToneThreshold = 0);

public sealed record SpeedResult(double AudioSeconds, double EmbedSeconds, double DetectSeconds, double EmbedRealTimeFactor, double DetectRealTimeFactor);

public sealed record BenchResults
{
    public required string Layout { get; init; }
    public required BenchOptions Options { get; init; }
    public required IReadOnlyList<AttackResult> Matrix { get; init; }
    public required UnmarkedResult Unmarked { get; init; }
    public required double SnrDbMin { get; init; }
    public required double SnrDbMedian { get; init; }
    public required double ShapeCorrelationMin { get; init; }
    public required double ShapeCorrelationMedian { get; init; }
    public required double TileRatioMedianDb { get; init; }
    public required double TileRatioP95DbMax { get; init; }
    public required double TileRatioP95DbMedian { get; init; }
    public required double MaskerRatioMedianDb { get; init; }
    public required double MaskerRatioP95DbMedian { get; init; }
    public required double MaskerRatioP95DbMax { get; init; }

    /// <summary>Folder files left out of the marked set because they are silent (nothing to mark), by name.</summary>
    public required IReadOnlyList<string> SilentClipsSkipped { get; init; }
    public required SpeedResult Speed { get; init; }
    public required string Date { get; init; }
    public double WallSeconds { get; init; }
}

/// <summary>
/// The benchmark behind issue #6's figures: marks <see cref="BenchOptions.Clips"/> clips (synthesised speech, music,
/// noise, impacts, ambience, plus any files given), runs every attack on each and detects; runs the detector on
/// <see cref="BenchOptions.Unmarked"/> unmarked clips (the same kinds, silence, and audio marked with other keys);
/// times embedding and detection of 60 s on one thread.
/// </summary>
public static class WatermarkBench
{
    /// <summary>Seconds of audio above −50 dBFS that make a clip "dense" in the breakdown of the matrix.</summary>
    public const double DenseSeconds = 4;

    public static BenchResults Run(BenchOptions o, IProgressSink progress, CancellationToken cancel = default)
    {
        var wall = Stopwatch.StartNew();
        var s = WatermarkSettings.Default;
        var temp = Directory.CreateTempSubdirectory("v2a-wm-bench-").FullName;
        try
        {
            var synth = new ClipSynth(s.SampleRate, temp);
            var attacks = new Attacks(s.SampleRate, s.Hop, temp);
            var folders = o.Folders.Select(f => (Label: FolderLabel(f), Files: ListMedia(f), Soundtracks: false))
                .Concat(o.Soundtracks.Select(f => (Label: FolderLabel(f), Files: ListMedia(f), Soundtracks: true))).ToList();
            var files = folders.SelectMany(f => Spread(f.Files, o.FolderClips ?? o.Clips).Select(path => (Path: path, f.Label, f.Soundtracks))).ToList();
            var allFiles = folders.SelectMany(f => f.Files.Select(path => (Path: path, f.Label, f.Soundtracks))).ToList();
            RefuseMarked(files.Take(o.Clips).Select(f => (f.Path, f.Label)), s, o.ClipSeconds, cancel); // the ones the matrix marks
            var speed = MeasureSpeed(synth, s);

            // Robustness matrix: folder clips first (silent ones are skipped: there is nothing to mark), then synthesised ones.
            var marked = new ConcurrentDictionary<int, (Clip Clip, float[] Marked, WatermarkPayload Payload, EmbedReport Report, double Active)>();
            var skipped = new ConcurrentBag<string>();
            var kinds = new[] { ClipKind.Speech, ClipKind.Music, ClipKind.Noise, ClipKind.Impacts, ClipKind.Ambience };
            var done = 0;
            var fromFolder = Math.Min(files.Count, o.Clips);
            Parallel.For(0, o.Clips, new ParallelOptions { MaxDegreeOfParallelism = o.Threads, CancellationToken = cancel }, i =>
            {
                var seed = (o.Seed * 1_000_003) + i;
                var clip = i < fromFolder ? FromFile(files[i].Path, files[i].Label, s, o.ClipSeconds) : synth.Make(kinds[i % kinds.Length], seed, o.ClipSeconds);
                var rng = new Random(seed);
                var payload = new WatermarkPayload((ushort)rng.Next(65536), (uint)rng.NextInt64(1L << 32));
                // A soundtrack is marked over the key's room tone, as generate marks it; as another clip's mix partner it is the
                // unmarked output, with a plain room tone (a partner must carry no mark of its own).
                var host = clip.Samples;
                if (i < fromFolder && files[i].Soundtracks)
                {
                    host = WithRoomTone(clip.Samples, RoomToneMark.Tone(WatermarkKey.Public, payload));
                    clip = clip with { Samples = WithRoomTone(clip.Samples, new V2a.Audio.RoomTone(V2a.Audio.RoomTone.DefaultLevelDbfs, seed)) };
                }

                var (y, report) = Watermarker.EmbedWithReport(host, s.SampleRate, payload, WatermarkKey.Public, s);
                if (report.Silent)
                {
                    skipped.Add(clip.Name);
                }
                else
                {
                    marked[i] = (clip, y, payload, report, ActiveSeconds(host, s.SampleRate));
                }

                progress.Report("marking clips", Interlocked.Increment(ref done), o.Clips);
            });

            var ids = marked.Keys.Order().ToArray();
            var attackList = Enum.GetValues<Attack>();
            var outcomes = new ConcurrentBag<(Attack Attack, string Clip, bool Dense, bool Detected, bool PayloadOk, double Score, double RoomTone, bool RoomToneAlone)>();
            done = 0;
            Parallel.For(0, ids.Length * attackList.Length, new ParallelOptions { MaxDegreeOfParallelism = o.Threads, CancellationToken = cancel }, k =>
            {
                var i = ids[k / attackList.Length];
                var attack = attackList[k % attackList.Length];
                var (clip, y, payload, _, active) = marked[i]; // clip: the unmarked audio (a partner for the mix)
                var rng = new Random((o.Seed * 7919) + k);
                var attacked = attacks.Apply(attack, y, rng, () => marked[ids[(Array.IndexOf(ids, i) + 1 + rng.Next(ids.Length - 1)) % ids.Length]].Clip.Samples);
                var r = Watermarker.Detect(attacked, s.SampleRate, WatermarkKey.Public, s);
                outcomes.Add((attack, clip.Name, active >= DenseSeconds, r.Detected, r.Payload == payload, r.Score, r.RoomToneScore,
                    r.Detected && r.AlignmentSeconds is null)); // found by the room tone, not by the see-saw mark
                progress.Report("attacks", Interlocked.Increment(ref done), ids.Length * attackList.Length);
            });

            static string KindOf(string clip) => clip.Split('-')[0];
            var matrix = attackList.Select(a =>
            {
                var rows = outcomes.Where(x => x.Attack == a).ToList();
                var det = rows.Count(x => x.Detected);
                var pay = rows.Count(x => x.PayloadOk);
                var dense = rows.Where(x => x.Dense).ToList();
                return new AttackResult(a.ToString(), rows.Count, det, (double)det / rows.Count, pay, (double)pay / rows.Count,
                    rows.Average(x => x.Score), rows.Min(x => x.Score),
                    dense.Count, dense.Count(x => x.Detected), dense.Count == 0 ? double.NaN : (double)dense.Count(x => x.Detected) / dense.Count,
                    dense.Count(x => x.PayloadOk), dense.Count == 0 ? double.NaN : (double)dense.Count(x => x.PayloadOk) / dense.Count,
                    rows.GroupBy(x => KindOf(x.Clip)).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => Math.Round(g.Average(x => x.Score), 2)),
                    rows.GroupBy(x => KindOf(x.Clip)).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => $"{g.Count(x => x.Detected)}/{g.Count(x => x.PayloadOk)}/{g.Count()}"),
                    [.. rows.Where(x => !x.Detected).Select(x => x.Clip).Order()],
                    rows.Average(x => x.RoomTone), rows.Min(x => x.RoomTone), rows.Count(x => x.RoomToneAlone));
            }).ToList();

            var unmarked = RunUnmarked(o, s, synth, allFiles, progress, cancel);
            var reports = marked.Values.Select(m => m.Report).ToList();
            return new BenchResults
            {
                Layout = s.Version,
                Options = o,
                Matrix = matrix,
                Unmarked = unmarked,
                SnrDbMin = reports.Min(r => r.SnrDb),
                SnrDbMedian = Median(reports.Select(r => r.SnrDb)),
                ShapeCorrelationMin = reports.Min(r => r.SpectralShapeCorrelation),
                ShapeCorrelationMedian = Median(reports.Select(r => r.SpectralShapeCorrelation)),
                TileRatioMedianDb = Median(reports.Select(r => r.TileRatioMedianDb)),
                TileRatioP95DbMax = reports.Max(r => r.TileRatioP95Db),
                TileRatioP95DbMedian = Median(reports.Select(r => r.TileRatioP95Db)),
                MaskerRatioMedianDb = Median(reports.Select(r => r.MaskerRatioMedianDb)),
                MaskerRatioP95DbMedian = Median(reports.Select(r => r.MaskerRatioP95Db)),
                MaskerRatioP95DbMax = reports.Max(r => r.MaskerRatioP95Db),
                SilentClipsSkipped = [.. skipped.Order()],
                Speed = speed,
                Date = DateTime.UtcNow.ToString("yyyy-MM-dd"),
                WallSeconds = wall.Elapsed.TotalSeconds,
            };
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>A copy of <paramref name="x"/> with <paramref name="tone"/> added from its first sample.</summary>
    private static float[] WithRoomTone(float[] x, V2a.Audio.RoomTone tone)
    {
        var y = (float[])x.Clone();
        tone.AddTo(y);
        return y;
    }

    private static UnmarkedResult RunUnmarked(BenchOptions o, WatermarkSettings s, ClipSynth synth, IReadOnlyList<(string Path, string Label, bool Soundtracks)> files, IProgressSink progress, CancellationToken cancel)
    {
        // Long source clips per kind, cut into many excerpts of 3–10 s (espeak-ng is too slow to call 10,000 times).
        var sourceKinds = new[] { ClipKind.Speech, ClipKind.Music, ClipKind.Noise, ClipKind.Impacts, ClipKind.Ambience };
        var sourcesPerKind = Math.Max(4, Math.Min(60, o.Unmarked / 100));
        var sources = new ConcurrentDictionary<(ClipKind, int), float[]>();
        var done = 0;
        Parallel.For(0, sourceKinds.Length * sourcesPerKind, new ParallelOptions { MaxDegreeOfParallelism = o.Threads, CancellationToken = cancel }, k =>
        {
            var kind = sourceKinds[k % sourceKinds.Length];
            sources[(kind, k / sourceKinds.Length)] = synth.Make(kind, 50_000_000 + (o.Seed * 10_007) + k, 30).Samples;
            progress.Report("unmarked sources", Interlocked.Increment(ref done), sourceKinds.Length * sourcesPerKind);
        });

        var otherKey = WatermarkKey.FromText($"bench other key {o.Seed}");
        var results = new ConcurrentBag<(string Kind, DetectionResult R)>();
        done = 0;
        Parallel.For(0, o.Unmarked, new ParallelOptions { MaxDegreeOfParallelism = o.Threads, CancellationToken = cancel }, i =>
        {
            var rng = new Random((o.Seed * 31) + (i * 7));
            var seconds = 3 + (rng.NextDouble() * 7);
            var n = (int)(seconds * s.SampleRate);
            // 8 kinds: the five synthesised ones, silence, a mixture of two, and audio marked with another key.
            var slot = i % 8;
            string kind;
            float[] x;
            if (files.Count > 0 && i % 10 == 9)
            {
                var (path, label, soundtrack) = files[rng.Next(files.Count)];
                kind = label;
                x = FromFile(path, label, s, seconds).Samples;
                if (soundtrack)
                {
                    x = WithRoomTone(x, new V2a.Audio.RoomTone(V2a.Audio.RoomTone.DefaultLevelDbfs, i)); // as generate --no-watermark leaves it
                }
            }
            else if (slot < 5)
            {
                kind = sourceKinds[slot].ToString().ToLowerInvariant();
                x = Cut(sources[(sourceKinds[slot], rng.Next(sourcesPerKind))], n, rng);
            }
            else if (slot == 5)
            {
                kind = "silence";
                x = synth.Make(ClipKind.Silence, i, seconds).Samples;
            }
            else if (slot == 6)
            {
                kind = "mixture";
                var a = Cut(sources[(sourceKinds[rng.Next(5)], rng.Next(sourcesPerKind))], n, rng);
                var b = Cut(sources[(sourceKinds[rng.Next(5)], rng.Next(sourcesPerKind))], n, rng);
                x = a.Zip(b, (p, q) => p + (0.7f * q)).ToArray();
            }
            else
            {
                kind = "other-key";
                var a = Cut(sources[(sourceKinds[rng.Next(5)], rng.Next(sourcesPerKind))], n, rng);
                if (i % 16 == 7)
                {
                    a = WithRoomTone(a, RoomToneMark.Tone(otherKey, new WatermarkPayload((ushort)i, (uint)i))); // half of them as v2a output under another key: its room tone too
                }

                x = Watermarker.Embed(a, s.SampleRate, new WatermarkPayload((ushort)i, (uint)i), otherKey, s);
            }

            results.Add((kind, Watermarker.Detect(x, s.SampleRate, WatermarkKey.Public, s)));
            progress.Report("unmarked", Interlocked.Increment(ref done), o.Unmarked);
        });

        var decided = results.Where(r => r.R.Verdict is Verdict.Watermarked or Verdict.NotWatermarked).ToList();
        var fixedScores = decided.Select(r => r.R.FixedHypothesisScore).ToList();
        var mean = fixedScores.Average();
        var std = Math.Sqrt(fixedScores.Sum(z => (z - mean) * (z - mean)) / Math.Max(1, fixedScores.Count - 1));
        return new UnmarkedResult(
            results.Count,
            results.Count(r => r.R.Detected),
            decided.Max(r => r.R.Score),
            decided.Max(r => r.R.Threshold),
            mean,
            std,
            fixedScores.Count(z => z > 3),
            fixedScores.Count * Gaussian.UpperTail(3),
            fixedScores.Count(z => z > 4),
            fixedScores.Count * Gaussian.UpperTail(4),
            results.Count(r => r.R.Verdict is Verdict.TooShort or Verdict.TooQuiet),
            results.GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Count()),
            decided.GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Max(r => r.R.Score)),
            decided.Max(r => r.R.RoomToneScore),
            decided.Max(r => r.R.RoomToneThreshold));
    }

    private static SpeedResult MeasureSpeed(ClipSynth synth, WatermarkSettings s)
    {
        var x = synth.Make(ClipKind.Music, 424242, 60).Samples;
        var payload = new WatermarkPayload(1, 2);
        // Warm-up on the whole signal, then the best of five timed runs: the JIT keeps promoting hot loops for the first
        // few runs (detection measured 0.16, 0.10, 0.04, 0.04 s on this minute), and a busy machine's other work moves
        // the best of several less than one run.
        var y = Watermarker.Embed(x, s.SampleRate, payload, WatermarkKey.Public, s);
        Watermarker.Detect(y, s.SampleRate, WatermarkKey.Public, s);
        var embed = BestOf(SpeedRepeats, () => Watermarker.Embed(x, s.SampleRate, payload, WatermarkKey.Public, s));
        var detect = BestOf(SpeedRepeats, () => Watermarker.Detect(y, s.SampleRate, WatermarkKey.Public, s));
        return new SpeedResult(60, embed, detect, 60 / embed, 60 / detect);
    }

    private const int SpeedRepeats = 5;

    /// <summary>The shortest wall time, in seconds, of <paramref name="repeats"/> runs of <paramref name="work"/>.</summary>
    private static double BestOf(int repeats, Action work)
    {
        var best = double.PositiveInfinity;
        for (var i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            work();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }

        return best;
    }

    private static float[] Cut(float[] source, int n, Random rng)
    {
        if (source.Length <= n)
        {
            return (float[])source.Clone();
        }

        var start = rng.Next(source.Length - n);
        var gain = (float)Math.Pow(10, ((rng.NextDouble() * 20) - 10) / 20);
        return source[start..(start + n)].Select(v => v * gain).ToArray();
    }

    /// <summary>The bench marks a folder's files itself and draws some of them for the false-alarm count, so a file that
    /// already carries a mark (ordinary <c>v2a generate</c> output) would be marked twice and count as a false alarm:
    /// refused, naming it, before any work.</summary>
    private static void RefuseMarked(IEnumerable<(string Path, string Label)> files, WatermarkSettings s, double seconds, CancellationToken cancel)
    {
        foreach (var (path, label) in files)
        {
            cancel.ThrowIfCancellationRequested();
            var r = Watermarker.Detect(FromFile(path, label, s, seconds).Samples, s.SampleRate, WatermarkKey.Public, s);
            if (r.Detected)
            {
                throw new BadInputException(path, $"already carries a v2a watermark (score {r.Score:0.0}); the bench needs unmarked audio, e.g. 'v2a generate --no-watermark'");
            }
        }
    }

    private static Clip FromFile(string path, string label, WatermarkSettings s, double seconds) =>
        new(label + "-" + Path.GetFileNameWithoutExtension(path), null, AudioReader.ReadAll(path, s.SampleRate, maxSeconds: seconds));

    /// <summary>The kind a folder's clips are counted under: "corpus" for a corpus's clips/ folder, else the folder's
    /// name (without '-', which separates kind and clip in a clip's name).</summary>
    private static string FolderLabel(string folder)
    {
        var full = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        var name = Path.GetFileName(full);
        if (name == "clips" && File.Exists(Path.Combine(Path.GetDirectoryName(full)!, "meta.jsonl")))
        {
            name = "corpus";
        }

        return name.Replace('-', '_');
    }

    /// <summary>Seconds of 16 ms frames whose level is above −50 dBFS.</summary>
    public static double ActiveSeconds(float[] x, int sampleRate)
    {
        const int frame = 256;
        var active = 0;
        for (var start = 0; start + frame <= x.Length; start += frame)
        {
            double e = 0;
            for (var i = start; i < start + frame; i++)
            {
                e += (double)x[i] * x[i];
            }

            active += e / frame > 1e-5 ? 1 : 0;
        }

        return (double)active * frame / sampleRate;
    }

    /// <summary><paramref name="count"/> items spread evenly over the list (all of them when it is shorter).</summary>
    private static List<string> Spread(List<string> files, int count) =>
        files.Count <= count ? files : [.. Enumerable.Range(0, count).Select(i => files[(int)((long)i * files.Count / count)])];

    private static List<string> ListMedia(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new BadInputException(folder, "is not a folder");
        }

        // Audio files; video files only where no audio file of the same name sits beside them (a corpus keeps both).
        string[] audio = [".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac"];
        string[] video = [".mp4", ".mkv", ".webm", ".mov"];
        var all = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToList();
        var audioStems = all.Where(f => audio.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Select(f => Path.Combine(Path.GetDirectoryName(f)!, Path.GetFileNameWithoutExtension(f))).ToHashSet();
        return [.. all.Where(f => audio.Contains(Path.GetExtension(f).ToLowerInvariant())
                || (video.Contains(Path.GetExtension(f).ToLowerInvariant())
                    && !audioStems.Contains(Path.Combine(Path.GetDirectoryName(f)!, Path.GetFileNameWithoutExtension(f)))))
            .Order(StringComparer.Ordinal)];
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        return v.Count == 0 ? double.NaN : v[v.Count / 2];
    }
}
