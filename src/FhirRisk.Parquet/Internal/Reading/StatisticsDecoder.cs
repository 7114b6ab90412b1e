using System.Buffers.Binary;

using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Internal.Reading;

/// <summary>Decodes footer statistics (PLAIN-encoded min/max without length prefix) into CLR values (DECIMAL: scaled doubles).</summary>
internal static class StatisticsDecoder
{
    /// <param name="trustLegacy">
    /// Whether the deprecated min/max fields may be used: only when the file has no column orders and the type sorts
    /// as signed numbers; for byte arrays old writers used signed byte comparison, which is wrong for UTF-8.
    /// </param>
    public static ParquetStatistics Decode(ColumnDescriptor column, Statistics statistics, bool trustLegacy)
    {
        var min = statistics.MinValue;
        var max = statistics.MaxValue;
        if (min is null && max is null && trustLegacy && !column.IsByteArrayLike)
        {
            min = statistics.Min;
            max = statistics.Max;
        }
        return new ParquetStatistics(Value(column, min), Value(column, max), statistics.NullCount, statistics.DistinctCount);
    }

    private static object? Value(ColumnDescriptor column, byte[]? bytes)
    {
        if (bytes is null)
            return null;
        if (column.Field.Type == ParquetType.Decimal)
            return DecimalValue(column, bytes);
        return column.PhysicalType switch
        {
            PhysicalType.Boolean when bytes.Length >= 1 => bytes[0] != 0,
            PhysicalType.Int32 when bytes.Length >= 4 => BinaryPrimitives.ReadInt32LittleEndian(bytes),
            PhysicalType.Int64 when bytes.Length >= 8 => BinaryPrimitives.ReadInt64LittleEndian(bytes),
            PhysicalType.Float when bytes.Length >= 4 => BinaryPrimitives.ReadSingleLittleEndian(bytes),
            PhysicalType.Double when bytes.Length >= 8 => BinaryPrimitives.ReadDoubleLittleEndian(bytes),
            PhysicalType.ByteArray or PhysicalType.FixedLenByteArray => column.Field.Type == ParquetType.String ? Utf8Strings.TryDecode(bytes) : bytes,
            _ => null,
        };
    }

    /// <summary>A DECIMAL min/max: the unscaled value in the physical type's PLAIN form (big-endian for byte arrays), scaled.</summary>
    private static double? DecimalValue(ColumnDescriptor column, byte[] bytes)
    {
        double? unscaled = column.PhysicalType switch
        {
            PhysicalType.Int32 when bytes.Length >= 4 => BinaryPrimitives.ReadInt32LittleEndian(bytes),
            PhysicalType.Int64 when bytes.Length >= 8 => BinaryPrimitives.ReadInt64LittleEndian(bytes),
            PhysicalType.ByteArray or PhysicalType.FixedLenByteArray when bytes.Length > 0 => DecimalLeafDecoder.BigEndianTwosComplement(bytes),
            _ => null,
        };
        return unscaled / DecimalLeafDecoder.Divisor(column.Field.DecimalScale);
    }
}
