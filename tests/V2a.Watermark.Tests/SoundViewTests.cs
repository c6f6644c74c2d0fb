using V2a.Watermark.Bench;

namespace V2a.Watermark.Tests;

public class SoundViewTests
{
    private static readonly WatermarkSettings S = TestAudio.S;

    /// <summary>8 s of a quiet room tone (−68 dBFS) with <paramref name="knocks"/> knocks (decaying noise bursts, 0.25 s, peak −12 dBFS) —
    /// the shape of much of v2a's own output (a few sounds in a still scene).</summary>
    private static float[] KnocksInRoomTone(int knocks, int seed)
    {
        var rng = new Random(seed);
        var n = 8 * S.SampleRate;
        var x = new float[n];
        double lp = 0;
        var tone = 0.0004 * Math.Sqrt(2); // ≈ −68 dBFS RMS after the one-pole smoothing below
        for (var i = 0; i < n; i++)
        {
            lp = (0.8 * lp) + (0.2 * Gauss(rng));
            x[i] = (float)(tone * lp * 3);
        }

        for (var k = 0; k < knocks; k++)
        {
            var start = (int)((0.3 + (k * 7.4 / knocks)) * S.SampleRate);
            for (var i = 0; i < S.SampleRate / 4 && start + i < n; i++)
            {
                x[start + i] += (float)(0.25 * Math.Exp(-i / (0.04 * S.SampleRate)) * Gauss(rng));
            }
        }

        return x;
    }

    private static double Gauss(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [Fact]
    public void Finds_sparse_sounds_marked_in_room_tone_under_white_noise_by_counting_the_sounds_over_the_background()
    {
        // Given knocks in a quiet room tone, marked, then white noise 20 dB under the clip (it buries the room tone's mark)
        var (found, better) = (0, 0);
        var log = new List<string>();
        for (var seed = 1; seed <= 8; seed++)
        {
            var marked = Watermarker.Embed(KnocksInRoomTone(6, seed), S.SampleRate, TestAudio.Payload, WatermarkKey.Public);
            var noisy = new Attacks(S.SampleRate, S.Hop, TestAudio.TempDir).Apply(Attack.WhiteNoise20dB, marked, new Random(seed), () => marked);

            // When both views of the slots are scored
            var search = AlignmentSearch.Run(S, PatternCache.Get(S, WatermarkKey.Public), noisy);
            var all = search.BestWhole[AlignmentSearch.AllSlots].Score;
            var sounds = search.BestWhole[AlignmentSearch.SoundSlots].Score;

            var r = Watermarker.Detect(noisy, S.SampleRate, WatermarkKey.Public);
            log.Add($"seed {seed}: all slots {all:0.00}, sounds {sounds:0.00}, {r.Verdict} by {r.DecidedBy}");
            found += r.Detected ? 1 : 0;
            better += sounds > all + 0.8 ? 1 : 0;
        }

        // Then counting the sounds over the background scores clearly higher every time (by 0.9 … 2.2 when written; every
        // slot alone reaches the 8 s threshold of 5.65 in only 3 of the 8), and the mark is found in all 8
        var summary = string.Join("; ", log);
        Assert.True(better == 8, summary);
        Assert.True(found == 8, summary);
    }

    [Fact]
    public void Counting_the_sounds_keeps_the_null_law_on_unmarked_audio()
    {
        // Given unmarked knocks in room tone under white noise, and 200 random keys
        var noisy = new Attacks(S.SampleRate, S.Hop, TestAudio.TempDir).Apply(Attack.WhiteNoise20dB, KnocksInRoomTone(6, 9), new Random(9), () => []);
        var scores = new List<double>();
        for (var k = 0; k < 200; k++)
        {
            // When the sound view's score is read at one fixed alignment (phase 0, rotation 0) for each key
            var search = AlignmentSearch.Run(S, new ChipPattern(S, WatermarkKey.FromText($"null law key {k}")), noisy);
            scores.Add(search.FixedScore(AlignmentSearch.SoundSlots));
        }

        // Then it behaves as N(0, 1): mean near 0, variance near 1 (200 draws: ±0.25 and 0.7 … 1.35 hold with margin)
        var mean = scores.Average();
        var variance = scores.Sum(z => (z - mean) * (z - mean)) / (scores.Count - 1);
        Assert.InRange(mean, -0.25, 0.25);
        Assert.InRange(variance, 0.7, 1.35);
    }
}
