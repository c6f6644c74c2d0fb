namespace V2a.Audio;

/// <summary>Receives one STFT frame: bins 0..NFft/2 of the complex spectrum (unnormalised).</summary>
public delegate void StftFrameHandler(int frame, ReadOnlySpan<double> re, ReadOnlySpan<double> im);

/// <summary>
/// Short-time Fourier transform over plain arrays, matching <c>torch.stft(x, n_fft, hop, win_length,
/// hann_window(win_length), center=False)</c> applied to <c>x</c> reflect-padded by <see cref="Padding"/>
/// samples on each side. <see cref="Centered"/> (padding = n_fft/2) is torch's <c>center=True</c>: frame t
/// is centred on sample t·hop and N samples give N/hop + 1 frames. The mel front end uses
/// <see cref="LogMel.Padding"/> instead (see <see cref="LogMel"/>).
/// <para>
/// The window is the periodic Hann window (torch.hann_window's default), centred inside n_fft when
/// win_length &lt; n_fft. Reflect padding mirrors about the end samples without repeating them, like
/// torch/numpy "reflect"; inputs shorter than the padding are mirrored repeatedly instead of failing.
/// An instance is immutable and thread-safe; each call allocates only O(n_fft) scratch, so memory does not
/// grow with the input beyond the caller's output.
/// </para>
/// </summary>
public sealed class Stft
{
    private readonly RealFft _fft;
    private readonly double[] _window; // n_fft long, zero outside the centred win_length span
    private readonly int _windowStart;

    public Stft(int nFft, int hopLength, int winLength, int padding)
    {
        if (hopLength < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(hopLength), hopLength, "hop must be >= 1 sample");
        }

        if (winLength < 1 || winLength > nFft)
        {
            throw new ArgumentOutOfRangeException(nameof(winLength), winLength, $"window must be 1..n_fft ({nFft}) samples");
        }

        if (padding < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must be >= 0 samples");
        }

        _fft = new RealFft(nFft);
        NFft = nFft;
        HopLength = hopLength;
        WinLength = winLength;
        Padding = padding;
        _windowStart = (nFft - winLength) / 2;
        _window = new double[nFft];
        for (var i = 0; i < winLength; i++)
        {
            _window[_windowStart + i] = 0.5 - 0.5 * Math.Cos(2 * Math.PI * i / winLength);
        }
    }

    /// <summary>torch.stft(center=True) with the settings' n_fft, hop and window: N samples → N/hop + 1 frames.</summary>
    public static Stft Centered(AudioSettings settings) =>
        new(settings.NFft, settings.HopLength, settings.WinLength, settings.NFft / 2);

    public int NFft { get; }

    public int HopLength { get; }

    public int WinLength { get; }

    /// <summary>Samples of reflect padding added before the first and after the last sample.</summary>
    public int Padding { get; }

    /// <summary>Frequency bins per frame: n_fft/2 + 1, bin k at k·sampleRate/n_fft Hz.</summary>
    public int Bins => NFft / 2 + 1;

    /// <summary>The analysis window as applied (n_fft long, periodic Hann centred in it).</summary>
    public ReadOnlySpan<double> Window => _window;

    /// <summary>Frames for <paramref name="samples"/> input samples: (N + 2·padding − n_fft)/hop + 1, or 0.</summary>
    public int FrameCount(long samples)
    {
        if (samples <= 0)
        {
            return 0;
        }

        var padded = samples + 2L * Padding;
        return padded < NFft ? 0 : checked((int)((padded - NFft) / HopLength + 1));
    }

    /// <summary>The input sample (possibly fractional) at the centre of frame <paramref name="frame"/>.</summary>
    public double FrameCentreSample(int frame) => (double)frame * HopLength - Padding + NFft / 2.0;

    /// <summary>Calls <paramref name="handler"/> once per frame, in order, with that frame's spectrum.</summary>
    public void ForEachFrame(ReadOnlySpan<float> samples, StftFrameHandler handler)
    {
        var frames = FrameCount(samples.Length);
        var buffer = new double[NFft];
        var re = new double[Bins];
        var im = new double[Bins];
        for (var f = 0; f < frames; f++)
        {
            FillFrame(samples, f, buffer);
            _fft.Forward(buffer, re, im);
            handler(f, re, im);
        }
    }

    /// <summary>|X| shaped (Bins, frames), like torch.stft(...).abs().</summary>
    public float[,] Magnitude(ReadOnlySpan<float> samples) => Compute(samples, power: false);

    /// <summary>|X|² shaped (Bins, frames).</summary>
    public float[,] Power(ReadOnlySpan<float> samples) => Compute(samples, power: true);

    private float[,] Compute(ReadOnlySpan<float> samples, bool power)
    {
        var frames = FrameCount(samples.Length);
        var result = new float[Bins, frames];
        var buffer = new double[NFft];
        var re = new double[Bins];
        var im = new double[Bins];
        for (var f = 0; f < frames; f++)
        {
            FillFrame(samples, f, buffer);
            _fft.Forward(buffer, re, im);
            for (var k = 0; k < re.Length; k++)
            {
                var p = re[k] * re[k] + im[k] * im[k];
                result[k, f] = (float)(power ? p : Math.Sqrt(p));
            }
        }

        return result;
    }

    /// <summary>Writes the windowed frame <paramref name="frame"/> (n_fft values) into <paramref name="buffer"/>.</summary>
    internal void FillFrame(ReadOnlySpan<float> samples, int frame, Span<double> buffer) =>
        FillAt(samples, (long)frame * HopLength - Padding, buffer);

    /// <summary>
    /// The spectrum of the n_fft-long span that starts at input sample <paramref name="spanStart"/> (any
    /// position, not only a frame's; reflect beyond the ends), into <paramref name="re"/>/<paramref name="im"/>.
    /// </summary>
    internal void SpectrumAt(ReadOnlySpan<float> samples, long spanStart, Span<double> buffer, Span<double> re, Span<double> im)
    {
        FillAt(samples, spanStart, buffer);
        _fft.Forward(buffer, re, im);
    }

    private void FillAt(ReadOnlySpan<float> samples, long spanStart, Span<double> buffer)
    {
        var first = spanStart + _windowStart;
        var n = samples.Length;
        buffer[.._windowStart].Clear();
        buffer[(_windowStart + WinLength)..].Clear();
        if (first >= 0 && first + WinLength <= n)
        {
            var src = samples.Slice((int)first, WinLength);
            for (var i = 0; i < WinLength; i++)
            {
                buffer[_windowStart + i] = src[i] * _window[_windowStart + i];
            }

            return;
        }

        for (var i = 0; i < WinLength; i++)
        {
            buffer[_windowStart + i] = samples[Reflect(first + i, n)] * _window[_windowStart + i];
        }
    }

    /// <summary>Maps an index outside [0, n) into it by mirroring about the end samples (numpy "reflect").</summary>
    public static int Reflect(long index, int n)
    {
        if (n == 1)
        {
            return 0;
        }

        var period = 2L * (n - 1);
        var j = index % period;
        if (j < 0)
        {
            j += period;
        }

        return (int)(j < n ? j : period - j);
    }
}
