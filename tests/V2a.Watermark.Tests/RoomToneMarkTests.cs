using V2a.Audio;
using V2a.Watermark.Bench;

namespace V2a.Watermark.Tests;

/// <summary>The keyed room tone (the mark's second layer on v2a's own output): its search, its null law and what it survives.</summary>
public class RoomToneMarkTests
{
    private static readonly int Rate = TestAudio.S.SampleRate;

    private static float[] KeyedTone(int samples, WatermarkKey key, int skip = 0)
    {
        var x = new float[skip + samples];
        RoomToneMark.Tone(key, TestAudio.Payload).AddTo(x);
        return x[skip..];
    }

    private static float[] PlainTone(int samples, int seed)
    {
        var x = new float[samples];
        new RoomTone(RoomTone.DefaultLevelDbfs, seed).AddTo(x);
        return x;
    }

    private static RoomToneSearch Search(float[] x, WatermarkKey key)
    {
        var search = new RoomToneSearch(key);
        search.Add(x);
        search.Finish();
        return search;
    }

    /// <summary>A sparse soundtrack as v2a makes it: knocks in near-silence, the keyed room tone under them.</summary>
    private static float[] Soundtrack(WatermarkKey key, int seconds = 8)
    {
        var impacts = TestAudio.Clip(ClipKind.Impacts, seed: 3, seconds: seconds);
        var tone = KeyedTone(impacts.Length, key);
        return impacts.Zip(tone, (a, b) => a + b).ToArray();
    }

    [Fact]
    public void The_chips_are_a_balanced_sequence_of_the_key_whose_payload_positions_follow_the_coded_bits()
    {
        var a = RoomToneMark.Chips(WatermarkKey.Public, TestAudio.Payload);
        Assert.Equal(RoomToneMark.Period, a.Length);
        Assert.Equal(a, RoomToneMark.Chips(WatermarkKey.FromText(WatermarkKey.PublicKeyText), TestAudio.Payload));
        Assert.InRange(a.Sum(c => (int)c), -2000, 2000); // ±1 each: the sum of 131,072 fair chips has std 362
        var b = RoomToneMark.Chips(WatermarkKey.FromText("another key"), TestAudio.Payload);
        Assert.InRange(a.Zip(b, (p, q) => p * q).Sum(), -2000, 2000);

        // Another payload flips exactly the payload positions of the coded bits that differ, and no pilot chip.
        var other = new WatermarkPayload(1, 2);
        var c = RoomToneMark.Chips(WatermarkKey.Public, other);
        var pattern = RoomToneMark.Get(WatermarkKey.Public);
        var (codedA, codedC) = (PayloadCode.Encode(TestAudio.Payload), PayloadCode.Encode(other));
        var pilots = 0;
        for (var n = 0; n < RoomToneMark.Period; n++)
        {
            var role = pattern.Roles[n];
            pilots += role == RoomToneMark.Pilot ? 1 : 0;
            var same = role == RoomToneMark.Pilot || codedA[role] == codedC[role];
            Assert.Equal(same, a[n] == c[n]);
        }

        Assert.InRange(pilots, 0.64 * RoomToneMark.Period, 0.66 * RoomToneMark.Period);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(50_000)]
    [InlineData(RoomToneMark.Period - 1)]
    public void It_finds_the_tone_and_where_in_the_period_an_excerpt_starts(int skip)
    {
        // 3 s of the tone alone, cut at any sample: input sample n carries chip (n + skip) mod period.
        var search = Search(KeyedTone(3 * Rate, WatermarkKey.Public, skip), WatermarkKey.Public);
        Assert.Equal(skip, search.Offset);
        Assert.True(search.Score > 80, $"score {search.Score:0.0}");
        Assert.Equal(TestAudio.Payload, search.ReadPayload());
    }

