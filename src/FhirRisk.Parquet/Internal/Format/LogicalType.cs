using FhirRisk.Parquet.Internal.Thrift;

namespace FhirRisk.Parquet.Internal.Format;

/// <summary>
/// The parquet.thrift <c>LogicalType</c> union, flattened: <see cref="Kind"/> names the member and the parameter
/// properties hold the fields of the parameterised members (DecimalType, TimeType, TimestampType, IntType).
/// A member we do not know is kept as its field id and raw bytes so that it is written back unchanged.
/// </summary>
internal sealed class LogicalType
{
    public LogicalTypeKind Kind { get; set; }

    /// <summary>TIME and TIMESTAMP: whether values are instants normalised to UTC (LogicalTypes.md "Instant semantics").</summary>
    public bool IsAdjustedToUtc { get; set; }

    /// <summary>TIME and TIMESTAMP: the unit of the stored integer.</summary>
    public TimeUnitKind Unit { get; set; }

    /// <summary>INTEGER: 8, 16, 32 or 64 (an i8 on the wire).</summary>
    public int BitWidth { get; set; }

    /// <summary>INTEGER: signedness.</summary>
    public bool IsSigned { get; set; }

    /// <summary>DECIMAL: digits after the decimal point.</summary>
    public int Scale { get; set; }

    /// <summary>DECIMAL: total significant digits.</summary>
    public int Precision { get; set; }

    /// <summary>Field id of an <see cref="LogicalTypeKind.Other"/> member (0 when the union was empty).</summary>
    public short OtherFieldId { get; set; }

    public ThriftType OtherFieldType { get; set; }

    /// <summary>Encoded value of an <see cref="LogicalTypeKind.Other"/> member, exactly as read.</summary>
    public byte[]? OtherValue { get; set; }

    public static LogicalType String() => new() { Kind = LogicalTypeKind.String };

    public static LogicalType List() => new() { Kind = LogicalTypeKind.List };

    public static LogicalType Timestamp(bool isAdjustedToUtc, TimeUnitKind unit) =>
        new() { Kind = LogicalTypeKind.Timestamp, IsAdjustedToUtc = isAdjustedToUtc, Unit = unit };

    public static LogicalType Time(bool isAdjustedToUtc, TimeUnitKind unit) =>
        new() { Kind = LogicalTypeKind.Time, IsAdjustedToUtc = isAdjustedToUtc, Unit = unit };

    public static LogicalType Integer(int bitWidth, bool isSigned) =>
        new() { Kind = LogicalTypeKind.Integer, BitWidth = bitWidth, IsSigned = isSigned };

    public static LogicalType Decimal(int scale, int precision) =>
        new() { Kind = LogicalTypeKind.Decimal, Scale = scale, Precision = precision };

    /// <summary>A member without parameters (DATE, JSON, UUID, …).</summary>
    public static LogicalType Of(LogicalTypeKind kind) => new() { Kind = kind };

    internal static LogicalType Read(ref ThriftCompactReader reader)
    {
        // An empty union reads as Other with no value; a union with several members keeps the last (as Thrift does).
        var logical = new LogicalType { Kind = LogicalTypeKind.Other };
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            if (type == ThriftType.Struct && IsKnownMember(id))
            {
                logical = new LogicalType { Kind = (LogicalTypeKind)id };
                logical.ReadMember(ref reader);
            }
            else
            {
                logical = new LogicalType
                {
                    Kind = LogicalTypeKind.Other,
                    OtherFieldId = id,
                    OtherFieldType = type,
                    OtherValue = reader.ReadRawValue(type),
                };
            }
        }
        reader.EndStruct();
        return logical;
    }

    internal void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        if (Kind == LogicalTypeKind.Other)
        {
            if (OtherValue is not null)
            {
                writer.WriteFieldHeader(OtherFieldId, OtherFieldType);
                writer.WriteRaw(OtherValue);
            }
        }
        else
        {
            writer.WriteFieldHeader((short)Kind, ThriftType.Struct);
            WriteMember(writer);
        }
        writer.EndStruct();
    }

    private static bool IsKnownMember(short id) =>
        id is >= (short)LogicalTypeKind.String and <= (short)LogicalTypeKind.Float16 && id != 9; // 9 is the retired INTERVAL slot.

    private void ReadMember(ref ThriftCompactReader reader)
    {
        switch (Kind)
        {
            case LogicalTypeKind.Decimal:
                LogicalTypeParameters.ReadDecimal(ref reader, this);
                break;
            case LogicalTypeKind.Time or LogicalTypeKind.Timestamp:
                LogicalTypeParameters.ReadTime(ref reader, this);
                break;
            case LogicalTypeKind.Integer:
                LogicalTypeParameters.ReadInteger(ref reader, this);
                break;
            default:
                // The other members are empty structs; skipping also tolerates fields added to them later.
                reader.Skip(ThriftType.Struct);
                break;
        }
    }

    private void WriteMember(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        switch (Kind)
        {
            case LogicalTypeKind.Decimal:
                writer.WriteI32Field(1, Scale);
                writer.WriteI32Field(2, Precision);
                break;
            case LogicalTypeKind.Time or LogicalTypeKind.Timestamp:
                writer.WriteBoolField(1, IsAdjustedToUtc);
                writer.WriteFieldHeader(2, ThriftType.Struct);
                LogicalTypeParameters.WriteTimeUnit(writer, Unit);
                break;
            case LogicalTypeKind.Integer:
                writer.WriteI8Field(1, (sbyte)BitWidth);
                writer.WriteBoolField(2, IsSigned);
                break;
        }
        writer.EndStruct();
    }
}
