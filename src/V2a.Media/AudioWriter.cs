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
    private readonly IReadOnlyDictionary<string, string>? _tags;
    private long _samples;
    private bool _done;

    /// <param name="tags">Metadata to store: every key in FLAC (Vorbis comments); in WAV only "comment"
    /// (INFO/ICMT) and "encoder" or "tool" (INFO/ISFT), the keys its INFO chunk has room for.</param>
    public AudioWriter(string path, int sampleRate, AudioFileFormat? format = null, IReadOnlyDictionary<string, string>? tags = null)
    {
        _format = format ?? FormatFor(path);
        _sampleRate = sampleRate;
        _tags = tags;
        _file = AtomicFile.Create(path);
        if (_format == AudioFileFormat.Flac)
        {
            var args = new List<string>
            {
                "-v", "error", "-nostdin", "-y", "-f", "f32le", "-ar", sampleRate.ToString(CultureInfo.InvariantCulture), "-ac", "1",
                "-i", "pipe:0", "-c:a", "flac", "-sample_fmt", "s16", "-fflags", "+bitexact", "-flags:a", "+bitexact",
            };
            foreach (var (key, value) in tags ?? new Dictionary<string, string>())
            {
                args.AddRange(["-metadata", $"{key}={value}"]);
            }

            args.Add(_file.TempPath);
            _flac = Ffmpeg.Start(Ffmpeg.FfmpegExe, args, pipeStdin: true);
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
            var info = InfoChunk(_tags);
            WriteWavHeader(_wav!, _samples, _sampleRate, _format == AudioFileFormat.WavFloat, info.Length);
            _wav!.Seek(0, SeekOrigin.End);
            _wav.Write(info);
            _wav.Dispose();
        }

        _file.Commit();
    }

    /// <summary>Writes a whole buffer to <paramref name="path"/>, atomically.</summary>
    public static void WriteFile(string path, ReadOnlySpan<float> samples, int sampleRate, AudioFileFormat? format = null,
        IReadOnlyDictionary<string, string>? tags = null)
    {
        using var w = new AudioWriter(path, sampleRate, format, tags);
        w.Write(samples);
        w.Commit();
    }

    /// <summary>A RIFF LIST/INFO chunk with ICMT (comment) and ISFT (software), or nothing without tags.</summary>
    private static byte[] InfoChunk(IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null)
        {
            return [];
        }

        var fields = new List<(string Id, string Text)>();
        if (tags.TryGetValue("comment", out var comment))
        {
            fields.Add(("ICMT", comment));
        }

        if (tags.TryGetValue("encoder", out var tool) || tags.TryGetValue("tool", out tool))
        {
            fields.Add(("ISFT", tool));
        }

        if (fields.Count == 0)
        {
            return [];
        }

        using var body = new MemoryStream();
        body.Write("INFO"u8);
        foreach (var (id, text) in fields)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text + "\0");
            body.Write(System.Text.Encoding.ASCII.GetBytes(id));
            body.Write(BitConverter.GetBytes((uint)bytes.Length));
            body.Write(bytes);
            if (bytes.Length % 2 == 1)
            {
                body.WriteByte(0); // chunks are word-aligned
            }
        }

        using var chunk = new MemoryStream();
        chunk.Write("LIST"u8);
        chunk.Write(BitConverter.GetBytes((uint)body.Length));
        body.WriteTo(chunk);
        return chunk.ToArray();
    }

    private static void WriteWavHeader(FileStream s, long samples, int sampleRate, bool isFloat, int trailingBytes)
    {
        var bytesPerSample = isFloat ? 4 : 2;
        var dataBytes = samples * bytesPerSample;
        if (dataBytes > uint.MaxValue - 36 - trailingBytes)
        {
            throw new BadInputException(s.Name, "audio too long for a WAV file (4 GiB); write FLAC instead");
        }

        Span<byte> h = stackalloc byte[44];
        "RIFF"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(36 + dataBytes + trailingBytes));
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
