using V2a.Media;

namespace V2a.Eval.Metrics;

/// <summary>How <see cref="MotionEnvelope"/> turns frame differences into one value a frame.</summary>
public enum MotionEnvelopeKind
{
    /// <summary>Mean absolute luma change from the previous frame: how much moves.</summary>
    Energy,

    /// <summary>
    /// "Motion flux", the video twin of spectral flux: the frame is split into a grid of cells, each cell's
    /// motion energy is measured, and the positive changes of the cells' energies are summed. It rises where
    /// motion starts, stops or turns (an impact, a flash, a step), not where it merely goes on.
    /// </summary>
    Flux,
}

/// <summary>
/// The video's motion-event envelope: one value per decoded frame (value j belongs to frame j, shown at
/// j / fps seconds), from luma differences between consecutive frames. Frame 0 has no predecessor and gets 0.
/// Streaming: only the previous frame and one value a frame are kept.
/// </summary>
public sealed class MotionEnvelope
{
    private readonly MotionEnvelopeKind _kind;
    private readonly int _grid;
    private readonly List<double> _values = [];
    private float[]? _previousLuma;
    private double[]? _previousCells;

    /// <summary>Cells per side of the flux grid. 4 (16 cells) aligned real corpus audio best of 1, 2, 4 and 8:
    /// finer grids fire whenever an object crosses into a new cell, coarser ones let objects mask each other.</summary>
    public const int DefaultGrid = 4;

    /// <param name="grid">Cells per side for <see cref="MotionEnvelopeKind.Flux"/> (4 → 16 cells).</param>
    public MotionEnvelope(MotionEnvelopeKind kind = MotionEnvelopeKind.Flux, int grid = DefaultGrid)
    {
        if (grid < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(grid), grid, "grid must be at least 1 cell a side");
        }

        _kind = kind;
        _grid = grid;
    }

    public IReadOnlyList<double> Values => _values;

    /// <summary>The envelope of a whole frame stream (e.g. <see cref="FrameReader.Read"/> at the video fps).</summary>
    public static double[] Compute(IEnumerable<VideoFrame> frames, MotionEnvelopeKind kind = MotionEnvelopeKind.Flux, int grid = DefaultGrid)
    {
        var env = new MotionEnvelope(kind, grid);
        foreach (var f in frames)
        {
            env.Add(f.Rgb, f.Width, f.Height);
        }

        return [.. env._values];
    }

    /// <summary>Adds the next frame (packed RGB24, row-major).</summary>
    public void Add(byte[] rgb, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Length != width * height * 3)
        {
            throw new ArgumentException($"frame of {width}x{height} needs {width * height * 3} bytes, got {rgb.Length}", nameof(rgb));
        }

        var luma = new float[width * height];
        for (var i = 0; i < luma.Length; i++)
        {
            // BT.601 luma in [0, 1].
            luma[i] = ((0.299f * rgb[3 * i]) + (0.587f * rgb[(3 * i) + 1]) + (0.114f * rgb[(3 * i) + 2])) / 255f;
        }

        if (_previousLuma is null || _previousLuma.Length != luma.Length)
        {
            _previousLuma = luma;
            _previousCells = new double[_grid * _grid];
            _values.Add(0);
            return;
        }

        var cells = new double[_grid * _grid];
        var counts = new int[_grid * _grid];
        var total = 0.0;
        for (var y = 0; y < height; y++)
        {
            var cy = y * _grid / height;
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                var d = Math.Abs(luma[i] - _previousLuma[i]);
                total += d;
                var c = (cy * _grid) + (x * _grid / width);
                cells[c] += d;
                counts[c]++;
            }
        }

        for (var c = 0; c < cells.Length; c++)
        {
            cells[c] = counts[c] > 0 ? cells[c] / counts[c] : 0;
        }

        double value;
        if (_kind == MotionEnvelopeKind.Energy)
        {
            value = total / luma.Length;
        }
        else
        {
            value = 0;
            for (var c = 0; c < cells.Length; c++)
            {
                value += Math.Max(0, cells[c] - _previousCells![c]);
            }

            value /= cells.Length;
        }

        _values.Add(value);
        _previousLuma = luma;
        _previousCells = cells;
    }
}
