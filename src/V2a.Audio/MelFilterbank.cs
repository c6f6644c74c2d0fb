namespace V2a.Audio;

/// <summary>
/// The mel filterbank: Slaney's mel scale (linear below 1 kHz at 200/3 Hz a mel, logarithmic above, so
/// 1 kHz = 15 mel) with Slaney area normalisation (each triangle scaled by 2 / its width in Hz, so every
/// filter has the same area) — librosa.filters.mel's default (htk=False, norm="slaney"), which is what
/// BigVGAN/HiFi-GAN and MMAudio use. This is the project's only filterbank: the TorchSharp front end
/// (V2a.Model.Audio.MelSpectrogram) registers this matrix as a buffer.
/// </summary>
public static class MelFilterbank
{
    private const double LinearHzPerMel = 200.0 / 3; // below BreakHz
    private const double BreakHz = 1000;
    private const double BreakMel = BreakHz / LinearHzPerMel; // 15
    private static readonly double LogStep = Math.Log(6.4) / 27; // mel-to-log-Hz slope above BreakHz

    /// <summary>Hz → mel on the Slaney scale (librosa.hz_to_mel, htk=False).</summary>
    public static double HzToMel(double hz) =>
        hz < BreakHz ? hz / LinearHzPerMel : BreakMel + Math.Log(hz / BreakHz) / LogStep;

    /// <summary>Mel → Hz on the Slaney scale (librosa.mel_to_hz, htk=False).</summary>
    public static double MelToHz(double mel) =>
        mel < BreakMel ? mel * LinearHzPerMel : BreakHz * Math.Exp(LogStep * (mel - BreakMel));

    /// <summary>
    /// Edge and centre frequencies in Hz: MelBins + 2 points equally spaced in mel from FMinHz to FMaxHz.
    /// Filter m rises from point m to its peak at point m+1 and falls to zero at point m+2.
    /// </summary>
    public static double[] BandEdgesHz(AudioSettings settings)
    {
        var lo = HzToMel(settings.FMinHz);
        var hi = HzToMel(settings.FMaxHz);
        var points = new double[settings.MelBins + 2];
        for (var i = 0; i < points.Length; i++)
        {
            points[i] = MelToHz(lo + (hi - lo) * i / (points.Length - 1));
        }

        return points;
    }

    /// <summary>
    /// The filter matrix shaped (MelBins, NFft/2 + 1): mel = matrix · |STFT| (magnitude, per frame).
    /// FFT bin k lies at k·SampleRate/NFft Hz.
    /// </summary>
    public static float[,] Create(AudioSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.MelBins < 1 || settings.NFft < 2)
        {
            throw new ArgumentException($"need MelBins >= 1 and NFft >= 2, got {settings.MelBins}, {settings.NFft}", nameof(settings));
        }

        if (settings.FMinHz < 0 || settings.FMaxHz <= settings.FMinHz || settings.FMaxHz > settings.SampleRate / 2.0)
        {
            throw new ArgumentException(
                $"mel range {settings.FMinHz}..{settings.FMaxHz} Hz must lie within 0..{settings.SampleRate / 2.0} Hz (Nyquist)", nameof(settings));
        }

        var bins = settings.NFft / 2 + 1;
        var edges = BandEdgesHz(settings);
        var matrix = new float[settings.MelBins, bins];
        for (var m = 0; m < settings.MelBins; m++)
        {
            double left = edges[m], centre = edges[m + 1], right = edges[m + 2];
            var norm = 2.0 / (right - left);
            for (var k = 0; k < bins; k++)
            {
                var hz = (double)k * settings.SampleRate / settings.NFft;
                var rising = (hz - left) / (centre - left);
                var falling = (right - hz) / (right - centre);
                var w = Math.Max(0, Math.Min(rising, falling));
                matrix[m, k] = (float)(w * norm);
            }
        }

        return matrix;
    }
}
