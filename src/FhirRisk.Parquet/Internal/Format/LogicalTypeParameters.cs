using FhirRisk.Parquet.Internal.Thrift;

namespace FhirRisk.Parquet.Internal.Format;

/// <summary>
/// The parameter structs of <see cref="LogicalType"/> members (parquet.thrift DecimalType, TimeType, TimestampType,
/// IntType, TimeUnit), read into the flattened properties of the owning <see cref="LogicalType"/>.
/// </summary>
internal static class LogicalTypeParameters
{
    public static void ReadDecimal(ref ThriftCompactReader reader, LogicalType target)
    {
        uint seen = 0;
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.I32: target.Scale = reader.ReadI32(); seen |= 1; break;
                case 2 when type == ThriftType.I32: target.Precision = reader.ReadI32(); seen |= 2; break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct();
        reader.ThrowIfMissing(seen, "DecimalType", ["scale", "precision"]);
    }

    /// <summary>TimeType and TimestampType share their layout: 1 isAdjustedToUTC, 2 unit.</summary>
    public static void ReadTime(ref ThriftCompactReader reader, LogicalType target)
    {
        uint seen = 0;
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            switch (id)
            {
                case 1 when type.IsBool(): target.IsAdjustedToUtc = reader.ReadBool(); seen |= 1; break;
                case 2 when type == ThriftType.Struct: target.Unit = ReadTimeUnit(ref reader); seen |= 2; break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct();
        reader.ThrowIfMissing(seen, target.Kind == LogicalTypeKind.Time ? "TimeType" : "TimestampType", ["isAdjustedToUTC", "unit"]);
    }

    public static void ReadInteger(ref ThriftCompactReader reader, LogicalType target)
    {
        uint seen = 0;
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.Byte: target.BitWidth = reader.ReadI8(); seen |= 1; break;
                case 2 when type.IsBool(): target.IsSigned = reader.ReadBool(); seen |= 2; break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct();
        reader.ThrowIfMissing(seen, "IntType", ["bitWidth", "isSigned"]);
    }

    public static void WriteTimeUnit(ThriftCompactWriter writer, TimeUnitKind unit)
    {
        writer.BeginStruct();
        writer.WriteFieldHeader((short)((int)unit + 1), ThriftType.Struct);
        writer.BeginStruct();
        writer.EndStruct();
        writer.EndStruct();
    }

    /// <summary>TimeUnit is a union of empty structs: MILLIS = 1, MICROS = 2, NANOS = 3.</summary>
    private static TimeUnitKind ReadTimeUnit(ref ThriftCompactReader reader)
    {
        short? member = null;
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            if (type == ThriftType.Struct)
                member = id;
            reader.Skip(type);
        }
        reader.EndStruct();
        return member is { } id1 ? (TimeUnitKind)(id1 - 1) : throw reader.Corrupt("TimeUnit union has no member.");
    }
}
