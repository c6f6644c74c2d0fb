using V2a.Watermark.Bench;

namespace V2a.Watermark.Tests;

/// <summary>A small version of the bench matrix (docs/watermark.md has the full one): two clips × every attack, real ffmpeg codecs.</summary>
public class RobustnessTests
{
    private static readonly WatermarkSettings S = TestAudio.S;

    public static TheoryData<Attack> AllAttacks() => [.. Enum.GetValues<Attack>()];

    [Theory]
    [MemberData(nameof(AllAttacks))]
    public void Detects_noise_and_ambience_after(Attack attack)
    {
        var attacks = new Attacks(S.SampleRate, S.Hop, TestAudio.TempDir);
        foreach (var kind in new[] { ClipKind.Noise, ClipKind.Ambience })
        {
            var rng = new Random(5);
            var y = attacks.Apply(attack, TestAudio.Marked(kind), rng, () => TestAudio.Clip(ClipKind.Speech, seed: 21));
            var r = Watermarker.Detect(y, S.SampleRate, WatermarkKey.Public);
            Assert.True(r.Detected, $"{kind} after {attack}: score {r.Score:0.00}, threshold {r.Threshold:0.00}");
        }
    }

    [Theory]
    [InlineData(Attack.Mp3_128k)]
    [InlineData(Attack.Aac_128k)]
    [InlineData(Attack.Opus_64k)]
    [InlineData(Attack.Resample_16_44k1_16)]
    [InlineData(Attack.GainMinus6dB)]
    [InlineData(Attack.SubFrameShift)]
    public void Decodes_the_payload_of_ambience_after(Attack attack)
    {
        var attacks = new Attacks(S.SampleRate, S.Hop, TestAudio.TempDir);
        var y = attacks.Apply(attack, TestAudio.Marked(ClipKind.Ambience), new Random(9), () => TestAudio.Clip(ClipKind.Music));
        var r = Watermarker.Detect(y, S.SampleRate, WatermarkKey.Public);
        Assert.True(r.Detected, $"score {r.Score:0.00}");
        Assert.Equal(TestAudio.Payload, r.Payload);
    }

    [Theory]
    [InlineData(Attack.Mp3_128k)]
    [InlineData(Attack.Opus_64k)]
    public void Detects_speech_after(Attack attack)
    {
        // Speech is detected after codecs; its payload needs a larger per-tile cap than the default (see WatermarkerTests).
        var attacks = new Attacks(S.SampleRate, S.Hop, TestAudio.TempDir);
        var y = attacks.Apply(attack, TestAudio.Marked(ClipKind.Speech), new Random(9), () => TestAudio.Clip(ClipKind.Music));
        var r = Watermarker.Detect(y, S.SampleRate, WatermarkKey.Public);
        Assert.True(r.Detected, $"score {r.Score:0.00}, threshold {r.Threshold:0.00}");
    }
}
