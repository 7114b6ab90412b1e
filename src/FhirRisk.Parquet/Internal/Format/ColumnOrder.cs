using FhirRisk.Parquet.Internal.Thrift;

namespace FhirRisk.Parquet.Internal.Format;

/// <summary>
/// parquet.thrift <c>ColumnOrder</c> union. Its only member, TYPE_ORDER (field 1, an empty struct), says min_value and
/// max_value follow the type's natural order; any other member is a future order we cannot interpret.
/// </summary>
internal sealed class ColumnOrder
{
    public bool IsTypeDefinedOrder { get; set; }

    internal static ColumnOrder Read(ref ThriftCompactReader reader)
    {
        var order = new ColumnOrder();
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            if (id == 1 && type == ThriftType.Struct)
                order.IsTypeDefinedOrder = true;
            reader.Skip(type);
        }
        reader.EndStruct();
        return order;
    }

    /// <summary>Writes TYPE_ORDER, or an empty union when the order is unknown (readers then ignore min/max_value).</summary>
    internal void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        if (IsTypeDefinedOrder)
        {
            writer.WriteFieldHeader(1, ThriftType.Struct);
            writer.BeginStruct();
            writer.EndStruct();
        }
        writer.EndStruct();
    }
}
