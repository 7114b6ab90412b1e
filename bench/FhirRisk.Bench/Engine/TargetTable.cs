using System.Globalization;
using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Engine;

/// <summary>The closing table of targets every engine benchmark prints before its <c>RESULT</c> lines.</summary>
internal static class TargetTable
{
    public static void Write(TextWriter output, IReadOnlyList<TargetResult> targets)
    {
        var goals = new TextTable("target", "value", "goal", "pass");
        foreach (var target in targets)
            goals.AddRow(target.Metric, target.Value.ToString("0.###", CultureInfo.InvariantCulture), target.TargetText, target.Pass ? "yes" : "NO");
        goals.Write(output);
    }
}
