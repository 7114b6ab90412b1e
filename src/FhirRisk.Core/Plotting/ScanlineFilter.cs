namespace FhirRisk.Core.Plotting;

/// <summary>The five PNG scanline filters (PNG spec §9.2): each byte minus a prediction from its left, upper and
/// upper-left neighbours (zero outside the image).</summary>
internal static class ScanlineFilter
{
    public const byte None = 0, Sub = 1, Up = 2, Average = 3, Paeth = 4;

    /// <summary>Filters <paramref name="row"/> with <paramref name="type"/> into <paramref name="destination"/>.</summary>
    public static void Apply(byte type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> previous, Span<byte> destination, int bytesPerPixel)
    {
        var n = bytesPerPixel;
        switch (type)
        {
            case None:
                row.CopyTo(destination);
                break;
            case Sub:
                row[..n].CopyTo(destination);
                for (var i = n; i < row.Length; i++)
                    destination[i] = (byte)(row[i] - row[i - n]);
                break;
            case Up:
                for (var i = 0; i < row.Length; i++)
                    destination[i] = (byte)(row[i] - previous[i]);
                break;
            case Average:
                for (var i = 0; i < n; i++)
                    destination[i] = (byte)(row[i] - (previous[i] >> 1));
                for (var i = n; i < row.Length; i++)
                    destination[i] = (byte)(row[i] - ((row[i - n] + previous[i]) >> 1));
                break;
            case Paeth:
                for (var i = 0; i < n; i++)
                    destination[i] = (byte)(row[i] - previous[i]); // left and upper-left are zero: Paeth picks up
                for (var i = n; i < row.Length; i++)
                    destination[i] = (byte)(row[i] - PaethPredictor(row[i - n], previous[i], previous[i - n]));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "PNG filter types are 0..4.");
        }
    }

    /// <summary>The spec's heuristic cost: filtered bytes read as signed, summed in absolute value (§12.8).</summary>
    public static long Cost(ReadOnlySpan<byte> filtered)
    {
        long sum = 0;
        foreach (var b in filtered)
            sum += Math.Abs((int)(sbyte)b);
        return sum;
    }

    /// <summary>The neighbour closest to left + up − upLeft, ties broken left, up, upLeft (§9.4).</summary>
    public static int PaethPredictor(int left, int up, int upLeft)
    {
        var estimate = left + up - upLeft;
        var distanceLeft = Math.Abs(estimate - left);
        var distanceUp = Math.Abs(estimate - up);
        var distanceUpLeft = Math.Abs(estimate - upLeft);
        if (distanceLeft <= distanceUp && distanceLeft <= distanceUpLeft)
            return left;
        return distanceUp <= distanceUpLeft ? up : upLeft;
    }
}
