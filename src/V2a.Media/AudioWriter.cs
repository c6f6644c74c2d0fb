using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;

namespace V2a.Media;

/// <summary>Sample formats v2a writes.</summary>
public enum AudioFileFormat
{
    /// <summary>WAV, 16-bit signed PCM (dithered to nothing: plain rounding with clipping at ±1).</summary>
    Wav16,

    /// <summary>WAV, 32-bit IEEE float.</summary>
    WavFloat,

    /// <summary>FLAC, 16-bit, lossless (encoded by ffmpeg).</summary>
    Flac,
}

/// <summary>
/// Streams mono float samples in [-1, 1] to a WAV or FLAC file. The file appears only on
/// <see cref="Commit"/>; disposing without committing leaves nothing behind. Memory is one chunk.
/// </summary>
public sealed class AudioWriter : IDisposable
{
    private readonly AtomicFile _file;
    private readonly AudioFileFormat _format;
    private readonly int _sampleRate;
    private readonly FileStream? _wav;
    private readonly ToolProcess? _flac;
    private long _samples;
    private bool _done;

    public AudioWriter(string path, int sampleRate, AudioFileFormat? format = null)
    {
        _format = format ?? FormatFor(path);
        _sampleRate = sampleRate;
        _file = AtomicFile.Create(path);
        if (_format == AudioFileFormat.Flac)
        {
            _flac = Ffmpeg.Start(Ffmpeg.FfmpegExe,
                ["-v", "error", "-nostdin", "-y", "-f", "f32le", "-ar", sampleRate.ToString(CultureInfo.InvariantCulture), "-ac", "1",
                 "-i", "pipe:0", "-c:a", "flac", "-sample_fmt", "s16", _file.TempPath], pipeStdin: true);
        }
        else
        {
            _wav = new FileStream(_file.TempPath, FileMode.CreateNew, FileAccess.ReadWrite);
            _wav.Write(new byte[44]); // header, filled in on commit
        }
    }

    public string Path => _file.FinalPath;

    /// <summary>Picks the format from the extension: .wav → 16-bit WAV, .flac → FLAC.</summary>
    public static AudioFileFormat FormatFor(string path) => System.IO.Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".wav" => AudioFileFormat.Wav16,
        ".flac" => AudioFileFormat.Flac,
        var ext => throw new BadInputException(path, $"unsupported audio extension '{ext}' (use .wav or .flac)"),
    };

    public void Write(ReadOnlySpan<float> samples)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (_flac is not null)
        {
            _flac.StandardInput.Write(MemoryMarshal.AsBytes(samples));
        }
        else if (_format == AudioFileFormat.WavFloat)
        {
            _wav!.Write(MemoryMarshal.AsBytes(samples));
        }
        else
        {
            var pcm = new byte[samples.Length * 2];
            for (var i = 0; i < samples.Length; i++)
            {
                var v = (short)Math.Round(Math.Clamp(samples[i], -1f, 1f) * 32767f);
                BinaryPrimitives.WriteInt16LittleEndian(pcm.AsSpan(i * 2), v);
            }

            _wav!.Write(pcm);
        }

        _samples += samples.Length;
    }

    /// <summary>Finishes the file and moves it into place.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        _done = true;
        if (_flac is not null)
        {
            _flac.StandardInput.Close();
            _flac.WaitForExitOrThrow(_file.FinalPath, "ffmpeg could not write FLAC");
            _flac.Dispose();
        }
        else
        {
            WriteWavHeader(_wav!, _samples, _sampleRate, _format == AudioFileFormat.WavFloat);
            _wav!.Dispose();
        }

        _file.Commit();
    }

    /// <summary>Writes a whole buffer to <paramref name="path"/>, atomically.</summary>
    public static void WriteFile(string path, ReadOnlySpan<float> samples, int sampleRate, AudioFileFormat? format = null)
    {
        using var w = new AudioWriter(path, sampleRate, format);
        w.Write(samples);
        w.Commit();
    }

    private static void WriteWavHeader(FileStream s, long samples, int sampleRate, bool isFloat)
    {
        var bytesPerSample = isFloat ? 4 : 2;
        var dataBytes = samples * bytesPerSample;
        if (dataBytes > uint.MaxValue - 36)
        {
            throw new BadInputException(s.Name, "audio too long for a WAV file (4 GiB); write FLAC instead");
        }

        Span<byte> h = stackalloc byte[44];
        "RIFF"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(36 + dataBytes));
        "WAVE"u8.CopyTo(h[8..]);
        "fmt "u8.CopyTo(h[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(h[20..], (ushort)(isFloat ? 3 : 1));
        BinaryPrimitives.WriteUInt16LittleEndian(h[22..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(h[24..], (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(h[28..], (uint)(sampleRate * bytesPerSample));
        BinaryPrimitives.WriteUInt16LittleEndian(h[32..], (ushort)bytesPerSample);
        BinaryPrimitives.WriteUInt16LittleEndian(h[34..], (ushort)(bytesPerSample * 8));
        "data"u8.CopyTo(h[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[40..], (uint)dataBytes);
        s.Seek(0, SeekOrigin.Begin);
        s.Write(h);
    }

    public void Dispose()
    {
        if (!_done)
        {
            _done = true;
            _wav?.Dispose();
            _flac?.Dispose();
        }

        _file.Dispose();
    }
}
