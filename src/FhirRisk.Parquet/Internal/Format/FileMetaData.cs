using System.Buffers;
using FhirRisk.Parquet.Internal.Thrift;

namespace FhirRisk.Parquet.Internal.Format;

/// <summary>
/// parquet.thrift <c>FileMetaData</c>: the footer. A file with an encrypted footer ends in PARE and never reaches this
/// parser; one with a plaintext footer and encrypted columns carries field 8 (encryption_algorithm), which is noted in
/// <see cref="IsEncrypted"/> (its pages are ciphertext) and otherwise skipped, with field 9.
/// </summary>
internal sealed class FileMetaData
{
    public int Version { get; set; }

    /// <summary>The schema tree flattened depth-first; element 0 is the root group.</summary>
    public List<SchemaElement> Schema { get; set; } = [];
    public long NumRows { get; set; }
    public List<RowGroup> RowGroups { get; set; } = [];
    public List<KeyValue>? KeyValueMetadata { get; set; }
    public string? CreatedBy { get; set; }

    /// <summary>One entry per leaf column, in schema order; absent in files from writers that predate it.</summary>
    public List<ColumnOrder>? ColumnOrders { get; set; }

    /// <summary>The footer names an encryption algorithm: Parquet modular encryption with a plaintext footer.</summary>
    public bool IsEncrypted { get; set; }

    /// <summary>Parses a footer (the bytes before the 4-byte length and the trailing PAR1). Error offsets are relative to it.</summary>
    public static FileMetaData Parse(ReadOnlySpan<byte> footer)
    {
        var reader = new ThriftCompactReader(footer);
        return Read(ref reader);
    }

    public byte[] Serialize()
    {
        var output = new ArrayBufferWriter<byte>();
        Write(new ThriftCompactWriter(output));
        return output.WrittenSpan.ToArray();
    }

    internal static FileMetaData Read(ref ThriftCompactReader reader)
    {
        var meta = new FileMetaData();
        uint seen = 0;
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.I32: meta.Version = reader.ReadI32(); seen |= 1; break;
                case 2 when type == ThriftType.List: meta.Schema = reader.ReadList(ThriftType.Struct, SchemaElement.Read); seen |= 2; break;
                case 3 when type == ThriftType.I64: meta.NumRows = reader.ReadI64(); seen |= 4; break;
                case 4 when type == ThriftType.List: meta.RowGroups = reader.ReadList(ThriftType.Struct, RowGroup.Read); seen |= 8; break;
                case 5 when type == ThriftType.List: meta.KeyValueMetadata = reader.ReadList(ThriftType.Struct, KeyValue.Read); break;
                case 6 when type == ThriftType.Binary: meta.CreatedBy = reader.ReadString(); break;
                case 7 when type == ThriftType.List: meta.ColumnOrders = reader.ReadList(ThriftType.Struct, ColumnOrder.Read); break;
                case 8: meta.IsEncrypted = true; reader.Skip(type); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct();
        reader.ThrowIfMissing(seen, nameof(FileMetaData), ["version", "schema", "num_rows", "row_groups"]);
        return meta;
    }

    internal void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.WriteI32Field(1, Version);
        writer.WriteListField(2, ThriftType.Struct, Schema, static (w, e) => e.Write(w));
        writer.WriteI64Field(3, NumRows);
        writer.WriteListField(4, ThriftType.Struct, RowGroups, static (w, g) => g.Write(w));
        writer.WriteListField(5, ThriftType.Struct, KeyValueMetadata, static (w, kv) => kv.Write(w));
        writer.WriteStringField(6, CreatedBy);
        writer.WriteListField(7, ThriftType.Struct, ColumnOrders, static (w, o) => o.Write(w));
        writer.EndStruct();
    }
}
