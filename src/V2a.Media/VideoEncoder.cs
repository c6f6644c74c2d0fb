using System.Globalization;

namespace V2a.Media;

/// <summary>Options of <see cref="VideoEncoder"/>.</summary>
public sealed record VideoEncoderOptions
{
    /// <summary>x264 constant rate factor: 18 is visually lossless for small synthetic frames, 23 is x264's default.</summary>
    public int Crf { get; init; } = 20;

    /// <summary>x264 preset; "veryfast" keeps a corpus build fast at little cost in size.</summary>
    public string Preset { get; init; } = "veryfast";

    /// <summary>AAC bit rate of the muxed audio, bits per second.</summary>
    public int AudioBitRate { get; init; } = 64_000;

    /// <summary>
    /// Encoder threads. 1 keeps one clip on one core, which is what a corpus build running one clip per core
    /// wants; 0 lets x264 choose.
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// Leaves out everything that varies between runs or ffmpeg builds (encoder version tags, creation time), so
    /// the same frames and audio give the same bytes: a corpus promises identical output for the same seed.
    /// </summary>
    public bool Bitexact { get; init; } = true;
}

/// <summary>
/// Encodes raw RGB24 frames, streamed one at a time, together with an existing audio file (WAV or FLAC) into an
/// H.264 (yuv420p) + AAC MP4. Frames go to ffmpeg through its stdin, so memory is one frame whatever the length.
/// The file appears only on <see cref="Commit"/>; disposing without committing leaves nothing behind. The audio
/// is trimmed to the video's duration (frames / fps) and padded with silence when shorter.
/// </summary>
public sealed class VideoEncoder : IDisposable
{
    private readonly AtomicFile _file;
    private readonly ToolProcess _ffmpeg;
    private readonly int _frameBytes;
    private long _frames;
    private bool _done;

    /// <param name="path">Output .mp4 (or .mov/.m4v).</param>
    /// <param name="width">Frame width in pixels; even, as yuv420p needs.</param>
    /// <param name="height">Frame height in pixels; even.</param>
    /// <param name="fps">Frames per second of the output (constant frame rate).</param>
    /// <param name="audioPath">Audio to mux, or null for a silent video.</param>
    public VideoEncoder(string path, int width, int height, double fps, string? audioPath, VideoEncoderOptions? options = null)
    {
        options ??= new VideoEncoderOptions();
        if (width <= 0 || height <= 0 || width % 2 != 0 || height % 2 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"frame size {width}x{height}: both sides must be positive and even (yuv420p)");
        }

        if (fps <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(fps), "fps must be positive");
        }

        if (Muxer.AudioCodecFor(path) != "aac")
        {
            throw new BadInputException(path, "VideoEncoder writes H.264/AAC; use an .mp4, .mov or .m4v path");
        }

        if (audioPath is not null)
        {
            MediaProbe.CheckReadableFile(audioPath);
        }

        Width = width;
        Height = height;
        Fps = fps;
        _frameBytes = width * height * 3;
        _file = AtomicFile.Create(path);
        var inv = CultureInfo.InvariantCulture;
        var args = new List<string>
        {
            "-v", "error", "-nostdin", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{width}x{height}", "-framerate", fps.ToString("0.######", inv),
            "-i", "pipe:0",
        };
        if (audioPath is not null)
        {
            args.AddRange(["-i", audioPath]);
        }

        args.AddRange(["-map", "0:v:0"]);
        if (audioPath is not null)
        {
            // The video's length is frames / fps; the audio is fitted to it in the filter once the frame count is
            // known only at the end, so "-shortest" is not used (it cuts at packet granularity). apad + -t below.
            args.AddRange(["-map", "1:a:0", "-af", "apad", "-c:a", "aac", "-b:a", options.AudioBitRate.ToString(inv)]);
        }

        args.AddRange([
            "-c:v", "libx264", "-preset", options.Preset, "-crf", options.Crf.ToString(inv), "-pix_fmt", "yuv420p",
            "-threads", options.Threads.ToString(inv),
            "-movflags", "+faststart",
        ]);
        if (options.Bitexact)
        {
            args.AddRange(["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"]);
        }

        if (audioPath is not null)
        {
            // apad makes the audio endless; stop the output where the video stream ends.
            args.Add("-shortest");
        }

        args.Add(_file.TempPath);
        _ffmpeg = Ffmpeg.Start(Ffmpeg.FfmpegExe, args, pipeStdin: true);
    }

    public int Width { get; }

    public int Height { get; }

    public double Fps { get; }

    public string Path => _file.FinalPath;

    /// <summary>Frames written so far.</summary>
    public long FrameCount => _frames;

    /// <summary>Writes one frame: packed RGB24, row-major, Width*Height*3 bytes.</summary>
    public void WriteFrame(ReadOnlySpan<byte> rgb)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (rgb.Length != _frameBytes)
        {
            throw new ArgumentException($"a frame is {_frameBytes} bytes ({Width}x{Height} RGB24), got {rgb.Length}", nameof(rgb));
        }

        try
        {
            _ffmpeg.StandardInput.Write(rgb);
        }
        catch (IOException)
        {
            // ffmpeg quit early (bad audio file, disk full): its own message says why.
            _done = true;
            _ffmpeg.WaitForExitOrThrow(_file.FinalPath, "ffmpeg could not encode the video");
            throw;
        }

        _frames++;
    }

    /// <summary>Finishes the file and moves it into place.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        _done = true;
        if (_frames == 0)
        {
            throw new InvalidOperationException("no frames were written");
        }

        _ffmpeg.StandardInput.Close();
        _ffmpeg.WaitForExitOrThrow(_file.FinalPath, "ffmpeg could not encode the video");
        _ffmpeg.Dispose();
        _file.Commit();
    }

    public void Dispose()
    {
        if (!_done)
        {
            _done = true;
        }

        _ffmpeg.Dispose();
        _file.Dispose();
    }
}
