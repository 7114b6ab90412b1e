using FhirRisk.Parquet.Internal;
using FhirRisk.Parquet.Internal.Format;
using FhirRisk.Parquet.Internal.Writing;

namespace FhirRisk.Parquet;

/// <summary>
/// Writes a Parquet file: call <see cref="WriteRowGroup"/> for each batch of rows (split into row groups of
/// <see cref="ParquetWriterOptions.RowGroupSize"/>), then <see cref="Dispose"/> to write the footer.
/// Memory is bounded by one row group's encoded column chunk at a time.
/// </summary>
public sealed class ParquetFileWriter : IDisposable
{
    private static ReadOnlySpan<byte> Magic => "PAR1"u8;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly ParquetWriterOptions _options;
    private readonly ColumnDescriptor[] _columns;
    private readonly ColumnChunkWriter[] _chunkWriters;
    private readonly List<RowGroup> _rowGroups = [];
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);
    private long _position;
    private long _rowCount;
    private bool _closed;

    public ParquetFileWriter(Stream stream, ParquetSchema schema, ParquetWriterOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(schema);
        _options = options ?? ParquetWriterOptions.Default;
        if (_options.DataPageVersion is not (1 or 2))
            throw new ArgumentOutOfRangeException(nameof(options), _options.DataPageVersion, "DataPageVersion must be 1 or 2.");
        if (_options.RowGroupSize < 1 || _options.PageSizeBytes < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "RowGroupSize and PageSizeBytes must be positive.");
        _stream = stream;
        _leaveOpen = leaveOpen;
        Schema = schema;
        _columns = [.. schema.Fields.Select(ColumnDescriptor.ForWriting)];
        _chunkWriters = [.. _columns.Select(c => new ColumnChunkWriter(c, _options))];
        foreach (var (key, value) in _options.KeyValueMetadata ?? new Dictionary<string, string>())
            _metadata[key] = value;
        _stream.Write(Magic);
        _position = Magic.Length;
    }

    /// <summary>Creates (or overwrites) the file at <paramref name="path"/>.</summary>
    public static ParquetFileWriter Create(string path, ParquetSchema schema, ParquetWriterOptions? options = null) =>
        Open(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16), schema, options);

    /// <summary>Like <see cref="Create"/>, a new file created readable by its owner only (0600 on Unix,
    /// <see cref="Core.OwnerOnlyFiles"/>): for tables of patient-level rows.</summary>
    public static ParquetFileWriter CreateOwnerOnly(string path, ParquetSchema schema, ParquetWriterOptions? options = null) =>
        Open(Core.OwnerOnlyFiles.Create(path, bufferSize: 1 << 16), schema, options);

    private static ParquetFileWriter Open(FileStream stream, ParquetSchema schema, ParquetWriterOptions? options)
    {
        try
        {
            return new ParquetFileWriter(stream, schema, options);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public ParquetSchema Schema { get; }

    /// <summary>Writes rows; <paramref name="columns"/> are in schema order and of equal length. An empty batch writes nothing.</summary>
    public void WriteRowGroup(IReadOnlyList<ParquetColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ObjectDisposedException.ThrowIf(_closed, this);
        var rows = Validate(columns);
        // An empty batch adds no row group: readers treat a file without row groups as empty.
        for (var start = 0; start < rows; start += _options.RowGroupSize)
            WriteOneRowGroup(columns, start, Math.Min(_options.RowGroupSize, rows - start));
    }

    /// <summary>Adds file-level key-value metadata (before the footer is written).</summary>
    public void SetMetadata(string key, string value)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        _metadata[key] = value;
    }

    /// <summary>Writes the footer and closes the stream (unless leaveOpen).</summary>
    public void Dispose()
    {
        if (_closed)
            return;
        _closed = true;
        try
        {
            WriteFooter();
        }
        finally
        {
            if (!_leaveOpen)
                _stream.Dispose();
        }
    }

    private int Validate(IReadOnlyList<ParquetColumn> columns)
    {
        if (columns.Count != _columns.Length)
            throw new ParquetException(ParquetErrorCodes.SchemaMismatch, $"Expected {_columns.Length} columns (the schema's), got {columns.Count}.");
        var rows = columns.Count == 0 ? 0 : columns[0].Length;
        for (var i = 0; i < columns.Count; i++)
        {
            var field = _columns[i].Field;
            var column = columns[i];
            if (column.Field != field)
                throw new ParquetException(ParquetErrorCodes.SchemaMismatch, $"Column {i} is '{column.Field.Name}' ({column.Field.Type}) but the schema has '{field.Name}' ({field.Type}) there.") { Column = field.Name };
            if (column.Length != rows)
                throw new ParquetException(ParquetErrorCodes.SchemaMismatch, $"Column '{field.Name}' has {column.Length} rows, column '{columns[0].Field.Name}' has {rows}.") { Column = field.Name };
            if (!field.Nullable && ColumnShredder.HasNull(column, 0, rows))
                throw new ParquetException(ParquetErrorCodes.SchemaMismatch, $"Column '{field.Name}' is required but holds a null.") { Column = field.Name };
            if (field.IsList)
                ValidateListElements(field, (Array?[])column.Values);
        }
        return rows;
    }

    /// <summary>Checks list rows before anything is written, so a rejected batch leaves no partial row group behind.</summary>
    private static void ValidateListElements(ParquetField field, Array?[] rows)
    {
        foreach (var list in rows)
        {
            if (list is null)
                continue;
            if (list.GetType().GetElementType() != field.ValueClrType)
                throw new ParquetException(ParquetErrorCodes.SchemaMismatch, $"List column '{field.Name}' needs {field.ValueClrType.Name}[] rows, got {list.GetType().Name}.") { Column = field.Name };
            if (!field.ElementNullable && Array.IndexOf(list, null) >= 0)
                throw new ParquetException(ParquetErrorCodes.SchemaMismatch, $"List column '{field.Name}' has a null element but its elements are required.") { Column = field.Name };
        }
    }

    private void WriteOneRowGroup(IReadOnlyList<ParquetColumn> columns, int start, int count)
    {
        var chunks = new List<ColumnChunk>(_columns.Length);
        var groupStart = _position;
        long uncompressed = 0;
        for (var i = 0; i < _columns.Length; i++)
        {
            var chunk = _chunkWriters[i].Write(columns[i], start, count, _stream, _position);
            _position += chunk.MetaData!.TotalCompressedSize;
            uncompressed += chunk.MetaData.TotalUncompressedSize;
            chunks.Add(chunk);
        }
        _rowGroups.Add(new RowGroup
        {
            Columns = chunks,
            NumRows = count,
            TotalByteSize = uncompressed,
            FileOffset = groupStart,
            TotalCompressedSize = _position - groupStart,
            Ordinal = (short)Math.Min(_rowGroups.Count, short.MaxValue),
        });
        _rowCount += count;
    }

    private void WriteFooter()
    {
        var metadata = new FileMetaData
        {
            Version = _options.DataPageVersion == 2 ? 2 : 1,
            Schema = SchemaConverter.ToElements(Schema),
            NumRows = _rowCount,
            RowGroups = _rowGroups,
            KeyValueMetadata = _metadata.Count == 0 ? null : [.. _metadata.Select(kv => new KeyValue { Key = kv.Key, Value = kv.Value })],
            CreatedBy = _options.CreatedBy,
            // Declaring the type-defined order tells readers our min_value/max_value are trustworthy (parquet.thrift ColumnOrder).
            ColumnOrders = [.. _columns.Select(_ => new ColumnOrder { IsTypeDefinedOrder = true })],
        };
        var footer = metadata.Serialize();
        _stream.Write(footer);
        Span<byte> tail = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(tail, footer.Length);
        Magic.CopyTo(tail[4..]);
        _stream.Write(tail);
        _stream.Flush();
    }
}
