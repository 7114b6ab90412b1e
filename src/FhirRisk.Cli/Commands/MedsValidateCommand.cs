using System.CommandLine;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Meds;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk meds validate &lt;dir&gt;</c>: checks a dataset against MEDS v0.4 and prints one line per issue
/// (<c>ERROR MEDS015 at data/train/0.parquet:row 17: …</c>, easy to grep) and a count per code. Exit code 1 when any
/// issue is an error.
/// </summary>
internal static class MedsValidateCommand
{
    public static Command Create()
    {
        var dataset = MedsCommand.DatasetArgument();
        var strict = new Option<bool>("--strict")
        {
            Description = "Treat codes missing from metadata/codes.parquet as errors (MEDS 0.4 requires every code to be listed).",
        };
        var maxIssues = CommandOptions.IntAtLeast("--max-issues-per-code", minimum: 1, defaultValue: 100,
            "Most issues printed per issue code; the rest are counted.");
        var command = new Command("validate", "Check a dataset against MEDS v0.4; exit code 1 when any error is found.")
        {
            dataset,
            strict,
            maxIssues,
        };
        command.SetAction(parsed => Run(
            parsed.GetRequiredValue(dataset),
            new MedsValidationOptions { Strict = parsed.GetValue(strict), MaxIssuesPerCode = parsed.GetValue(maxIssues) },
            parsed.InvocationConfiguration));
        return command;
    }

    private static int Run(DirectoryInfo folder, MedsValidationOptions options, InvocationConfiguration io)
    {
        MedsValidationReport report;
        try
        {
            report = MedsValidator.Check(folder.FullName, options);
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            return CommandOutput.Fail(io.Error, e.Message, "check that the folder is readable.");
        }

        foreach (var issue in report.Issues)
            io.Output.WriteLine(issue.ToString());
        if (report.Counts.Count > 0)
            CommandOutput.ConsoleFor(io.Output).Write(CountsByCode(report, options.MaxIssuesPerCode));
        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{folder.FullName}: {report.ErrorCount} error(s), {report.WarningCount} warning(s); {(report.IsValid ? "valid" : "NOT valid")} (checked against MEDS {MedsSchema.MedsVersion})."));
        return report.IsValid ? ExitCodes.Success : ExitCodes.Failure;
    }

    private static Table CountsByCode(MedsValidationReport report, int shownPerCode)
    {
        var table = new Table().Title("Issues by code").AddColumns("Code", "Severity", "Found", "Shown");
        table.Columns[2].RightAligned();
        table.Columns[3].RightAligned();
        foreach (var count in report.Counts)
            table.AddRow(count.Code, count.Severity.ToString(), Number(count.Count), Number(Math.Min(count.Count, shownPerCode)));
        return table;
    }

    private static string Number(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
