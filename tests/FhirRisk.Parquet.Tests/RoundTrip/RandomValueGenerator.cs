namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>How one generated column draws its values.</summary>
/// <param name="NullRate">Chance of a null row (and of a null list element) where the field allows it.</param>
/// <param name="SpecialRate">Chance of an edge value: int/long extremes, ±Inf, NaNs with payloads, -0.0, subnormals.</param>
/// <param name="Cardinality">0 draws every value afresh; otherwise values come from a palette of this size (dictionary friendly).</param>
/// <param name="LongStringRate">Chance that a string is about 10,000 characters long.</param>
/// <param name="MaxListLength">Longest non-empty list.</param>
internal sealed record ValueProfile(double NullRate, double SpecialRate, int Cardinality, double LongStringRate, int MaxListLength);

/// <summary>Draws column values of every <see cref="ParquetType"/> in the layouts <see cref="ParquetColumn"/> documents.</summary>
internal sealed class RandomValueGenerator(Random random)
{
    private static readonly int[] Int32Specials = [int.MinValue, int.MaxValue, 0, -1, 1, int.MinValue + 1, int.MaxValue - 1];

    private static readonly long[] Int64Specials = [long.MinValue, long.MaxValue, 0, -1, 1, int.MinValue - 1L, int.MaxValue + 1L];

    // Quiet, negative, payload-carrying and signalling NaNs: the round trip must keep their bits (IEEE 754 §6.2).
    private static readonly float[] FloatSpecials =
    [
        float.NaN, BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00000)), BitConverter.Int32BitsToSingle(0x7FC00001),
        BitConverter.Int32BitsToSingle(0x7FA00000), float.PositiveInfinity, float.NegativeInfinity, -0f, 0f,
        float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, 1e-40f, 1f,
    ];

    private static readonly double[] DoubleSpecials =
    [
        double.NaN, BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8000000000000)), BitConverter.Int64BitsToDouble(0x7FF8000000000001),
        BitConverter.Int64BitsToDouble(0x7FF4000000000000), double.PositiveInfinity, double.NegativeInfinity, -0d, 0d,
        double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue, 1e-310, 1d,
    ];

    public ValueProfile NextProfile(bool allowLongStrings) => new(
        NullRate: Pick([0.0, 0.05, 0.3, 1.0]),
        SpecialRate: Pick([0.0, 0.1, 0.5]),
        Cardinality: Pick([0, 0, 1, 3, 40]),
        LongStringRate: allowLongStrings ? Pick([0.0, 0.002, 0.02]) : 0,
        MaxListLength: Pick([1, 4, 40]));

    public ParquetColumn NextColumn(ParquetField field, int rows, ValueProfile profile)
    {
        var palette = profile.Cardinality > 0
            ? Enumerable.Range(0, profile.Cardinality).Select(_ => NextValue(field, profile)).ToArray()
            : null;
        object Draw() => palette is null ? NextValue(field, profile) : palette[random.Next(palette.Length)];
        return field.IsList ? NextListColumn(field, rows, profile, Draw) : NextFlatColumn(field, rows, profile, Draw);
    }

    /// <summary>The CLR element type of a flat column's values array.</summary>
    public static Type FlatClrType(ParquetType type) => type switch
    {
        ParquetType.Boolean => typeof(bool),
        ParquetType.Int32 => typeof(int),
        ParquetType.Int64 or ParquetType.Timestamp => typeof(long),
        ParquetType.Float => typeof(float),
        ParquetType.Double => typeof(double),
        ParquetType.String => typeof(string),
        _ => typeof(byte[]),
    };

    /// <summary>The CLR element type of one list's array: value types become nullable.</summary>
    public static Type ListElementClrType(ParquetType type)
    {
        var flat = FlatClrType(type);
        return flat.IsValueType ? typeof(Nullable<>).MakeGenericType(flat) : flat;
    }

    private ParquetColumn NextFlatColumn(ParquetField field, int rows, ValueProfile profile, Func<object> draw)
    {
        var values = Array.CreateInstance(FlatClrType(field.Type), rows);
        var validity = field.Nullable && values.GetType().GetElementType()!.IsValueType ? new bool[rows] : null;
        for (var row = 0; row < rows; row++)
        {
            if (field.Nullable && random.NextDouble() < profile.NullRate)
                continue;
            values.SetValue(draw(), row);
            if (validity is not null)
                validity[row] = true;
        }
        // Without nulls, a validity of all true and no validity mean the same; the writer must accept both.
        if (validity is not null && Array.TrueForAll(validity, present => present) && random.Next(2) == 0)
            validity = null;
        return ParquetColumn.Create(field, values, validity);
    }

    private ParquetColumn NextListColumn(ParquetField field, int rows, ValueProfile profile, Func<object> draw)
    {
        var lists = new Array?[rows];
        var elementType = ListElementClrType(field.Type);
        for (var row = 0; row < rows; row++)
        {
            if (field.Nullable && random.NextDouble() < profile.NullRate)
                continue;
            var list = Array.CreateInstance(elementType, random.Next(5) == 0 ? 0 : random.Next(1, profile.MaxListLength + 1));
            for (var i = 0; i < list.Length; i++)
            {
                if (!(field.ElementNullable && random.NextDouble() < profile.NullRate))
                    list.SetValue(draw(), i);
            }
            lists[row] = list;
        }
        return ParquetColumn.Create(field, lists);
    }

    private object NextValue(ParquetField field, ValueProfile profile)
    {
        var special = random.NextDouble() < profile.SpecialRate;
        return field.Type switch
        {
            ParquetType.Boolean => random.Next(2) == 0,
            ParquetType.Int32 => special ? Pick(Int32Specials) : random.Next(int.MinValue, int.MaxValue),
            ParquetType.Int64 => special ? Pick(Int64Specials) : random.NextInt64(long.MinValue, long.MaxValue),
            ParquetType.Timestamp => special ? Pick(Int64Specials) : NextTimestamp(field.TimestampUnit),
            ParquetType.Float => special ? Pick(FloatSpecials) : (float)NextScaled(30),
            ParquetType.Double => special ? Pick(DoubleSpecials) : NextScaled(300),
            ParquetType.String => RandomText.Next(random, random.NextDouble() < profile.LongStringRate ? 10_000 : random.Next(0, 24)),
            _ => NextBytes(random.Next(50) == 0 ? 4096 : random.Next(0, 33)),
        };
    }

    // 1900-01-01 .. 2100-01-01 in milliseconds, scaled to the unit (nanoseconds still fit in a long).
    private long NextTimestamp(TimestampUnit unit)
    {
        var millis = random.NextInt64(-2_208_988_800_000, 4_102_444_800_000);
        return unit switch
        {
            TimestampUnit.Millis => millis,
            TimestampUnit.Micros => millis * 1000 + random.Next(1000),
            _ => millis * 1_000_000 + random.Next(1_000_000),
        };
    }

    private double NextScaled(int maxExponent) => (random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-maxExponent, maxExponent));

    private byte[] NextBytes(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private T Pick<T>(T[] choices) => choices[random.Next(choices.Length)];
}
