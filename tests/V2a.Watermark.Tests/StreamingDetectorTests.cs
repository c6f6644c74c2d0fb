using Xunit.Abstractions;

namespace V2a.Watermark.Tests;

[Collection(nameof(MemoryMeasurement))]
public class StreamingDetectorTests(ITestOutputHelper output)
{
    private static readonly WatermarkSettings S = TestAudio.S;

    [Fact]
    public void Streams_in_odd_chunks_to_exactly_the_whole_signal_decision_and_finds_where_the_mark_is()
    {
        // Given 40 s of noise whose middle 20 s (10 … 30 s) are marked
        var x = new SwellingNoise(11).Next(40 * S.SampleRate);
        var payload = new WatermarkPayload(0x0ACE, 0x5EED0042);
        var middle = Watermarker.Embed(x[(10 * S.SampleRate)..(30 * S.SampleRate)], S.SampleRate, payload, WatermarkKey.Public);
        middle.CopyTo(x, 10 * S.SampleRate);

        // When it is detected whole, and streamed in chunks of awkward sizes
        var whole = Watermarker.Detect(x, S.SampleRate, WatermarkKey.Public);
        var detector = new WatermarkDetector(S.SampleRate, WatermarkKey.Public);
        int[] sizes = [1, 777, 4096, 13, 100_003, 2, 65_536, 31_337];
        var at = 0;
        for (var k = 0; at < x.Length; k++)
        {
            var n = Math.Min(sizes[k % sizes.Length], x.Length - at);
            detector.Process(x.AsSpan(at, n));
            at += n;
        }

        var streamed = detector.Finish();

        // Then the two decisions are the same to the last bit — score, false-positive probability, payload, ranges
        Assert.Equal(whole with { Ranges = [] }, streamed with { Ranges = [] });
        Assert.Equal(whole.Ranges, streamed.Ranges);
        Assert.Same(streamed, detector.Finish());
        Assert.Throws<InvalidOperationException>(() => detector.Process(new float[1]));

        // And the mark is found, with its payload, in one range within a period (1.02 s) of 10 … 30 s
        Assert.Equal(Verdict.Watermarked, whole.Verdict);
        Assert.Equal(payload, whole.Payload);
        var range = Assert.Single(whole.Ranges);
        Assert.InRange(range.StartSeconds, 10 - 1.05, 10 + 1.05);
        Assert.InRange(range.EndSeconds, 30 - 1.05, 30 + 1.05);
    }

    [Fact]
    public void Holds_the_same_memory_for_600_s_as_for_60_s()
    {
        // Given 60 s and then 600 s of audio streamed through the detector one second at a time (made and dropped as it
        // goes), the managed heap after a full collection stays the same: detection memory does not grow with length
        // (the whole-input detector held ≈ 40 KB per second of audio: 24 MB for 600 s).
        static (long PeakHeap, DetectionResult Result) Run(int seconds)
        {
            var detector = new WatermarkDetector(S.SampleRate, WatermarkKey.Public);
            var second = new SwellingNoise(5).Next(S.SampleRate);
            long peak = 0;
            for (var k = 0; k < seconds; k++)
            {
                detector.Process(second);
                if (k % 10 == 9)
                {
                    peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
                }
            }

            var result = detector.Finish();
            return (Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true)), result);
        }

        var shortRun = Run(60);
        var longRun = Run(600);

        output.WriteLine($"peak managed heap after a full collection: {shortRun.PeakHeap} B for 60 s, {longRun.PeakHeap} B for 600 s");
        Assert.Equal(Verdict.NotWatermarked, longRun.Result.Verdict);
        Assert.Equal(600, longRun.Result.DurationSeconds, 6);
        Assert.True(longRun.PeakHeap < shortRun.PeakHeap + (2 << 20), $"peak heap {shortRun.PeakHeap} B for 60 s, {longRun.PeakHeap} B for 600 s");
    }
}

public class SortedWindowTests
{
    [Fact]
    public void Keeps_the_multiset_sorted_through_batches_in_and_out_duplicates_included()
    {
        // Given a window that takes batches of values (many repeated) and gives back the oldest batch once it holds five
        var rng = new Random(4);
        var window = new SortedWindow();
        var batches = new Queue<List<double>>();
        var reference = new List<double>();
        for (var step = 0; step < 200; step++)
        {
            var entering = Enumerable.Range(0, rng.Next(0, 20)).Select(_ => (double)rng.Next(0, 12)).ToList();
            var leaving = batches.Count >= 5 ? batches.Dequeue() : [];
            batches.Enqueue([.. entering]);
            reference.AddRange(entering);
            leaving.ForEach(v => reference.Remove(v));

            // When each batch goes in and the oldest comes out in one update
            window.Update(entering, [.. leaving]);

            // Then it holds exactly the values in the window, in order, and the scratch lists are handed back empty
            reference.Sort();
            Assert.Equal(reference, Enumerable.Range(0, window.Count).Select(i => window[i]));
            Assert.Empty(entering);
        }
    }

    [Fact]
    public void Refuses_to_remove_a_value_it_does_not_hold()
    {
        var window = new SortedWindow();
        window.Update([1.0, 3.0], []);
        Assert.Throws<InvalidOperationException>(() => window.Update([], [2.0]));
        Assert.Throws<InvalidOperationException>(() => window.Update([], [5.0]));
    }
}
