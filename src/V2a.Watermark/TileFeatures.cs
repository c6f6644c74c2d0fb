namespace V2a.Watermark;

/// <summary>
/// Per-frame band energies of a signal on the watermark grid, and the tile features built from them. Both the
/// embedder (to measure the host it must overcome) and the detector use this one implementation, so they see
/// the same numbers. Memory: one float per (frame, band) — 53 bands × 62.5 frames/s ≈ 13 KB a second.
/// </summary>
internal sealed class TileFeatures
{
    /// <summary>Feature values are clipped to ±this (log-energy units): an onset must not outweigh a hundred tiles.</summary>
    private const double Clip = 2.5;

    private readonly WatermarkSettings _s;

    public TileFeatures(WatermarkSettings settings, float[] bandEnergy, int frames, double totalEnergy)
    {
        _s = settings;
        BandEnergy = bandEnergy;
        Frames = frames;
        TotalEnergy = totalEnergy;
        var max = 0.0;
        foreach (var e in bandEnergy)
        {
            max = Math.Max(max, e);
        }

        // A tile is "live" when it holds at least this much energy: 80 dB under the loudest frame-band, and
        // above an absolute floor near −90 dBFS (16-bit dither). Dead tiles (silence, a low-pass's stop band)
        // carry no mark and are left out of detection rather than counted as noise.
        var cells = settings.TileFrames * settings.BinsPerBand;
        var absoluteFloor = cells * settings.FrameLength * 0.25 * Math.Pow(10, -90 / 10.0);
        LiveFloor = Math.Max(max * settings.TileFrames * 1e-8, absoluteFloor);
    }

    public float[] BandEnergy { get; }

    public int Frames { get; }

    /// <summary>Energy of the whole spectrum (all bins, all frames), the reference for SNR budgeting.</summary>
    public double TotalEnergy { get; }

    public double LiveFloor { get; }

    public int Bands => _s.BandCount;

    /// <summary>Computes band energies of <paramref name="x"/> (and, optionally, nothing else).</summary>
    public static TileFeatures Analyze(WatermarkSettings settings, ReadOnlySpan<float> x)
    {
        var stft = new Stft(settings.FrameLength, hannAnalysis: true);
        var frames = stft.FrameCount(x.Length);
        var bands = settings.BandCount;
        var energy = new float[frames * bands];
        var re = new float[stft.Bins];
        var im = new float[stft.Bins];
        double total = 0;
        for (var m = 0; m < frames; m++)
        {
            stft.Analyze(x, m, re, im);
            total += FrameEnergy(settings, re, im, energy.AsSpan(m * bands, bands));
        }

        return new TileFeatures(settings, energy, frames, total);
    }

    /// <summary>Fills the band energies of one analysed frame; returns the frame's whole-spectrum energy.</summary>
    public static double FrameEnergy(WatermarkSettings s, float[] re, float[] im, Span<float> bandsOut)
    {
        double total = 0;
        for (var k = 0; k < re.Length; k++)
        {
            var p = (re[k] * re[k]) + (im[k] * im[k]);
            total += (k == 0 || k == re.Length - 1) ? p : 2 * p;
        }

        for (var b = 0; b < bandsOut.Length; b++)
        {
            var k0 = s.FirstBin + (b * s.BinsPerBand);
            double e = 0;
            for (var k = k0; k < k0 + s.BinsPerBand; k++)
            {
                e += (re[k] * re[k]) + (im[k] * im[k]);
            }

            bandsOut[b] = (float)e;
        }

        return total;
    }

    /// <summary>Columns of <paramref name="phase"/> that lie wholly inside the signal (frames phase + T·j … + T − 1).</summary>
    public int Columns(int phase, bool includePartial = false)
    {
        var t = _s.TileFrames;
        var avail = Frames - phase;
        if (avail <= 0)
        {
            return 0;
        }

        return includePartial ? (avail + t - 1) / t : avail / t;
    }

    /// <summary>Tile energies (columns × bands) for one phase.</summary>
    public double[] TileEnergies(int phase, int columns)
    {
        var t = _s.TileFrames;
        var bands = Bands;
        var e = new double[columns * bands];
        for (var j = 0; j < columns; j++)
        {
            for (var f = 0; f < t; f++)
            {
                var m = phase + (j * t) + f;
                if (m >= Frames)
                {
                    break;
                }

                var row = BandEnergy.AsSpan(m * bands, bands);
                for (var b = 0; b < bands; b++)
                {
                    e[(j * bands) + b] += row[b];
                }
            }
        }

        return e;
    }

