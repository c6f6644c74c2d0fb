namespace V2a.Audio.Tests;

public class MelFilterbankTests
{
    private static readonly AudioSettings S = AudioSettings.Default;

    [Theory]
    [InlineData(0, 0)]
    [InlineData(200.0 / 3, 1)]
    [InlineData(500, 7.5)]
    [InlineData(1000, 15)]
    [InlineData(6400, 42)]
    public void Slaney_scale_maps_known_frequencies(double hz, double mel)
    {
        Assert.Equal(mel, MelFilterbank.HzToMel(hz), 1e-9);
        Assert.Equal(hz, MelFilterbank.MelToHz(mel), 1e-6);
    }

    [Fact]
    public void Matrix_is_mel_bins_by_fft_bins()
    {
        var fb = MelFilterbank.Create(S);
        Assert.Equal(S.MelBins, fb.GetLength(0));
        Assert.Equal(S.NFft / 2 + 1, fb.GetLength(1));
    }

    [Fact]
    public void Each_filter_peaks_at_the_bin_beside_its_centre_frequency()
    {
        var fb = MelFilterbank.Create(S);
        var edges = MelFilterbank.BandEdgesHz(S);
        var hzPerBin = (double)S.SampleRate / S.NFft;
        for (var m = 0; m < S.MelBins; m++)
        {
            var argmax = 0;
            for (var k = 1; k < fb.GetLength(1); k++)
            {
                if (fb[m, k] > fb[m, argmax])
                {
                    argmax = k;
                }
            }

            var centreBin = edges[m + 1] / hzPerBin;
            Assert.InRange(argmax, Math.Floor(centreBin), Math.Ceiling(centreBin));
        }
    }

    [Fact]
    public void Filters_cover_every_bin_strictly_between_0_and_8_kHz()
    {
        var fb = MelFilterbank.Create(S);
        var bins = fb.GetLength(1);
        for (var k = 0; k < bins; k++)
        {
            var sum = 0.0;
            for (var m = 0; m < S.MelBins; m++)
            {
                sum += fb[m, k];
            }

            if (k == 0 || k == bins - 1)
            {
                Assert.Equal(0.0, sum); // 0 Hz and 8 kHz are the outer edges
            }
            else
            {
                Assert.True(sum > 0, $"bin {k} ({k * 15.625} Hz) has no filter");
            }
        }
    }

    [Fact]
    public void Slaney_normalisation_gives_each_wide_filter_unit_area_in_hz()
    {
        var fb = MelFilterbank.Create(S);
        var hzPerBin = (double)S.SampleRate / S.NFft;
        for (var m = 40; m < S.MelBins; m++) // filters at least ~10 bins wide, where the sum approximates the integral
        {
            var area = 0.0;
            for (var k = 0; k < fb.GetLength(1); k++)
            {
                area += fb[m, k] * hzPerBin;
            }

            Assert.Equal(1.0, area, 0.02);
        }
    }

    [Fact]
    public void A_pure_tone_lands_in_the_band_whose_centre_is_nearest()
    {
        // Given a 1 kHz and a 3 kHz tone
        var edges = MelFilterbank.BandEdgesHz(S);
        foreach (var hz in new[] { 1000.0, 3000.0 })
        {
            var x = Signals.Sine(S.SampleRate, 0.5, hz, 0.5);

            // When the log-mel is taken
            var mel = LogMel.Compute(x, S);

            // Then the loudest band of a middle frame is the one centred nearest the tone
            var frame = mel.GetLength(1) / 2;
            var loudest = Enumerable.Range(0, S.MelBins).MaxBy(m => mel[m, frame]);
            var nearest = Enumerable.Range(0, S.MelBins).MinBy(m => Math.Abs(edges[m + 1] - hz));
            Assert.Equal(nearest, loudest);
        }
    }

    [Fact]
    public void Rejects_a_mel_range_above_nyquist()
    {
        Assert.Throws<ArgumentException>(() => MelFilterbank.Create(S with { SampleRate = 8000 }));
    }
}
