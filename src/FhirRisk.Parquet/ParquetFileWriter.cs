namespace FhirRisk.Parquet;

/// <summary>
/// Writes a Parquet file: call <see cref="WriteRowGroup"/> for each batch of rows (split into row groups of
/// <see cref="ParquetWriterOptions.RowGroupSize"/>), then <see cref="Dispose"/> to write the footer.
/// </summary>
public sealed class ParquetFileWriter : IDisposable
{
    public ParquetFileWriter(Stream stream, ParquetSchema schema, ParquetWriterOptions? options = null, bool leaveOpen = false)
    {
        throw new NotImplementedException();
    }

    /// <summary>Creates (or overwrites) the file at <paramref name="path"/>.</summary>
    public static ParquetFileWriter Create(string path, ParquetSchema schema, ParquetWriterOptions? options = null) => throw new NotImplementedException();

    public ParquetSchema Schema => throw new NotImplementedException();

    /// <summary>Writes rows; <paramref name="columns"/> are in schema order and of equal length.</summary>
    public void WriteRowGroup(IReadOnlyList<ParquetColumn> columns) => throw new NotImplementedException();

    /// <summary>Adds file-level key-value metadata (before the footer is written).</summary>
    public void SetMetadata(string key, string value) => throw new NotImplementedException();

    /// <summary>Writes the footer and closes the stream (unless leaveOpen).</summary>
    public void Dispose() => throw new NotImplementedException();
}
