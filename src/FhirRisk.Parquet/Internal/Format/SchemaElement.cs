using FhirRisk.Parquet.Internal.Thrift;

namespace FhirRisk.Parquet.Internal.Format;

/// <summary>
/// parquet.thrift <c>SchemaElement</c>: one node of the depth-first schema list. Leaves have <see cref="Type"/>; groups
/// have <see cref="NumChildren"/>. Out-of-range enum values are kept as raw casts for the schema resolver to reject.
/// </summary>
internal sealed class SchemaElement
{
    public PhysicalType? Type { get; set; }
    public int? TypeLength { get; set; }
    public FieldRepetitionType? RepetitionType { get; set; }
    public string Name { get; set; } = "";
    public int? NumChildren { get; set; }
    public ConvertedType? ConvertedType { get; set; }
    public int? Scale { get; set; }
    public int? Precision { get; set; }
    public int? FieldId { get; set; }
    public LogicalType? LogicalType { get; set; }

    internal static SchemaElement Read(ref ThriftCompactReader reader)
    {
        var element = new SchemaElement();
        uint seen = 0;
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.I32: element.Type = (PhysicalType)reader.ReadI32(); break;
                case 2 when type == ThriftType.I32: element.TypeLength = reader.ReadI32(); break;
                case 3 when type == ThriftType.I32: element.RepetitionType = (FieldRepetitionType)reader.ReadI32(); break;
                case 4 when type == ThriftType.Binary: element.Name = reader.ReadString(); seen |= 1; break;
                case 5 when type == ThriftType.I32: element.NumChildren = reader.ReadI32(); break;
                case 6 when type == ThriftType.I32: element.ConvertedType = (ConvertedType)reader.ReadI32(); break;
                case 7 when type == ThriftType.I32: element.Scale = reader.ReadI32(); break;
                case 8 when type == ThriftType.I32: element.Precision = reader.ReadI32(); break;
                case 9 when type == ThriftType.I32: element.FieldId = reader.ReadI32(); break;
                case 10 when type == ThriftType.Struct: element.LogicalType = Format.LogicalType.Read(ref reader); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct();
        reader.ThrowIfMissing(seen, nameof(SchemaElement), ["name"]);
        return element;
    }

    internal void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.WriteI32Field(1, (int?)Type);
        writer.WriteI32Field(2, TypeLength);
        writer.WriteI32Field(3, (int?)RepetitionType);
        writer.WriteStringField(4, Name);
        writer.WriteI32Field(5, NumChildren);
        writer.WriteI32Field(6, (int?)ConvertedType);
        writer.WriteI32Field(7, Scale);
        writer.WriteI32Field(8, Precision);
        writer.WriteI32Field(9, FieldId);
        if (LogicalType is not null)
        {
            writer.WriteFieldHeader(10, ThriftType.Struct);
            LogicalType.Write(writer);
        }
        writer.EndStruct();
    }
}
