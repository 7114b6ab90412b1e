using FhirRisk.Parquet.Internal.Thrift;

namespace FhirRisk.Parquet.Internal.Format;

/// <summary>
/// parquet.thrift <c>DataPageHeaderV2</c>: levels are stored uncompressed before the (optionally compressed) values,
/// with their byte lengths here instead of 4-byte prefixes.
/// </summary>
internal sealed class DataPageHeaderV2
{
    public int NumValues { get; set; }
    public int NumNulls { get; set; }
    public int NumRows { get; set; }
    public Encoding Encoding { get; set; }
    public int DefinitionLevelsByteLength { get; set; }
    public int RepetitionLevelsByteLength { get; set; }

    /// <summary>Whether the values section is compressed; absent on the wire means true (parquet.thrift default).</summary>
    public bool IsCompressed { get; set; } = true;
    public Statistics? Statistics { get; set; }

    internal static DataPageHeaderV2 Read(ref ThriftCompactReader reader)
    {
        var header = new DataPageHeaderV2();
        uint seen = 0;
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.I32: header.NumValues = reader.ReadI32(); seen |= 1; break;
                case 2 when type == ThriftType.I32: header.NumNulls = reader.ReadI32(); seen |= 2; break;
                case 3 when type == ThriftType.I32: header.NumRows = reader.ReadI32(); seen |= 4; break;
                case 4 when type == ThriftType.I32: header.Encoding = (Encoding)reader.ReadI32(); seen |= 8; break;
                case 5 when type == ThriftType.I32: header.DefinitionLevelsByteLength = reader.ReadI32(); seen |= 16; break;
                case 6 when type == ThriftType.I32: header.RepetitionLevelsByteLength = reader.ReadI32(); seen |= 32; break;
                case 7 when type.IsBool(): header.IsCompressed = reader.ReadBool(); break;
                case 8 when type == ThriftType.Struct: header.Statistics = Format.Statistics.Read(ref reader); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct();
        reader.ThrowIfMissing(seen, nameof(DataPageHeaderV2),
            ["num_values", "num_nulls", "num_rows", "encoding", "definition_levels_byte_length", "repetition_levels_byte_length"]);
        return header;
    }

    internal void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.WriteI32Field(1, NumValues);
        writer.WriteI32Field(2, NumNulls);
        writer.WriteI32Field(3, NumRows);
        writer.WriteI32Field(4, (int)Encoding);
        writer.WriteI32Field(5, DefinitionLevelsByteLength);
        writer.WriteI32Field(6, RepetitionLevelsByteLength);
        writer.WriteBoolField(7, IsCompressed);
        if (Statistics is not null)
        {
            writer.WriteFieldHeader(8, ThriftType.Struct);
            Statistics.Write(writer);
        }
        writer.EndStruct();
    }
}
