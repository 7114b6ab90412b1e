using System.Globalization;
using System.Text.Json;

namespace FhirRisk.Testing;

/// <summary>
/// Compares DuckDB's checksum JSON with <see cref="ColumnChecksum.Compute"/>'s result. Everything is exact except a
/// float column's <c>sum</c> and <c>sum_abs</c>: summation order moves the last bits, so they may differ by
/// 1e-9 × max(1, sum_abs) (lib/checksum.mjs).
/// </summary>
public static class ChecksumComparison
{
    public const double FloatSumTolerance = 1e-9;

    /// <summary>One line per differing field (<c>path.field: DuckDB x, ours y</c>); empty when equal.</summary>
    public static IReadOnlyList<string> Differences(JsonElement expected, IReadOnlyDictionary<string, object?> actual, string path)
    {
        ArgumentNullException.ThrowIfNull(actual);
        var differences = new List<string>();
        var expectedNames = expected.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var missing in expectedNames.Except(actual.Keys).Order(StringComparer.Ordinal))
            differences.Add($"{path}.{missing}: DuckDB has it, ours does not");
        foreach (var extra in actual.Keys.Except(expectedNames).Order(StringComparer.Ordinal))
            differences.Add($"{path}.{extra}: ours has it, DuckDB does not");

        var sumAbs = actual.TryGetValue("sum_abs", out var s) && s is double d ? d : 0;
        foreach (var (name, ours) in actual)
        {
            if (!expected.TryGetProperty(name, out var theirs))
                continue;
            if (ours is IReadOnlyDictionary<string, object?> nested && theirs.ValueKind == JsonValueKind.Object)
            {
                differences.AddRange(Differences(theirs, nested, $"{path}.{name}"));
                continue;
            }
            var tolerance = name is "sum" or "sum_abs" && ours is double ? FloatSumTolerance * Math.Max(1, Math.Abs(sumAbs)) : 0;
            if (!FieldEquals(theirs, ours, tolerance))
                differences.Add($"{path}.{name}: DuckDB {theirs.GetRawText()}, ours {Show(ours)}");
        }
        return differences;
    }

    /// <summary>Fails the test with every difference listed.</summary>
    public static void AssertEqual(JsonElement expected, IReadOnlyDictionary<string, object?> actual, string path)
    {
        var differences = Differences(expected, actual, path);
        if (differences.Count > 0)
            Assert.Fail($"{differences.Count} checksum difference(s) against DuckDB:\n{string.Join('\n', differences)}");
    }

    private static bool FieldEquals(JsonElement theirs, object? ours, double tolerance) => ours switch
    {
        null => theirs.ValueKind == JsonValueKind.Null,
        _ when theirs.ValueKind == JsonValueKind.Null => false,
        long l => theirs.ValueKind == JsonValueKind.Number && theirs.GetInt64() == l,
        string text => theirs.ValueKind == JsonValueKind.String && theirs.GetString() == text,
        double value => DoubleEquals(DuckDbValue.ToDouble(theirs), value, tolerance),
        _ => false,
    };

    // min/max compare with == (so -0 equals 0: which of the two an aggregate returns depends on the row order).
    private static bool DoubleEquals(double theirs, double ours, double tolerance) =>
        double.IsNaN(theirs) ? double.IsNaN(ours) : theirs == ours || Math.Abs(theirs - ours) <= tolerance;

    private static string Show(object? value) => value switch
    {
        null => "null",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        string s => $"\"{s}\"",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "?",
    };
}
