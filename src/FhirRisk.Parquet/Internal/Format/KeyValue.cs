using FhirRisk.Parquet.Internal.Thrift;

namespace FhirRisk.Parquet.Internal.Format;

/// <summary>parquet.thrift <c>KeyValue</c>: application metadata in the footer or a column chunk.</summary>
internal sealed class KeyValue
{
    public string Key { get; set; } = "";
    public string? Value { get; set; }

    internal static KeyValue Read(ref ThriftCompactReader reader)
    {
        var pair = new KeyValue();
        uint seen = 0;
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.Binary: pair.Key = reader.ReadString(); seen |= 1; break;
                case 2 when type == ThriftType.Binary: pair.Value = reader.ReadString(); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct();
        reader.ThrowIfMissing(seen, nameof(KeyValue), ["key"]);
        return pair;
    }

    internal void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.WriteStringField(1, Key);
        writer.WriteStringField(2, Value);
        writer.EndStruct();
    }
}
