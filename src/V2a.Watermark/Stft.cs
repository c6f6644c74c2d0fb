using NWaves.Transforms;

namespace V2a.Watermark;

/// <summary>
/// The watermark's STFT: sqrt-periodic-Hann windows at 50% overlap, so analysis followed by synthesis
/// (window, overlap-add) reconstructs the input exactly. Frame m covers samples [(m−1)·hop, (m−1)·hop + N),
/// i.e. it is centred on sample m·hop; every sample lies in exactly two frames.
/// </summary>
internal sealed class Stft
{
    private readonly RealFft _fft;
    private readonly float[] _frame;

    /// <param name="hannAnalysis">Analyse with a plain Hann window instead of sqrt-Hann: sidelobes −31 dB and falling
    /// 18 dB/octave, so a loud partial does not leak into the quiet bands around it. For measuring only (no synthesis).</param>
    public Stft(int frameLength, bool hannAnalysis = false)
    {
        N = frameLength;
        Hop = frameLength / 2;
        Bins = (frameLength / 2) + 1;
        _fft = new RealFft(frameLength);
        _frame = new float[frameLength];
        Window = new float[frameLength];
        for (var i = 0; i < frameLength; i++)
        {
            var hann = 0.5 - (0.5 * Math.Cos(2 * Math.PI * i / frameLength));
            Window[i] = (float)(hannAnalysis ? hann : Math.Sqrt(hann));
        }
    }

    public int N { get; }

    public int Hop { get; }

    public int Bins { get; }

    public float[] Window { get; }

    /// <summary>Frames covering <paramref name="samples"/> samples, both edges included.</summary>
    public int FrameCount(long samples) => samples <= 0 ? 0 : (int)(((samples - 1) / Hop) + 2);

    /// <summary>First sample of frame m (negative for frame 0: it starts before the signal).</summary>
    public long FrameStart(int m) => ((long)m - 1) * Hop;

    /// <summary>Windowed spectrum of frame <paramref name="m"/> of <paramref name="x"/> (zeros outside it); re/im hold Bins values.</summary>
    public void Analyze(ReadOnlySpan<float> x, int m, float[] re, float[] im)
    {
        var start = FrameStart(m);
        for (var i = 0; i < N; i++)
        {
            var s = start + i;
            _frame[i] = s >= 0 && s < x.Length ? x[(int)s] * Window[i] : 0f;
        }

        _fft.Direct(_frame, re, im);
    }

    /// <summary>Windowed spectrum of one frame whose <see cref="N"/> samples are given (zeros already in place outside the signal).</summary>
    public void AnalyzeFrame(ReadOnlySpan<float> frame, float[] re, float[] im)
    {
        for (var i = 0; i < N; i++)
        {
            _frame[i] = frame[i] * Window[i];
        }

        _fft.Direct(_frame, re, im);
    }

    /// <summary>Inverse of one frame, windowed again: the frame's <see cref="N"/> samples to overlap-add at <see cref="FrameStart"/>.</summary>
    public void SynthesizeFrame(float[] re, float[] im, Span<float> frame)
    {
        _fft.Inverse(re, im, _frame);
        var scale = 1f / N;
        for (var i = 0; i < N; i++)
        {
            frame[i] = _frame[i] * Window[i] * scale;
        }
    }

    /// <summary>Inverse of one frame, windowed again and added into <paramref name="y"/> at the frame's place.</summary>
    public void SynthesizeAdd(float[] re, float[] im, int m, Span<float> y)
    {
        _fft.Inverse(re, im, _frame);
        var start = FrameStart(m);
        var scale = 1f / N;
        for (var i = 0; i < N; i++)
        {
            var s = start + i;
            if (s >= 0 && s < y.Length)
            {
                y[(int)s] += _frame[i] * Window[i] * scale;
            }
        }
    }
}
