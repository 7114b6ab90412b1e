namespace FhirRisk.Parquet.Tests.Interop;

/// <summary>
/// A deterministic table with a column of every <see cref="ParquetType"/>, required and optional, plus lists, and the
/// edge values that break writers: NaN/±Infinity/-0/subnormals, empty and non-BMP strings, empty binaries, pre-1970
/// timestamps, null lists, empty lists and null list elements. Values are held as <see cref="ParquetColumn"/>s.
/// </summary>
internal sealed class EveryTypeSample
{
    private static readonly float[] SpecialFloats =
        [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, float.MaxValue, float.MinValue, 1e-40f];

    private static readonly double[] SpecialDoubles =
        [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0d, double.Epsilon, double.MaxValue, double.MinValue, 2.2e-310];

    private static readonly string[] SpecialStrings =
        ["", "a", "é", "😀 emoji", "日本語のテキスト", "עברית", "e\u0301", "tab\tline\nbreak", "quote\" back\\slash", "\uFFFD", new string('x', 3000)];

    private const long MinMicros = -2_208_988_800_000_000; // 1900-01-01
    private const long MaxMicros = 4_102_444_800_000_000;  // 2100-01-01

    private EveryTypeSample(ParquetSchema schema, IReadOnlyList<ParquetColumn> columns)
    {
        Schema = schema;
        Columns = columns;
    }

    public ParquetSchema Schema { get; }

    public IReadOnlyList<ParquetColumn> Columns { get; }

    public int RowCount => Columns[0].Length;

    public static EveryTypeSample Create(int rows, int seed = 20_240_611)
    {
        var random = new Random(seed);
        var builders = new (ParquetField Field, Func<Random, int, (Array Values, bool[]? Validity)> Build)[]
        {
            (new ParquetField("b_req", ParquetType.Boolean, Nullable: false), (r, n) => Values(n, false, i => r.Next(3) == 0)),
            (new ParquetField("b_opt", ParquetType.Boolean), (r, n) => Values(n, true, i => i % 2 == 0)),
            (new ParquetField("i32_req", ParquetType.Int32, Nullable: false), (r, n) => Values(n, false, i => Pick(i, [int.MinValue, int.MaxValue, 0, -1], () => r.Next(int.MinValue, int.MaxValue)))),
            (new ParquetField("i32_opt", ParquetType.Int32), (r, n) => Values(n, true, i => r.Next(-5000, 5000))),
            (new ParquetField("i64_req", ParquetType.Int64, Nullable: false), (r, n) => Values(n, false, i => Pick(i, [long.MinValue, long.MaxValue, 0L], () => r.NextInt64(long.MinValue, long.MaxValue)))),
            (new ParquetField("i64_opt", ParquetType.Int64), (r, n) => Values(n, true, i => r.NextInt64(-1_000_000_000_000, 1_000_000_000_000))),
            (new ParquetField("f32_req", ParquetType.Float, Nullable: false), (r, n) => Values(n, false, i => (float)(r.NextDouble() * 2000 - 1000))),
            (new ParquetField("f32_opt", ParquetType.Float), (r, n) => Values(n, true, i => i % 7 == 3 ? SpecialFloats[i / 7 % SpecialFloats.Length] : (float)(r.NextDouble() * 1e6 - 5e5))),
            (new ParquetField("f64_req", ParquetType.Double, Nullable: false), (r, n) => Values(n, false, i => i % 5 == 1 ? SpecialDoubles[i / 5 % SpecialDoubles.Length] : r.NextDouble() * 1e300)),
            (new ParquetField("f64_opt", ParquetType.Double), (r, n) => Values(n, true, i => Math.Round(r.NextDouble() * 1000, 2))),
            (new ParquetField("s_req", ParquetType.String, Nullable: false), (r, n) => Strings(n, false, i => $"LOINC//{r.Next(37)}-{i % 3}")),
            (new ParquetField("s_opt", ParquetType.String), (r, n) => Strings(n, true, i => i % 3 == 0 ? SpecialStrings[i / 3 % SpecialStrings.Length] : $"text {r.Next(100_000)} ü")),
            (new ParquetField("bin_opt", ParquetType.Binary), (r, n) => Binaries(r, n)),
            (ParquetField.Timestamp("ts_req", nullable: false), (r, n) => Values(n, false, i => MinMicros + (MaxMicros - MinMicros) / n * i + r.Next(1_000_000))),
            (ParquetField.Timestamp("ts_opt"), (r, n) => Values(n, true, i => r.NextInt64(MinMicros, MaxMicros))),
            (ParquetField.Timestamp("ts_utc") with { IsAdjustedToUtc = true }, (r, n) => Values(n, true, i => r.NextInt64(0, MaxMicros))),
            (ParquetField.Timestamp("ts_ms", unit: TimestampUnit.Millis), (r, n) => Values(n, true, i => r.NextInt64(MinMicros, MaxMicros) / 1000)),
            (ParquetField.ListOf("tags", ParquetType.String), (r, n) => StringLists(r, n, nullable: true)),
            (ParquetField.ListOf("tags_req", ParquetType.String, nullable: false, elementNullable: false), (r, n) => StringLists(r, n, nullable: false)),
            (ParquetField.ListOf("ids", ParquetType.Int64), (r, n) => Int64Lists(r, n)),
        };
        var columns = builders.Select(b =>
        {
            var (values, validity) = b.Build(random, rows);
            return ParquetColumn.Create(b.Field, values, validity);
        }).ToArray();
        return new EveryTypeSample(new ParquetSchema(columns.Select(c => c.Field)), columns);
    }

