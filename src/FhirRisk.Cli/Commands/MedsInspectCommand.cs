using System.CommandLine;
using System.Globalization;
using FhirRisk.Meds;
using FhirRisk.Parquet;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary><c>fhirrisk meds inspect &lt;dir&gt; [--top N]</c>: dataset overview, per-split counts and top codes as tables.</summary>
internal static class MedsInspectCommand
{
    public static Command Create()
    {
        var dataset = MedsCommand.DatasetArgument();
        var top = CommandOptions.IntAtLeast("--top", minimum: 0, defaultValue: 10, "How many of the most frequent codes to list.");
        var command = new Command("inspect", "Print subjects, events, codes, time range, per-split counts and the top codes.")
        {
            dataset,
            top,
        };
        command.SetAction(parsed => Run(parsed.GetRequiredValue(dataset), parsed.GetValue(top), parsed.InvocationConfiguration));
        return command;
    }

    private static int Run(DirectoryInfo folder, int top, InvocationConfiguration io)
    {
        MedsDatasetReader dataset;
        MedsDatasetSummary summary;
        try
        {
            dataset = MedsDatasetReader.Open(folder.FullName);
            summary = MedsDatasetSummary.Compute(dataset, top);
        }
        catch (Exception e) when (e is MedsFormatException or ParquetException or IOException or UnauthorizedAccessException)
        {
            var message = e is MedsFormatException meds ? meds.Issue.ToString() : e.Message;
            return CommandOutput.Fail(io.Error, message, $"run 'fhirrisk meds validate {folder}' to list every problem.");
        }
        if (dataset.Shards.Count == 0 && dataset.Metadata is null)
            return CommandOutput.Fail(io.Error, $"'{folder}' holds no MEDS dataset (no data/*.parquet shards, no metadata/dataset.json).",
                "point at the folder that contains data/ and metadata/.", ExitCodes.UsageError);

        var console = CommandOutput.ConsoleFor(io.Output);
        console.Write(Overview(dataset, summary));
        console.Write(Splits(summary));
        if (top > 0)
            console.Write(TopCodes(summary));
        return ExitCodes.Success;
    }

    private static Table Overview(MedsDatasetReader dataset, MedsDatasetSummary summary)
    {
        var table = new Table().Title("MEDS dataset").AddColumns("Property", "Value");
        var metadata = dataset.Metadata;
        AddRow(table, "Folder", dataset.Root);
        AddRow(table, "Dataset", Join(metadata?.DatasetName, metadata?.DatasetVersion));
        AddRow(table, "ETL", Join(metadata?.EtlName, metadata?.EtlVersion));
        AddRow(table, "MEDS version", metadata?.MedsVersion ?? "-");
        AddRow(table, "Created", metadata?.CreatedAt ?? "-");
        AddRow(table, "Subjects", Count(summary.Subjects));
        AddRow(table, "Events", Count(summary.Events));
        AddRow(table, "Static events", Count(summary.StaticEvents));
        AddRow(table, "Distinct codes", Count(summary.DistinctCodes));
        AddRow(table, "Codes in codes.parquet", Count(summary.CodesInMetadata));
        AddRow(table, "First time", Time(summary.FirstTime));
        AddRow(table, "Last time", Time(summary.LastTime));
        return table;
    }

    private static Table Splits(MedsDatasetSummary summary)
    {
        var table = new Table().Title("Splits").AddColumns("Split", "Shards", "Subjects", "Events", "Listed subjects");
        foreach (var column in table.Columns.Skip(1))
            column.RightAligned();
        foreach (var split in summary.Splits)
            AddRow(table, split.Split.Length > 0 ? split.Split : "(no split folder)", Count(split.Shards), Count(split.Subjects), Count(split.Events), Count(split.ListedSubjects));
        return table;
    }

    private static Table TopCodes(MedsDatasetSummary summary)
    {
        var table = new Table().Title($"Top {summary.TopCodes.Count} codes").AddColumns("#", "Code", "Events", "Share");
        table.Columns[0].RightAligned();
        table.Columns[2].RightAligned();
        table.Columns[3].RightAligned();
        for (var i = 0; i < summary.TopCodes.Count; i++)
        {
            var code = summary.TopCodes[i];
            var share = summary.Events == 0 ? 0 : (double)code.Events / summary.Events;
            AddRow(table, Count(i + 1), code.Code, Count(code.Events), share.ToString("P1", CultureInfo.InvariantCulture));
        }
        return table;
    }

    // Cells are plain text: codes such as "LAB//[x]" must not be read as Spectre markup.
    private static void AddRow(Table table, params string[] cells) => table.AddRow(cells.Select(Markup.Escape).ToArray());

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Time(DateTime? time) => time?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";

    private static string Join(string? name, string? version) =>
        name is null ? "-" : version is null ? name : $"{name} {version}";
}
