using System.Numerics;
using TorchSharp;
using V2a.Model.Audio;
using V2a.Model.Generation;
using Xunit.Abstractions;

namespace V2a.Model.Tests.Generation;

/// <summary>Synthetic flash videos of 3 s and 30 s, made once.</summary>
public sealed class VideoFixture : IDisposable
{
    public VideoFixture()
    {
        Root = TestSupport.TempDir("gen");
        Short = Path.Combine(Root, "short.mp4");
        SyntheticCorpus.WriteFlashVideo(Short, 3, [10, 40]);
        Long = Path.Combine(Root, "long.mp4");
        SyntheticCorpus.WriteFlashVideo(Long, 30, Enumerable.Range(0, 30).Select(i => 10 + (i * 24)).ToArray());
    }

    public string Root { get; }

    public string Short { get; }

    public string Long { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

public class SoundtrackGeneratorTests(VideoFixture videos, ITestOutputHelper output) : IClassFixture<VideoFixture>
{
    [Fact]
    public void Plans_aligned_overlapping_windows_that_cover_the_video()
    {
        // Given the small preset, a 30 s video, 8 s windows overlapping by 1 s
        var config = ModelConfig.FromPreset("small");

        // When the windows are planned
        var plan = SoundtrackGenerator.Plan(config, 30, 8, 1);

        // Then they are 8 s (50 units of 0.16 s) every 7.04 s, the last one ends at 30.08 s (188 units), each overlap is 0.96 s
        Assert.Equal(new[] { 0, 44, 88, 132, 176 }, plan.Select(w => w.StartUnits));
        Assert.Equal(new[] { 50, 50, 50, 50, 12 }, plan.Select(w => w.LengthUnits));
        Assert.Single(SoundtrackGenerator.Plan(config, 8, 8, 1));
        Assert.Equal(13, SoundtrackGenerator.Plan(config, 2, 8, 1).Single().LengthUnits);
    }

    [Fact]
    public void Same_seed_gives_identical_audio_and_another_seed_differs()
    {
        // Given a model and a 3 s video
        using var model = TestSupport.RandomModel();
        using var vocoder = new GriffinLimVocoder(model.Config.Audio, iterations: 8);
        var generator = new SoundtrackGenerator(model, vocoder);
        var request = new GenerationRequest("white flashes with clicks", "rain", Seed: 42, Steps: 4, Cfg: 3);

        // When it is generated twice with seed 42 and once with seed 43
        var a = generator.Generate(videos.Short, 3, request, NullProgress.Instance).SelectMany(c => c).ToArray();
        var b = generator.Generate(videos.Short, 3, request, NullProgress.Instance).SelectMany(c => c).ToArray();
        var c = generator.Generate(videos.Short, 3, request with { Seed = 43 }, NullProgress.Instance).SelectMany(c => c).ToArray();

        // Then the two seed-42 runs are identical sample for sample, 3 s long, and seed 43 differs
        Assert.Equal(48_000, a.Length);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Contains(a, s => s != 0);
    }

    [Fact]
    public void A_transcript_joins_the_prompt_as_training_composed_caption_and_speech()
    {
        // Given a model, a 3 s video and a prompt
        using var model = TestSupport.RandomModel();
        using var vocoder = new GriffinLimVocoder(model.Config.Audio, iterations: 4);
        var generator = new SoundtrackGenerator(model, vocoder);
        var request = new GenerationRequest("a man talks to the camera", null, Seed: 5, Steps: 2);
        float[] Run(GenerationRequest r) => generator.Generate(videos.Short, 3, r, NullProgress.Instance).SelectMany(c => c).ToArray();

        // When it is generated with the words spoken, and with the text training made of the same caption and transcript
        var withWords = Run(request with { Transcript = "Where did you put the hat?" });
        var composed = Run(request with { Prompt = "A man talks to the camera. speech: Where did you put the hat?" });

        // Then the two are the same sound, and the words change it
        Assert.Equal(composed, withWords);
        Assert.NotEqual(Run(request), withWords);

        // And words alone are a condition too ("speech: …", as a clip with a transcript and no caption was trained)
        Assert.Equal(Run(request with { Prompt = "speech: hello" }), Run(request with { Prompt = null, Transcript = "hello" }));
    }

    [Fact]
    public void Thirty_second_video_gives_thirty_seconds_without_seams()
    {
        // Given a 30 s video and 8 s windows overlapping by 1 s (5 windows)
        using var model = TestSupport.RandomModel();
        using var vocoder = new GriffinLimVocoder(model.Config.Audio, iterations: 16);
        var generator = new SoundtrackGenerator(model, vocoder);
        var request = new GenerationRequest(null, null, Seed: 7, Steps: 4, Cfg: 2);

        // When its soundtrack is streamed
        var chunks = generator.Generate(videos.Long, 30, request, NullProgress.Instance).ToList();
        var audio = chunks.SelectMany(c => c).ToArray();

        // Then it is exactly 30 s, one chunk per window
        Assert.Equal(480_000, audio.Length);
        var plan = SoundtrackGenerator.Plan(model.Config, 30, 8, 1);
        Assert.Equal(plan.Count, chunks.Count);

        // And at each seam (both edges of every crossfade) the sample jump and the spectral flux are no larger than elsewhere
        var unit = 2560; // samples per 0.16 s alignment unit
        var edges = plan.Skip(1).SelectMany(w => new[] { w.StartUnits * unit, (w.StartUnits + 6) * unit }).ToList();
        var jumps = Enumerable.Range(1, audio.Length - 1).Select(n => Math.Abs(audio[n] - audio[n - 1])).ToArray();
        var jumpLimit = Percentile(jumps.Where((_, n) => edges.All(e => Math.Abs(n - e) > 400)), 0.999);
        foreach (var e in edges)
        {
            var seamJump = jumps.Skip(e - 3).Take(6).Max();
            Assert.True(seamJump <= jumpLimit, $"jump {seamJump:0.0000} at sample {e}, 99.9th percentile elsewhere {jumpLimit:0.0000}");
        }

        var flux = SpectralFlux(audio, 512, 256);
        var seamFrames = edges.SelectMany(e => Enumerable.Range((e / 256) - 2, 4)).ToHashSet();
        var fluxLimit = flux.Where((_, f) => !seamFrames.Contains(f)).Max();
        foreach (var f in seamFrames)
        {
            Assert.True(flux[f] <= fluxLimit, $"flux {flux[f]:0.00} at frame {f}, max elsewhere {fluxLimit:0.00}");
        }

        output.WriteLine($"RTF {generator.LastStats!.RealTimeFactor:0.00} ({generator.LastStats})");
    }

    private static double Percentile(IEnumerable<float> values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Round(q * (sorted.Length - 1)))];
    }

