using V2a.Corpus.Render;
using V2a.Corpus.Scene;
using V2a.Media;

namespace V2a.Corpus.Tests;

public class RenderTests
{
    private static double MeanBrightness(FrameRenderer r, int frame)
    {
        var rgb = new byte[r.FrameBytes];
        r.Render(frame, VideoSettings.Default.Fps, rgb);
        return rgb.Average(b => (double)b);
    }

    [Fact]
    public void An_explosion_flashes_on_the_frame_of_its_event()
    {
        // Given a visible explosion
        var scene = Enumerable.Range(0, 300).Select(i => FoleyWorld.Plan(FoleyWorld.ClipSeed(2, i), FoleyWorld.ClipId(i), 4, [SoundClasses.Explosion]))
            .First(s => s.Sounding.Single().Visible);
        var t = scene.Sounding.Single().Events[0].TStart;
        var fps = VideoSettings.Default.Fps;
        using var renderer = new FrameRenderer(scene, FoleyWorld.FrameSize);

        // When the frames around it are drawn
        var first = (int)Math.Ceiling(t * fps); // the first frame showing a time at or after the blast
        var before = MeanBrightness(renderer, first - 1);
        var at = MeanBrightness(renderer, first);
        var later = MeanBrightness(renderer, first + 6);

        // Then the frame at the event is much brighter than the one before, and the flash fades
        Assert.True(at > before + 30, $"before {before:0.0}, at {at:0.0}");
        Assert.True(later < at - 20, $"at {at:0.0}, 6 frames later {later:0.0}");
    }

    [Fact]
    public void A_bouncing_object_touches_the_floor_at_its_impact_times()
    {
        // Given a visible bouncing object whose first impact falls exactly on a frame
        var scene = Enumerable.Range(0, 400).Select(i => FoleyWorld.Plan(FoleyWorld.ClipSeed(4, i), FoleyWorld.ClipId(i), 4, [SoundClasses.ImpactMetal]))
            .First(s => s.Sounding.Single().Visible && s.Sounding.Single().Events.Count >= 2);
        var ball = (Sources.DroppedObject)scene.Sounding.Single();

        // Then the planned centre is on the floor at each event and above it between events
        foreach (var e in ball.Events)
        {
            Assert.Equal(ball.BaseY - ball.Radius, ball.CentreAt(e.TStart).Y, 3);
        }

        var mid = (ball.Events[0].TStart + ball.Events[1].TStart) / 2;
        Assert.True(ball.CentreAt(mid).Y < ball.BaseY - ball.Radius - 0.005);
    }

    [Fact]
    public void Video_encoder_writes_h264_with_the_given_audio()
    {
        using var tmp = new TempDir();
        var wav = tmp["a.wav"];
        AudioWriter.WriteFile(wav, new float[16000], 16000);
        using (var enc = new VideoEncoder(tmp["v.mp4"], 64, 48, 25, wav))
        {
            var frame = new byte[64 * 48 * 3];
            for (var i = 0; i < 25; i++)
            {
                Array.Fill(frame, (byte)(i * 10));
                enc.WriteFrame(frame);
            }

            enc.Commit();
        }

        var info = MediaProbe.Probe(tmp["v.mp4"]);
        Assert.Equal(("h264", 64, 48), (info.Video!.Codec, info.Video.Width, info.Video.Height));
        Assert.Equal("aac", info.Audio.Single().Codec);
        Assert.InRange(info.DurationSeconds, 0.95, 1.1);
        Assert.Single(Directory.GetFiles(tmp.Path, "*.mp4"));
    }

    [Fact]
    public void Video_encoder_leaves_nothing_when_not_committed()
    {
        using var tmp = new TempDir();
        using (var enc = new VideoEncoder(tmp["v.mp4"], 32, 32, 25, null))
        {
            enc.WriteFrame(new byte[32 * 32 * 3]);
        }

        Assert.Empty(Directory.GetFiles(tmp.Path));
    }
}
