namespace V2a.Media.Tests;

public sealed class FrameReaderTests : IDisposable
{
    private readonly TestMedia _media = new();

    public void Dispose() => _media.Dispose();

    [Fact]
    public void Streams_frames_at_the_requested_rate_and_size()
    {
        var path = _media.Video("clip.mp4", seconds: 2, fps: 30);

        var frames = FrameReader.Read(path, fps: 25, width: 32, height: 32).ToList();

        Assert.Equal(50, frames.Count);
        Assert.All(frames, f => Assert.Equal(32 * 32 * 3, f.Rgb.Length));
        Assert.Equal(0.04, frames[1].TimeSeconds, 6);
        Assert.Equal(49, frames[^1].Index);
    }

    [Fact]
    public void Keeps_aspect_by_letterboxing_with_black()
    {
        // A white 2:1 picture in a square frame: white band in the middle, black above and below.
        var path = _media.Make("wide.mp4", "-f", "lavfi", "-i", "color=white:size=128x64:rate=25:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv444p");

        var f = FrameReader.Read(path, 25, 32, 32).First();

        Assert.True(Luma(f, x: 16, y: 2) < 30, "top rows are black padding");
        Assert.True(Luma(f, x: 16, y: 16) > 220, "middle rows show the picture");
        Assert.True(Luma(f, x: 16, y: 29) < 30, "bottom rows are black padding");
    }

    [Fact]
    public void Non_square_pixels_are_shown_at_their_display_aspect()
    {
        // A white 64×64 picture of 2:1 pixels (as anamorphic DV or DVD footage stores widescreen) displays 2:1:
        // letterboxed like the 128×64 picture above, not filling the square frame.
        var path = _media.Make("anamorphic.mp4", "-f", "lavfi", "-i", "color=white:size=64x64:rate=25:duration=1",
            "-vf", "setsar=2/1", "-c:v", "libx264", "-pix_fmt", "yuv444p");

        var f = FrameReader.Read(path, 25, 32, 32).First();

        Assert.True(Luma(f, x: 16, y: 2) < 30, "top rows are black padding");
        Assert.True(Luma(f, x: 16, y: 16) > 220, "middle rows show the picture");
        Assert.True(Luma(f, x: 16, y: 29) < 30, "bottom rows are black padding");
    }

    [Fact]
    public void Applies_rotation_so_frames_are_upright_as_players_show_them()
    {
        // Top half white; after a quarter turn the white half is on the left or the right, not on top.
        var half = _media.Make("half.mp4", "-f", "lavfi", "-i", "color=black:size=64x64:rate=25:duration=1,drawbox=x=0:y=0:w=64:h=32:color=white:t=fill",
            "-c:v", "libx264", "-pix_fmt", "yuv444p");
        var rotated = _media.Make("half90.mp4", "-i", half, "-c", "copy", "-metadata:s:v:0", "rotate=90");

        var upright = FrameReader.Read(half, 25, 16, 16).First();
        var turned = FrameReader.Read(rotated, 25, 16, 16).First();

        Assert.True(Luma(upright, 8, 2) > 200 && Luma(upright, 8, 13) < 50);
        var leftWhite = Luma(turned, 2, 8) > 200 && Luma(turned, 13, 8) < 50;
        var rightWhite = Luma(turned, 13, 8) > 200 && Luma(turned, 2, 8) < 50;
        Assert.True(leftWhite || rightWhite, "rotation was not applied");
        // The probe's clockwise rotation says which side: 270° clockwise = a quarter turn counter-clockwise, top → left.
        Assert.Equal(MediaProbe.Probe(rotated).Video!.Rotation == 270, leftWhite);
    }

    [Fact]
    public void Reads_variable_rate_and_odd_sized_video_at_a_fixed_rate()
    {
        var path = _media.Make("vfr-odd.mkv", "-f", "lavfi", "-i", "testsrc=size=33x17:rate=25:duration=4",
            "-vf", "setpts='if(eq(mod(N,2),0),N*1.5,N*1.5+0.5)/25/TB'", "-fps_mode", "passthrough", "-c:v", "libx264", "-pix_fmt", "yuv444p");
        var seconds = MediaProbe.Probe(path).DurationSeconds;

        var frames = FrameReader.Read(path, 25, 24, 24).Count();

        Assert.InRange(frames, (int)(seconds * 25) - 2, (int)(seconds * 25) + 2);
    }

    [Fact]
    public void Stops_at_max_seconds()
    {
        var path = _media.Video("clip.mp4", seconds: 3);

        Assert.Equal(25, FrameReader.Read(path, 25, 16, 16, maxSeconds: 1).Count());
    }

    [Fact]
    public void Garbage_is_bad_input_when_enumerated()
    {
        var path = _media.PathOf("junk.mp4");
        File.WriteAllText(path, "not a video");

        var e = Assert.Throws<BadInputException>(() => FrameReader.Read(path, 25, 16, 16).ToList());

        Assert.StartsWith(path, e.Message);
    }

    private static int Luma(VideoFrame f, int x, int y)
    {
        var i = ((y * f.Width) + x) * 3;
        return (f.Rgb[i] + f.Rgb[i + 1] + f.Rgb[i + 2]) / 3;
    }
}
