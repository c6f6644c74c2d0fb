namespace V2a.Media.Tests;

public sealed class MediaProbeTests : IDisposable
{
    private readonly TestMedia _media = new();

    public void Dispose() => _media.Dispose();

    [Fact]
    public void Reports_duration_size_rate_and_streams_of_an_ordinary_video()
    {
        var path = _media.Video("clip.mp4", seconds: 2, width: 160, height: 120, fps: 25);

        var info = MediaProbe.Probe(path);

        Assert.Equal(2.0, info.DurationSeconds, 1);
        Assert.Equal("container", info.DurationSource);
        Assert.Equal((160, 120), (info.Video!.Width, info.Video.Height));
        Assert.Equal(25, info.Video.Fps, 3);
        Assert.False(info.Video.VariableFrameRate);
        Assert.Equal(0, info.Video.Rotation);
        Assert.Single(info.Audio);
        Assert.Equal(2, info.StreamCount);
    }

    [Fact]
    public void Scans_for_the_duration_when_the_container_states_none()
    {
        // Matroska written to a pipe cannot seek back to write its duration.
        var path = _media.PathOf("piped.mkv");
        var bytes = TestMedia.Run("bash", ["-c", $"ffmpeg -v error -f lavfi -i testsrc=size=64x64:rate=25:duration=3 -c:v libx264 -f matroska - > '{path}'"]);
        Assert.Empty(bytes);

        var info = MediaProbe.Probe(path);

        Assert.Equal("scan", info.DurationSource);
        Assert.Equal(3.0, info.DurationSeconds, 1);
    }

    [Fact]
    public void A_raw_elementary_stream_without_timestamps_gets_its_packets_duration()
    {
        // A raw H.264 stream (.h264) has no container and its packets no timestamps, only durations.
        var path = _media.Make("raw.h264", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=2", "-c:v", "libx264", "-f", "h264");

        var info = MediaProbe.ProbeVideo(path);

        Assert.Equal("scan", info.DurationSource);
        Assert.Equal(2.0, info.DurationSeconds, 1);
    }

    [Fact]
    public void Reads_rotation_metadata_and_swaps_the_displayed_size()
    {
        var plain = _media.Video("plain.mp4", width: 160, height: 96, audio: false);
        var rotated = _media.Make("rotated.mp4", "-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90");

        var v = MediaProbe.Probe(rotated).Video!;

        Assert.Contains(v.Rotation, new[] { 90, 270 });
        Assert.Equal((96, 160), (v.DisplayWidth, v.DisplayHeight));
    }

    [Fact]
    public void Detects_variable_frame_rate()
    {
        // Timestamps alternate 40 ms / 80 ms: the average is 60 ms but no interval is.
        var path = _media.Make("vfr.mkv", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=4",
            "-vf", "setpts='if(eq(mod(N,2),0),N*1.5,N*1.5+0.5)/25/TB'", "-fps_mode", "passthrough", "-c:v", "libx264");

        var v = MediaProbe.Probe(path).Video!;

        Assert.True(v.VariableFrameRate);
    }

    [Fact]
    public void Reports_odd_sizes_and_alpha()
    {
        var odd = _media.Make("odd.mp4", "-f", "lavfi", "-i", "testsrc=size=33x17:rate=25:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv444p");
        var alpha = _media.Make("alpha.mov", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=1,format=rgba", "-c:v", "qtrle");

        Assert.Equal((33, 17), (MediaProbe.Probe(odd).Video!.Width, MediaProbe.Probe(odd).Video!.Height));
        Assert.True(MediaProbe.Probe(alpha).Video!.HasAlpha);
        Assert.False(MediaProbe.Probe(odd).Video!.HasAlpha);
    }

    [Fact]
    public void Audio_only_file_probes_but_is_refused_as_a_video()
    {
        var path = _media.Make("tone.m4a", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac");

        Assert.Null(MediaProbe.Probe(path).Video);
        var e = Assert.Throws<BadInputException>(() => MediaProbe.ProbeVideo(path));
        Assert.Contains("no video stream", e.Message);
        Assert.StartsWith(path, e.Message);
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("random")]
    [InlineData("text")]
    [InlineData("truncated")]
    [InlineData("missing")]
    [InlineData("folder")]
    public void Unusable_files_are_bad_input_naming_the_file(string kind)
    {
        var path = MakeBad(kind);

        var e = Assert.Throws<BadInputException>(() => MediaProbe.ProbeVideo(path));

        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Too_short_and_too_small_videos_are_refused_with_the_reason()
    {
        var shortClip = _media.Make("short.mp4", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=0.2", "-c:v", "libx264");
        var tiny = _media.Make("tiny.mkv", "-f", "lavfi", "-i", "color=red:size=16x16:rate=25:duration=1,scale=1:1", "-c:v", "ffv1");

        Assert.Contains("too short", Assert.Throws<BadInputException>(() => MediaProbe.ProbeVideo(shortClip)).Message);
        Assert.Contains("1x1", Assert.Throws<BadInputException>(() => MediaProbe.ProbeVideo(tiny)).Message);
    }

    private string MakeBad(string kind) => _media.Bad(kind);
}
