namespace V2a.Watermark;

/// <summary>
/// What each slot (a band pair in a tile column) carries, derived from the key alone: a ±1 chip, and a role —
/// synchronisation (payload-independent, the detection score) or one of the coded payload bits. Slots are indexed
/// <c>column * PairCount + pair</c>. The synchronisation slots and chips repeat every period; the payload is dealt
/// over a cycle of <see cref="CyclePeriods"/> periods (the same slot positions, other bits and chips in each period
/// of the cycle), so that every coded bit gets slots in both frequency regions — a low-pass must not erase a bit.
/// Within each region the roles are dealt by a keyed shuffle, so a coded bit is spread over distant times and
/// frequencies.
/// </summary>
internal sealed class ChipPattern
{
    /// <summary>Role value of a synchronisation slot.</summary>
    public const int Sync = -1;

    /// <summary>Periods in one payload cycle.</summary>
    public const int CyclePeriods = 2;

    public ChipPattern(WatermarkSettings settings, WatermarkKey key)
    {
        Settings = settings;
        var pairs = settings.PairCount;
        var perPeriod = settings.SlotsPerPeriod;
        var n = perPeriod * CyclePeriods;
        Chips = new sbyte[n];
        Roles = new int[n];
        var chips = key.Stream($"{settings.Version}/chips");
        for (var i = 0; i < n; i++)
        {
            Chips[i] = chips.NextChip();
        }

        var shuffle = key.Stream($"{settings.Version}/roles");
        var coded = PayloadCode.CodedBits;
        var payloadSlots = new List<int>();
        foreach (var (lo, hi) in new[] { (0, settings.LowPairs), (settings.LowPairs, pairs) })
        {
            var region = new List<int>();
            for (var c = 0; c < settings.PeriodColumns; c++)
            {
                for (var p = lo; p < hi; p++)
                {
                    region.Add((c * pairs) + p);
                }
            }

            Shuffle(region, shuffle);
            var sync = (int)Math.Round(region.Count * settings.SyncFraction);
            SyncCount += sync;
            for (var r = 0; r < region.Count; r++)
            {
                if (r < sync)
                {
                    for (var k = 0; k < CyclePeriods; k++)
                    {
                        Roles[(k * perPeriod) + region[r]] = Sync;
                        Chips[(k * perPeriod) + region[r]] = Chips[region[r]];
                    }
                }
                else
                {
                    for (var k = 0; k < CyclePeriods; k++)
                    {
                        payloadSlots.Add((k * perPeriod) + region[r]);
                    }
                }
            }

            // Deal this region's payload slots of the whole cycle in a keyed order, continuing the round-robin
            // over coded bits from the previous region: every bit gets about the same number of slots in each region.
            var start = payloadSlots.Count - ((region.Count - sync) * CyclePeriods);
            var mine = payloadSlots.GetRange(start, payloadSlots.Count - start);
            Shuffle(mine, shuffle);
            payloadSlots.RemoveRange(start, mine.Count);
            payloadSlots.AddRange(mine);
        }

        if (payloadSlots.Count < coded)
        {
            throw new InvalidOperationException($"a payload cycle of {n} slots cannot hold {coded} coded bits");
        }

        for (var r = 0; r < payloadSlots.Count; r++)
        {
            Roles[payloadSlots[r]] = r % coded;
        }
    }

    public WatermarkSettings Settings { get; }

    /// <summary>Chip of each slot of a cycle (<see cref="CyclePeriods"/> periods), ±1.</summary>
    public sbyte[] Chips { get; }

    /// <summary><see cref="Sync"/>, or the index of the coded bit the slot carries, for each slot of a cycle.</summary>
    public int[] Roles { get; }

    /// <summary>Synchronisation slots per period.</summary>
    public int SyncCount { get; }

    /// <summary>Index into <see cref="Roles"/>/<see cref="Chips"/> of slot <paramref name="pair"/> in absolute column <paramref name="column"/>.</summary>
    public int CycleIndex(long column, int pair)
    {
        var pc = Settings.PeriodColumns;
        var cycle = (int)(column % (pc * CyclePeriods));
        return (cycle * Settings.PairCount) + pair;
    }

    /// <summary>
    /// Σ c·c′ over pairs of synchronisation slots in the same band pair <paramref name="lag"/> columns apart (round the
    /// period), divided by the number of synchronisation slots: the pattern's own lag correlation, which meets the
    /// host's lag correlation in the variance of the score.
    /// </summary>
    public double LagCorrelation(int lag)
    {
        var pc = Settings.PeriodColumns;
        var pairs = Settings.PairCount;
        double sum = 0;
        for (var c = 0; c < pc; c++)
        {
            for (var p = 0; p < pairs; p++)
            {
                var a = (c * pairs) + p;
                var b = (((c + lag) % pc) * pairs) + p;
                if (Roles[a] == Sync && Roles[b] == Sync)
                {
                    sum += Chips[a] * Chips[b];
                }
            }
        }

        return sum / SyncCount;
    }

    private static void Shuffle(List<int> list, KeyStream rng)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
