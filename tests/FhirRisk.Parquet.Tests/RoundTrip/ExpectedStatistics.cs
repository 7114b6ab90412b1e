using System.Text;

namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>
/// Column chunk min/max/null count computed from the written values, following parquet.thrift's rules for
/// <c>Statistics</c> and <c>ColumnOrder</c>: signed order for INT32/INT64, unsigned byte order for BYTE_ARRAY (so strings
/// compare by UTF-8 bytes, i.e. by code point), false &lt; true, a zero minimum written as -0.0 and a zero maximum as
/// +0.0. Min and max are null when no non-null value exists, and, as DuckDB's writer does, when a float/double chunk
/// holds a NaN (DuckDB orders NaN above every number and would otherwise prune its rows).
/// </summary>
internal sealed record ExpectedStatistics(object? Min, object? Max, long NullCount)
{
    /// <summary>Statistics of rows [offset, offset + count) of a flat column, or of the elements of those rows for a list.</summary>
    public static ExpectedStatistics Compute(ParquetColumn column, int offset, int count)
    {
        object? min = null, max = null;
        long nulls = 0;
        var hasNaN = false;
        foreach (var value in Values(column, offset, count))
        {
            if (value is null)
            {
                nulls++;
                continue;
            }
            hasNaN |= value is float.NaN or double.NaN;
            if (hasNaN)
                continue;
            if (min is null || Compare(value, min) < 0)
                min = value;
            if (max is null || Compare(value, max) > 0)
                max = value;
        }
        // Bounds longer than 4 KiB are left out, both of them (docs/formats/parquet.md, "Statistics").
        return hasNaN || TooLong(min) || TooLong(max)
            ? new ExpectedStatistics(null, null, nulls)
            : new ExpectedStatistics(SignedZero(min, negative: true), SignedZero(max, negative: false), nulls);
    }

    private static bool TooLong(object? bound) => bound switch
    {
        string text => System.Text.Encoding.UTF8.GetByteCount(text) > 4096,
        byte[] bytes => bytes.Length > 4096,
        _ => false,
    };

    /// <summary>Compares two non-null values of the same column type in Parquet's sort order.</summary>
    public static int Compare(object a, object b) => (a, b) switch
    {
        (bool x, bool y) => x.CompareTo(y),
        (int x, int y) => x.CompareTo(y),
        (long x, long y) => x.CompareTo(y),
        // -0.0 and +0.0 are equal here; SignedZero picks the sign afterwards.
        (float x, float y) => x < y ? -1 : x > y ? 1 : 0,
        (double x, double y) => x < y ? -1 : x > y ? 1 : 0,
        (string x, string y) => CompareUtf8(x, y),
        (byte[] x, byte[] y) => x.AsSpan().SequenceCompareTo(y),
        _ => throw new ArgumentException($"Cannot compare {a.GetType().Name} with {b.GetType().Name}."),
    };

    /// <summary>Orders strings as their UTF-8 bytes would be ordered (code point order).</summary>
    public static int CompareUtf8(string x, string y) =>
        Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y));

    private static IEnumerable<object?> Values(ParquetColumn column, int offset, int count)
    {
        for (var row = offset; row < offset + count; row++)
        {
            var value = column.GetValue(row);
            if (!column.Field.IsList)
            {
                yield return value;
                continue;
            }
            // A list chunk's min/max come from its elements; null and empty lists hold none.
            if (value is Array list)
            {
                foreach (var element in list)
                    yield return element;
            }
        }
    }

    private static object? SignedZero(object? value, bool negative) => value switch
    {
        0f => negative ? -0f : 0f,
        0d => negative ? -0d : 0d,
        _ => value,
    };
}