    /// <summary>Bands either side whose mean temporal contrast is removed from a tile's (the envelope shared across bands).</summary>
    private const int BandRadius = 4;

    /// <summary>
    /// The detection feature of each tile, a separable high-pass of the log tile energy: first the tile's log energy
    /// minus the mean of its live temporal neighbours (removes every stationary spectral shape — harmonics, formants,
    /// a steady hum), then minus the mean of that contrast over the live bands within ±4 (removes the temporal
    /// envelope shared across bands — syllables, onsets). What remains is the tile-to-tile contrast the chips create,
    /// plus the host's unpredictable part. Clipped; 0 for dead tiles.
    /// </summary>
    public double[] Features(double[] tileEnergy, int columns, out int liveTiles)
    {
        var bands = Bands;
        var n = tileEnergy.Length;
        var logE = new double[n];
        var live = new bool[n];
        for (var i = 0; i < n; i++)
        {
            live[i] = tileEnergy[i] >= LiveFloor;
            logE[i] = live[i] ? Math.Log(tileEnergy[i]) : 0;
        }

        var h = new double[n];
        var hasH = new bool[n];
        for (var j = 0; j < columns; j++)
        {
            for (var b = 0; b < bands; b++)
            {
                var i = (j * bands) + b;
                if (!live[i])
                {
                    continue;
                }

                double sum = 0;
                var m = 0;
                if (j > 0 && live[i - bands])
                {
                    sum += logE[i - bands];
                    m++;
                }

                if (j < columns - 1 && live[i + bands])
                {
                    sum += logE[i + bands];
                    m++;
                }

                if (m > 0)
                {
                    h[i] = logE[i] - (sum / m);
                    hasH[i] = true;
                }
            }
        }

        var y = new double[n];
        var hasY = new bool[n];
        liveTiles = 0;
        for (var j = 0; j < columns; j++)
        {
            var row = j * bands;
            for (var b = 0; b < bands; b++)
            {
                var i = row + b;
                if (!hasH[i])
                {
                    continue;
                }

                double sum = 0;
                var m = 0;
                for (var d = Math.Max(0, b - BandRadius); d <= Math.Min(bands - 1, b + BandRadius); d++)
                {
                    if (d != b && hasH[row + d])
                    {
                        sum += h[row + d];
                        m++;
                    }
                }

                if (m == 0)
                {
                    continue;
                }

                y[i] = Math.Clamp(h[i] - (sum / m), -Clip, Clip);
                hasY[i] = true;
                liveTiles++;
            }
        }

        return Whiten(y, hasY, columns);
    }

    /// <summary>Columns either side over which a band's local feature variance is measured (±8 × 64 ms ≈ ±0.5 s).</summary>
    private const int VarianceRadius = 8;

    /// <summary>
    /// Weights each feature by the inverse of its band's local variance (the optimal weighting for a mark of equal
    /// size in every tile): tiles where the host is erratic — near the noise floor, in transients — count less
    /// than tiles where it is steady. A function of the audio only, so the score's null law is unchanged.
    /// </summary>
    private double[] Whiten(double[] y, bool[] hasY, int columns)
    {
        var bands = Bands;
        var w = new double[y.Length];
        for (var b = 0; b < bands; b++)
        {
            // Running sums over the window, per band.
            double sum = 0;
            var count = 0;
            int lo = 0, hi = -1;
            for (var j = 0; j < columns; j++)
            {
                while (hi < Math.Min(columns - 1, j + VarianceRadius))
                {
                    hi++;
                    var i = (hi * bands) + b;
                    if (hasY[i])
                    {
                        sum += y[i] * y[i];
                        count++;
                    }
                }

                while (lo < j - VarianceRadius)
                {
                    var i = (lo * bands) + b;
                    if (hasY[i])
                    {
                        sum -= y[i] * y[i];
                        count--;
                    }

                    lo++;
                }

                var k = (j * bands) + b;
                if (hasY[k] && count > 0)
                {
                    w[k] = y[k] / (Math.Max(sum, 0) / count + VarianceFloor);
                }
            }
        }

        return w;
    }

    /// <summary>Added to each local variance (log-energy units²) so a perfectly steady band is not weighted without bound.</summary>
    private const double VarianceFloor = 0.02;
}