    /// <summary>Half-wave rectified spectral flux of Hann-windowed frames (plain DFT via System.Numerics).</summary>
    private static double[] SpectralFlux(float[] x, int size, int hop)
    {
        var frames = ((x.Length - size) / hop) + 1;
        var flux = new double[frames];
        double[]? previous = null;
        var window = Enumerable.Range(0, size).Select(n => 0.5 - (0.5 * Math.Cos(2 * Math.PI * n / size))).ToArray();
        for (var f = 0; f < frames; f++)
        {
            var spectrum = new Complex[size];
            for (var n = 0; n < size; n++)
            {
                spectrum[n] = x[(f * hop) + n] * window[n];
            }

            Fft(spectrum);
            var magnitude = spectrum.Take((size / 2) + 1).Select(c => c.Magnitude).ToArray();
            if (previous is not null)
            {
                flux[f] = magnitude.Zip(previous, (m, p) => Math.Max(0, m - p)).Sum();
            }

            previous = magnitude;
        }

        return flux;
    }

    private static void Fft(Complex[] a)
    {
        var n = a.Length;
        for (int i = 1, j = 0; i < n; i++)
        {
            var bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1)
            {
                j ^= bit;
            }

            j ^= bit;
            if (i < j)
            {
                (a[i], a[j]) = (a[j], a[i]);
            }
        }

        for (var len = 2; len <= n; len <<= 1)
        {
            var w = Complex.FromPolarCoordinates(1, -2 * Math.PI / len);
            for (var i = 0; i < n; i += len)
            {
                var wn = Complex.One;
                for (var k = 0; k < len / 2; k++)
                {
                    var u = a[i + k];
                    var v = a[i + k + (len / 2)] * wn;
                    a[i + k] = u + v;
                    a[i + k + (len / 2)] = u - v;
                    wn *= w;
                }
            }
        }
    }
}
