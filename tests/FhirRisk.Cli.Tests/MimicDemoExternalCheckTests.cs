using FhirRisk.Cli.Commands;
using FhirRisk.Model.Heads;
using FhirRisk.Testing;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Cli.Tests;

/// <summary>
/// The heads part of the external check on the MIMIC-IV demo (docs/demo-model.md, "External check: MIMIC-IV demo";
/// tools/external/mimic-demo-eval.sh runs all of it): the FHIR NDJSON ingested, labelled and tokenized with the committed
/// demo model's tokenizer, every labelled point of every split scored by its heads, and evaluated with patient-bootstrap
/// intervals. Structural facts only: the demo model is retrained at times, so its AUROC here is recorded in the docs, not
/// asserted.
/// </summary>
public sealed class MimicDemoExternalCheckTests
{
    private static string DemoModel => RepositoryPaths.Combine("models", "demo");

    [ExternalDataFact]
    public async Task Heads_OnTheMimicDemo_ScoreEveryLabelledPointWithProbabilities_AndTheReportHasIntervals()
    {
        using var temp = new TempDirectory();
        var (meds, labels, tokens, predictions, report) = (temp.File("meds"), temp.File("labels"), temp.File("tokens"), temp.File("predictions"), temp.File("report"));

        await Run("ingest", ExternalData.Path("mimic-iv-demo", "mimic-iv-fhir-demo-2.1.0", "fhir"), "--out", meds, "--created-at", "2025-01-01T00:00:00Z");
        await Run("labels", meds, "--task", "all", "--out", labels);
        // The simulator's vocabulary knows about 5 % of MIMIC's codes (docs/demo-model.md): tokenize refuses that share
        // of unknown codes unless told the foreign vocabulary is deliberate, as it is for this external check.
        var tokenized = await Run("tokenize", meds, "--tokenizer", DemoModel, "--out", tokens, "--allow-unknown-codes");
        await Run("predict", "--method", "heads", "--model", DemoModel, "--tokens", tokens, "--labels", labels, "--task", "all", "--split", "all",
            "--threads", "2", "--out", predictions);
        var headsFile = Path.Combine(predictions, PredictCommand.HeadsFile);
        await Run("evaluate", headsFile, "--out", report, "--bootstrap", "50", "--seed", "1");

        Assert.Contains("Vocabulary coverage of the", tokenized, StringComparison.Ordinal);
        var rows = PredictionsFile.Read(headsFile);
        var tasks = TaskHeads.Load(DemoModel).Tasks;
        HeadsPredictionChecks.AssertEveryLabelledPointScored(tokens, labels, tasks, rows);
        // All 100 patients are scored, not one split's.
        Assert.Equal(100, rows.Select(r => r.SubjectId).Distinct().Count());
        var scoredTasks = rows.Select(r => r.Task).ToHashSet();
        var intervals = HeadsPredictionChecks.Intervals(report);
        Assert.Equal(scoredTasks, intervals.Select(i => i.Task).ToHashSet());
        // Every task with points of both classes has every metric's interval; the bounds bracket nothing odd.
        foreach (var task in scoredTasks.Where(t => rows.Any(r => r.Task == t && r.Label) && rows.Any(r => r.Task == t && !r.Label)))
        {
            Assert.All(intervals.Where(i => i.Task == task), i =>
            {
                Assert.True(i.Lower is { } lower && i.Upper is { } upper && lower <= upper, $"{task} {i.Metric}: [{i.Lower}, {i.Upper}]");
                Assert.InRange(i.Lower!.Value, 0, 1);
                Assert.InRange(i.Upper!.Value, 0, 1);
            });
        }
    }

    private static async Task<string> Run(params string[] args)
    {
        var (exitCode, stdout, stderr) = await CliRun.RunAsync(args);
        Assert.True(exitCode == 0, $"fhirrisk {args[0]} exited {exitCode}: {stderr}");
        return stdout;
    }
}
