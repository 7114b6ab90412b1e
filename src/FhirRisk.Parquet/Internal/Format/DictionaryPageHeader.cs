using FhirRisk.Parquet.Internal.Thrift;

namespace FhirRisk.Parquet.Internal.Format;

/// <summary>parquet.thrift <c>DictionaryPageHeader</c>.</summary>
internal sealed class DictionaryPageHeader
{
    public int NumValues { get; set; }
    public Encoding Encoding { get; set; }
    public bool? IsSorted { get; set; }

    internal static DictionaryPageHeader Read(ref ThriftCompactReader reader)
    {
        var header = new DictionaryPageHeader();
        uint seen = 0;
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.I32: header.NumValues = reader.ReadI32(); seen |= 1; break;
                case 2 when type == ThriftType.I32: header.Encoding = (Encoding)reader.ReadI32(); seen |= 2; break;
                case 3 when type.IsBool(): header.IsSorted = reader.ReadBool(); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct();
        reader.ThrowIfMissing(seen, nameof(DictionaryPageHeader), ["num_values", "encoding"]);
        return header;
    }

    internal void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.WriteI32Field(1, NumValues);
        writer.WriteI32Field(2, (int)Encoding);
        writer.WriteBoolField(3, IsSorted);
        writer.EndStruct();
    }
}
