namespace V2a.Watermark;

/// <summary>
/// Band energies on the watermark grid: the one implementation both the embedder (to measure the host it must
/// overcome) and the detector use, so they see the same numbers.
/// </summary>
internal static class TileFeatures
{
    /// <summary>
    /// A tile is "live" when its cells average at least −90 dBFS (16-bit dither). Dead tiles (digital silence, a
    /// low-pass's stop band) carry no mark and are left out of detection rather than counted as noise. An absolute
    /// floor, so a stream's embedder and a file's detector agree without seeing the whole signal.
    /// </summary>
    public static double LiveFloorOf(WatermarkSettings s) =>
        s.TileFrames * s.BinsPerBand * s.FrameLength * 0.25 * Math.Pow(10, -90 / 10.0);

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
}

/// <summary>
/// The detection feature of each slot (a band pair in a tile column), and the weight it carries. The feature is the
/// log-energy difference of the pair's two tiles — the see-saw the chip drives, 4λ for a mark of ±λ on each; the
/// host's temporal envelope, common to both bands, cancels — minus the mean of that difference over the same pair
/// in the columns within ±<see cref="WatermarkSettings.PredictionRadius"/> (removes the host's stationary spectral
/// shape: harmonics, formants, a hum). Clipped, then divided by its local variance (±0.5 s): steady slots count
/// more than erratic ones. A function of the audio only, so the score's null law does not depend on it.
/// </summary>
internal sealed class SlotFeatures
{
    /// <summary>Feature values are clipped to ±this (log-energy units) before weighting: an onset must not outweigh a hundred slots.</summary>
    public const double Clip = 2.5;

    /// <summary>Columns either side over which a slot's local feature variance is measured (±8 × 64 ms ≈ ±0.5 s).</summary>
    public const int VarianceRadius = 8;

    /// <summary>Added to each local variance (log-energy units²) so a perfectly steady slot is not weighted without bound.</summary>
    public const double VarianceFloor = 0.02;

    private SlotFeatures(double[] y, double[] weight, int live)
    {
        Y = y;
        Weight = weight;
        Live = live;
    }

    /// <summary>Weighted feature of each slot (columns × pairs); 0 where a tile is dead or no neighbour exists.</summary>
    public double[] Y { get; }

    /// <summary>The weight in <see cref="Y"/> (1 / local variance): how much a unit of log-energy change in the slot moves the score; 0 for dead slots.</summary>
    public double[] Weight { get; }

    /// <summary>Slots with a feature.</summary>
    public int Live { get; }

    /// <summary>Quantile of a band's live tile energies taken as the floor under everything that sounds in it
    /// (<see cref="ShareAboveFloor"/>): the quietest fifth of an input is its background.</summary>
    public const double FloorQuantile = 0.2;

    /// <summary>
    /// The floor of a period's slots is taken over the live tiles of the periods within ±this many (±8.2 s): the whole
    /// input for anything up to 9 periods (9.2 s), the background of the ~17 s around it in a long file — a background that
    /// changes through a film is followed, and the detector holds a bounded window, not the whole input.
    /// </summary>
    public const int FloorRadiusPeriods = 8;

    /// <summary>
    /// Per slot of columns [<paramref name="from"/>, <paramref name="to"/>) of a block of tile energies (columns × bands),
    /// the mean over its two tiles of the share of the tile's energy above its band's floor, max(0, 1 − floor / E): near 1
    /// for a tile well above the input's background, near 0 for the background itself; 0 for dead tiles. The floor is the
    /// <see cref="FloorQuantile"/> of the band's live tiles around (<see cref="BandFloors"/>).
    /// </summary>
    public static double[] ShareAboveFloor(WatermarkSettings s, double[] tileEnergy, int from, int to, double liveFloor, double[] floors)
    {
        var pairs = s.PairCount;
        var bands = s.BandCount;
        var share = new double[(to - from) * pairs];
        for (var j = from; j < to; j++)
        {
            for (var p = 0; p < pairs; p++)
            {
                double sum = 0;
                for (var b = 2 * p; b <= (2 * p) + 1; b++)
                {
                    var e = tileEnergy[(j * bands) + b];
                    sum += e >= liveFloor ? Math.Max(0, 1 - (floors[b] / e)) : 0;
                }

                share[((j - from) * pairs) + p] = sum / 2;
            }
        }

        return share;
    }

