using System.Collections;
using System.Globalization;

namespace FhirRisk.Parquet.Tests.Interop;

/// <summary>Value-by-value comparison of a column against DuckDB's, reporting the first differences by row.</summary>
internal static class ValueComparison
{
    private const int MaxReported = 10;

    /// <summary>Exact equality: floats compare by bits (so -0 ≠ 0) except that any NaN equals any NaN (DuckDB may
    /// canonicalize NaN payloads); byte arrays and lists element by element.</summary>
    public static bool Same(object? expected, object? actual) => (expected, actual) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (float e, float a) => float.IsNaN(e) ? float.IsNaN(a) : BitConverter.SingleToInt32Bits(e) == BitConverter.SingleToInt32Bits(a),
        (double e, double a) => double.IsNaN(e) ? double.IsNaN(a) : BitConverter.DoubleToInt64Bits(e) == BitConverter.DoubleToInt64Bits(a),
        (byte[] e, byte[] a) => e.AsSpan().SequenceEqual(a),
        (IList e, IList a) => e.Count == a.Count && Enumerable.Range(0, e.Count).All(i => Same(e[i], a[i])),
        _ => expected.GetType() == actual.GetType() && expected.Equals(actual),
    };

    /// <summary>Fails with the first differing rows when the two columns differ.</summary>
    public static void AssertColumnsEqual(string context, IReadOnlyList<object?> duckDb, IReadOnlyList<object?> ours)
    {
        var differences = new List<string>();
        if (duckDb.Count != ours.Count)
            differences.Add($"row count: DuckDB {duckDb.Count}, ours {ours.Count}");
        for (var row = 0; row < Math.Min(duckDb.Count, ours.Count) && differences.Count < MaxReported; row++)
        {
            if (!Same(duckDb[row], ours[row]))
                differences.Add($"row {row}: DuckDB {Show(duckDb[row])}, ours {Show(ours[row])}");
        }
        if (differences.Count > 0)
            Assert.Fail($"{context} differs from DuckDB:\n{string.Join('\n', differences)}");
    }

    public static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        byte[] bytes => "0x" + Convert.ToHexStringLower(bytes),
        float f => $"{f.ToString("R", CultureInfo.InvariantCulture)}f",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IList list => "[" + string.Join(", ", list.Cast<object?>().Select(Show)) + "]",
        _ => $"{value} ({value.GetType().Name})",
    };
}
