namespace FhirRisk.Parquet.Tests.Fuzz;

/// <summary>
/// Runs the reader over one input the way a caller would (open, schema, metadata, every row group, every column and its
/// statistics, default <see cref="ParquetReaderOptions"/>) and judges the outcome: a <see cref="ParquetException"/> is the
/// documented way to fail; any other exception or an allocation over the limit is a problem (hangs are watched by
/// <see cref="FuzzCampaign"/>). Allocations are those of the calling thread; pooled buffers count only when first made.
/// </summary>
internal static class FuzzCase
{
    /// <summary>Runs the case on the calling thread; returns null when the reader behaved, else what went wrong.</summary>
    public static string? Judge(byte[] input, string name, long allocationLimit)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            ReadEverything(input, name);
        }
        catch (Exception ex) when (ex is not ParquetException)
        {
            return $"{ex.GetType().FullName}: {ex.Message}\n{ex.StackTrace}";
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        return allocated > allocationLimit ? $"allocated {allocated:N0} bytes (limit {allocationLimit:N0})" : null;
    }

    /// <summary>Reads everything; a <see cref="ParquetException"/> from one row group does not stop the others being read.</summary>
    public static void ReadEverything(byte[] input, string name)
    {
        try
        {
            using var reader = new ParquetFileReader(new MemoryStream(input, writable: false), name);
            _ = reader.Schema.Fields.Count + reader.KeyValueMetadata.Count + reader.RowCount;
            _ = reader.CreatedBy;
            for (var rowGroup = 0; rowGroup < reader.RowGroupCount; rowGroup++)
            {
                try
                {
                    ReadRowGroup(reader, rowGroup);
                }
                catch (ParquetException)
                {
                    // Documented failure; the next row group must still be readable or fail the same way.
                }
            }
        }
        catch (ParquetException)
        {
            // Documented failure of the whole file.
        }
    }

    private static void ReadRowGroup(ParquetFileReader reader, int rowGroup)
    {
        _ = reader.GetRowGroupRowCount(rowGroup);
        var group = reader.ReadRowGroup(rowGroup);
        foreach (var column in group.Columns)
        {
            _ = reader.GetStatistics(rowGroup, column.Field.Name);
            if (column.Length > 0)
                _ = column.GetValue(column.Length - 1);
        }
    }
}
