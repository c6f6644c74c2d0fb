namespace V2a.Media.Tests;

public sealed class MuxerTests : IDisposable
{
    private readonly TestMedia _media = new();

    public void Dispose() => _media.Dispose();

    private string Track(string name, double seconds, double hz = 1000)
    {
        var samples = Enumerable.Range(0, (int)(seconds * 16_000)).Select(i => 0.3f * MathF.Sin(2 * MathF.PI * (float)hz * i / 16_000)).ToArray();
        var path = _media.PathOf(name);
        AudioWriter.WriteFile(path, samples, 16_000);
        return path;
    }

    [Theory]
    [InlineData("out.mp4", "aac")]
    [InlineData("out.mov", "aac")]
    [InlineData("out.mkv", "opus")]
    public void Replaces_audio_copying_the_video_stream_with_the_container_codec(string name, string codec)
    {
        var video = _media.Video("in.mp4", seconds: 2);
        var output = _media.PathOf(name);

        Muxer.Mux(video, Track("gen.wav", 2), output);

        var info = MediaProbe.Probe(output);
        Assert.Equal(TestMedia.VideoPacketHash(video), TestMedia.VideoPacketHash(output));
        Assert.Equal(codec, Assert.Single(info.Audio).Codec);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(3.5)]
    public void Pads_or_trims_the_track_to_the_video_duration(double trackSeconds)
    {
        var video = _media.Video("in.mp4", seconds: 2, audio: false);
        var output = _media.PathOf("out.mkv");

        Muxer.Mux(video, Track("gen.wav", trackSeconds), output);

        var audio = AudioReader.ReadAll(output, 16_000);
        Assert.InRange(audio.Length / 16_000.0, 1.97, 2.03);
        if (trackSeconds < 2)
        {
            Assert.True(audio[^800..].Max(MathF.Abs) < 0.01f, "the padding is silence");
        }
    }

    [Fact]
    public void Keeps_the_original_as_a_second_track()
    {
        var video = _media.Video("in.mp4", seconds: 2);
        var output = _media.PathOf("out.mp4");

        Muxer.Mux(video, Track("gen.wav", 2, hz: 1000), output, new MuxOptions { Original = OriginalAudio.Track });

        Assert.Equal(2, MediaProbe.Probe(output).Audio.Count);
        Assert.InRange(AudioIoTests.ZeroCrossingHz(AudioReader.ReadAll(output, 16_000, streamIndex: 0), 16_000), 990, 1010);
        Assert.InRange(AudioIoTests.ZeroCrossingHz(AudioReader.ReadAll(output, 16_000, streamIndex: 1), 16_000), 435, 445);
    }

    [Fact]
    public void Mixes_the_generated_track_under_the_original_into_one_track()
    {
        var video = _media.Video("in.mp4", seconds: 2);
        var output = _media.PathOf("out.mp4");

        Muxer.Mux(video, Track("gen.wav", 2), output, new MuxOptions { Original = OriginalAudio.Mix, MixGainDb = -6 });

        var mixed = AudioReader.ReadAll(output, 16_000);
        Assert.Single(MediaProbe.Probe(output).Audio);
        // Both tones are present: more zero crossings than 440 Hz alone, fewer than 1 kHz alone would not tell; check energy.
        var rms = Math.Sqrt(mixed.Average(x => x * x));
        Assert.InRange(rms, 0.13, 0.25); // 0.0884 (lavfi sine) and 0.106 (0.3 at -6 dB) in quadrature ≈ 0.138
    }

    [Fact]
    public void Writes_provenance_tags_into_the_container()
    {
        var video = _media.Video("in.mp4", seconds: 1);
        var output = _media.PathOf("out.mp4");

        Muxer.Mux(video, Track("gen.wav", 1), output, new MuxOptions { Tags = new Dictionary<string, string> { ["comment"] = "AI-generated audio", ["v2a_seed"] = "42" } });

        var tags = TestMedia.Run("ffprobe", ["-v", "error", "-show_entries", "format_tags", "-of", "default=nw=1", output]);
        Assert.Contains("comment=AI-generated audio", tags);
        Assert.Contains("v2a_seed=42", tags);
    }

