namespace FhirRisk.Parquet;

/// <summary>
/// Reads a Parquet file one row group at a time (bounded memory), optionally projecting columns.
/// Every failure on bad input is a <see cref="ParquetException"/> naming file, row group, column and offset.
/// </summary>
public sealed class ParquetFileReader : IDisposable
{
    public ParquetFileReader(Stream stream, string name, ParquetReaderOptions? options = null, bool leaveOpen = false)
    {
        throw new NotImplementedException();
    }

    public static ParquetFileReader Open(string path, ParquetReaderOptions? options = null) => throw new NotImplementedException();

    public string Name => throw new NotImplementedException();

    public ParquetSchema Schema => throw new NotImplementedException();

    public long RowCount => throw new NotImplementedException();

    public int RowGroupCount => throw new NotImplementedException();

    public IReadOnlyDictionary<string, string> KeyValueMetadata => throw new NotImplementedException();

    public string? CreatedBy => throw new NotImplementedException();

    public long GetRowGroupRowCount(int rowGroup) => throw new NotImplementedException();

    /// <summary>Reads one row group; <paramref name="columns"/> selects top-level columns by name (null = all, in schema order).</summary>
    public ParquetRowGroup ReadRowGroup(int rowGroup, IReadOnlyList<string>? columns = null) => throw new NotImplementedException();

    /// <summary>Streams every row group in order.</summary>
    public IEnumerable<ParquetRowGroup> ReadRowGroups(IReadOnlyList<string>? columns = null)
    {
        for (var i = 0; i < RowGroupCount; i++)
            yield return ReadRowGroup(i, columns);
    }

    /// <summary>Column chunk statistics from the footer, or null when the writer stored none.</summary>
    public ParquetStatistics? GetStatistics(int rowGroup, string column) => throw new NotImplementedException();

    public void Dispose() => throw new NotImplementedException();
}

/// <summary>Decoded column chunk statistics. Min/Max are typed like the column's values (long, string, …) or null.</summary>
public sealed record ParquetStatistics(object? Min, object? Max, long? NullCount, long? DistinctCount);
