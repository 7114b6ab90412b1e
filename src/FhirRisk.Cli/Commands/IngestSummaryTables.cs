using System.Globalization;
using FhirRisk.Meds.Ingestion;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary>The tables printed after an ingest: resources by type, events by code family, issues by code.</summary>
internal static class IngestSummaryTables
{
    public static void Write(IAnsiConsole console, FhirIngestionSummary summary)
    {
        var resources = new Table().Title("Resources by type").AddColumns("Type", "Read", "Parsed", "Skipped", "Failed");
        foreach (var (type, counts) in summary.ResourcesByType)
            resources.AddRow(Markup.Escape(type), Number(counts.Read), Number(counts.Parsed), Number(counts.Skipped), Number(counts.Failed));
        console.Write(RightAligned(resources));

        var events = new Table().Title("Events by code family").AddColumns("Family", "Events");
        foreach (var (family, count) in summary.EventsByCodeFamily)
            events.AddRow(Markup.Escape(family), Number(count));
        console.Write(RightAligned(events));

        var issues = new Table().Title("Issues by code").AddColumns("Code", "Count");
        foreach (var (code, count) in summary.IssuesByCode)
            issues.AddRow(Markup.Escape(code), Number(count));
        if (summary.IssuesByCode.Count == 0)
            issues.AddRow("(none)", "0");
        console.Write(RightAligned(issues));
        console.WriteLine($"Quarantined: {Number(summary.Quarantined)}");
    }

    private static Table RightAligned(Table table)
    {
        for (var i = 1; i < table.Columns.Count; i++)
            table.Columns[i].RightAligned();
        return table;
    }

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