    [Fact]
    public void A_failed_mux_leaves_no_output_and_names_the_file()
    {
        var video = _media.Video("in.mp4", seconds: 1);
        var junkAudio = _media.PathOf("junk.wav");
        File.WriteAllText(junkAudio, "not audio");
        var output = _media.PathOf("out.mp4");

        Assert.Throws<BadInputException>(() => Muxer.Mux(video, junkAudio, output));

        Assert.False(File.Exists(output));
        Assert.DoesNotContain(Directory.GetFiles(_media.Dir), f => f.Contains("v2a-tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Re_encodes_a_stream_the_container_cannot_hold_and_copies_one_it_can()
    {
        // Given a GIF of odd size (no .mp4 can hold gif video; 4:2:0 H.264 needs even sides) and an H.264 video
        var gif = _media.Make("in.gif", "-f", "lavfi", "-i", "testsrc=size=81x61:rate=10:duration=2");
        var h264 = _media.Video("in.mp4", seconds: 2);

        // When each is muxed into .mp4 and .webm
        var gifMp4 = Muxer.Mux(gif, Track("gen.wav", 2), _media.PathOf("gif.mp4"));
        var h264Webm = Muxer.Mux(h264, Track("gen.wav", 2), _media.PathOf("h264.webm"));
        var h264Mp4 = Muxer.Mux(h264, Track("gen.wav", 2), _media.PathOf("h264.mp4"));

        // Then the first two are re-encoded (H.264 with even sides, VP9), each 2 s with its soundtrack, and the third copied
        Assert.Equal(("gif", "libx264"), (gifMp4.SourceCodec, gifMp4.Encoder));
        var a = MediaProbe.Probe(_media.PathOf("gif.mp4"));
        Assert.Equal(("h264", 80, 60), (a.Video!.Codec, a.Video.Width, a.Video.Height));
        Assert.Equal("libvpx-vp9", h264Webm.Encoder);
        var b = MediaProbe.Probe(_media.PathOf("h264.webm"));
        Assert.Equal(("vp9", "opus"), (b.Video!.Codec, Assert.Single(b.Audio).Codec));
        foreach (var info in new[] { a, b })
        {
            Assert.InRange(info.DurationSeconds, 1.9, 2.1);
            Assert.Single(info.Audio);
        }

        Assert.True(h264Mp4.Copied);
        Assert.Equal(TestMedia.VideoPacketHash(h264), TestMedia.VideoPacketHash(_media.PathOf("h264.mp4")));
        Assert.Contains("gif video re-encoded with libx264 (.mp4 cannot hold gif)", gifMp4.Describe());
    }

    [Theory]
    [InlineData("libopus", 44_100, 48_000)]
    [InlineData("libopus", 16_000, 16_000)]
    [InlineData("libopus", 22_050, 24_000)]
    [InlineData("libopus", 96_000, 48_000)]
    [InlineData("libmp3lame", 96_000, 48_000)]
    [InlineData("libmp3lame", 11_025, 11_025)]
    [InlineData("libmp3lame", 6_000, 8_000)]
    [InlineData("aac", 96_000, 96_000)]
    [InlineData("flac", 7_000, 7_000)]
    public void An_encoder_gets_the_input_rate_where_it_can_else_the_next_rate_up(string encoder, int rate, int expected) =>
        Assert.Equal(expected, Muxer.EncodableRate(encoder, rate));

    [Theory]
    [InlineData("out.mp4", "gif", false)]
    [InlineData("out.mp4", "h264", true)]
    [InlineData("out.MP4", "vp9", true)]
    [InlineData("out.webm", "h264", false)]
    [InlineData("out.mkv", "ffv1", true)]
    [InlineData("out.mov", "vp9", false)]
    public void Knows_which_codecs_a_container_takes_by_copy(string output, string codec, bool copies) =>
        Assert.Equal(copies, Muxer.CanCopy(output, codec));
}
