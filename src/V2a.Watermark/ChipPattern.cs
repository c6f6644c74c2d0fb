namespace V2a.Watermark;

/// <summary>
/// What each tile of a synchronisation period carries, derived from the key alone: a ±1 chip, and a role —
/// synchronisation (payload-independent, the detection score) or one of the coded payload bits. Tiles are
/// indexed <c>column * BandCount + band</c> within the period; roles are dealt by a keyed shuffle so each
/// coded bit is spread over distant times and frequencies.
/// </summary>
internal sealed class ChipPattern
{
    /// <summary>Role value of a synchronisation tile.</summary>
    public const int Sync = -1;

    public ChipPattern(WatermarkSettings settings, WatermarkKey key)
    {
        Settings = settings;
        var n = settings.TilesPerPeriod;
        Chips = new sbyte[n];
        Roles = new int[n];
        var chips = key.Stream($"{settings.Version}/chips");
        for (var i = 0; i < n; i++)
        {
            Chips[i] = chips.NextChip();
        }

        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        var shuffle = key.Stream($"{settings.Version}/roles");
        for (var i = n - 1; i > 0; i--)
        {
            var j = shuffle.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        SyncCount = (int)Math.Round(n * settings.SyncFraction);
        var coded = PayloadCode.CodedBits;
        if (n - SyncCount < coded)
        {
            throw new InvalidOperationException($"a period of {n} tiles cannot hold {SyncCount} sync tiles and {coded} coded bits");
        }

        for (var r = 0; r < n; r++)
        {
            Roles[order[r]] = r < SyncCount ? Sync : (r - SyncCount) % coded;
        }
    }

    public WatermarkSettings Settings { get; }

    /// <summary>Chip of each tile of a period, ±1.</summary>
    public sbyte[] Chips { get; }

    /// <summary><see cref="Sync"/>, or the index of the coded bit the tile carries.</summary>
    public int[] Roles { get; }

    public int SyncCount { get; }
}
