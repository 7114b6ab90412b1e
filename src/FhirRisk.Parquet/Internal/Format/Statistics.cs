using FhirRisk.Parquet.Internal.Thrift;

namespace FhirRisk.Parquet.Internal.Format;

/// <summary>
/// parquet.thrift <c>Statistics</c> of a page or column chunk. <see cref="Max"/>/<see cref="Min"/> are the deprecated
/// signed-order fields; <see cref="MaxValue"/>/<see cref="MinValue"/> follow the column order (parquet.thrift ColumnOrder).
/// Values are PLAIN-encoded without length prefix.
/// </summary>
internal sealed class Statistics
{
    public byte[]? Max { get; set; }
    public byte[]? Min { get; set; }
    public long? NullCount { get; set; }
    public long? DistinctCount { get; set; }
    public byte[]? MaxValue { get; set; }
    public byte[]? MinValue { get; set; }
    public bool? IsMaxValueExact { get; set; }
    public bool? IsMinValueExact { get; set; }

    internal static Statistics Read(ref ThriftCompactReader reader)
    {
        var stats = new Statistics();
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.Binary: stats.Max = reader.ReadBinary(); break;
                case 2 when type == ThriftType.Binary: stats.Min = reader.ReadBinary(); break;
                case 3 when type == ThriftType.I64: stats.NullCount = reader.ReadI64(); break;
                case 4 when type == ThriftType.I64: stats.DistinctCount = reader.ReadI64(); break;
                case 5 when type == ThriftType.Binary: stats.MaxValue = reader.ReadBinary(); break;
                case 6 when type == ThriftType.Binary: stats.MinValue = reader.ReadBinary(); break;
                case 7 when type.IsBool(): stats.IsMaxValueExact = reader.ReadBool(); break;
                case 8 when type.IsBool(): stats.IsMinValueExact = reader.ReadBool(); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct();
        return stats;
    }

    internal void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.WriteBinaryField(1, Max);
        writer.WriteBinaryField(2, Min);
        writer.WriteI64Field(3, NullCount);
        writer.WriteI64Field(4, DistinctCount);
        writer.WriteBinaryField(5, MaxValue);
        writer.WriteBinaryField(6, MinValue);
        writer.WriteBoolField(7, IsMaxValueExact);
        writer.WriteBoolField(8, IsMinValueExact);
        writer.EndStruct();
    }
}
