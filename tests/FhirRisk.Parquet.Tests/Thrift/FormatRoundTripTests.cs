using System.Buffers;
using FhirRisk.Parquet.Internal.Format;
using static FhirRisk.Parquet.Tests.Thrift.ThriftTestCodec;

namespace FhirRisk.Parquet.Tests.Thrift;

public sealed class FormatRoundTripTests
{
    [Fact]
    public void FullSamples_SetEveryProperty()
    {
        AssertFullyPopulated(FormatSamples.FullFileMetaData(), nameof(FileMetaData));
        AssertFullyPopulated(FormatSamples.FullPageHeader(), nameof(PageHeader));
    }

    [Fact]
    public void Statistics_AllAndNoFields_RoundTrip()
    {
        AssertRoundTrip(FormatSamples.FullStatistics(), (s, w) => s.Write(w), Statistics.Read);
        var empty = AssertRoundTrip(new Statistics(), (s, w) => s.Write(w), Statistics.Read);
        Assert.Null(empty.NullCount);
        Assert.Equal([0x00], Encode(new Statistics().Write)); // only the STOP byte
    }

    [Fact]
    public void SchemaElement_AllAndRequiredFields_RoundTrip()
    {
        var full = AssertRoundTrip(FormatSamples.FullSchemaElement(), (e, w) => e.Write(w), SchemaElement.Read);
        Assert.Equal("numeric_value_é", full.Name);
        Assert.Equal(LogicalTypeKind.Decimal, full.LogicalType!.Kind);
        var minimal = AssertRoundTrip(FormatSamples.MinimalSchemaElement(), (e, w) => e.Write(w), SchemaElement.Read);
        Assert.Null(minimal.Type);
        Assert.Null(minimal.LogicalType);
    }

    [Fact]
    public void KeyValue_WithAndWithoutValue_RoundTrip()
    {
        AssertRoundTrip(FormatSamples.FullKeyValue(), (kv, w) => kv.Write(w), KeyValue.Read);
        Assert.Null(AssertRoundTrip(new KeyValue { Key = "only" }, (kv, w) => kv.Write(w), KeyValue.Read).Value);
    }

    [Fact]
    public void PageHeaders_AllAndRequiredFields_RoundTrip()
    {
        AssertRoundTrip(FormatSamples.FullPageHeader(), (h, w) => h.Write(w), PageHeader.Read);
        var minimal = AssertRoundTrip(FormatSamples.MinimalPageHeader(), (h, w) => h.Write(w), PageHeader.Read);
        Assert.Null(minimal.Crc);
        Assert.Null(minimal.DataPageHeader);
        AssertRoundTrip(new DataPageHeader { NumValues = 1 }, (h, w) => h.Write(w), DataPageHeader.Read);
        AssertRoundTrip(new DictionaryPageHeader { NumValues = 1 }, (h, w) => h.Write(w), DictionaryPageHeader.Read);
        AssertRoundTrip(new DataPageHeaderV2 { NumValues = 1 }, (h, w) => h.Write(w), DataPageHeaderV2.Read);
    }

    [Fact]
    public void ColumnMetaDataAndChunk_AllAndRequiredFields_RoundTrip()
    {
        AssertRoundTrip(FormatSamples.FullColumnMetaData(), (m, w) => m.Write(w), ColumnMetaData.Read);
        var minimal = AssertRoundTrip(FormatSamples.MinimalColumnMetaData(), (m, w) => m.Write(w), ColumnMetaData.Read);
        Assert.Empty(minimal.PathInSchema);
        AssertRoundTrip(FormatSamples.FullColumnChunk(), (c, w) => c.Write(w), ColumnChunk.Read);
        Assert.Null(AssertRoundTrip(new ColumnChunk { FileOffset = -1 }, (c, w) => c.Write(w), ColumnChunk.Read).MetaData);
    }

    [Fact]
    public void RowGroup_AllAndRequiredFields_RoundTrip()
    {
        AssertRoundTrip(FormatSamples.FullRowGroup(), (g, w) => g.Write(w), RowGroup.Read);
        var minimal = AssertRoundTrip(new RowGroup { NumRows = 1 }, (g, w) => g.Write(w), RowGroup.Read);
        Assert.Null(minimal.Ordinal);
    }

