namespace V2a.Watermark;

/// <summary>
/// Band energies of a signal that arrives in chunks (a decoder pipe), frame by frame: each frame's band energies are
/// handed on as soon as its samples have all arrived, and nothing but the last frame's samples is kept.
/// </summary>
internal sealed class StreamingAnalyzer
{
    private readonly WatermarkSettings _s;
    private readonly Stft _stft;
    private readonly Action<float[]> _onFrame;
    private readonly float[] _re;
    private readonly float[] _im;
    private readonly float[] _bands;
    private readonly float[] _buffer; // the last frame's worth of samples, positioned at FrameStart(_next)
    private int _next; // next frame to analyse
    private long _received;

    /// <param name="settings">The grid.</param>
    /// <param name="onFrame">Called with each frame's band energies (<see cref="WatermarkSettings.BandCount"/> values; the array is reused).</param>
    public StreamingAnalyzer(WatermarkSettings settings, Action<float[]> onFrame)
    {
        _s = settings;
        _onFrame = onFrame;
        _stft = new Stft(settings.FrameLength, hannAnalysis: true);
        _re = new float[_stft.Bins];
        _im = new float[_stft.Bins];
        _bands = new float[settings.BandCount];
        _buffer = new float[settings.FrameLength];
    }

    public long Samples => _received;

    /// <summary>Feeds samples; analyses every frame whose samples have all arrived.</summary>
    public void Add(ReadOnlySpan<float> chunk)
    {
        foreach (var v in chunk)
        {
            // _buffer holds samples [FrameStart(_next), FrameStart(_next) + N); fill the slot of sample _received.
            var offset = _received - _stft.FrameStart(_next);
            _buffer[offset] = v;
            _received++;
            if (offset == _s.FrameLength - 1)
            {
                Emit();
            }
        }
    }

    /// <summary>Analyses the frames that reach past the end (zero-padded).</summary>
    public void Finish()
    {
        var frames = _stft.FrameCount(_received);
        while (_next < frames)
        {
            var have = _received - _stft.FrameStart(_next);
            Array.Clear(_buffer, (int)Math.Max(0, have), _s.FrameLength - (int)Math.Max(0, have));
            Emit();
        }
    }

    private void Emit()
    {
        // Frame 0 starts a hop before the signal: its first half is zeros (the buffer starts cleared).
        _stft.Analyze(_buffer, 1, _re, _im);
        TileFeatures.FrameEnergy(_s, _re, _im, _bands);
        _onFrame(_bands);
        _next++;
        // Slide by one hop: the second half becomes the first half of the next frame.
        var hop = _s.Hop;
        Array.Copy(_buffer, hop, _buffer, 0, _s.FrameLength - hop);
        Array.Clear(_buffer, _s.FrameLength - hop, hop);
    }
}
