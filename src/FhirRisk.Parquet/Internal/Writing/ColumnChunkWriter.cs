using System.Buffers;
using System.Runtime.CompilerServices;
using FhirRisk.Parquet.Internal.Codecs;
using FhirRisk.Parquet.Internal.Encodings;
using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Internal.Writing;

/// <summary>
/// Writes one column chunk: an optional dictionary page, then data pages (v1 or v2) of about
/// <see cref="ParquetWriterOptions.PageSizeBytes"/>, each cut at a row boundary, and returns its footer metadata.
/// </summary>
internal sealed class ColumnChunkWriter
{
    private readonly ColumnDescriptor _column;
    private readonly ParquetWriterOptions _options;
    private readonly CompressionCodec _codec;
    private readonly PooledBufferWriter _chunk = new();
    private readonly PooledBufferWriter _page = new();
    private readonly PooledBufferWriter _compressed = new();
    private readonly PooledBufferWriter _levels = new();
    private readonly PooledBufferWriter _body = new();
    private long _uncompressedTotal;

    public ColumnChunkWriter(ColumnDescriptor column, ParquetWriterOptions options)
    {
        _column = column;
        _options = options;
        _codec = options.Compression switch
        {
            ParquetCompression.Snappy => CompressionCodec.Snappy,
            ParquetCompression.Gzip => CompressionCodec.Gzip,
            ParquetCompression.Zstd => CompressionCodec.Zstd,
            _ => CompressionCodec.Uncompressed,
        };
    }

    /// <summary>Encodes the rows and writes the chunk to <paramref name="output"/>, which is at file offset <paramref name="fileOffset"/>.</summary>
    public ColumnChunk Write(ParquetColumn data, int start, int count, Stream output, long fileOffset)
    {
        try
        {
            return WriteChunk(data, start, count, output, fileOffset);
        }
        finally
        {
            _chunk.Release();
            _page.Release();
            _compressed.Release();
            _levels.Release();
            _body.Release();
        }
    }

    private ColumnChunk WriteChunk(ParquetColumn data, int start, int count, Stream output, long fileOffset)
    {
        _uncompressedTotal = 0;
        var shredded = ColumnShredder.Shred(_column, data, start, count);
        var values = ValueWriter.Create(shredded, _column, _options);
        long? dictionaryOffset = null;
        if (values.HasDictionary)
        {
            dictionaryOffset = fileOffset;
            WriteDictionaryPage(values);
        }
        var dataOffset = fileOffset + _chunk.WrittenCount;
        WriteDataPages(shredded, values);
        output.Write(_chunk.WrittenSpan);

        var nullCount = (long)shredded.Entries - shredded.ValueCount;
        var meta = new ColumnMetaData
        {
            Type = _column.PhysicalType,
            Encodings = values.HasDictionary ? [Encoding.Plain, Encoding.Rle, Encoding.RleDictionary] : [Encoding.Plain, Encoding.Rle],
            PathInSchema = [.. _column.Path],
            Codec = _codec,
            NumValues = shredded.Entries,
            TotalUncompressedSize = _uncompressedTotal,
            TotalCompressedSize = _chunk.WrittenCount,
            DataPageOffset = dataOffset,
            DictionaryPageOffset = dictionaryOffset,
            Statistics = _options.WriteStatistics ? BuildStatistics(values, nullCount) : null,
        };
        return new ColumnChunk { FileOffset = dictionaryOffset ?? dataOffset, MetaData = meta };
    }

    /// <summary>
    /// Longest min or max value stored. Statistics are copied whole into the footer for every row group, so a few long
    /// strings would otherwise make footers larger than readers accept (ours: <see cref="ParquetReaderOptions.MaxFooterSize"/>);
    /// past this both are left out and the null count kept, which a reader treats as "no bounds" (Arrow does the same).
    /// </summary>
    internal const int MaxStatisticsValueBytes = 4096;

    private static Statistics BuildStatistics(ValueWriter values, long nullCount)
    {
        var (min, max) = values.MinMax();
        if (min?.Length > MaxStatisticsValueBytes || max?.Length > MaxStatisticsValueBytes)
            (min, max) = (null, null);
        return new Statistics { NullCount = nullCount, MinValue = min, MaxValue = max };
    }

    private void WriteDictionaryPage(ValueWriter values)
    {
        _page.ResetWrittenCount();
        values.EncodeDictionary(_page);
        var body = Compress(_page.WrittenSpan);
        var header = new PageHeader
        {
            Type = PageType.DictionaryPage,
            UncompressedPageSize = _page.WrittenCount,
            CompressedPageSize = body.Length,
            DictionaryPageHeader = new DictionaryPageHeader { NumValues = values.DictionarySize, Encoding = Encoding.Plain },
        };
        AppendPage(header, body, _page.WrittenCount);
    }

