using System.Buffers;
using System.Buffers.Binary;
using FhirRisk.Parquet.Internal.Codecs;
using FhirRisk.Parquet.Internal.Encodings;
using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Internal.Reading;

/// <summary>
/// Decodes one column chunk (all of its pages) into a <see cref="ParquetColumn"/>. Page sizes and value counts are
/// checked against the chunk and the footer before anything is allocated, so a corrupt length cannot trigger a huge
/// allocation; every failure is a <see cref="ParquetException"/> carrying the absolute byte offset of the page.
/// </summary>
internal sealed class ColumnChunkReader
{
    private readonly ColumnDescriptor _column;
    private readonly ColumnMetaData _meta;
    private readonly ParquetReaderOptions _options;
    private readonly LeafDecoder _values;
    private int[] _definition = [];
    private int[] _repetition = [];
    private byte[] _inflated = [];
    private int _entries;

    private ColumnChunkReader(ColumnDescriptor column, ColumnMetaData meta, ParquetReaderOptions options)
    {
        _column = column;
        _meta = meta;
        _options = options;
        _values = LeafDecoder.Create(column, _options.MaxPageSize);
    }

    /// <param name="chunk">The chunk's bytes, starting at its first page.</param>
    /// <param name="chunkOffset">Absolute file offset of <paramref name="chunk"/>[0], for error messages.</param>
    public static ParquetColumn Read(ColumnDescriptor column, ColumnMetaData meta, ReadOnlySpan<byte> chunk, long chunkOffset,
        int rowCount, ParquetReaderOptions options)
    {
        if (meta.NumValues < 0 || (column.MaxRepetitionLevel == 0 && meta.NumValues != rowCount))
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata,
                $"Column chunk declares {meta.NumValues} values for a row group of {rowCount} rows.") { Offset = chunkOffset };
        if (meta.NumValues > Math.Min(options.MaxColumnChunkValues, int.MaxValue))
            throw new ParquetException(ParquetErrorCodes.SizeLimit,
                $"Column chunk declares {meta.NumValues} values (limit {Math.Min(options.MaxColumnChunkValues, int.MaxValue)}, ParquetReaderOptions.MaxColumnChunkValues).") { Offset = chunkOffset };
        var reader = new ColumnChunkReader(column, meta, options);
        if (column.MaxRepetitionLevel == 0)
            reader.ReserveLevels(PlausibleEntries(rowCount, chunk.Length));
        var position = 0;
        while (reader._entries < meta.NumValues)
        {
            if (position >= chunk.Length)
                throw new ParquetException(ParquetErrorCodes.Truncated,
                    $"Column chunk ends after {reader._entries} of {meta.NumValues} values.") { Offset = chunkOffset + position };
            position += reader.ReadPage(chunk[position..], chunkOffset + position);
        }
        try
        {
            return ColumnAssembler.Assemble(column, reader._values, reader._definition, reader._repetition, reader._entries, rowCount);
        }
        finally
        {
            ReturnLevels(reader._definition);
            ReturnLevels(reader._repetition);
            if (reader._inflated.Length > 0)
                ArrayPool<byte>.Shared.Return(reader._inflated);
        }
    }

    /// <summary>
    /// How many entries to size buffers for up front: the declared count unless the chunk is too small to plausibly hold
    /// it (then buffers grow page by page, so a corrupt row count costs nothing until pages really decode that many).
    /// </summary>
    private static int PlausibleEntries(int rowCount, int chunkBytes) => (int)Math.Min(rowCount, Math.Max(1L << 16, chunkBytes * 1024L));

    private static void ReturnLevels(int[] levels)
    {
        if (levels.Length > 0)
            ArrayPool<int>.Shared.Return(levels);
    }

    private void ReserveLevels(int entries)
    {
        if (_column.MaxDefinitionLevel > 0)
            _definition = ArrayPool<int>.Shared.Rent(Math.Max(entries, 1));
        _values.Reserve(entries);
    }

    /// <summary>Reads the page at the start of <paramref name="data"/> (file offset <paramref name="pageOffset"/>); returns the bytes it occupies.</summary>
    private int ReadPage(ReadOnlySpan<byte> data, long pageOffset)
    {
        try
        {
            return ReadPageCore(data);
        }
        catch (ParquetException e)
        {
            // Header parse errors carry an offset relative to the page; body errors carry none. Both become absolute.
            throw new ParquetException(e.Code, e.Detail, e.InnerException) { Offset = pageOffset + (e.Offset ?? 0) };
        }
    }

    private int ReadPageCore(ReadOnlySpan<byte> data)
    {
        var header = PageHeader.Parse(data, out var headerLength);
        if (header.CompressedPageSize < 0 || header.UncompressedPageSize < 0)
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata, "Page header has a negative size.");
        if (header.UncompressedPageSize > _options.MaxPageSize || header.CompressedPageSize > _options.MaxPageSize)
            throw new ParquetException(ParquetErrorCodes.SizeLimit,
                $"Page of {Math.Max(header.UncompressedPageSize, header.CompressedPageSize)} bytes exceeds the limit of {_options.MaxPageSize} (ParquetReaderOptions.MaxPageSize).");
        if (header.CompressedPageSize > data.Length - headerLength)
            throw new ParquetException(ParquetErrorCodes.Truncated,
                $"Page declares {header.CompressedPageSize} bytes but the column chunk has {data.Length - headerLength} left.");
        var body = data.Slice(headerLength, header.CompressedPageSize);
        if (header.Crc is int crc && _options.VerifyPageCrc && Crc32.Compute(body) != unchecked((uint)crc))
            throw new ParquetException(ParquetErrorCodes.CrcMismatch, $"Page CRC-32 0x{Crc32.Compute(body):X8} does not match the header's 0x{crc:X8}.");

        switch (header.Type)
        {
            case PageType.DictionaryPage:
                ReadDictionaryPage(header, body);
                break;
            case PageType.DataPage:
                ReadDataPageV1(header, body);
                break;
            case PageType.DataPageV2:
                ReadDataPageV2(header, body);
                break;
            // Index pages and page types from the future carry nothing we need.
        }
        return headerLength + header.CompressedPageSize;
    }

    private void ReadDictionaryPage(PageHeader header, ReadOnlySpan<byte> body)
    {
        var dictionary = header.DictionaryPageHeader
            ?? throw new ParquetException(ParquetErrorCodes.CorruptMetadata, "Dictionary page without a dictionary_page_header.");
        if (dictionary.Encoding is not (Encoding.Plain or Encoding.PlainDictionary))
            throw new ParquetException(ParquetErrorCodes.Unsupported, $"Dictionary page encoding {dictionary.Encoding} is not supported.");
        if (dictionary.NumValues < 0 || dictionary.NumValues > header.UncompressedPageSize * 8L + 1)
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata, $"Dictionary page declares {dictionary.NumValues} values in {header.UncompressedPageSize} bytes.");
        _values.ReadDictionary(Inflate(body, header.UncompressedPageSize), dictionary.NumValues);
    }

    private void ReadDataPageV1(PageHeader header, ReadOnlySpan<byte> body)
    {
        var page = header.DataPageHeader
            ?? throw new ParquetException(ParquetErrorCodes.CorruptMetadata, "Data page without a data_page_header.");
        var count = CheckValueCount(page.NumValues);
        var data = Inflate(body, header.UncompressedPageSize);
        // v1 levels: repetition then definition, each a 4-byte length followed by RLE/bit-packed hybrid data.
        if (_column.MaxRepetitionLevel > 0)
            data = data[ReadLengthPrefixedLevels(data, page.RepetitionLevelEncoding, _column.MaxRepetitionLevel, ref _repetition, count)..];
        if (_column.MaxDefinitionLevel > 0)
            data = data[ReadLengthPrefixedLevels(data, page.DefinitionLevelEncoding, _column.MaxDefinitionLevel, ref _definition, count)..];
        _values.ReadValues(page.Encoding, data, DefinedCount(count));
        _entries += count;
    }

    private void ReadDataPageV2(PageHeader header, ReadOnlySpan<byte> body)
    {
        var page = header.DataPageHeaderV2
            ?? throw new ParquetException(ParquetErrorCodes.CorruptMetadata, "Data page v2 without a data_page_header_v2.");
        var count = CheckValueCount(page.NumValues);
        var repLength = page.RepetitionLevelsByteLength;
        var defLength = page.DefinitionLevelsByteLength;
        if (repLength < 0 || defLength < 0 || (long)repLength + defLength > body.Length)
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata, $"Data page v2 level lengths ({repLength}, {defLength}) exceed the page ({body.Length} bytes).");
        // v2 levels are never compressed and carry no length prefix (their lengths are in the header).
        if (_column.MaxRepetitionLevel > 0)
            ReadLevels(body[..repLength], _column.MaxRepetitionLevel, ref _repetition, count);
        if (_column.MaxDefinitionLevel > 0)
            ReadLevels(body.Slice(repLength, defLength), _column.MaxDefinitionLevel, ref _definition, count);
        var values = body[(repLength + defLength)..];
        var valuesSize = header.UncompressedPageSize - repLength - defLength;
        if (valuesSize < 0)
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata, "Data page v2 uncompressed size is smaller than its levels.");
        var defined = DefinedCount(count);
        // v2 may store values uncompressed even in a compressed chunk (is_compressed = false).
        _values.ReadValues(page.Encoding, page.IsCompressed ? Inflate(values, valuesSize) : values, defined);
        _entries += count;
    }

    /// <summary>
    /// Decompresses a page body into the chunk's reusable buffer, after checking that the compressed bytes can hold
    /// the declared size; uncompressed bodies are used in place.
    /// </summary>
    private ReadOnlySpan<byte> Inflate(ReadOnlySpan<byte> body, int size)
    {
        // A codec we cannot read is refused before anything is sized from the page's declared length.
        if (!PageCodec.IsReadable(_meta.Codec))
            throw CodecErrors.Unsupported(_meta.Codec, compressing: false);
        DeclaredSizeGuard.Check(_meta.Codec, body, size);
        if (_meta.Codec == CompressionCodec.Uncompressed)
            return body;
        if (_inflated.Length < size)
        {
            if (_inflated.Length > 0)
                ArrayPool<byte>.Shared.Return(_inflated);
            _inflated = ArrayPool<byte>.Shared.Rent(size);
        }
        var target = _inflated.AsSpan(0, size);
        PageCodec.Decompress(_meta.Codec, body, target);
        return target;
    }

    private int CheckValueCount(int numValues)
    {
        if (numValues < 0 || numValues > _meta.NumValues - _entries)
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata,
                $"Page declares {numValues} values but the column chunk has {_meta.NumValues - _entries} left.");
        return numValues;
    }

    /// <summary>Number of entries of the page just read whose definition level says a value is present.</summary>
    private int DefinedCount(int count)
    {
        if (_column.MaxDefinitionLevel == 0)
            return count;
        var max = _column.MaxDefinitionLevel;
        var defined = 0;
        foreach (var level in _definition.AsSpan(_entries, count))
            defined += level == max ? 1 : 0;
        return defined;
    }

    private int ReadLengthPrefixedLevels(ReadOnlySpan<byte> data, Encoding encoding, int maxLevel, ref int[] levels, int count)
    {
        if (encoding != Encoding.Rle)
            throw new ParquetException(ParquetErrorCodes.Unsupported, $"Level encoding {encoding} is not supported (only RLE).");
        if (data.Length < 4)
            throw new ParquetException(ParquetErrorCodes.CorruptPage, "Data page ends before its level length.");
        var length = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (length < 0 || length > data.Length - 4)
            throw new ParquetException(ParquetErrorCodes.CorruptPage, $"Level data length {length} exceeds the page ({data.Length - 4} bytes left).");
        ReadLevels(data.Slice(4, length), maxLevel, ref levels, count);
        return 4 + length;
    }

    private void ReadLevels(ReadOnlySpan<byte> data, int maxLevel, ref int[] levels, int count)
    {
        // A page's level count is checked against what its level bytes encode before room is made for it: one run can
        // stand for any number of levels, so bytes do not bound the count, but a count the data does not hold is corrupt
        // and must not cost a buffer of its size first.
        var bitWidth = RleBitPackedHybrid.BitWidth(maxLevel);
        var encoded = RleBitPackedHybrid.CountValues(data, bitWidth, count);
        if (encoded < count)
            throw new ParquetException(ParquetErrorCodes.CorruptPage, $"Level data holds {encoded} of the page's {count} levels.");
        if (levels.Length < _entries + count)
        {
            // Levels live only until assembly, so they come from the pool rather than the large object heap.
            var grown = ArrayPool<int>.Shared.Rent(Math.Max(_entries + count, levels.Length * 2));
            levels.AsSpan(0, _entries).CopyTo(grown);
            ReturnLevels(levels);
            levels = grown;
        }
        var destination = levels.AsSpan(_entries, count);
        RleBitPackedHybrid.Decode(data, bitWidth, destination);
        foreach (var level in destination)
        {
            if ((uint)level > (uint)maxLevel)
                throw new ParquetException(ParquetErrorCodes.CorruptPage, $"Level {level} exceeds the column's maximum {maxLevel}.");
        }
    }
}
