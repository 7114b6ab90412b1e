using System.Globalization;
using Xunit.Sdk;

namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>
/// Exact value comparison for round trips: floats and doubles by their bits (NaN payloads, -0.0), strings ordinally,
/// byte arrays and lists element by element, nulls by <see cref="ParquetColumn.IsNull"/>.
/// </summary>
internal static class ColumnComparer
{
    /// <summary>Asserts that <paramref name="actual"/> equals rows [offset, offset + actual.Length) of <paramref name="expected"/>.</summary>
    public static void AssertSlice(ParquetColumn expected, int offset, ParquetColumn actual, string where)
    {
        if (offset + actual.Length > expected.Length)
            throw new XunitException($"{where}, column '{actual.Field.Name}': {actual.Length} rows read at row {offset}, but only {expected.Length} were written.");
        for (var row = 0; row < actual.Length; row++)
        {
            var wanted = expected.GetValue(offset + row);
            var got = actual.GetValue(row);
            if (!AreIdentical(wanted, got))
                throw new XunitException($"{where}, column '{actual.Field.Name}', row {offset + row}: expected {Describe(wanted)}, got {Describe(got)}.");
        }
    }

    public static void AssertColumnsEqual(ParquetColumn expected, ParquetColumn actual, string where)
    {
        Assert.Equal(expected.Field, actual.Field);
        Assert.Equal(expected.Length, actual.Length);
        AssertSlice(expected, 0, actual, where);
    }

    public static bool AreIdentical(object? expected, object? actual) => (expected, actual) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (float a, float b) => BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b),
        (double a, double b) => BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b),
        (string a, string b) => string.Equals(a, b, StringComparison.Ordinal),
        (byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b),
        (Array a, Array b) => a.GetType() == b.GetType() && ElementsIdentical(a, b),
        _ => expected.GetType() == actual.GetType() && expected.Equals(actual),
    };

    public static string Describe(object? value) => value switch
    {
        null => "null",
        float f => $"{f.ToString("R", CultureInfo.InvariantCulture)} (bits 0x{BitConverter.SingleToInt32Bits(f):X8})",
        double d => $"{d.ToString("R", CultureInfo.InvariantCulture)} (bits 0x{BitConverter.DoubleToInt64Bits(d):X16})",
        string s => s.Length <= 60 ? $"\"{s}\" (length {s.Length})" : $"\"{s[..60]}…\" (length {s.Length})",
        byte[] b => $"byte[{b.Length}] {Convert.ToHexString(b.AsSpan(0, Math.Min(b.Length, 24)))}",
        Array a => $"{a.GetType().Name} [{string.Join(", ", a.Cast<object?>().Take(6).Select(Describe))}{(a.Length > 6 ? ", …" : "")}] (length {a.Length})",
        _ => $"{value} ({value.GetType().Name})",
    };

    private static bool ElementsIdentical(Array a, Array b)
    {
        if (a.Length != b.Length)
            return false;
        for (var i = 0; i < a.Length; i++)
        {
            if (!AreIdentical(a.GetValue(i), b.GetValue(i)))
                return false;
        }
        return true;
    }
}
