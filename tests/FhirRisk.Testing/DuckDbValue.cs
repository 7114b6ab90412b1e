using System.Globalization;
using System.Text.Json;

namespace FhirRisk.Testing;

/// <summary>
/// Decodes the JSON values duckdb.mjs prints (rules in tools/interop/lib/json-values.mjs): 64-bit integers and
/// timestamps are decimal strings, doubles are numbers except "NaN", "Infinity", "-Infinity" and "-0", blobs are hex.
/// </summary>
public static class DuckDbValue
{
    public static long ToInt64(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? long.Parse(value.GetString()!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)
        : value.GetInt64();

    public static double ToDouble(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number)
            return value.GetDouble();
        return value.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            "-0" => -0.0,
            var text => throw new FormatException($"Not a DuckDB double: '{text}'."),
        };
    }

    /// <summary>A FLOAT was widened exactly to double by DuckDB, so narrowing it back is exact.</summary>
    public static float ToSingle(JsonElement value) => (float)ToDouble(value);

    public static byte[] ToBytes(JsonElement value) => Convert.FromHexString(value.GetString()!);

    /// <summary>
    /// The CLR value for a DuckDB type name from <c>DESCRIBE</c>: BOOLEAN → bool, TINYINT/SMALLINT/INTEGER → int,
    /// BIGINT → long, FLOAT → float, DOUBLE → double, VARCHAR → string, BLOB → byte[], TIMESTAMP* → long (the epoch
    /// value: ns for TIMESTAMP_NS, else µs), DATE → int days, <c>T[]</c> → object?[]; null stays null.
    /// </summary>
    public static object? ToClr(JsonElement value, string duckDbType)
    {
        ArgumentNullException.ThrowIfNull(duckDbType);
        if (value.ValueKind == JsonValueKind.Null)
            return null;
        if (duckDbType.EndsWith("[]", StringComparison.Ordinal))
        {
            var elementType = duckDbType[..^2];
            return value.EnumerateArray().Select(e => ToClr(e, elementType)).ToArray();
        }
        return duckDbType switch
        {
            "BOOLEAN" => value.GetBoolean(),
            "TINYINT" or "SMALLINT" or "INTEGER" or "DATE" => value.GetInt32(),
            "BIGINT" => ToInt64(value),
            "FLOAT" => ToSingle(value),
            "DOUBLE" => ToDouble(value),
            "VARCHAR" => value.GetString(),
            "BLOB" => ToBytes(value),
            _ when duckDbType.StartsWith("TIMESTAMP", StringComparison.Ordinal) => ToInt64(value),
            _ => throw new NotSupportedException($"DuckDB type {duckDbType} has no CLR mapping in the tests."),
        };
    }

    /// <summary>Every row of a <c>dump</c>/<c>query</c> result as CLR values, one array per column.</summary>
    public static IReadOnlyList<object?[]> Columns(JsonElement result)
    {
        var columns = result.GetProperty("columns").EnumerateArray().ToArray();
        var rows = result.GetProperty("rows").EnumerateArray().ToArray();
        var output = new List<object?[]>(columns.Length);
        for (var c = 0; c < columns.Length; c++)
        {
            var type = columns[c].GetProperty("type").GetString()!;
            output.Add(rows.Select(r => ToClr(r[c], type)).ToArray());
        }
        return output;
    }
}