    /// <summary>Per band, the <see cref="FloorQuantile"/> of its live tile energies, each band's given sorted; +∞ for a band with none.</summary>
    public static double[] BandFloors(IReadOnlyList<SortedWindow> sortedLive)
    {
        var floors = new double[sortedLive.Count];
        for (var b = 0; b < floors.Length; b++)
        {
            var live = sortedLive[b];
            floors[b] = live.Count == 0 ? double.PositiveInfinity : live[(int)(FloorQuantile * (live.Count - 1))];
        }

        return floors;
    }

    /// <summary>Columns of context a caller must supply on each side for a column's feature to equal the whole-signal one.</summary>
    public static int Context(WatermarkSettings s) => s.PredictionRadius + VarianceRadius;

    /// <summary>The host's expected difference in slot (j, p): the mean over the pair's live slots within ±radius columns, slot j left out.</summary>
    private static double? Predict(double[] d, bool[] ok, int j, int p, int pairs, int columns, int radius)
    {
        double sum = 0;
        var count = 0;
        for (var k = Math.Max(0, j - radius); k <= Math.Min(columns - 1, j + radius); k++)
        {
            var q = (k * pairs) + p;
            if (k != j && ok[q])
            {
                sum += d[q];
                count++;
            }
        }

        return count > 0 ? sum / count : null;
    }

    public static SlotFeatures Compute(WatermarkSettings s, double[] tileEnergy, int columns, double floor)
    {
        var pairs = s.PairCount;
        var bands = s.BandCount;
        var n = columns * pairs;
        var d = new double[n];
        var ok = new bool[n];
        for (var j = 0; j < columns; j++)
        {
            for (var p = 0; p < pairs; p++)
            {
                var lo = tileEnergy[(j * bands) + (2 * p)];
                var hi = tileEnergy[(j * bands) + (2 * p) + 1];
                if (lo >= floor && hi >= floor)
                {
                    d[(j * pairs) + p] = Math.Log(lo / hi);
                    ok[(j * pairs) + p] = true;
                }
            }
        }

        var radius = s.PredictionRadius;
        var h = new double[n];
        var hasH = new bool[n];
        for (var j = 0; j < columns; j++)
        {
            for (var p = 0; p < pairs; p++)
            {
                var i = (j * pairs) + p;
                if (!ok[i])
                {
                    continue;
                }

                if (Predict(d, ok, j, p, pairs, columns, radius) is { } prediction)
                {
                    h[i] = Math.Clamp(d[i] - prediction, -Clip, Clip);
                    hasH[i] = true;
                }
            }
        }

        var y = new double[n];
        var w = new double[n];
        var live = 0;
        for (var p = 0; p < pairs; p++)
        {
            // Running sums over the window, per pair.
            double sum = 0;
            var count = 0;
            int lo = 0, hi = -1;
            for (var j = 0; j < columns; j++)
            {
                while (hi < Math.Min(columns - 1, j + VarianceRadius))
                {
                    hi++;
                    var i = (hi * pairs) + p;
                    if (hasH[i])
                    {
                        sum += h[i] * h[i];
                        count++;
                    }
                }

                while (lo < j - VarianceRadius)
                {
                    var i = (lo * pairs) + p;
                    if (hasH[i])
                    {
                        sum -= h[i] * h[i];
                        count--;
                    }

                    lo++;
                }

                var k = (j * pairs) + p;
                if (hasH[k] && count > 0)
                {
                    w[k] = 1 / ((Math.Max(sum, 0) / count) + VarianceFloor);
                    y[k] = h[k] * w[k];
                    live++;
                }
            }
        }

        return new SlotFeatures(y, w, live);
    }
}