    [Fact]
    public void ColumnOrder_TypeDefinedAndUnset_RoundTrip()
    {
        Assert.Equal([0x1C, 0x00, 0x00], Encode(new ColumnOrder { IsTypeDefinedOrder = true }.Write));
        Assert.True(AssertRoundTrip(new ColumnOrder { IsTypeDefinedOrder = true }, (o, w) => o.Write(w), ColumnOrder.Read).IsTypeDefinedOrder);
        Assert.False(AssertRoundTrip(new ColumnOrder(), (o, w) => o.Write(w), ColumnOrder.Read).IsTypeDefinedOrder);
    }

    [Fact]
    public void FileMetaData_SerializeThenParse_KeepsEveryField()
    {
        var original = FormatSamples.FullFileMetaData();
        var bytes = original.Serialize();
        var parsed = FileMetaData.Parse(bytes);
        AssertSameContent(original, parsed, nameof(FileMetaData));
        Assert.Equal(bytes, parsed.Serialize());
    }

    [Fact]
    public void FileMetaData_LongLists_UseLongFormHeaderAndRoundTrip()
    {
        var wide = FormatSamples.WideFileMetaData();
        var bytes = wide.Serialize();
        // Field 1 (version, i32 2 → 0x15 0x04), then field 2 list header: 0xF0 | struct, then varint size 20.
        Assert.Equal([0x15, 0x04, 0x19, 0xFC, 20], bytes[..5]);
        var parsed = FileMetaData.Parse(bytes);
        Assert.Equal(20, parsed.Schema.Count);
        Assert.Equal(16, parsed.RowGroups.Count);
        AssertSameContent(wide, parsed, nameof(FileMetaData));
    }

    [Fact]
    public void FileMetaData_RequiredOnly_RoundTrip()
    {
        var parsed = FileMetaData.Parse(new FileMetaData { Version = 1 }.Serialize());
        Assert.Equal(1, parsed.Version);
        Assert.Empty(parsed.Schema);
        Assert.Null(parsed.KeyValueMetadata);
        Assert.Null(parsed.CreatedBy);
        Assert.Null(parsed.ColumnOrders);
    }

    [Fact]
    public void PageHeader_ParseWithTrailingBody_ReportsHeaderLength()
    {
        var output = new ArrayBufferWriter<byte>();
        FormatSamples.FullPageHeader().WriteTo(output);
        var headerLength = output.WrittenCount;
        output.Write<byte>([0xAA, 0xBB, 0xCC]);
        var parsed = PageHeader.Parse(output.WrittenSpan, out var parsedLength);
        Assert.Equal(headerLength, parsedLength);
        Assert.Equal(int.MinValue, parsed.Crc);
        Assert.False(parsed.DataPageHeaderV2!.IsCompressed);
    }

    [Fact]
    public void DataPageHeaderV2_IsCompressedAbsent_DefaultsToTrue()
    {
        var bytes = Encode(w =>
        {
            w.BeginStruct();
            for (short id = 1; id <= 6; id++)
                w.WriteI32Field(id, id);
            w.EndStruct();
        });
        var header = Decode(bytes, DataPageHeaderV2.Read);
        Assert.True(header.IsCompressed);
        Assert.Equal(3, header.NumRows);
        Assert.Equal(6, header.RepetitionLevelsByteLength);
    }

    [Fact]
    public void Enums_OutOfRangeValues_KeptAsRawCasts()
    {
        var element = new SchemaElement
        {
            Name = "x",
            Type = (PhysicalType)99,
            ConvertedType = (ConvertedType)(-3),
            RepetitionType = (FieldRepetitionType)7,
        };
        var parsed = AssertRoundTrip(element, (e, w) => e.Write(w), SchemaElement.Read);
        Assert.Equal(99, (int)parsed.Type!.Value);
        Assert.Equal(-3, (int)parsed.ConvertedType!.Value);
        var header = AssertRoundTrip(new PageHeader { Type = (PageType)42 }, (h, w) => h.Write(w), PageHeader.Read);
        Assert.Equal(42, (int)header.Type);
        var odd = new ColumnMetaData { Codec = (CompressionCodec)77, Encodings = [(Encoding)1000] };
        var meta = AssertRoundTrip(odd, (m, w) => m.Write(w), ColumnMetaData.Read);
        Assert.Equal(77, (int)meta.Codec);
        Assert.Equal(1000, (int)meta.Encodings[0]);
    }
}
