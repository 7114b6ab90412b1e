using System.Globalization;
using System.Numerics;
using FhirRisk.Parquet.Internal.Encodings;
using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Internal.Reading;

/// <summary>
/// DECIMAL leaves (LogicalTypes.md "DECIMAL"): the unscaled integers are decoded by the decoder of their physical type
/// (so every encoding it handles works here too), then each page's values become <c>unscaled / 10^scale</c> as doubles.
/// </summary>
internal sealed class DecimalLeafDecoder : LeafDecoder
{
    private readonly LeafDecoder _unscaled;
    private readonly double _divisor;
    private double[] _values = [];

    public DecimalLeafDecoder(ColumnDescriptor column)
    {
        _unscaled = column.PhysicalType switch
        {
            PhysicalType.Int32 => new FixedLeafDecoder<int>(),
            PhysicalType.Int64 => new FixedLeafDecoder<long>(),
            PhysicalType.ByteArray or PhysicalType.FixedLenByteArray =>
                new ByteArrayLeafDecoder<byte[]>(column.TypeLength, static span => span.ToArray()),
            _ => throw new ParquetException(ParquetErrorCodes.Unsupported, $"DECIMAL stored as {column.PhysicalType} is not supported."),
        };
        _divisor = Divisor(column.Field.DecimalScale);
    }

    /// <summary>10^scale as the nearest double: exact up to 1e22, so dividing an exact unscaled value rounds only once.</summary>
    internal static double Divisor(int scale) => double.Parse($"1e{scale}", CultureInfo.InvariantCulture);

    public override Array Values => _values;

    public override void Reserve(int capacity)
    {
        _unscaled.Reserve(capacity);
        _values = Grow(_values, capacity);
    }

    public override void ReadDictionary(ReadOnlySpan<byte> data, int count) => _unscaled.ReadDictionary(data, count);

    public override void ReadValues(Encoding encoding, ReadOnlySpan<byte> data, int count)
    {
        _unscaled.ReadValues(encoding, data, count);
        _values = Grow(_values, Count + count);
        var destination = _values.AsSpan(Count, count);
        switch (_unscaled.Values)
        {
            case int[] ints:
                for (var i = 0; i < count; i++)
                    destination[i] = ints[Count + i] / _divisor;
                break;
            case long[] longs:
                for (var i = 0; i < count; i++)
                    destination[i] = longs[Count + i] / _divisor;
                break;
            case byte[]?[] bytes:
                for (var i = 0; i < count; i++)
                    destination[i] = BigEndianTwosComplement(bytes[Count + i]!) / _divisor;
                break;
        }
        Count += count;
    }

    /// <summary>A byte-array DECIMAL's unscaled value: big-endian two's complement of any width (LogicalTypes.md).</summary>
    internal static double BigEndianTwosComplement(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
            throw CorruptPage.Exception("A DECIMAL value has zero bytes.");
        if (bytes.Length > 16)
            return (double)new BigInteger(bytes, isUnsigned: false, isBigEndian: true);
        // Sign-extend into 128 bits; Int128 converts to the nearest double.
        Int128 value = (sbyte)bytes[0];
        for (var i = 1; i < bytes.Length; i++)
            value = (value << 8) | bytes[i];
        return (double)value;
    }
}
