using FhirRisk.Parquet.Internal.Format;
using FhirRisk.Parquet.Internal.Thrift;
using static FhirRisk.Parquet.Tests.Thrift.ThriftTestCodec;

namespace FhirRisk.Parquet.Tests.Thrift;

/// <summary>Forward compatibility: fields a newer parquet.thrift adds must be skipped, whatever their type.</summary>
public sealed class ThriftSkipTests
{
    /// <summary>Writes one unknown value of each kind, as field <paramref name="fieldId"/>.</summary>
    private static readonly Dictionary<string, Action<ThriftCompactWriter, short>> UnknownValues = new(StringComparer.Ordinal)
    {
        ["bool true"] = (w, id) => w.WriteBoolField(id, true),
        ["bool false"] = (w, id) => w.WriteBoolField(id, false),
        ["i8"] = (w, id) => w.WriteI8Field(id, -5),
        ["i16"] = (w, id) => w.WriteI16Field(id, short.MinValue),
        ["i32"] = (w, id) => w.WriteI32Field(id, int.MaxValue),
        ["i64"] = (w, id) => w.WriteI64Field(id, long.MinValue),
        ["double"] = (w, id) => w.WriteDoubleField(id, Math.PI),
        ["binary"] = (w, id) => w.WriteBinaryField(id, new byte[300]),
        ["list of bool"] = (w, id) => w.WriteListField(id, ThriftType.BooleanTrue, [true, false, true], static (x, b) => x.WriteBool(b)),
        ["long list of i64"] = (w, id) =>
            w.WriteListField(id, ThriftType.I64, Enumerable.Range(0, 40).Select(i => (long)i << 40).ToList(), static (x, v) => x.WriteI64(v)),
        ["list of double"] = (w, id) => w.WriteListField(id, ThriftType.Double, [1.0, 2.0], static (x, v) => x.WriteDouble(v)),
        ["set of string"] = (w, id) =>
        {
            w.WriteFieldHeader(id, ThriftType.Set);
            w.WriteListHeader(ThriftType.Binary, 2);
            w.WriteString("a");
            w.WriteString("bc");
        },
        ["map string to list"] = (w, id) =>
        {
            w.WriteFieldHeader(id, ThriftType.Map);
            w.WriteMapHeader(ThriftType.Binary, ThriftType.List, 2);
            for (var i = 0; i < 2; i++)
            {
                w.WriteString($"k{i}");
                w.WriteListHeader(ThriftType.I32, 1);
                w.WriteI32(i);
            }
        },
        ["empty map"] = (w, id) =>
        {
            w.WriteFieldHeader(id, ThriftType.Map);
            w.WriteMapHeader(ThriftType.I32, ThriftType.I32, 0);
        },
        ["map of bool to struct"] = (w, id) =>
        {
            w.WriteFieldHeader(id, ThriftType.Map);
            w.WriteMapHeader(ThriftType.BooleanTrue, ThriftType.Struct, 1);
            w.WriteBool(false);
            w.BeginStruct();
            w.WriteBoolField(3, true);
            w.EndStruct();
        },
        ["nested struct"] = (w, id) =>
        {
            w.WriteFieldHeader(id, ThriftType.Struct);
            w.BeginStruct();
            w.WriteFieldHeader(1, ThriftType.Struct);
            w.BeginStruct();
            w.WriteListField(2, ThriftType.Struct, [1, 2], static (x, v) => { x.BeginStruct(); x.WriteI32Field(1, v); x.EndStruct(); });
            w.WriteBoolField(3, false);
            w.EndStruct();
            w.WriteStringField(200, "deep");
            w.EndStruct();
        },
    };

    public static TheoryData<string> UnknownValueKinds() => [.. UnknownValues.Keys];

    [Theory]
    [MemberData(nameof(UnknownValueKinds))]
    public void KeyValue_UnknownFieldBetweenKnownOnes_IsSkipped(string kind)
    {
        // The unknown value sits between key (1) and value (2) under id 1000, and again after value under id 3.
        var interleaved = Encode(w =>
        {
            w.BeginStruct();
            w.WriteStringField(1, "key");
            UnknownValues[kind](w, 1000);
            w.WriteStringField(2, "value");
            UnknownValues[kind](w, 3);
            w.EndStruct();
        });
        var pair = Decode(interleaved, KeyValue.Read);
        Assert.Equal(("key", "value"), (pair.Key, pair.Value));
    }

    [Theory]
    [MemberData(nameof(UnknownValueKinds))]
    public void Skip_EveryType_ConsumesExactlyTheValue(string kind)
    {
        var bytes = Encode(w =>
        {
            w.BeginStruct();
            UnknownValues[kind](w, 7);
            w.EndStruct();
        });
        var reader = new ThriftCompactReader(bytes);
        reader.BeginStruct();
        Assert.True(reader.ReadFieldHeader(out var id, out var type));
        Assert.Equal(7, id);
        reader.Skip(type);
        Assert.False(reader.ReadFieldHeader(out _, out _));
        Assert.Equal(bytes.Length, reader.Position);
    }

