namespace V2a.Audio;

/// <summary>
/// The log-mel representation every part of v2a shares (DESIGN.md, "Audio representation"), on plain
/// arrays. The TorchSharp twin is V2a.Model.Audio.MelSpectrogram; both follow this definition:
/// <list type="number">
/// <item>reflect-pad the waveform by <see cref="Padding"/> = (n_fft − hop)/2 samples on each side (384 at
/// the defaults), then STFT without further centring — the BigVGAN/HiFi-GAN convention MMAudio uses. N
/// samples give ⌊N/hop⌋ frames (8 s = 128 000 samples → 500 frames, <see cref="AudioSettings.FramesFor"/>),
/// and frame t is centred on sample t·hop + hop/2: it describes the hop-long stretch [t·hop, (t+1)·hop).
/// A vocoder therefore returns exactly frames·hop samples.</item>
/// <item>magnitude √(re² + im² + <see cref="MagnitudeEpsilonSquared"/>);</item>
/// <item>mel = <see cref="MelFilterbank"/> · magnitude; log-mel = ln(max(mel, LogFloor)).</item>
/// </list>
/// </summary>
public static class LogMel
{
    /// <summary>Added under the square root of the magnitude (as BigVGAN/MMAudio do), keeping its gradient finite.</summary>
    public const double MagnitudeEpsilonSquared = 1e-9;

    /// <summary>Reflect padding in samples on each side: (n_fft − hop)/2.</summary>
    public static int Padding(AudioSettings settings) => (settings.NFft - settings.HopLength) / 2;

    /// <summary>The STFT of the mel front end (n_fft, hop, Hann window, <see cref="Padding"/>).</summary>
    public static Stft CreateStft(AudioSettings settings) =>
        new(settings.NFft, settings.HopLength, settings.WinLength, Padding(settings));

    /// <summary>Mel frames for <paramref name="samples"/> samples: ⌊N/hop⌋ (0 for inputs shorter than one hop).</summary>
    public static int FrameCount(AudioSettings settings, long samples) => CreateStft(settings).FrameCount(samples);

    /// <summary>Log-mel shaped (MelBins, frames), natural log, floor <see cref="AudioSettings.LogFloor"/>.</summary>
    public static float[,] Compute(ReadOnlySpan<float> samples, AudioSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var stft = CreateStft(settings);
        var filters = MelFilterbank.Create(settings);
        var melBins = settings.MelBins;
        var frames = stft.FrameCount(samples.Length);
        var result = new float[melBins, frames];
        var magnitude = new double[stft.Bins];

        // Only the bins each filter touches are summed (its support is a few to a few dozen bins).
        var (first, last) = Supports(filters);
        var logFloor = settings.LogFloor;
        stft.ForEachFrame(samples, (f, re, im) =>
        {
            for (var k = 0; k < magnitude.Length; k++)
            {
                magnitude[k] = Math.Sqrt(re[k] * re[k] + im[k] * im[k] + MagnitudeEpsilonSquared);
            }

            for (var m = 0; m < melBins; m++)
            {
                var sum = 0.0;
                for (var k = first[m]; k <= last[m]; k++)
                {
                    sum += filters[m, k] * magnitude[k];
                }

                result[m, f] = (float)Math.Log(Math.Max(sum, logFloor));
            }
        });
        return result;
    }

    /// <summary>First and last nonzero bin of each filter (first > last for an empty filter).</summary>
    internal static (int[] First, int[] Last) Supports(float[,] filters)
    {
        var rows = filters.GetLength(0);
        var bins = filters.GetLength(1);
        var first = new int[rows];
        var last = new int[rows];
        for (var m = 0; m < rows; m++)
        {
            first[m] = bins;
            last[m] = -1;
            for (var k = 0; k < bins; k++)
            {
                if (filters[m, k] != 0)
                {
                    first[m] = Math.Min(first[m], k);
                    last[m] = k;
                }
            }
        }

        return (first, last);
    }
}
