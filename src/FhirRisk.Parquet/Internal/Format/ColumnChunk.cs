using FhirRisk.Parquet.Internal.Thrift;

namespace FhirRisk.Parquet.Internal.Format;

/// <summary>
/// parquet.thrift <c>ColumnChunk</c>. <see cref="FileOffset"/> is deprecated but still required on the wire; the
/// metadata is optional only because encrypted columns carry it elsewhere (fields 8-9, skipped).
/// </summary>
internal sealed class ColumnChunk
{
    /// <summary>Set when the chunk lives in another file (parquet.thrift ColumnChunk.file_path).</summary>
    public string? FilePath { get; set; }
    public long FileOffset { get; set; }
    public ColumnMetaData? MetaData { get; set; }
    public long? OffsetIndexOffset { get; set; }
    public int? OffsetIndexLength { get; set; }
    public long? ColumnIndexOffset { get; set; }
    public int? ColumnIndexLength { get; set; }

    internal static ColumnChunk Read(ref ThriftCompactReader reader)
    {
        var chunk = new ColumnChunk();
        uint seen = 0;
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.Binary: chunk.FilePath = reader.ReadString(); break;
                case 2 when type == ThriftType.I64: chunk.FileOffset = reader.ReadI64(); seen |= 1; break;
                case 3 when type == ThriftType.Struct: chunk.MetaData = ColumnMetaData.Read(ref reader); break;
                case 4 when type == ThriftType.I64: chunk.OffsetIndexOffset = reader.ReadI64(); break;
                case 5 when type == ThriftType.I32: chunk.OffsetIndexLength = reader.ReadI32(); break;
                case 6 when type == ThriftType.I64: chunk.ColumnIndexOffset = reader.ReadI64(); break;
                case 7 when type == ThriftType.I32: chunk.ColumnIndexLength = reader.ReadI32(); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct();
        reader.ThrowIfMissing(seen, nameof(ColumnChunk), ["file_offset"]);
        return chunk;
    }

    internal void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.WriteStringField(1, FilePath);
        writer.WriteI64Field(2, FileOffset);
        if (MetaData is not null)
        {
            writer.WriteFieldHeader(3, ThriftType.Struct);
            MetaData.Write(writer);
        }
        writer.WriteI64Field(4, OffsetIndexOffset);
        writer.WriteI32Field(5, OffsetIndexLength);
        writer.WriteI64Field(6, ColumnIndexOffset);
        writer.WriteI32Field(7, ColumnIndexLength);
        writer.EndStruct();
    }
}
