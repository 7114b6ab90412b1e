using FhirRisk.Testing;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Cli.Tests;

public sealed class EvaluateCommandTests
{
    private static readonly DateTime Start = new(2021, 3, 1, 9, 0, 0);

    [Fact]
    public async Task Evaluate_StoppedByCtrlC_SaysSoAndExits130()
    {
        // It exited 1 with nothing on stderr.
        using var temp = new TempDirectory();
        var heads = Write(temp, "heads.parquet", Predictions("hospital_mortality", "heads", noise: 0.2));
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await FhirRiskCommandLine.RunAsync(["evaluate", heads, "--out", temp.File("report")], output, error, new CancellationToken(canceled: true));

        Assert.Equal(ExitCodes.Interrupted, exitCode);
        Assert.Contains("interrupted: 'fhirrisk evaluate' stopped on Ctrl-C", error.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(temp.File("report"), EvaluationReportWriter.MetricsFile)));
    }

    [Fact]
    public async Task Evaluate_TwoMethodFiles_WritesTheReportAndPrintsTheTable()
    {
        using var temp = new TempDirectory();
        var heads = Write(temp, "heads.parquet", Predictions("hospital_mortality", "heads", noise: 0.2));
        var probe = Write(temp, "probe.parquet", Predictions("hospital_mortality", "probe", noise: 0.6));
        var output = temp.File("report");

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("evaluate", heads, probe, "--out", output, "--bootstrap", "50");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("hospital_mortality", stdout, StringComparison.Ordinal);
        Assert.Contains("probe", stdout, StringComparison.Ordinal);
        foreach (var file in new[] { "summary.md", "summary.html", "metrics.json", Path.Combine("plots", "hospital_mortality-roc.png") })
            Assert.True(File.Exists(Path.Combine(output, file)), file);
    }

    [Fact]
    public async Task Evaluate_TaskWithNoPositives_WarnsAndReportsUndefined()
    {
        using var temp = new TempDirectory();
        var file = Write(temp, "p.parquet", [.. Predictions("icu_mortality", "heads", noise: 0.2).Select(p => p with { Label = false })]);
        var output = temp.File("report");

        var (exitCode, _, stderr) = await CliRun.RunAsync("evaluate", file, "--out", output, "--bootstrap", "20");

        Assert.Equal(0, exitCode);
        Assert.Contains("warning: icu_mortality:", stderr, StringComparison.Ordinal);
        Assert.Contains("no positive labels", stderr, StringComparison.Ordinal);
        Assert.Contains(EvaluationIssueCodes.OneClass, stderr, StringComparison.Ordinal);
        Assert.Contains("undefined (no positive labels)", File.ReadAllText(Path.Combine(output, "summary.md")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_OneClassTaskWithOnlyFewShotRuns_Warns()
    {
        using var temp = new TempDirectory();
        var negatives = Predictions("icu_mortality", "probe", noise: 0.2).Select(p => p with { Label = false, KShot = 4, Replicate = 0 });
        var file = Write(temp, "p.parquet", [.. Predictions("hospital_mortality", "heads", noise: 0.2), .. negatives]);

        var (exitCode, _, stderr) = await CliRun.RunAsync("evaluate", file, "--out", temp.File("report"), "--bootstrap", "20");

        Assert.Equal(0, exitCode);
        Assert.Contains("warning: icu_mortality:", stderr, StringComparison.Ordinal);
        Assert.Contains(EvaluationIssueCodes.OneClass, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_RareOutcome_SaysHowManyReplicatesAnIntervalUsed_AndWarns()
    {
        using var temp = new TempDirectory();
        // Two positive patients of 60: about e^-2 of the replicates draw neither.
        var rare = Predictions("icu_mortality", "heads", noise: 0.2).Select(p => p with { Label = p.SubjectId is 1003 or 1040 }).ToArray();
        var file = Write(temp, "p.parquet", rare);

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("evaluate", file, "--out", temp.File("report"), "--bootstrap", "200");

        Assert.Equal(0, exitCode);
        Assert.Matches(@"\(1\d\d/200\)", stdout);
        Assert.Contains(EvaluationIssueCodes.FewPatients, stderr, StringComparison.Ordinal);
        Assert.Matches(@"\(1\d\d/200 replicates\)", File.ReadAllText(temp.File("report", "summary.md")));
    }

    [Fact]
    public async Task Evaluate_FilesWithDifferentLabels_FailNamingBothFiles()
    {
        using var temp = new TempDirectory();
        var heads = Write(temp, "heads.parquet", Predictions("icu_admission", "heads", noise: 0.2));
        var flipped = Predictions("icu_admission", "probe", noise: 0.2);
        flipped[3] = flipped[3] with { Label = !flipped[3].Label };
        var probe = Write(temp, "probe.parquet", flipped);

        var (exitCode, _, stderr) = await CliRun.RunAsync("evaluate", heads, probe, "--out", temp.File("report"));

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains(EvaluationIssueCodes.LabelConflict, stderr, StringComparison.Ordinal);
        Assert.Contains("heads.parquet", stderr, StringComparison.Ordinal);
        Assert.Contains("probe.parquet", stderr, StringComparison.Ordinal);
        Assert.Contains("hint:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_RolloutsOnASampleBesideHeadsOnEveryPoint_NeedCommonPointsAndThenWarn()
    {
        // CLI review s10: 'predict --limit' rollouts could not be evaluated beside the heads, and the hint blamed the splits.
        using var temp = new TempDirectory();
        var heads = Write(temp, "heads.parquet", Predictions("hospital_mortality", "heads", noise: 0.2));
        var rollouts = Write(temp, "rollouts.parquet", [.. Predictions("hospital_mortality", "rollouts", noise: 0.3).Where((_, i) => i % 2 == 0)]);

        var refused = await CliRun.RunAsync("evaluate", heads, rollouts, "--out", temp.File("refused"), "--bootstrap", "20");
        var (exitCode, _, stderr) = await CliRun.RunAsync("evaluate", heads, rollouts, "--out", temp.File("report"), "--bootstrap", "20", "--common-points");

        Assert.Equal(ExitCodes.Failure, refused.ExitCode);
        Assert.Contains("--common-points", refused.Error, StringComparison.Ordinal);
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("60 prediction point(s) that not every run predicted were left out", stderr, StringComparison.Ordinal);
        Assert.Contains(EvaluationIssueCodes.LeftOutPoints, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_WithAReference_PrintsAndWritesThePairedDifferences()
    {
        using var temp = new TempDirectory();
        var heads = Write(temp, "heads.parquet", Predictions("hospital_mortality", "heads", noise: 0.2));
        var probe = Write(temp, "probe.parquet", Predictions("hospital_mortality", "probe", noise: 0.6));
        var output = temp.File("report");

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("evaluate", heads, probe, "--out", output, "--bootstrap", "50", "--reference", "heads");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("hospital_mortality: probe vs heads: AUROC difference \u2212", stdout, StringComparison.Ordinal);
        Assert.Contains("| probe | heads |", File.ReadAllText(Path.Combine(output, "summary.md")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_ReferenceNoInputHolds_IsAUsageErrorListingTheMethods()
    {
        using var temp = new TempDirectory();
        var heads = Write(temp, "heads.parquet", Predictions("hospital_mortality", "heads", noise: 0.2));

        var (exitCode, _, stderr) = await CliRun.RunAsync("evaluate", heads, "--out", temp.File("report"), "--reference", "oracle");

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("--reference oracle", stderr, StringComparison.Ordinal);
        Assert.Contains("(methods: heads)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_ReferenceWithOnlyKShotRuns_IsAUsageError_NotASilentReportWithoutComparisons()
    {
        // Review s16-eval #8: the check counted k-shot runs, so the report came out with no comparison and no message.
        using var temp = new TempDirectory();
        var heads = Write(temp, "heads.parquet", Predictions("hospital_mortality", "heads", noise: 0.2));
        var probe = Write(temp, "probe.parquet", [.. Predictions("hospital_mortality", "probe", noise: 0.2).Select(p => p with { KShot = 4, Replicate = 0 })]);

        var (exitCode, _, stderr) = await CliRun.RunAsync("evaluate", heads, probe, "--out", temp.File("report"), "--reference", "probe");

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("all-data predictions of method 'probe'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_MissingFile_IsAUsageError()
    {
        using var temp = new TempDirectory();

        var (exitCode, _, stderr) = await CliRun.RunAsync("evaluate", temp.File("nope.parquet"), "--out", temp.File("report"));

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("nope.parquet", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_IntoAnExistingReport_IsAUsageError()
    {
        using var temp = new TempDirectory();
        var file = Write(temp, "p.parquet", Predictions("hospital_mortality", "heads", noise: 0.3));
        var output = temp.File("report");
        Assert.Equal(0, (await CliRun.RunAsync("evaluate", file, "--out", output, "--bootstrap", "20")).ExitCode);

        var (exitCode, _, stderr) = await CliRun.RunAsync("evaluate", file, "--out", output);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("already holds a report", stderr, StringComparison.Ordinal);
    }

    /// <summary>60 patients with two stays each; labels fixed by the patient, probabilities the label plus noise.</summary>
    private static Prediction[] Predictions(string task, string method, double noise)
    {
        var random = new Random(42);
        var labels = new Random(7);
        return
        [
            .. Enumerable.Range(0, 120).Select(i =>
            {
                var label = labels.NextDouble() < 0.3;
                var p = Math.Clamp((label ? 0.7 : 0.3) + (random.NextDouble() - 0.5) * 2 * noise, 0, 1);
                return new Prediction(1000 + i / 2, Start.AddDays(i), task, method, p, label);
            }),
        ];
    }

    private static string Write(TempDirectory temp, string name, IReadOnlyList<Prediction> rows)
    {
        var path = temp.File(name);
        PredictionsFile.Write(path, rows);
        return path;
    }
}