    [Fact]
    public void KnownFieldWithUnexpectedType_IsSkippedAndRequiredCheckFails()
    {
        // KeyValue.key sent as i32: skipped like an unknown field, so the required key is missing.
        var bytes = Encode(w =>
        {
            w.BeginStruct();
            w.WriteI32Field(1, 5);
            w.EndStruct();
        });
        var error = ParseFails(bytes, KeyValue.Read);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, error.Code);
        Assert.Contains("key", error.Detail, StringComparison.Ordinal);
        Assert.Equal(bytes.Length, error.Offset);
    }

    [Fact]
    public void RowGroup_SortingColumns_AreSkipped()
    {
        var bytes = Encode(w =>
        {
            w.BeginStruct();
            w.WriteListField(1, ThriftType.Struct, [new ColumnChunk { FileOffset = 4 }], static (x, c) => c.Write(x));
            w.WriteI64Field(2, 100);
            w.WriteI64Field(3, 10);
            // sorting_columns: list<SortingColumn { 1 column_idx, 2 descending, 3 nulls_first }>
            w.WriteListField(4, ThriftType.Struct, [0, 1], static (x, i) =>
            {
                x.BeginStruct();
                x.WriteI32Field(1, i);
                x.WriteBoolField(2, i == 1);
                x.WriteBoolField(3, true);
                x.EndStruct();
            });
            w.WriteI16Field(7, (short)3);
            w.EndStruct();
        });
        var group = Decode(bytes, RowGroup.Read);
        Assert.Equal((10L, (short?)3, 4L), (group.NumRows, group.Ordinal, group.Columns[0].FileOffset));
    }

    [Fact]
    public void ColumnMetaData_EncodingStatsAndSizeStatistics_AreSkipped()
    {
        var meta = FormatSamples.FullColumnMetaData();
        var bytes = Encode(w =>
        {
            w.BeginStruct();
            w.WriteI32Field(1, (int)meta.Type);
            w.WriteListField(2, ThriftType.I32, meta.Encodings, static (x, e) => x.WriteI32((int)e));
            w.WriteListField(3, ThriftType.Binary, meta.PathInSchema, static (x, s) => x.WriteString(s));
            w.WriteI32Field(4, (int)meta.Codec);
            w.WriteI64Field(5, meta.NumValues);
            w.WriteI64Field(6, meta.TotalUncompressedSize);
            w.WriteI64Field(7, meta.TotalCompressedSize);
            w.WriteI64Field(9, meta.DataPageOffset);
            // encoding_stats: list<PageEncodingStats { 1 page_type, 2 encoding, 3 count }>
            w.WriteListField(13, ThriftType.Struct, [0, 2], static (x, pageType) =>
            {
                x.BeginStruct();
                x.WriteI32Field(1, pageType);
                x.WriteI32Field(2, 8);
                x.WriteI32Field(3, 1);
                x.EndStruct();
            });
            w.WriteI32Field(15, 77);
            UnknownValues["nested struct"](w, 16); // size_statistics
            w.EndStruct();
        });
        var parsed = Decode(bytes, ColumnMetaData.Read);
        Assert.Equal(meta.PathInSchema, parsed.PathInSchema);
        Assert.Equal(meta.DataPageOffset, parsed.DataPageOffset);
        Assert.Equal(77, parsed.BloomFilterLength);
    }

    [Fact]
    public void PageHeader_IndexPageHeader_IsSkipped()
    {
        var bytes = Encode(w =>
        {
            w.BeginStruct();
            w.WriteI32Field(1, 1);
            w.WriteI32Field(2, 10);
            w.WriteI32Field(3, 9);
            w.WriteFieldHeader(6, ThriftType.Struct);
            w.BeginStruct();
            w.EndStruct();
            w.EndStruct();
        });
        var header = Decode(bytes, PageHeader.Read);
        Assert.Equal((PageType.IndexPage, 10, 9), (header.Type, header.UncompressedPageSize, header.CompressedPageSize));
        Assert.Null(header.DataPageHeader);
    }

    [Fact]
    public void FileMetaData_EncryptionFields_AreSkipped()
    {
        var meta = FormatSamples.FullFileMetaData();
        var bytes = Encode(w =>
        {
            w.BeginStruct();
            w.WriteI32Field(1, meta.Version);
            w.WriteListField(2, ThriftType.Struct, meta.Schema, static (x, e) => e.Write(x));
            w.WriteI64Field(3, meta.NumRows);
            w.WriteListField(4, ThriftType.Struct, meta.RowGroups, static (x, g) => g.Write(x));
            UnknownValues["nested struct"](w, 8); // encryption_algorithm
            UnknownValues["binary"](w, 9);        // footer_signing_key_metadata
            w.EndStruct();
        });
        var parsed = Decode(bytes, FileMetaData.Read);
        AssertSameContent(meta.RowGroups, parsed.RowGroups, "RowGroups");
        Assert.Null(parsed.CreatedBy);
    }
}
