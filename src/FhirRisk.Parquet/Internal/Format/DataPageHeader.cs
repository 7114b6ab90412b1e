using FhirRisk.Parquet.Internal.Thrift;

namespace FhirRisk.Parquet.Internal.Format;

/// <summary>parquet.thrift <c>DataPageHeader</c> (v1 data page: levels and values compressed together).</summary>
internal sealed class DataPageHeader
{
    /// <summary>Number of values including nulls (level entries), not rows.</summary>
    public int NumValues { get; set; }
    public Encoding Encoding { get; set; }
    public Encoding DefinitionLevelEncoding { get; set; }
    public Encoding RepetitionLevelEncoding { get; set; }
    public Statistics? Statistics { get; set; }

    internal static DataPageHeader Read(ref ThriftCompactReader reader)
    {
        var header = new DataPageHeader();
        uint seen = 0;
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.I32: header.NumValues = reader.ReadI32(); seen |= 1; break;
                case 2 when type == ThriftType.I32: header.Encoding = (Encoding)reader.ReadI32(); seen |= 2; break;
                case 3 when type == ThriftType.I32: header.DefinitionLevelEncoding = (Encoding)reader.ReadI32(); seen |= 4; break;
                case 4 when type == ThriftType.I32: header.RepetitionLevelEncoding = (Encoding)reader.ReadI32(); seen |= 8; break;
                case 5 when type == ThriftType.Struct: header.Statistics = Format.Statistics.Read(ref reader); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct();
        reader.ThrowIfMissing(seen, nameof(DataPageHeader), ["num_values", "encoding", "definition_level_encoding", "repetition_level_encoding"]);
        return header;
    }

    internal void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.WriteI32Field(1, NumValues);
        writer.WriteI32Field(2, (int)Encoding);
        writer.WriteI32Field(3, (int)DefinitionLevelEncoding);
        writer.WriteI32Field(4, (int)RepetitionLevelEncoding);
        if (Statistics is not null)
        {
            writer.WriteFieldHeader(5, ThriftType.Struct);
            Statistics.Write(writer);
        }
        writer.EndStruct();
    }
}