    /// <summary>Rows [start, start + count) of every column.</summary>
    public IReadOnlyList<ParquetColumn> Slice(int start, int count) => Columns.Select(c => ParquetColumn.Create(
        c.Field, SliceArray(c.Values, start, count), c.Validity is null ? null : c.Validity[start..(start + count)])).ToArray();

    /// <summary>Every value of column <paramref name="name"/> in DuckDB's convention (what its dump must show).</summary>
    public IReadOnlyList<object?> ExpectedDuckDbValues(string name) =>
        DuckDbTypes.Values(Columns[Schema.IndexOf(name)]).ToArray();

    private static T Pick<T>(int row, T[] firstRows, Func<T> otherwise) => row < firstRows.Length ? firstRows[row] : otherwise();

    // Optional value columns: every 6th row (offset 5) is null, so every row group and page holds some nulls.
    private static (Array, bool[]?) Values<T>(int n, bool nullable, Func<int, T> value)
    {
        var values = new T[n];
        var validity = nullable ? new bool[n] : null;
        for (var i = 0; i < n; i++)
        {
            var drawn = value(i); // drawn for null rows too, so the random sequence does not depend on nullability
            var present = validity is null || i % 6 != 5;
            values[i] = present ? drawn : default!;
            if (validity is not null)
                validity[i] = present;
        }
        return (values, validity);
    }

    private static (Array, bool[]?) Strings(int n, bool nullable, Func<int, string> value)
    {
        var values = new string?[n];
        for (var i = 0; i < n; i++)
            values[i] = nullable && i % 6 == 5 ? null : value(i);
        return (values, null);
    }

    private static (Array, bool[]?) Binaries(Random random, int n)
    {
        var values = new byte[]?[n];
        for (var i = 0; i < n; i++)
        {
            var bytes = new byte[i % 10 == 0 ? 0 : random.Next(1, 40)];
            random.NextBytes(bytes);
            values[i] = i % 6 == 5 ? null : bytes;
        }
        return (values, null);
    }

    // Lists: row % 9 == 0 is a null list (when nullable), row % 9 == 1 an empty list, elements null 1 time in 5.
    private static (Array, bool[]?) StringLists(Random random, int n, bool nullable)
    {
        var lists = new Array?[n];
        for (var i = 0; i < n; i++)
        {
            var items = new string?[i % 9 == 1 ? 0 : random.Next(1, 5)];
            for (var k = 0; k < items.Length; k++)
                items[k] = nullable && random.Next(5) == 0 ? null : SpecialStrings[random.Next(SpecialStrings.Length - 1)] + k;
            lists[i] = nullable && i % 9 == 0 ? null : items;
        }
        return (lists, null);
    }

    private static (Array, bool[]?) Int64Lists(Random random, int n)
    {
        var lists = new Array?[n];
        for (var i = 0; i < n; i++)
        {
            var items = new long?[i % 9 == 1 ? 0 : random.Next(1, 6)];
            for (var k = 0; k < items.Length; k++)
                items[k] = random.Next(5) == 0 ? null : k == 0 && i % 4 == 0 ? long.MinValue : random.NextInt64(-1000, 1000);
            lists[i] = i % 9 == 0 ? null : items;
        }
        return (lists, null);
    }

    private static Array SliceArray(Array source, int start, int count)
    {
        var slice = Array.CreateInstance(source.GetType().GetElementType()!, count);
        Array.Copy(source, start, slice, 0, count);
        return slice;
    }
}
