using System.Buffers;
using FhirRisk.Parquet.Internal;
using FhirRisk.Parquet.Internal.Format;
using FhirRisk.Parquet.Internal.Reading;

namespace FhirRisk.Parquet;

/// <summary>
/// Reads a Parquet file one row group at a time (memory bounded by one row group of the projected columns),
/// optionally projecting columns. Every failure on bad input is a <see cref="ParquetException"/> naming the file,
/// row group, column and byte offset. Not thread-safe: use one reader per thread.
/// </summary>
public sealed class ParquetFileReader : IDisposable
{
    private static ReadOnlySpan<byte> Magic => "PAR1"u8;
    private static ReadOnlySpan<byte> EncryptedMagic => "PARE"u8;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly ParquetReaderOptions _options;
    private readonly FileMetaData _metadata;
    private readonly long _length;
    private readonly Dictionary<string, ColumnDescriptor> _columns = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, string> _unsupported;

    public ParquetFileReader(Stream stream, string name, ParquetReaderOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek || !stream.CanRead)
            throw new ArgumentException("The stream must be readable and seekable.", nameof(stream));
        _stream = stream;
        _leaveOpen = leaveOpen;
        Name = name;
        _options = options ?? ParquetReaderOptions.Default;
        try
        {
            _length = stream.Length;
            _metadata = ReadFooter();
            if (_metadata.IsEncrypted)
                throw new ParquetException(ParquetErrorCodes.Unsupported, "The file uses Parquet modular encryption (plaintext footer, encrypted columns).");
            CheckRowCounts(_metadata);
            var resolved = SchemaResolver.Resolve(_metadata.Schema);
            foreach (var column in resolved.Columns)
                _columns[column.Field.Name] = column;
            _unsupported = resolved.Unsupported;
            Schema = new ParquetSchema(resolved.Columns.Select(c => c.Field)) { UnsupportedFields = resolved.Unsupported };
            KeyValueMetadata = (_metadata.KeyValueMetadata ?? [])
                .GroupBy(kv => kv.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Last().Value ?? "", StringComparer.Ordinal);
        }
        catch (ParquetException e)
        {
            if (!leaveOpen)
                stream.Dispose();
            throw e.WithContext(filePath: name);
        }
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            if (!leaveOpen)
                stream.Dispose();
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata, $"Cannot read the file: {e.Message}", e) { FilePath = name };
        }
    }

    /// <summary>Opens the file at <paramref name="path"/> for reading.</summary>
    public static ParquetFileReader Open(string path, ParquetReaderOptions? options = null)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);
        return new ParquetFileReader(stream, path, options);
    }

    public string Name { get; }

    /// <summary>The top-level fields this reader can return (see <see cref="UnsupportedColumns"/> for the others).</summary>
    public ParquetSchema Schema { get; }

    /// <summary>Top-level fields present in the file that this library cannot represent, with the reason.</summary>
    public IReadOnlyDictionary<string, string> UnsupportedColumns => _unsupported;

    public long RowCount => _metadata.NumRows;

    public int RowGroupCount => _metadata.RowGroups.Count;

    public IReadOnlyDictionary<string, string> KeyValueMetadata { get; }

    public string? CreatedBy => _metadata.CreatedBy;

    public long GetRowGroupRowCount(int rowGroup) => RowGroupAt(rowGroup).NumRows;

    /// <summary>Reads one row group; <paramref name="columns"/> selects top-level columns by name (null = all, in schema order).</summary>
    public ParquetRowGroup ReadRowGroup(int rowGroup, IReadOnlyList<string>? columns = null)
    {
        var group = RowGroupAt(rowGroup);
        var descriptors = Project(columns);
        if (group.NumRows < 0 || group.NumRows > _options.MaxRowGroupRows || group.NumRows > int.MaxValue)
            throw new ParquetException(ParquetErrorCodes.SizeLimit,
                $"Row group declares {group.NumRows} rows (limit {_options.MaxRowGroupRows}, ParquetReaderOptions.MaxRowGroupRows).") { FilePath = Name, RowGroup = rowGroup };
        var rowCount = (int)group.NumRows;
        CheckDecodedSize(group, descriptors, rowCount, rowGroup);
        var result = new ParquetColumn[descriptors.Count];
        for (var i = 0; i < descriptors.Count; i++)
        {
            try
            {
                result[i] = ReadColumnChunk(descriptors[i], FindChunk(group, descriptors[i]), rowCount);
            }
            catch (ParquetException e)
            {
                throw e.WithContext(Name, rowGroup, descriptors[i].DottedPath);
            }
        }
        return new ParquetRowGroup(rowGroup, rowCount, result);
    }

    /// <summary>Streams every row group in order.</summary>
    public IEnumerable<ParquetRowGroup> ReadRowGroups(IReadOnlyList<string>? columns = null)
    {
        for (var i = 0; i < RowGroupCount; i++)
            yield return ReadRowGroup(i, columns);
    }

    /// <summary>Column chunk statistics from the footer, or null when the writer stored none.</summary>
    public ParquetStatistics? GetStatistics(int rowGroup, string column)
    {
        var descriptor = Project([column])[0];
        var statistics = FindChunk(RowGroupAt(rowGroup), descriptor).MetaData?.Statistics;
        return statistics is null ? null : StatisticsDecoder.Decode(descriptor, statistics, trustLegacy: _metadata.ColumnOrders is null);
    }

    public void Dispose()
    {
        if (!_leaveOpen)
            _stream.Dispose();
    }

    private FileMetaData ReadFooter()
    {
        if (_length < 12)
            throw new ParquetException(ParquetErrorCodes.Truncated, $"File has {_length} bytes; a Parquet file has at least 12.") { Offset = 0 };
        Span<byte> head = stackalloc byte[4];
        Span<byte> tail = stackalloc byte[8];
        ReadAt(0, head);
        ReadAt(_length - 8, tail);
        if (tail[4..].SequenceEqual(EncryptedMagic))
            throw new ParquetException(ParquetErrorCodes.Unsupported, "The file uses Parquet modular encryption (encrypted footer).") { Offset = _length - 4 };
        if (!head.SequenceEqual(Magic))
            throw new ParquetException(ParquetErrorCodes.BadMagic, "File does not start with PAR1; it is not a Parquet file.") { Offset = 0 };
        if (!tail[4..].SequenceEqual(Magic))
            throw new ParquetException(ParquetErrorCodes.BadMagic, "File does not end with PAR1; it is truncated or not a Parquet file.") { Offset = _length - 4 };
        var footerLength = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (footerLength <= 0 || footerLength > _length - 12)
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata, $"Footer length {footerLength} does not fit in a file of {_length} bytes.") { Offset = _length - 8 };
        if (footerLength > _options.MaxFooterSize)
            throw new ParquetException(ParquetErrorCodes.SizeLimit, $"Footer of {footerLength} bytes exceeds the limit of {_options.MaxFooterSize} (ParquetReaderOptions.MaxFooterSize).") { Offset = _length - 8 };
        var footerStart = _length - 8 - footerLength;
        var footer = new byte[footerLength];
        ReadAt(footerStart, footer);
        try
        {
            return FileMetaData.Parse(footer);
        }
        catch (ParquetException e)
        {
            throw new ParquetException(e.Code, e.Detail, e) { Offset = footerStart + (e.Offset ?? 0) };
        }
    }

    /// <summary>
    /// The footer's row count must be the sum of its row groups' (parquet.thrift: "Number of rows in this file"), each
    /// at least 0: callers size their buffers from <see cref="RowCount"/>, so a damaged count must fail here, as a
    /// Parquet error, not later as an out-of-memory or overflow in whoever trusted it.
    /// </summary>
    private static void CheckRowCounts(FileMetaData metadata)
    {
        long sum = 0;
        for (var i = 0; i < metadata.RowGroups.Count; i++)
        {
            var rows = metadata.RowGroups[i].NumRows;
            if (rows < 0)
                throw new ParquetException(ParquetErrorCodes.CorruptMetadata, $"Row group {i} declares {rows} rows.") { RowGroup = i };
            sum = rows > long.MaxValue - sum ? long.MaxValue : sum + rows;
        }
        if (metadata.NumRows != sum)
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata,
                $"The footer declares {metadata.NumRows} rows but its {metadata.RowGroups.Count} row groups hold {sum}.");
    }

    private RowGroup RowGroupAt(int rowGroup)
    {
        if ((uint)rowGroup >= (uint)_metadata.RowGroups.Count)
            throw new ArgumentOutOfRangeException(nameof(rowGroup), rowGroup, $"The file has {_metadata.RowGroups.Count} row groups.");
        return _metadata.RowGroups[rowGroup];
    }

    private List<ColumnDescriptor> Project(IReadOnlyList<string>? columns)
    {
        if (columns is null)
            return [.. Schema.Fields.Select(f => _columns[f.Name])];
        var result = new List<ColumnDescriptor>(columns.Count);
        foreach (var name in columns)
        {
            if (_columns.TryGetValue(name, out var descriptor))
                result.Add(descriptor);
            else if (_unsupported.TryGetValue(name, out var reason))
                throw new ParquetException(ParquetErrorCodes.Unsupported, $"Column '{name}' cannot be read: {reason}.") { FilePath = Name, Column = name };
            else
                throw new ParquetException(ParquetErrorCodes.SchemaMismatch, $"Column '{name}' does not exist. Columns: {string.Join(", ", Schema.Fields.Select(f => f.Name))}.") { FilePath = Name, Column = name };
        }
        return result;
    }

    /// <summary>Refuses a row group whose projected columns would decode to more than
    /// <see cref="ParquetReaderOptions.MaxRowGroupDecodedBytes"/>, before any is read. A chunk whose count is out of range
    /// is left to its own check (<see cref="ColumnChunkReader"/>), which names it.</summary>
    private void CheckDecodedSize(RowGroup group, List<ColumnDescriptor> descriptors, int rowCount, int rowGroup)
    {
        var total = 0L;
        foreach (var descriptor in descriptors)
        {
            var values = FindChunk(group, descriptor).MetaData?.NumValues ?? 0;
            if (values >= 0 && values <= _options.MaxColumnChunkValues)
                total += DecodedBytes(descriptor, values, rowCount);
        }
        if (total > _options.MaxRowGroupDecodedBytes)
            throw new ParquetException(ParquetErrorCodes.SizeLimit,
                $"Row group would decode to about {total:N0} bytes (limit {_options.MaxRowGroupDecodedBytes:N0}, ParquetReaderOptions.MaxRowGroupDecodedBytes); read fewer columns or raise the limit.")
            { FilePath = Name, RowGroup = rowGroup };
    }

    /// <summary>About what <paramref name="values"/> declared values of a column decode to (<see cref="ParquetReaderOptions.MaxRowGroupDecodedBytes"/>).</summary>
    internal static long DecodedBytes(ColumnDescriptor descriptor, long values, int rows)
    {
        var slot = descriptor.PhysicalType == PhysicalType.ByteArray ? 24 : Math.Max(descriptor.FixedWidth, 1);
        var levels = (descriptor.MaxDefinitionLevel > 0 ? 2 : 0) + (descriptor.MaxRepetitionLevel > 0 ? 2 : 0);
        return values * (slot + levels) + (descriptor.MaxRepetitionLevel > 0 ? rows * 32L : 0);
    }

    private static ColumnChunk FindChunk(RowGroup group, ColumnDescriptor descriptor)
    {
        foreach (var chunk in group.Columns)
        {
            if (chunk.MetaData?.PathInSchema is { } path && path.SequenceEqual(descriptor.Path, StringComparer.Ordinal))
                return chunk;
        }
        throw new ParquetException(ParquetErrorCodes.CorruptMetadata, $"Row group has no column chunk for '{descriptor.DottedPath}'.");
    }

    private ParquetColumn ReadColumnChunk(ColumnDescriptor descriptor, ColumnChunk chunk, int rowCount)
    {
        if (chunk.FilePath is not null)
            throw new ParquetException(ParquetErrorCodes.Unsupported, $"Column chunk lives in another file ('{chunk.FilePath}').");
        var meta = chunk.MetaData!;
        if (meta.Type != descriptor.PhysicalType)
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata, $"Column chunk type {meta.Type} differs from the schema's {descriptor.PhysicalType}.");
        var start = meta.DictionaryPageOffset is long dictionary && dictionary > 0 && dictionary < meta.DataPageOffset ? dictionary : meta.DataPageOffset;
        var size = meta.TotalCompressedSize;
        if (start < 4 || size < 0)
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata, $"Column chunk [{start}, +{size}) is not a valid range.") { Offset = start };
        if (start > _length - 8 || size > _length - 8 - start)
            throw new ParquetException(ParquetErrorCodes.Truncated, $"Column chunk [{start}, +{size}) extends past the data of a {_length}-byte file.") { Offset = Math.Min(start, _length) };
        if (size > Array.MaxLength)
            throw new ParquetException(ParquetErrorCodes.SizeLimit, $"Column chunk of {size} bytes is larger than one buffer can hold.") { Offset = start };
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(size, 1));
        try
        {
            var bytes = buffer.AsSpan(0, (int)size);
            ReadAt(start, bytes);
            return ColumnChunkReader.Read(descriptor, meta, bytes, start, rowCount, _options);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void ReadAt(long offset, Span<byte> destination)
    {
        _stream.Position = offset;
        _stream.ReadExactly(destination);
    }
}

/// <summary>Decoded column chunk statistics. Min/Max are typed like the column's values (long, string, …) or null.</summary>
public sealed record ParquetStatistics(object? Min, object? Max, long? NullCount, long? DistinctCount);
