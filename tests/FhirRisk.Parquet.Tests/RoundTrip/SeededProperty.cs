using System.Globalization;
using Xunit.Sdk;

namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>
/// A minimal property runner (no FsCheck here): runs a body for a fixed list of case seeds derived from a base seed, so every
/// run checks the same cases, and names the failing case's seed. Setting <see cref="SeedVariable"/> reruns exactly that case.
/// </summary>
internal static class SeededProperty
{
    public const string SeedVariable = "FHIRRISK_PROPERTY_SEED";

    public static void ForAll(string property, int baseSeed, int cases, Action<Random> body)
    {
        foreach (var seed in CaseSeeds(baseSeed, cases))
        {
            try
            {
                body(new Random(seed));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The inner exception keeps the original stack; an assertion wrapped once already is unwrapped to avoid repeating its message.
                throw new XunitException(
                    $"Property '{property}' failed for case seed {seed}; rerun only that case with {SeedVariable}={seed}.\n{ex.Message}",
                    ex is XunitException { InnerException: { } inner } ? inner : ex);
            }
        }
    }

    private static IEnumerable<int> CaseSeeds(int baseSeed, int cases)
    {
        var only = Environment.GetEnvironmentVariable(SeedVariable);
        if (!string.IsNullOrEmpty(only))
            return [int.Parse(only, CultureInfo.InvariantCulture)];
        // Seeds of consecutive cases are spread out so that cases of different properties do not share them.
        return Enumerable.Range(0, cases).Select(i => unchecked(baseSeed * 1_000_003 + i * 7_919));
    }
}
