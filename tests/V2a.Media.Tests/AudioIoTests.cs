namespace V2a.Media.Tests;

public sealed class AudioIoTests : IDisposable
{
    private readonly TestMedia _media = new();

    public void Dispose() => _media.Dispose();

    [Fact]
    public void Decodes_any_stream_to_mono_at_the_requested_rate()
    {
        // Stereo 44.1 kHz, 440 Hz on the left and silence on the right: the downmix keeps the left at -3 dB.
        var path = _media.Make("stereo.wav", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=1",
            "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-filter_complex", "[0:a][1:a]amerge=inputs=2,atrim=end=1[a]", "-map", "[a]");

        var samples = AudioReader.ReadAll(path, 16_000);

        Assert.InRange(samples.Length, 15_990, 16_010);
        Assert.InRange(ZeroCrossingHz(samples, 16_000), 435, 445);
        Assert.InRange(samples.Max(), 0.125f * 0.7071f * 0.97f, 0.125f * 0.7071f * 1.03f); // lavfi sine is 1/8 full scale
    }

    [Fact]
    public void Decodes_the_audio_track_of_a_video_in_chunks()
    {
        var path = _media.Video("clip.mp4", seconds: 2);

        var chunks = AudioReader.ReadChunks(path, 16_000, chunkSamples: 4000).ToList();

        Assert.True(chunks.Count >= 8);
        Assert.All(chunks.SkipLast(1), c => Assert.Equal(4000, c.Length));
        Assert.InRange(chunks.Sum(c => c.Length), 31_500, 32_500);
    }

    [Fact]
    public void A_video_without_audio_says_so()
    {
        var path = _media.Video("silent.mp4", audio: false);

        var e = Assert.Throws<BadInputException>(() => AudioReader.ReadAll(path, 16_000));

        Assert.Equal($"{path}: has no audio stream", e.Message);
    }

    [Theory]
    [InlineData("x.wav", AudioFileFormat.Wav16, 1.0 / 32767)]
    [InlineData("x.wav", AudioFileFormat.WavFloat, 0)]
    [InlineData("x.flac", AudioFileFormat.Flac, 1.0 / 32767)]
    public void Written_audio_reads_back_equal_within_its_precision(string name, AudioFileFormat format, double tolerance)
    {
        var path = _media.PathOf(name);
        var samples = Enumerable.Range(0, 16_000).Select(i => 0.5f * MathF.Sin(i * 0.05f)).ToArray();

        AudioWriter.WriteFile(path, samples, 16_000, format);
        var back = AudioReader.ReadAll(path, 16_000);

        Assert.Equal(samples.Length, back.Length);
        var maxErr = samples.Zip(back, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxErr <= tolerance + 1e-6, $"max error {maxErr}");
    }

    [Theory]
    [InlineData("tagged.flac")]
    [InlineData("tagged.wav")]
    public void Stores_the_comment_tag_where_the_format_has_room(string name)
    {
        var path = _media.PathOf(name);
        var tags = new Dictionary<string, string> { ["comment"] = "AI-generated audio: v2a", ["v2a_seed"] = "7" };

        AudioWriter.WriteFile(path, new float[1600], 16_000, tags: tags);

        var shown = TestMedia.Run("ffprobe", ["-v", "error", "-show_entries", "format_tags", "-of", "default=nw=1", path]);
        Assert.Contains("AI-generated audio: v2a", shown);
        Assert.Equal(name.EndsWith(".flac", StringComparison.Ordinal), shown.Contains("v2a_seed=7", StringComparison.Ordinal));
        Assert.Equal(1600, AudioReader.ReadAll(path, 16_000).Length);
    }

    [Fact]
    public void Wav_clips_out_of_range_samples_instead_of_wrapping()
    {
        var path = _media.PathOf("loud.wav");

        AudioWriter.WriteFile(path, [2f, -2f, 0.25f], 16_000);
        var back = AudioReader.ReadAll(path, 16_000);

        Assert.Equal(1f, back[0], 3);
        Assert.Equal(-1f, back[1], 3);
        Assert.Equal(0.25f, back[2], 3);
    }

    [Fact]
    public void An_abandoned_writer_leaves_nothing()
    {
        var path = _media.PathOf("partial.flac");

        using (var w = new AudioWriter(path, 16_000))
        {
            w.Write(new float[1000]);
        }

        Assert.Empty(Directory.GetFiles(_media.Dir));
    }

    [Fact]
    public void Unknown_extension_is_bad_input()
    {
        var e = Assert.Throws<BadInputException>(() => AudioWriter.WriteFile(_media.PathOf("x.ogg"), new float[10], 16_000));

        Assert.Contains(".ogg", e.Message);
    }

    /// <summary>Frequency from upward zero crossings over the middle half (codec priming and padding excluded).</summary>
    internal static double ZeroCrossingHz(float[] all, int rate)
    {
        var s = all[(all.Length / 4)..(3 * all.Length / 4)];
        var crossings = 0;
        for (var i = 1; i < s.Length; i++)
        {
            if (s[i - 1] < 0 && s[i] >= 0)
            {
                crossings++;
            }
        }

        return crossings * (double)rate / s.Length;
    }
}
