using FhirRisk.Parquet.Internal.Thrift;

namespace FhirRisk.Parquet.Internal.Format;

/// <summary>
/// parquet.thrift <c>ColumnMetaData</c>: where a column chunk's pages are and how they are encoded. Fields we do not
/// model (13 encoding_stats, 16 size_statistics, 17 geospatial_statistics) are skipped on read and not written.
/// </summary>
internal sealed class ColumnMetaData
{
    public PhysicalType Type { get; set; }
    public List<Encoding> Encodings { get; set; } = [];
    public List<string> PathInSchema { get; set; } = [];
    public CompressionCodec Codec { get; set; }
    public long NumValues { get; set; }
    public long TotalUncompressedSize { get; set; }
    public long TotalCompressedSize { get; set; }
    public List<KeyValue>? KeyValueMetadata { get; set; }
    public long DataPageOffset { get; set; }
    public long? IndexPageOffset { get; set; }
    public long? DictionaryPageOffset { get; set; }
    public Statistics? Statistics { get; set; }
    public long? BloomFilterOffset { get; set; }
    public int? BloomFilterLength { get; set; }

    internal static ColumnMetaData Read(ref ThriftCompactReader reader)
    {
        var meta = new ColumnMetaData();
        uint seen = 0;
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.I32: meta.Type = (PhysicalType)reader.ReadI32(); seen |= 1; break;
                case 2 when type == ThriftType.List: meta.Encodings = reader.ReadList(ThriftType.I32, ReadEncoding); seen |= 2; break;
                case 3 when type == ThriftType.List: meta.PathInSchema = reader.ReadList(ThriftType.Binary, ReadString); seen |= 4; break;
                case 4 when type == ThriftType.I32: meta.Codec = (CompressionCodec)reader.ReadI32(); seen |= 8; break;
                case 5 when type == ThriftType.I64: meta.NumValues = reader.ReadI64(); seen |= 16; break;
                case 6 when type == ThriftType.I64: meta.TotalUncompressedSize = reader.ReadI64(); seen |= 32; break;
                case 7 when type == ThriftType.I64: meta.TotalCompressedSize = reader.ReadI64(); seen |= 64; break;
                case 8 when type == ThriftType.List: meta.KeyValueMetadata = reader.ReadList(ThriftType.Struct, KeyValue.Read); break;
                case 9 when type == ThriftType.I64: meta.DataPageOffset = reader.ReadI64(); seen |= 128; break;
                case 10 when type == ThriftType.I64: meta.IndexPageOffset = reader.ReadI64(); break;
                case 11 when type == ThriftType.I64: meta.DictionaryPageOffset = reader.ReadI64(); break;
                case 12 when type == ThriftType.Struct: meta.Statistics = Format.Statistics.Read(ref reader); break;
                case 14 when type == ThriftType.I64: meta.BloomFilterOffset = reader.ReadI64(); break;
                case 15 when type == ThriftType.I32: meta.BloomFilterLength = reader.ReadI32(); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct();
        reader.ThrowIfMissing(seen, nameof(ColumnMetaData), ["type", "encodings", "path_in_schema", "codec", "num_values",
            "total_uncompressed_size", "total_compressed_size", "data_page_offset"]);
        return meta;
    }

    private static Encoding ReadEncoding(ref ThriftCompactReader reader) => (Encoding)reader.ReadI32();

    private static string ReadString(ref ThriftCompactReader reader) => reader.ReadString();

    internal void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.WriteI32Field(1, (int)Type);
        writer.WriteListField(2, ThriftType.I32, Encodings, static (w, e) => w.WriteI32((int)e));
        writer.WriteListField(3, ThriftType.Binary, PathInSchema, static (w, s) => w.WriteString(s));
        writer.WriteI32Field(4, (int)Codec);
        writer.WriteI64Field(5, NumValues);
        writer.WriteI64Field(6, TotalUncompressedSize);
        writer.WriteI64Field(7, TotalCompressedSize);
        writer.WriteListField(8, ThriftType.Struct, KeyValueMetadata, static (w, kv) => kv.Write(w));
        writer.WriteI64Field(9, DataPageOffset);
        writer.WriteI64Field(10, IndexPageOffset);
        writer.WriteI64Field(11, DictionaryPageOffset);
        if (Statistics is not null)
        {
            writer.WriteFieldHeader(12, ThriftType.Struct);
            Statistics.Write(writer);
        }
        writer.WriteI64Field(14, BloomFilterOffset);
        writer.WriteI32Field(15, BloomFilterLength);
        writer.EndStruct();
    }
}
