namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>
/// Draws writer settings: every codec with default and explicit levels, page v1/v2, tiny row groups and pages (many of
/// both), dictionary on/off with a tiny dictionary limit (forces the PLAIN fallback), statistics, CRCs and metadata.
/// Tiny row groups and pages are only drawn for small tables so the suite stays fast.
/// </summary>
internal static class RandomWriterOptions
{
    public static ParquetWriterOptions Next(Random random, int rows)
    {
        var compression = (ParquetCompression)random.Next(4);
        return new ParquetWriterOptions
        {
            Compression = compression,
            CompressionLevel = NextLevel(random, compression),
            DataPageVersion = random.Next(1, 3),
            RowGroupSize = rows <= 2_000 && random.Next(3) == 0 ? random.Next(1, 64) : random.Next(2) == 0 ? random.Next(64, 5_000) : 1_048_576,
            PageSizeBytes = rows <= 5_000 && random.Next(3) == 0 ? random.Next(1, 256) : random.Next(2) == 0 ? random.Next(256, 64 << 10) : 1 << 20,
            DictionaryEnabled = random.Next(3) != 0,
            DictionaryPageSizeLimit = random.Next(3) == 0 ? random.Next(1, 256) : 1 << 20,
            WriteStatistics = random.Next(5) != 0,
            WritePageCrc = random.Next(2) == 0,
            KeyValueMetadata = random.Next(2) == 0 ? NextMetadata(random, "option") : null,
            CreatedBy = random.Next(4) == 0 ? "FhirRisk tests " + RandomText.Next(random, 12) : ParquetWriterOptions.Default.CreatedBy,
        };
    }

    /// <summary>Up to three pairs with keys prefixed by <paramref name="prefix"/>; values may be empty, unicode or long.</summary>
    public static Dictionary<string, string> NextMetadata(Random random, string prefix)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var count = random.Next(0, 4);
        for (var i = 0; i < count; i++)
            metadata[$"{prefix}.{i}.{RandomText.Next(random, 6)}"] = RandomText.Next(random, random.Next(4) == 0 ? 5_000 : random.Next(0, 20));
        return metadata;
    }

    // Levels stay low: the high zstd levels are slow and add nothing to a format round trip.
    private static int? NextLevel(Random random, ParquetCompression compression) => (compression, random.Next(3)) switch
    {
        (ParquetCompression.Zstd, 0) => random.Next(1, 6),
        (ParquetCompression.Gzip, 0) => random.Next(0, 10),
        _ => null,
    };
}
