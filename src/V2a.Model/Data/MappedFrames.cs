using System.IO.MemoryMappedFiles;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace V2a.Model.Data;

/// <summary>Where a split's video frames live while it trains (<see cref="ShardDataset.Load"/>).</summary>
public enum FrameStorage
{
    /// <summary>In memory unless the split's frames would take more than half of the machine's memory; then mapped.</summary>
    Auto,

    /// <summary>Copied into one tensor in memory (the fastest when they fit).</summary>
    Memory,

    /// <summary>Read from the shard files as each batch needs them (memory-mapped; the operating system's page cache keeps
    /// what fits), so 4,000 clips at 128×128 — 39 GB of frames — train on a 24 GB machine.</summary>
    Mapped,
}

/// <summary>
/// The frames of one split, read from its shard files as they are asked for instead of held in memory: each shard's
/// <c>frames</c> tensor (N, F, S, S, 3) uint8 is mapped where the safetensors header puts it, and a crop of one clip
/// is copied out of the map. The bytes are the shards' own, so a batch is the same whichever way the frames are held.
/// </summary>
internal sealed class MappedFrames : IDisposable
{
    private readonly List<(MemoryMappedFile File, MemoryMappedViewAccessor View)> _maps = [];
    private readonly List<(int Map, long Offset)> _clips = [];
    private readonly int _side;

    public MappedFrames(int framesPerClip, int side)
    {
        FramesPerClip = framesPerClip;
        _side = side;
    }

    /// <summary>Frames stored per clip (F).</summary>
    public int FramesPerClip { get; }

    private long FrameBytes => (long)_side * _side * 3;

    /// <summary>Maps the frames of a shard file and appends its clips.</summary>
    /// <returns>The names of the file's other tensors, for the caller to load without the frames.</returns>
    public List<string> Append(string path)
    {
        var (offset, shape, others) = FramesLocation(path);
        if (shape.Length != 5 || shape[1] != FramesPerClip || shape[2] != _side || shape[3] != _side || shape[4] != 3)
        {
            throw new BadInputException(path, $"holds frames of shape ({string.Join(", ", shape)}) where the other shards hold (N, {FramesPerClip}, {_side}, {_side}, 3); run 'v2a data prepare' again");
        }

        var clipBytes = FramesPerClip * FrameBytes;
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = file.CreateViewAccessor(offset, shape[0] * clipBytes, MemoryMappedFileAccess.Read);
        _maps.Add((file, view));
        for (long r = 0; r < shape[0]; r++)
        {
            _clips.Add((_maps.Count - 1, r * clipBytes));
        }

        return others;
    }

    /// <summary>Frames <paramref name="start"/> … <paramref name="start"/> + <paramref name="length"/> − 1 of a clip,
    /// (length, S, S, 3) uint8; past the stored end the last frame repeats (as <c>ShardDataset</c>'s crops do).</summary>
    public Tensor Read(int clip, int start, int length)
    {
        var (map, offset) = _clips[clip];
        var have = Math.Min(length, FramesPerClip - start);
        var bytes = new byte[length * FrameBytes];
        _maps[map].View.ReadArray(offset + (start * FrameBytes), bytes, 0, (int)(have * FrameBytes));
        for (var j = have; j < length; j++)
        {
            Array.Copy(bytes, (have - 1) * FrameBytes, bytes, j * FrameBytes, FrameBytes);
        }

        return torch.tensor(bytes, [length, _side, _side, 3]);
    }

    /// <summary>Where a safetensors file keeps its <c>frames</c> tensor: the byte offset of its data and its shape; and
    /// the names of its other tensors.</summary>
    internal static (long Offset, long[] Shape, List<string> Others) FramesLocation(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> size = stackalloc byte[8];
        stream.ReadExactly(size);
        var headerBytes = BitConverter.ToInt64(size);
        if (headerBytes <= 0 || headerBytes > 100_000_000 || headerBytes > stream.Length - 8)
        {
            throw new BadInputException(path, "is not a safetensors file (its header length is out of range)");
        }

        var header = new byte[headerBytes];
        stream.ReadExactly(header);
        using var doc = JsonDocument.Parse(header);
        if (!doc.RootElement.TryGetProperty("frames", out var frames) || frames.GetProperty("dtype").GetString() != "U8")
        {
            throw new BadInputException(path, "holds no uint8 'frames' tensor; run 'v2a data prepare' again");
        }

        var shape = frames.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var begin = frames.GetProperty("data_offsets")[0].GetInt64();
        var others = doc.RootElement.EnumerateObject().Select(p => p.Name).Where(n => n is not "frames" and not "__metadata__").ToList();
        return (8 + headerBytes + begin, shape, others);
    }

    public void Dispose()
    {
        foreach (var (file, view) in _maps)
        {
            view.Dispose();
            file.Dispose();
        }

        _maps.Clear();
    }
}