    [Fact]
    public void Unkeyed_room_tone_and_another_keys_score_like_chance()
    {
        // The best |z| over 131,072 offsets of N(0, 1) scores: about 4.9, and above 6 with probability 0.03.
        var plain = Search(PlainTone(8 * Rate, 5), WatermarkKey.Public);
        var other = Search(KeyedTone(8 * Rate, WatermarkKey.FromText("another key")), WatermarkKey.Public);
        Assert.Null(other.ReadPayload());
        var music = Search(TestAudio.Clip(ClipKind.Music), WatermarkKey.Public);
        foreach (var s in new[] { plain, other, music })
        {
            Assert.InRange(s.Score, 3.5, 6.5);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Its_score_at_one_offset_has_unit_variance_on_unmarked_audio_whatever_the_audio(int searchIndex)
    {
        // Over 40 keys the fold of one clip is correlated with independent chips: z at offset 0 must look N(0, 1), in each
        // of the two searches (two values of ε).
        var x = TestAudio.Clip(ClipKind.Speech);
        var z = new List<double>();
        for (var k = 0; k < 40; k++)
        {
            var key = WatermarkKey.FromText($"null law key {k}");
            var search = new RoomToneSearch(key);
            search.Add(x);
            search.Finish();
            z.Add(search.ScoreAt(0, searchIndex));
        }

        var mean = z.Average();
        var sd = Math.Sqrt(z.Sum(v => (v - mean) * (v - mean)) / (z.Count - 1));
        Assert.InRange(mean, -0.6, 0.6);
        Assert.InRange(sd, 0.65, 1.4);
    }

    [Fact]
    public void A_soundtrack_with_the_keyed_tone_is_found_under_white_noise_another_track_a_codec_and_a_low_pass()
    {
        var x = Watermarker.Embed(Soundtrack(WatermarkKey.Public), Rate, TestAudio.Payload, WatermarkKey.Public);
        var attacks = new Attacks(Rate, TestAudio.S.Hop, TestAudio.TempDir);
        foreach (var attack in new[] { Attack.WhiteNoise20dB, Attack.MixUnderMinus6dB, Attack.Excerpt3s, Attack.Opus_64k, Attack.LowPass4kHz })
        {
            var y = attacks.Apply(attack, x, new Random(3), () => TestAudio.Clip(ClipKind.Ambience, seed: 12));
            var r = Watermarker.Detect(y, Rate, WatermarkKey.Public);
            Assert.True(r.Detected, $"{attack}: room tone {r.RoomToneScore:0.0} (needs {r.RoomToneThreshold:0.00}), see-saw {r.Score:0.0}");

            // The room tone alone decides, the low-pass included: the bench's brick wall leaves the loud sounds' leftovers
            // 75 dB down in the stopband, which the second search (ε = 1) weighs no more than the tone.
            Assert.True(r.RoomToneScore > r.RoomToneThreshold, $"{attack}: room tone {r.RoomToneScore:0.0}");
            // The payload needs a room tone score of about 20 (its 140 coded bits share the third of the chips that are not
            // pilots), or both layers' soft bits together: here it reads under everything but the ambience laid over the
            // knocks.
            Assert.True(r.Payload == TestAudio.Payload || attack == Attack.MixUnderMinus6dB, $"{attack}: payload {r.PayloadHex ?? "none"}, room tone {r.RoomToneScore:0.0}, see-saw {r.Score:0.0}");
        }
    }

    [Fact]
    public void Two_layers_each_too_weak_alone_are_found_together()
    {
        // Noise carrying the see-saw mark over a keyed tone 20 dB louder than v2a's, under white noise 8 dB down: each
        // layer's score is under its own threshold, their sum passes the joint test (z₁ + z₂ ≥ 10.9 where the layers agree on the alignment).
        var x = TestAudio.Clip(ClipKind.Noise, seed: 2);
        var tone = new float[x.Length];
        RoomToneMark.Tone(WatermarkKey.Public, TestAudio.Payload, rmsDbfs: -50).AddTo(tone);
        var y = Watermarker.Embed(x.Zip(tone, (a, b) => a + b).ToArray(), Rate, TestAudio.Payload, WatermarkKey.Public);
        var rng = new Random(102);
        var sigma = Math.Sqrt(y.Average(v => (double)v * v) / Math.Pow(10, 0.8));
        var noisy = y.Select(v => v + (float)(sigma * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray();

        var r = Watermarker.Detect(noisy, Rate, WatermarkKey.Public);

        Assert.True(r.Detected);
        Assert.Equal("both-layers", r.DecidedBy);
        Assert.True(r.Score < r.Threshold && r.RoomToneScore < r.RoomToneThreshold, $"see-saw {r.Score:0.00}, room tone {r.RoomToneScore:0.00}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(256 * 37)] // frames into the first period
    [InlineData((256 * 64) + 1000)] // into the payload cycle's second period, off the frame grid
    [InlineData((256 * 300) + 200)] // past a cycle, nearer the next frame
    public void The_room_tone_tells_the_see_saw_marks_alignment_and_its_payload_cycle(int skip)
    {
        // As v2a generate makes it: both layers start at the output's first sample; the input starts skip samples later.
        var s = TestAudio.S;
        var noise = TestAudio.Clip(ClipKind.Impacts, seed: 5, seconds: 16);
        var tone = KeyedTone(noise.Length, WatermarkKey.Public);
        var marked = Watermarker.Embed(noise.Zip(tone, (a, b) => a + b).ToArray(), Rate, TestAudio.Payload, WatermarkKey.Public);
        var excerpt = marked[skip..(skip + (6 * Rate))];

        var search = AlignmentSearch.Run(s, new ChipPattern(s, WatermarkKey.Public), excerpt);
        var roomTone = Search(excerpt, WatermarkKey.Public);
        var frame = RoomToneSearch.GridFrame(roomTone.Offset, s.Hop);
        Assert.Equal((int)Math.Round(skip / (double)s.Hop) % RoomToneSearch.GridFrames(s.Hop), frame);

        var best = search.BestWhole[AlignmentSearch.AllSlots];
        var (at, parity) = search.At(AlignmentSearch.AllSlots, frame);
        Assert.Equal((best.Phase, best.Rotation), (at.Phase, at.Rotation));
        Assert.Equal(best.Score, at.Score, 9);
        Assert.Equal(TestAudio.Payload, PayloadCode.Decode(search.SoftBits(at, parity)));
        Assert.Null(PayloadCode.Decode(search.SoftBits(at, 1 - parity))); // the other period of the cycle reads garbage
        Assert.True(search.SoftWeight(at) > 0 && roomTone.SoftWeight(roomTone.Offset, 1, roomTone.BestSearch) > 0);
    }

    [Fact]
    public void Polarity_inversion_does_not_hide_it()
    {
        var x = Soundtrack(WatermarkKey.Public).Select(v => -v).ToArray();
        var r = Watermarker.Detect(x, Rate, WatermarkKey.Public);
        Assert.True(r.Detected);
        Assert.Equal("room-tone", r.DecidedBy); // no see-saw mark here: the room tone alone decides
        Assert.True(r.RoomToneScore > 50);
        Assert.Equal(TestAudio.Payload, r.Payload); // read from the room tone's payload chips
    }

    [Fact]
    public void With_the_room_tone_alone_it_reports_where_the_tone_is()
    {
        // 20 s of plain room tone, the keyed tone from 6 s to 14 s only: the ranges cover about 6–14 s.
        var x = PlainTone(20 * Rate, 9);
        var keyed = KeyedTone(8 * Rate, WatermarkKey.Public, skip: 6 * Rate);
        Array.Copy(keyed, 0, x, 6 * Rate, keyed.Length);
        var r = Watermarker.Detect(x, Rate, WatermarkKey.Public);
        Assert.True(r.Detected);
        Assert.Equal("room-tone", r.DecidedBy);
        var range = Assert.Single(r.Ranges);
        Assert.InRange(range.StartSeconds, 5, 7);
        Assert.InRange(range.EndSeconds, 13, 15);
    }

    [Fact]
    public void A_long_input_keeps_its_offset_and_ranges_across_periods()
    {
        // 30 s (3.7 periods) of the keyed tone under plain tone of the same level: found at offset 0, one range over all of it.
        var x = KeyedTone(30 * Rate, WatermarkKey.Public).Zip(PlainTone(30 * Rate, 2), (a, b) => a + b).ToArray();
        var search = Search(x, WatermarkKey.Public);
        Assert.Equal(0, search.Offset);
        var range = Assert.Single(search.Ranges(30, Rate));
        Assert.InRange(range.StartSeconds, 0, 0.3);
        Assert.InRange(range.EndSeconds, 29.7, 30);
    }

    [Fact]
    public void Any_chunking_gives_the_same_score()
    {
        var x = Soundtrack(WatermarkKey.Public, seconds: 10);
        var whole = Search(x, WatermarkKey.Public);
        var chunked = new RoomToneSearch(WatermarkKey.Public);
        for (int start = 0, i = 0; start < x.Length; i++)
        {
            var n = Math.Min(x.Length - start, new[] { 1, 4095, 4097, 31_337 }[i % 4]);
            chunked.Add(x.AsSpan(start, n));
            start += n;
        }

        chunked.Finish();
        Assert.Equal(whole.Score, chunked.Score);
        Assert.Equal(whole.Offset, chunked.Offset);
    }

    [Fact]
    public void Selection_finds_the_kth_smallest()
    {
        var rng = new Random(4);
        foreach (var n in new[] { 1, 2, 3, 10, 2049 })
        {
            var v = Enumerable.Range(0, n).Select(_ => (double)rng.Next(50)).ToArray(); // with ties
            var sorted = v.Order().ToArray();
            for (var k = 0; k < n; k += Math.Max(1, n / 7))
            {
                Assert.Equal(sorted[k], RoomToneSearch.Select((double[])v.Clone(), k));
            }
        }
    }

    [Fact]
    public void Digital_silence_scores_zero()
    {
        var search = Search(new float[5 * Rate], WatermarkKey.Public);
        Assert.Equal(0, search.Score);
    }
}
