using FhirRisk.Parquet.Internal.Thrift;

namespace FhirRisk.Parquet.Internal.Format;

/// <summary>parquet.thrift <c>RowGroup</c>; sorting_columns (field 4) is skipped.</summary>
internal sealed class RowGroup
{
    public List<ColumnChunk> Columns { get; set; } = [];

    /// <summary>Total uncompressed byte size of all column data in this row group.</summary>
    public long TotalByteSize { get; set; }
    public long NumRows { get; set; }
    public long? FileOffset { get; set; }
    public long? TotalCompressedSize { get; set; }
    public short? Ordinal { get; set; }

    internal static RowGroup Read(ref ThriftCompactReader reader)
    {
        var group = new RowGroup();
        uint seen = 0;
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.List: group.Columns = reader.ReadList(ThriftType.Struct, ColumnChunk.Read); seen |= 1; break;
                case 2 when type == ThriftType.I64: group.TotalByteSize = reader.ReadI64(); seen |= 2; break;
                case 3 when type == ThriftType.I64: group.NumRows = reader.ReadI64(); seen |= 4; break;
                case 5 when type == ThriftType.I64: group.FileOffset = reader.ReadI64(); break;
                case 6 when type == ThriftType.I64: group.TotalCompressedSize = reader.ReadI64(); break;
                case 7 when type == ThriftType.I16: group.Ordinal = reader.ReadI16(); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct();
        reader.ThrowIfMissing(seen, nameof(RowGroup), ["columns", "total_byte_size", "num_rows"]);
        return group;
    }

    internal void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.WriteListField(1, ThriftType.Struct, Columns, static (w, c) => c.Write(w));
        writer.WriteI64Field(2, TotalByteSize);
        writer.WriteI64Field(3, NumRows);
        writer.WriteI64Field(5, FileOffset);
        writer.WriteI64Field(6, TotalCompressedSize);
        writer.WriteI16Field(7, Ordinal);
        writer.EndStruct();
    }
}
