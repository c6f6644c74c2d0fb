namespace V2a.Audio.Tests;

public class LogMelTests
{
    private static readonly AudioSettings S = AudioSettings.Default;

    [Theory]
    [InlineData(128_000, 500)] // 8 s
    [InlineData(16_000, 62)]   // 1 s: 62.5 frames a second, rounded down
    [InlineData(256, 1)]
    [InlineData(255, 0)]
    public void Gives_samples_over_hop_frames(int samples, int frames)
    {
        Assert.Equal(frames, LogMel.FrameCount(S, samples));
        Assert.Equal(frames, LogMel.Compute(new float[samples], S).GetLength(1));
    }

    [Theory]
    [InlineData(8.0)]
    [InlineData(0.3)]   // 18.75 frames: the front end gives 18
    [InlineData(2.5)]
    [InlineData(1.0)]
    public void The_settings_frame_count_is_the_front_ends(double seconds)
    {
        Assert.Equal(S.FramesFor(seconds), LogMel.FrameCount(S, S.SamplesFor(seconds)));
    }

    [Fact]
    public void Frame_t_is_centred_half_a_hop_after_sample_t_times_hop()
    {
        Assert.Equal(10 * S.HopLength + S.HopLength / 2.0, LogMel.CreateStft(S).FrameCentreSample(10));
    }

    [Fact]
    public void Silence_sits_at_the_log_floor()
    {
        var mel = LogMel.Compute(new float[4096], S);
        Assert.All(mel.Cast<float>(), v => Assert.Equal(Math.Log(S.LogFloor), v, 1e-6));
    }
}
