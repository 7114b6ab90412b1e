using Xunit.Sdk;

namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>Writes a <see cref="GeneratedTable"/> to memory and checks everything the reader gives back against it.</summary>
internal static class ParquetRoundTrip
{
    public const string FileName = "roundtrip.parquet";

    /// <summary>Writes the table batch by batch; <paramref name="extraMetadata"/> goes through <see cref="ParquetFileWriter.SetMetadata"/>.</summary>
    public static byte[] Write(GeneratedTable table, ParquetWriterOptions options, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        using var stream = new MemoryStream();
        using (var writer = new ParquetFileWriter(stream, table.Schema, options, leaveOpen: true))
        {
            foreach (var batch in table.Batches)
                writer.WriteRowGroup(batch);
            foreach (var (key, value) in extraMetadata ?? new Dictionary<string, string>())
                writer.SetMetadata(key, value);
        }
        return stream.ToArray();
    }

    public static ParquetFileReader Open(byte[] file, ParquetReaderOptions? options = null) =>
        new(new MemoryStream(file, writable: false), FileName, options);

    /// <summary>
    /// Reads <paramref name="file"/> back and asserts: schema, row count, created_by, key-value metadata, row group sizes
    /// within <see cref="ParquetWriterOptions.RowGroupSize"/>, every value, and every column chunk's statistics.
    /// </summary>
    public static void AssertReadsBack(byte[] file, GeneratedTable table, ParquetWriterOptions options, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        using var reader = Open(file);
        Assert.Equal(table.Schema.Fields, reader.Schema.Fields);
        Assert.Equal(table.RowCount, reader.RowCount);
        Assert.Equal(options.CreatedBy, reader.CreatedBy);
        AssertMetadata(reader, options.KeyValueMetadata);
        AssertMetadata(reader, extraMetadata);

        long rowsSeen = 0;
        for (var rowGroup = 0; rowGroup < reader.RowGroupCount; rowGroup++)
        {
            var rows = reader.GetRowGroupRowCount(rowGroup);
            Assert.InRange(rows, 0, options.RowGroupSize);
            var group = reader.ReadRowGroup(rowGroup);
            Assert.Equal(rowGroup, group.Index);
            Assert.Equal(rows, group.RowCount);
            Assert.Equal(table.Schema.Fields.Count, group.Columns.Count);
            for (var c = 0; c < table.Columns.Length; c++)
            {
                var actual = group.Columns[c];
                Assert.Equal(table.Schema.Fields[c], actual.Field);
                Assert.Equal(rows, actual.Length);
                ColumnComparer.AssertSlice(table.Columns[c], (int)rowsSeen, actual, $"row group {rowGroup}");
                AssertStatistics(reader, rowGroup, table.Columns[c], (int)rowsSeen, (int)rows, options.WriteStatistics);
            }
            rowsSeen += rows;
        }
        Assert.Equal(table.RowCount, rowsSeen);
    }

    /// <summary>Writes, reads back and checks, wrapping any failure with the table and options so the case can be understood.</summary>
    public static void Check(GeneratedTable table, ParquetWriterOptions options, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        try
        {
            AssertReadsBack(Write(table, options, extraMetadata), table, options, extraMetadata);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new XunitException($"{ex.GetType().Name}: {ex.Message}\n  table: {table}\n  options: {Describe(options)}", ex);
        }
    }

    public static void AssertStatistics(ParquetFileReader reader, int rowGroup, ParquetColumn written, int offset, int rows, bool statisticsWritten)
    {
        var name = written.Field.Name;
        var actual = reader.GetStatistics(rowGroup, name);
        if (!statisticsWritten)
        {
            Assert.Null(actual);
            return;
        }
        Assert.NotNull(actual);
        var expected = ExpectedStatistics.Compute(written, offset, rows);
        var where = $"statistics of row group {rowGroup}, column '{name}'";
        if (!ColumnComparer.AreIdentical(expected.Min, actual.Min))
            throw new XunitException($"{where}: min should be {ColumnComparer.Describe(expected.Min)}, is {ColumnComparer.Describe(actual.Min)}.");
        if (!ColumnComparer.AreIdentical(expected.Max, actual.Max))
            throw new XunitException($"{where}: max should be {ColumnComparer.Describe(expected.Max)}, is {ColumnComparer.Describe(actual.Max)}.");
        // A list leaf's null count mixes null lists, empty lists and null elements differently across writers; only flat columns are pinned.
        if (!written.Field.IsList && actual.NullCount != expected.NullCount)
            throw new XunitException($"{where}: null count should be {expected.NullCount}, is {actual.NullCount?.ToString() ?? "absent"}.");
    }

    public static string Describe(ParquetWriterOptions options) =>
        $"Compression={options.Compression} Level={options.CompressionLevel?.ToString() ?? "default"} PageV{options.DataPageVersion} "
        + $"RowGroupSize={options.RowGroupSize} PageSizeBytes={options.PageSizeBytes} Dictionary={options.DictionaryEnabled} "
        + $"DictionaryLimit={options.DictionaryPageSizeLimit} Statistics={options.WriteStatistics} Crc={options.WritePageCrc} "
        + $"Metadata={options.KeyValueMetadata?.Count ?? 0} pairs";

    private static void AssertMetadata(ParquetFileReader reader, IReadOnlyDictionary<string, string>? expected)
    {
        foreach (var (key, value) in expected ?? new Dictionary<string, string>())
        {
            Assert.True(reader.KeyValueMetadata.TryGetValue(key, out var actual), $"key-value metadata '{key}' is missing");
            Assert.Equal(value, actual);
        }
    }
}
