using System.Globalization;
using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Engine;

/// <summary>Prints the <c>gemm</c> benchmark's table (GFLOP/s of both sides, their ratio, output agreement) and targets.</summary>
internal static class GemmReport
{
    public static void Write(TextWriter output, IReadOnlyList<GemmComparison> comparisons, int samples, IReadOnlyList<TargetResult> targets)
    {
        output.WriteLine();
        output.WriteLine($"GFLOP/s = 2·M·N·K / time, best of {samples} samples; ratio = FhirRisk / OpenBLAS (above 1: FhirRisk is faster)");
        var table = new TextTable("shape", "layout", "M×N×K", "threads", "FhirRisk", "OpenBLAS", "ratio", "max diff / max|C|");
        foreach (var c in comparisons)
        {
            table.AddRow(c.Shape.Name, c.Shape.Layout, c.Shape.Dimensions, Invariant($"{c.Threads}"), Invariant($"{c.OurGflops:0.0}"),
                Invariant($"{c.OpenBlasGflops:0.0}"), Invariant($"{c.Ratio:0.00}x"), Invariant($"{c.RelativeDifference:0.0E+0}"));
        }

        table.Write(output);
        output.WriteLine();
        var goals = new TextTable("target", "value", "goal", "pass");
        foreach (var target in targets)
            goals.AddRow(target.Metric, Invariant($"{target.Value:0.###}"), target.TargetText, target.Pass ? "yes" : "NO");
        goals.Write(output);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
