using V2a.Watermark.Bench;

namespace V2a.Watermark.Tests;

/// <summary>Runs alone (after the parallel tests), so the managed heap it measures is its own.</summary>
[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement;

[Collection(nameof(MemoryMeasurement))]
public class StreamingEmbedderTests
{
    private static readonly WatermarkSettings S = TestAudio.S;

    [Fact]
    public void Streams_in_odd_chunks_to_exactly_the_whole_signal_embedding()
    {
        // Given 60 s of audio fed in chunks of awkward sizes (1 sample, primes, more than a block), the concatenated
        // output equals Watermarker.Embed on the whole signal, sample for sample, and it is detected with its payload.
        var x = new SwellingNoise(3).Next(60 * S.SampleRate);
        var payload = new WatermarkPayload(0x0BAD, 0xC0FFEE01);
        var whole = Watermarker.Embed(x, S.SampleRate, payload, WatermarkKey.Public);

        using var embedder = new WatermarkEmbedder(S.SampleRate, payload, WatermarkKey.Public);
        var output = new List<float>(x.Length);
        int[] sizes = [1, 777, 4096, 13, 100_003, 2, 65_536, 31_337];
        var at = 0;
        for (var k = 0; at < x.Length; k++)
        {
            var n = Math.Min(sizes[k % sizes.Length], x.Length - at);
            output.AddRange(embedder.Process(x.AsSpan(at, n)));
            at += n;
        }

        output.AddRange(embedder.Flush());

        Assert.Equal(x.Length, output.Count);
        Assert.Equal(whole, output.ToArray());
        var r = Watermarker.Detect([.. output], S.SampleRate, WatermarkKey.Public);
        Assert.Equal(Verdict.Watermarked, r.Verdict);
        Assert.Equal(payload, r.Payload);
        Assert.True(embedder.Report.SnrDb >= S.MinSnrDb, $"SNR {embedder.Report.SnrDb:0.00} dB");
    }

    [Fact]
    public void Holds_the_same_memory_for_600_s_as_for_60_s()
    {
        // Given 60 s and then 600 s streamed through the embedder (the signal made and dropped chunk by chunk), the
        // values the embedder holds and the managed heap it leaves behind are the same: memory does not grow with length.
        static (long Buffered, long PeakHeap) Run(int seconds)
        {
            var source = new SwellingNoise(5);
            using var embedder = new WatermarkEmbedder(S.SampleRate, new WatermarkPayload(1, 2), WatermarkKey.Public);
            long peak = 0;
            long emitted = 0;
            for (var second = 0; second < seconds; second++)
            {
                emitted += embedder.Process(source.Next(S.SampleRate)).Length;
                if (second % 10 == 9)
                {
                    peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
                }
            }

            emitted += embedder.Flush().Length;
            Assert.Equal((long)seconds * S.SampleRate, emitted);
            return (embedder.PeakBufferedValues, peak);
        }

        var shortRun = Run(60);
        var longRun = Run(600);

        Assert.InRange(longRun.Buffered, shortRun.Buffered - 2048, shortRun.Buffered + 2048);
        Assert.True(longRun.Buffered < 250_000, $"{longRun.Buffered} values held");
        Assert.True(longRun.PeakHeap < shortRun.PeakHeap + (2 << 20), $"peak heap {shortRun.PeakHeap} B for 60 s, {longRun.PeakHeap} B for 600 s");
    }

    [Fact]
    public void Leaves_a_stream_shorter_than_a_frame_untouched_but_complete()
    {
        using var embedder = new WatermarkEmbedder(S.SampleRate, new WatermarkPayload(1, 2), WatermarkKey.Public);
        var a = embedder.Process(new float[100]);
        var b = embedder.Flush();
        Assert.Equal(100, a.Length + b.Length);
        Assert.True(embedder.Report.Silent);
        Assert.Throws<ObjectDisposedException>(() => embedder.Process(new float[1]));
    }
}

public class NullLawTests
{
    [Fact]
    public void Scores_unmarked_audio_like_a_standard_normal()
    {
        // Given 300 unmarked clips (white, red and brown noise, 3–8 s), the score of one fixed alignment has mean ≈ 0
        // and standard deviation ≈ 1: the law the threshold is computed from, with no tuning on data. The best score
        // over the whole search stays under the threshold.
        var rng = new Random(11);
        var fixedScores = new List<double>();
        var highest = double.NegativeInfinity;
        for (var c = 0; c < 300; c++)
        {
            var x = new float[TestAudio.S.SampleRate * (3 + rng.Next(6))];
            double prev = 0;
            var colour = c % 3;
            for (var i = 0; i < x.Length; i++)
            {
                var w = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                prev = colour == 0 ? w : colour == 1 ? (0.9 * prev) + w : (0.99 * prev) + (0.3 * w);
                x[i] = (float)(0.01 * prev);
            }

            var r = Watermarker.Detect(x, TestAudio.S.SampleRate, WatermarkKey.Public);
            Assert.Equal(Verdict.NotWatermarked, r.Verdict);
            fixedScores.Add(r.FixedHypothesisScore);
            highest = Math.Max(highest, r.Score);
        }

        var mean = fixedScores.Average();
        var std = Math.Sqrt(fixedScores.Sum(z => (z - mean) * (z - mean)) / (fixedScores.Count - 1));
        Assert.InRange(mean, -0.2, 0.2);
        Assert.InRange(std, 0.88, 1.12);
        Assert.True(highest < 5, $"highest score {highest:0.00}");
    }
}