    // Skips tiering for the reason given at ColumnShredder.ShredOptional (per-value loop, run once per process).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteDataPages(ShreddedColumn shredded, ValueWriter values)
    {
        var targetBits = (long)Math.Max(_options.PageSizeBytes, 1) * 8;
        var entry = 0;
        var value = 0;
        // An empty chunk still gets one (empty) page so every reader finds a data page at data_page_offset.
        do
        {
            int pageEntryStart = entry, pageValueStart = value;
            long bits = 0;
            while (entry < shredded.Entries)
            {
                var present = shredded.Definition is null || shredded.Definition[entry] == _column.MaxDefinitionLevel;
                bits += 1 + (present ? values.CostBits(value) : 0);
                entry++;
                if (present)
                    value++;
                // Pages end on row boundaries (the next entry starts a new row) once the target is reached.
                if (bits >= targetBits && (shredded.Repetition is null || entry == shredded.Entries || shredded.Repetition[entry] == 0))
                    break;
            }
            WriteDataPage(shredded, values, pageEntryStart, entry, pageValueStart, value);
        }
        while (entry < shredded.Entries);
    }

    private void WriteDataPage(ShreddedColumn shredded, ValueWriter values, int entryStart, int entryEnd, int valueStart, int valueEnd)
    {
        var entries = entryEnd - entryStart;
        var rows = shredded.Repetition is null ? entries : CountRows(shredded.Repetition.AsSpan(entryStart, entries));
        _levels.ResetWrittenCount();
        var repLength = EncodeLevels(shredded.Repetition, entryStart, entries, _column.MaxRepetitionLevel);
        var defLength = EncodeLevels(shredded.Definition, entryStart, entries, _column.MaxDefinitionLevel);
        _page.ResetWrittenCount();
        values.Encode(valueStart, valueEnd, _page);

        if (_options.DataPageVersion == 2)
        {
            // v2: levels stay uncompressed in front of the compressed values.
            var body = Concat(_levels.WrittenSpan, Compress(_page.WrittenSpan));
            var header = new PageHeader
            {
                Type = PageType.DataPageV2,
                UncompressedPageSize = _levels.WrittenCount + _page.WrittenCount,
                CompressedPageSize = body.Length,
                DataPageHeaderV2 = new DataPageHeaderV2
                {
                    NumValues = entries,
                    NumNulls = entries - (valueEnd - valueStart),
                    NumRows = rows,
                    Encoding = values.DataEncoding,
                    DefinitionLevelsByteLength = defLength,
                    RepetitionLevelsByteLength = repLength,
                    IsCompressed = _codec != CompressionCodec.Uncompressed,
                },
            };
            AppendPage(header, body, header.UncompressedPageSize);
            return;
        }

        // v1: levels (each with a 4-byte length prefix) and values are compressed together.
        var uncompressed = Concat(_levels.WrittenSpan, _page.WrittenSpan);
        var compressed = Compress(uncompressed);
        AppendPage(new PageHeader
        {
            Type = PageType.DataPage,
            UncompressedPageSize = uncompressed.Length,
            CompressedPageSize = compressed.Length,
            DataPageHeader = new DataPageHeader
            {
                NumValues = entries,
                Encoding = values.DataEncoding,
                DefinitionLevelEncoding = Encoding.Rle,
                RepetitionLevelEncoding = Encoding.Rle,
            },
        }, compressed, uncompressed.Length);
    }

    /// <summary>Appends RLE-encoded levels to <see cref="_levels"/>; v1 pages get a 4-byte length prefix. Returns the byte length without prefix.</summary>
    private int EncodeLevels(int[]? levels, int start, int count, int maxLevel)
    {
        if (levels is null || maxLevel == 0)
            return 0;
        var prefix = _options.DataPageVersion == 1;
        var lengthAt = _levels.WrittenCount;
        if (prefix)
        {
            _levels.GetSpan(4);
            _levels.Advance(4);
        }
        var before = _levels.WrittenCount;
        RleBitPackedHybrid.Encode(levels.AsSpan(start, count), RleBitPackedHybrid.BitWidth(maxLevel), _levels);
        var length = _levels.WrittenCount - before;
        if (prefix)
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(_levels.WrittenSpanForPatching.Slice(lengthAt, 4), length);
        return length;
    }

    /// <summary>Joins two page parts in the reusable <see cref="_body"/> buffer (no allocation per page).</summary>
    private ReadOnlySpan<byte> Concat(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        _body.ResetWrittenCount();
        _body.Write(first);
        _body.Write(second);
        return _body.WrittenSpan;
    }

    private static int CountRows(ReadOnlySpan<int> repetition)
    {
        var rows = 0;
        foreach (var level in repetition)
            rows += level == 0 ? 1 : 0;
        return rows;
    }

    private ReadOnlySpan<byte> Compress(ReadOnlySpan<byte> data)
    {
        if (_codec == CompressionCodec.Uncompressed)
            return data;
        _compressed.ResetWrittenCount();
        PageCodec.Compress(_codec, data, _compressed, _options.CompressionLevel);
        return _compressed.WrittenSpan;
    }

    private void AppendPage(PageHeader header, ReadOnlySpan<byte> body, int uncompressedBodySize)
    {
        if (_options.WritePageCrc)
            header.Crc = unchecked((int)Crc32.Compute(body));
        var before = _chunk.WrittenCount;
        header.WriteTo(_chunk);
        var headerLength = _chunk.WrittenCount - before;
        _chunk.Write(body);
        _uncompressedTotal += headerLength + uncompressedBodySize;
    }
}
