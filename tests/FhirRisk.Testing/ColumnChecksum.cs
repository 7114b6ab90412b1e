using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace FhirRisk.Testing;

/// <summary>
/// Recomputes duckdb.mjs's <c>checksum</c> for one column from CLR values (the definition, kind by kind, is at the top
/// of tools/interop/lib/checksum.mjs), so a reader's output can be compared with DuckDB's without moving every value
/// through JSON. Values are boxed as <see cref="DuckDbValue.ToClr"/> produces them: integers of any width, float or
/// double, string, byte[], long epoch values in the checksum's unit (µs, ns for TIMESTAMP_NS), int days for DATE, and
/// any <see cref="IList"/> (or null) for list columns.
/// </summary>
public static class ColumnChecksum
{
    public static Dictionary<string, object?> Compute(string duckDbType, IEnumerable<object?> values)
    {
        ArgumentNullException.ThrowIfNull(duckDbType);
        ArgumentNullException.ThrowIfNull(values);
        var present = values.Where(v => v is not null).Select(v => v!).ToList();
        var kind = Kind(duckDbType);
        var result = new Dictionary<string, object?> { ["kind"] = kind, ["count"] = (long)present.Count };
        switch (kind)
        {
            case "boolean":
                result["true_count"] = (long)present.Count(v => (bool)v);
                break;
            case "integer" or "date":
                AddIntegerStatistics(result, present.Select(ToBigInteger).ToList());
                break;
            case "timestamp":
                result["unit"] = duckDbType == "TIMESTAMP_NS" ? "ns" : "us";
                AddIntegerStatistics(result, present.Select(ToBigInteger).ToList());
                break;
            case "float":
                AddFloatStatistics(result, present.Select(v => v is float f ? f : (double)v).ToList());
                break;
            case "string":
                AddByteStatistics(result, present.Select(v => Encoding.UTF8.GetBytes((string)v)).ToList(), asText: true);
                break;
            case "blob":
                AddByteStatistics(result, present.Select(v => (byte[])v).ToList(), asText: false);
                break;
            case "list":
                var lists = present.Cast<IList>().ToList();
                result["element_count"] = (long)lists.Sum(l => l.Count);
                result["elements"] = Compute(duckDbType[..^2], lists.SelectMany(l => l.Cast<object?>()));
                break;
        }
        return result;
    }

    /// <summary>The checksum kind for a DuckDB type name (mirrors checksumKind in checksum.mjs).</summary>
    public static string Kind(string duckDbType)
    {
        ArgumentNullException.ThrowIfNull(duckDbType);
        if (duckDbType.EndsWith("[]", StringComparison.Ordinal)) return "list";
        return duckDbType switch
        {
            "BOOLEAN" => "boolean",
            "TINYINT" or "SMALLINT" or "INTEGER" or "BIGINT" or "HUGEINT"
                or "UTINYINT" or "USMALLINT" or "UINTEGER" or "UBIGINT" or "UHUGEINT" => "integer",
            "FLOAT" or "DOUBLE" => "float",
            "VARCHAR" => "string",
            "BLOB" => "blob",
            "DATE" => "date",
            _ when duckDbType.StartsWith("TIMESTAMP", StringComparison.Ordinal) => "timestamp",
            _ => "other",
        };
    }

    private static void AddIntegerStatistics(Dictionary<string, object?> result, List<BigInteger> values)
    {
        var any = values.Count > 0;
        result["sum"] = any ? Text(values.Aggregate(BigInteger.Zero, (a, b) => a + b)) : null;
        result["min"] = any ? Text(values.Min()) : null;
        result["max"] = any ? Text(values.Max()) : null;
    }

    private static void AddFloatStatistics(Dictionary<string, object?> result, List<double> values)
    {
        var finite = values.Where(double.IsFinite).ToList();
        var any = finite.Count > 0;
        result["nan_count"] = (long)values.Count(double.IsNaN);
        result["pos_inf_count"] = (long)values.Count(double.IsPositiveInfinity);
        result["neg_inf_count"] = (long)values.Count(double.IsNegativeInfinity);
        result["min"] = any ? finite.Min() : null;
        result["max"] = any ? finite.Max() : null;
        result["sum"] = any ? finite.Sum() : null;
        result["sum_abs"] = any ? finite.Sum(Math.Abs) : null;
    }

    // DuckDB orders VARCHAR and BLOB by their bytes; for strings that is UTF-8, i.e. code point order.
    private static void AddByteStatistics(Dictionary<string, object?> result, List<byte[]> values, bool asText)
    {
        var any = values.Count > 0;
        result["distinct_count"] = (long)values.Select(Convert.ToHexString).Distinct(StringComparer.Ordinal).Count();
        result["byte_length_sum"] = any ? Text(values.Sum(v => (long)v.Length)) : null;
        var ordered = values.Order(ByteOrder.Instance).ToList();
        result["min"] = any ? Render(ordered[0], asText) : null;
        result["max"] = any ? Render(ordered[^1], asText) : null;
    }

    private static string Render(byte[] bytes, bool asText) =>
        asText ? Encoding.UTF8.GetString(bytes) : Convert.ToHexStringLower(bytes);

    private static string Text(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);

    private static BigInteger ToBigInteger(object value) => value switch
    {
        long l => l,
        int i => i,
        short s => s,
        sbyte b => b,
        byte b => b,
        ushort u => u,
        uint u => u,
        ulong u => u,
        BigInteger b => b,
        _ => throw new ArgumentException($"{value.GetType().Name} is not an integer value.", nameof(value)),
    };

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
