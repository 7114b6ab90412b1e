using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Tests.Thrift;

/// <summary>
/// Metadata objects for round-trip tests: <c>Full…</c> sets every optional field (in lists, the last item is the full one) (checked by
/// <see cref="ThriftTestCodec.AssertFullyPopulated"/>), <c>Minimal…</c> only the required ones.
/// </summary>
internal static class FormatSamples
{
    public static Statistics FullStatistics() => new()
    {
        Max = [0x7F, 0xFF],
        Min = [0x80],
        NullCount = 3,
        DistinctCount = long.MaxValue,
        MaxValue = [1, 2, 3],
        MinValue = [],
        IsMaxValueExact = true,
        IsMinValueExact = false,
    };

    public static SchemaElement FullSchemaElement() => new()
    {
        Type = PhysicalType.FixedLenByteArray,
        TypeLength = 16,
        RepetitionType = FieldRepetitionType.Optional,
        Name = "numeric_value_é",
        NumChildren = 0,
        ConvertedType = ConvertedType.Decimal,
        Scale = 2,
        Precision = 38,
        FieldId = -7,
        LogicalType = LogicalType.Decimal(2, 38),
    };

    public static SchemaElement MinimalSchemaElement() => new() { Name = "" };

    public static KeyValue FullKeyValue() => new() { Key = "ARROW:schema", Value = "x" };

    public static PageHeader FullPageHeader() => new()
    {
        Type = PageType.DataPageV2,
        UncompressedPageSize = int.MaxValue,
        CompressedPageSize = 0,
        Crc = int.MinValue,
        DataPageHeader = new DataPageHeader
        {
            NumValues = 5,
            Encoding = Encoding.RleDictionary,
            DefinitionLevelEncoding = Encoding.Rle,
            RepetitionLevelEncoding = Encoding.BitPacked,
            Statistics = FullStatistics(),
        },
        DictionaryPageHeader = new DictionaryPageHeader { NumValues = 2, Encoding = Encoding.PlainDictionary, IsSorted = true },
        DataPageHeaderV2 = new DataPageHeaderV2
        {
            NumValues = 30,
            NumNulls = 4,
            NumRows = 20,
            Encoding = Encoding.DeltaBinaryPacked,
            DefinitionLevelsByteLength = 6,
            RepetitionLevelsByteLength = 7,
            IsCompressed = false,
            Statistics = FullStatistics(),
        },
    };

    public static PageHeader MinimalPageHeader() => new() { Type = PageType.DataPage, UncompressedPageSize = 1, CompressedPageSize = 1 };

    public static ColumnMetaData FullColumnMetaData() => new()
    {
        Type = PhysicalType.Int64,
        Encodings = [Encoding.Plain, Encoding.Rle, Encoding.RleDictionary],
        PathInSchema = ["parent_codes", "list", "element"],
        Codec = CompressionCodec.Zstd,
        NumValues = 1L << 40,
        TotalUncompressedSize = 1000,
        TotalCompressedSize = 900,
        KeyValueMetadata = [new KeyValue { Key = "k" }, FullKeyValue()],
        DataPageOffset = 4,
        IndexPageOffset = 5,
        DictionaryPageOffset = 6,
        Statistics = FullStatistics(),
        BloomFilterOffset = 7,
        BloomFilterLength = 8,
    };

    public static ColumnMetaData MinimalColumnMetaData() => new()
    {
        Type = PhysicalType.Boolean,
        Codec = CompressionCodec.Uncompressed,
    };

    public static ColumnChunk FullColumnChunk() => new()
    {
        FilePath = "other.parquet",
        FileOffset = 4,
        MetaData = FullColumnMetaData(),
        OffsetIndexOffset = 10,
        OffsetIndexLength = 11,
        ColumnIndexOffset = 12,
        ColumnIndexLength = 13,
    };

    public static RowGroup FullRowGroup() => new()
    {
        Columns = [new ColumnChunk { FileOffset = 99 }, FullColumnChunk()],
        TotalByteSize = 1234,
        NumRows = 30,
        FileOffset = 4,
        TotalCompressedSize = 1000,
        Ordinal = short.MaxValue,
    };

    public static FileMetaData FullFileMetaData() => new()
    {
        Version = 2,
        Schema =
        [
            new SchemaElement { Name = "schema", NumChildren = 2 },
            new SchemaElement { Name = "time", Type = PhysicalType.Int64, RepetitionType = FieldRepetitionType.Optional,
                LogicalType = LogicalType.Timestamp(false, TimeUnitKind.Micros) },
            FullSchemaElement(),
        ],
        NumRows = 30,
        RowGroups = [FullRowGroup(), FullRowGroup()],
        KeyValueMetadata = [FullKeyValue()],
        CreatedBy = "FhirRisk.Parquet tests",
        ColumnOrders = [new ColumnOrder(), new ColumnOrder { IsTypeDefinedOrder = true }],
    };

    /// <summary>A footer with 16 row groups and 20 schema elements, so its lists use the long-form list header.</summary>
    public static FileMetaData WideFileMetaData()
    {
        var meta = FullFileMetaData();
        meta.Schema = [new SchemaElement { Name = "schema", NumChildren = 19 },
            .. Enumerable.Range(0, 19).Select(i => new SchemaElement { Name = $"c{i}", Type = PhysicalType.Int32 })];
        meta.RowGroups = [.. Enumerable.Range(0, 16).Select(_ => FullRowGroup())];
        return meta;
    }
}
