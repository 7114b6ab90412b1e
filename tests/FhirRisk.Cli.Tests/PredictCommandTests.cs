using FhirRisk.Inference.Rollouts;
using FhirRisk.Cli.Commands;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Cli.Tests;

/// <summary><c>fhirrisk predict --method rollouts</c> on the sample MEDS dataset with a random 1-layer GPT: the predictions
/// file it writes is one <c>fhirrisk evaluate</c> reads, and its risks do not depend on how many points share the steps.
/// <c>--method heads</c> with the committed demo model: every labelled point of every task of the chosen splits is scored.</summary>
public sealed class PredictCommandTests
{
    private static string Sample => RepositoryPaths.Combine("samples", "meds-demo");

    private static string DemoModel => RepositoryPaths.Combine("models", "demo");

    [Fact]
    public async Task Predict_Rollouts_WritesPredictionsThatEvaluateReads_AndDoNotDependOnConcurrency()
    {
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await Prepare(temp);
        string[] Args(string output, string concurrent) =>
            ["predict", "--method", "rollouts", "--model", model, "--tokens", tokens, "--labels", labels, "--task", "hospital_mortality",
             "--split", "train", "--rollouts", "3", "--max-tokens", "48", "--concurrent", concurrent, "--threads", "1", "--out", output];

        var (exitCode, stdout, stderr) = await CliRun.RunAsync(Args(temp.File("a"), "4"));
        var again = await CliRun.RunAsync(Args(temp.File("b"), "1"));

        Assert.True(exitCode == 0, stderr);
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Contains("rollouts", stdout, StringComparison.Ordinal);
        var rows = PredictionsFile.Read(Path.Combine(temp.File("a"), PredictCommand.RolloutsFile));
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.Equal(("hospital_mortality", "rollouts"), (r.Task, r.Method)));
        Assert.All(rows, r => Assert.InRange(r.Probability, 0, 1));
        Assert.Equal(rows, PredictionsFile.Read(Path.Combine(temp.File("b"), PredictCommand.RolloutsFile)));
        // The same rollouts' hazard estimate, on the same points.
        var hazards = PredictionsFile.Read(Path.Combine(temp.File("a"), PredictCommand.HazardFile));
        Assert.Equal(rows.Select(r => (r.SubjectId, r.PredictionTime, r.Label)), hazards.Select(r => (r.SubjectId, r.PredictionTime, r.Label)));
        Assert.All(hazards, r => Assert.Equal(PredictCommand.HazardMethod, r.Method));
        Assert.All(hazards, r => Assert.InRange(r.Probability, 0, 1));

        var report = temp.File("report");
        var evaluated = await CliRun.RunAsync("evaluate", Path.Combine(temp.File("a"), PredictCommand.RolloutsFile), Path.Combine(temp.File("a"), PredictCommand.HazardFile),
            "--out", report, "--bootstrap", "20");
        Assert.True(evaluated.ExitCode == 0, evaluated.Error);
        Assert.True(File.Exists(Path.Combine(report, "metrics.json")));
    }

    [Fact]
    public async Task Predict_Adaptive_SaysHowItsCountsAreDecided_AndAPilotChangesWhichRolloutsAnswer()
    {
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await Prepare(temp);
        async Task<(string Stdout, IReadOnlyList<Prediction> Rows)> Run(string output, string pilot)
        {
            var (exitCode, stdout, stderr) = await CliRun.RunAsync("predict", "--method", "rollouts", "--model", model, "--tokens", tokens,
                "--labels", labels, "--split", "train", "--limit", "4", "--rollouts", "3", "--adaptive", "--pilot", pilot, "--max-tokens", "48",
                "--threads", "1", "--out", temp.File(output));
            Assert.True(exitCode == 0, stderr);
            return (stdout, PredictionsFile.Read(Path.Combine(temp.File(output), PredictCommand.HazardFile)));
        }

        var piloted = await Run("piloted", "2");
        var sequential = await Run("sequential", "0");

        Assert.Contains("adaptive 3–100 (pilot 2) rollouts each", piloted.Stdout, StringComparison.Ordinal);
        Assert.Contains("adaptive 3–100 (sequential) rollouts each", sequential.Stdout, StringComparison.Ordinal);
        Assert.Equal(piloted.Rows.Select(r => (r.SubjectId, r.PredictionTime)), sequential.Rows.Select(r => (r.SubjectId, r.PredictionTime)));
        Assert.NotEqual(piloted.Rows.Select(r => r.Probability), sequential.Rows.Select(r => r.Probability)); // other rollouts answer
        // Both rollout files record how their counts were decided, for 'calibrate-rollouts'.
        foreach (var (output, counts) in new[] { ("piloted", new RolloutCounts(3, 100, 2)), ("sequential", new RolloutCounts(3, 100, 0)) })
        {
            foreach (var file in new[] { PredictCommand.RolloutsFile, PredictCommand.HazardFile })
                Assert.Equal(new PredictedRollouts(3, 100, counts.Pilot, 0.05, 1f, 0, 1f, 48, 42) { Split = "train", ProlongedStayDays = 10 }, PredictedRollouts.Read(Path.Combine(temp.File(output), file)));
        }
        var refused = await CliRun.RunAsync("predict", "--method", "rollouts", "--model", model, "--tokens", tokens, "--labels", labels,
            "--adaptive", "--pilot", "-1", "--out", temp.File("refused"));
        Assert.Equal(ExitCodes.UsageError, refused.ExitCode);
        Assert.Contains("--pilot", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_HeadsAllTasksAllSplits_ScoresEveryLabelledPoint_AndOneSplitOnlyItsSubjects()
    {
        using var temp = new TempDirectory();
        var (labels, tokens) = (temp.File("labels"), temp.File("tokens"));
        Assert.Equal(0, (await CliRun.RunAsync("labels", Sample, "--task", "all", "--out", labels)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", Sample, "--tokenizer", DemoModel, "--out", tokens)).ExitCode);
        string[] Args(string split, string output) =>
            ["predict", "--method", "heads", "--model", DemoModel, "--tokens", tokens, "--labels", labels, "--task", "all", "--split", split,
             "--threads", "1", "--out", output];

        var (exitCode, stdout, stderr) = await CliRun.RunAsync(Args("all", temp.File("all")));
        var train = await CliRun.RunAsync(Args("train", temp.File("train")));

        Assert.True(exitCode == 0, stderr);
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.Contains("predictions:", stdout, StringComparison.Ordinal);
        var rows = PredictionsFile.Read(Path.Combine(temp.File("all"), PredictCommand.HeadsFile));
        var tasks = TaskHeads.Load(DemoModel).Tasks;
        HeadsPredictionChecks.AssertEveryLabelledPointScored(tokens, labels, tasks, rows);
        var trainRows = PredictionsFile.Read(Path.Combine(temp.File("train"), PredictCommand.HeadsFile));
        Assert.InRange(trainRows.Count, 1, rows.Count - 1);
        var all = rows.ToDictionary(r => (r.Task, r.SubjectId, r.PredictionTime));
        Assert.All(trainRows, r => Assert.Equal(all[(r.Task, r.SubjectId, r.PredictionTime)].Probability, r.Probability, 6));
    }

    [Fact]
    public async Task Predict_HeadsOfAFinetuningStoppedEarly_WarnsButScores()
    {
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await HeadsOnlyCopy(temp, "stopped");
        var record = Path.Combine(model, "finetuning.json");
        File.WriteAllText(record, File.ReadAllText(record).Replace("\"cancelled\": false", "\"cancelled\": true", StringComparison.Ordinal));

        var (exitCode, _, stderr) = await CliRun.RunAsync("predict", "--method", "heads", "--model", model, "--tokens", tokens, "--labels", labels,
            "--task", "all", "--split", "train", "--threads", "1", "--out", temp.File("out"));

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("warning:", stderr, StringComparison.Ordinal);
        Assert.Contains("stopped early", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_RolloutsOnHeadsWithoutAPretrainedBackbone_Warn_AndDamagedWeightsFailAtLoadLeavingNoOut()
    {
        // CLI review s10 #11 and #1: rollouts silently sampled from the heads' backbone; NaN weights crashed with a stack
        // trace deep in a rollout and left an empty --out that made the rerun fail.
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await HeadsOnlyCopy(temp, "heads-only");
        string[] Args(string method, string output) =>
            ["predict", "--method", method, "--model", model, "--tokens", tokens, "--labels", labels, "--split", "all", "--threads", "1", "--out", output,
             .. method == "rollouts" ? new[] { "--rollouts", "2", "--max-tokens", "16", "--limit", "2" } : ["--task", "all"]];

        var rollouts = await CliRun.RunAsync(Args("rollouts", temp.File("r")));
        Assert.True(rollouts.ExitCode == 0, rollouts.Error);
        Assert.Contains("no pretrained/ backbone", rollouts.Error, StringComparison.Ordinal);

        PoisonFirstTensor(Path.Combine(model, "model.safetensors"));
        var damaged = await CliRun.RunAsync(Args("heads", temp.File("h")));
        Assert.Equal(ExitCodes.Failure, damaged.ExitCode);
        Assert.Contains("IN004", damaged.Error, StringComparison.Ordinal);
        Assert.Contains("NaN or infinite", damaged.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", damaged.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File("h")));
    }

    /// <summary>A copy of the demo model's top folder (the heads, without <c>pretrained/</c>), and the sample's labels and
    /// tokens.</summary>
    private static async Task<(string Model, string Labels, string Tokens)> HeadsOnlyCopy(TempDirectory temp, string name)
    {
        var model = temp.File(name);
        Directory.CreateDirectory(model);
        foreach (var file in Directory.EnumerateFiles(DemoModel))
            File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        var (labels, tokens) = (temp.File("labels"), temp.File("tokens"));
        Assert.Equal(0, (await CliRun.RunAsync("labels", Sample, "--task", "all", "--out", labels)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", Sample, "--tokenizer", model, "--out", tokens)).ExitCode);
        return (model, labels, tokens);
    }

    /// <summary>Overwrites the first 4 floats of the first tensor of a safetensors file with NaN.</summary>
    private static void PoisonFirstTensor(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        using var header = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var first = header.RootElement.EnumerateObject().First(p => p.Name != "__metadata__");
        var start = 8 + headerLength + first.Value.GetProperty("data_offsets")[0].GetInt32();
        for (var i = 0; i < 4; i++)
            BitConverter.TryWriteBytes(bytes.AsSpan(start + (4 * i), 4), float.NaN);
        File.WriteAllBytes(path, bytes);
    }

    [Theory]
    [InlineData("--task", "no_such_task")]
    [InlineData("--limit", "5")]
    public async Task Predict_HeadsWithAnUnknownTaskOrALimit_IsAUsageError(string option, string value)
    {
        using var temp = new TempDirectory();
        var (exitCode, _, stderr) = await CliRun.RunAsync("predict", "--method", "heads", "--model", DemoModel, "--tokens", temp.Path,
            "--labels", temp.Path, option, value, "--out", temp.File("out"));

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("hint:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_AskedBeforeThePoints_AsksReadmissionInsideTheStayAndSaysSo()
    {
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await Prepare(temp);
        string[] Args(string output, params string[] extra) =>
            ["predict", "--method", "rollouts", "--model", model, "--tokens", tokens, "--labels", labels, "--task", "readmission_30d", "--split", "train",
             "--rollouts", "3", "--max-tokens", "64", "--threads", "1", "--out", output, .. extra];

        var inside = await CliRun.RunAsync(Args(temp.File("inside"), "--asked-before-hours", "1"));
        var negative = await CliRun.RunAsync(Args(temp.File("negative"), "--asked-before-hours", "-1"));
        var heads = await CliRun.RunAsync("predict", "--method", "heads", "--model", model, "--tokens", tokens, "--labels", labels, "--asked-before-hours", "1", "--out", temp.File("heads"));

        Assert.True(inside.ExitCode == 0, inside.Error);
        // An hour before a live discharge the patient is in the stay: readmission waits for the stay's end.
        Assert.Matches(@"asked 1 h before each point: [1-9][0-9]* inside the stay whose end they wait for", inside.Output);
        var file = Path.Combine(temp.File("inside"), PredictCommand.RolloutsFile);
        Assert.Equal(1, PredictedRollouts.Read(file)!.AskedBeforeHours);
        var calibrated = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", file, "--estimator", "count");
        Assert.Equal(ExitCodes.UsageError, calibrated.ExitCode); // a map is for answers at the points
        Assert.Contains("asked 1 h before each point", calibrated.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, negative.ExitCode);
        Assert.Contains("--asked-before-hours must be 0 or more", negative.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, heads.ExitCode);
        Assert.Contains("--asked-before-hours", heads.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_RolloutsAtAnotherTemperature_SampleOtherFutures_AndANonPositiveOneIsAUsageError()
    {
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await Prepare(temp);
        string[] Args(string output, params string[] extra) =>
            ["predict", "--method", "rollouts", "--model", model, "--tokens", tokens, "--labels", labels, "--split", "train",
             "--rollouts", "4", "--max-tokens", "48", "--threads", "1", "--out", output, .. extra];

        var plain = await CliRun.RunAsync(Args(temp.File("plain")));
        var sharp = await CliRun.RunAsync(Args(temp.File("sharp"), "--temperature", "0.3"));
        var zero = await CliRun.RunAsync(Args(temp.File("zero"), "--temperature", "0"));
        // Below the floor a logit over the temperature overflows a float, and the NaN hazards failed every request sharing
        // the decode step (review s22 rollout L1).
        var tiny = await CliRun.RunAsync(Args(temp.File("tiny"), "--temperature", "1e-39"));

        Assert.True(plain.ExitCode == 0, plain.Error);
        Assert.True(sharp.ExitCode == 0, sharp.Error);
        var (a, b) = (PredictionsFile.Read(Path.Combine(temp.File("plain"), PredictCommand.HazardFile)),
            PredictionsFile.Read(Path.Combine(temp.File("sharp"), PredictCommand.HazardFile)));
        // A point whose four rollouts were all excluded (known at prediction, censored) has no row; compare the others.
        var sharpByPoint = b.ToDictionary(r => (r.SubjectId, r.PredictionTime), r => r.Probability);
        var both = a.Where(r => sharpByPoint.ContainsKey((r.SubjectId, r.PredictionTime))).ToArray();
        Assert.True(both.Length >= a.Count - 2 && both.Length > 5, $"{both.Length} of {a.Count} points in both runs");
        Assert.NotEqual(both.Select(r => r.Probability), both.Select(r => sharpByPoint[(r.SubjectId, r.PredictionTime)]));
        Assert.Equal(ExitCodes.UsageError, zero.ExitCode);
        Assert.Contains("--temperature must be at least 0.001", zero.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, tiny.ExitCode);
        Assert.Contains("--temperature must be at least 0.001", tiny.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File("tiny")));
    }

    [Fact]
    public async Task Predict_WithTheTruthOfAnotherCohort_FailsBeforeAnyRolloutAndKeepsTheHeadsItComputed()
    {
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await Prepare(temp);
        Assert.Equal(0, (await CliRun.RunAsync("simulate", "--patients", "20", "--seed", "3", "--out", temp.File("other"))).ExitCode);
        var truth = Path.Combine(temp.File("other"), "ground_truth.parquet");
        var demoTokens = temp.File("demo-tokens");
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", Sample, "--tokenizer", DemoModel, "--out", demoTokens)).ExitCode);

        var rollouts = await CliRun.RunAsync("predict", "--method", "rollouts", "--model", model, "--tokens", tokens, "--labels", labels,
            "--split", "train", "--rollouts", "2", "--max-tokens", "16", "--threads", "1", "--truth", truth, "--out", temp.File("rollouts"));
        var heads = await CliRun.RunAsync("predict", "--method", "heads", "--model", DemoModel, "--tokens", demoTokens, "--labels", labels,
            "--task", "all", "--split", "all", "--threads", "1", "--truth", truth, "--out", temp.File("heads"));

        Assert.Equal(ExitCodes.Failure, rollouts.ExitCode);
        Assert.Contains("has a row for none of the", rollouts.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("scored", rollouts.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(temp.File("rollouts"), PredictCommand.RolloutsFile)));
        Assert.Equal(ExitCodes.Failure, heads.ExitCode);
        Assert.Contains("has a row for none of the", heads.Error, StringComparison.Ordinal);
        Assert.NotEmpty(PredictionsFile.Read(Path.Combine(temp.File("heads"), PredictCommand.HeadsFile)));
        Assert.False(File.Exists(Path.Combine(temp.File("heads"), PredictCommand.OracleFile)));
    }

    [Fact]
    public async Task Predict_AFileThatIsNotATruthFileOrATaskThatDoesNotExistOrNoPoint_FailsWithAHintAndNoTrace()
    {
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await Prepare(temp);
        File.WriteAllText(temp.File("truth.parquet"), "not parquet");
        string[] Args(string output, params string[] extra) =>
            ["predict", "--method", "rollouts", "--model", model, "--tokens", tokens, "--labels", labels, "--split", "all",
             "--rollouts", "2", "--max-tokens", "16", "--threads", "1", "--out", output, .. extra];

        var notTruth = await CliRun.RunAsync(Args(temp.File("a"), "--truth", temp.File("truth.parquet")));
        var typo = await CliRun.RunAsync(Args(temp.File("b"), "--task", "hospital_mortalty"));
        var none = await CliRun.RunAsync(Args(temp.File("c"), "--task", "ed_reattendance_72h"));

        Assert.Equal(ExitCodes.Failure, notTruth.ExitCode);
        Assert.Contains("is not a simulator truth file", notTruth.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, typo.ExitCode);
        Assert.Contains("there is no task 'hospital_mortalty' to roll out", typo.Error, StringComparison.Ordinal);
        Assert.Contains("hospital_mortality", typo.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("model directory", typo.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failure, none.ExitCode);
        Assert.Contains("no labelled ed_reattendance_72h point", none.Error, StringComparison.Ordinal);
        foreach (var run in new[] { notTruth, typo, none })
            Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_Name_LetsEvaluateCompareTwoModelsOnTheSamePoints()
    {
        using var temp = new TempDirectory();
        var (labels, tokens) = (temp.File("labels"), temp.File("tokens"));
        Assert.Equal(0, (await CliRun.RunAsync("labels", Sample, "--task", "all", "--out", labels)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", Sample, "--tokenizer", DemoModel, "--out", tokens)).ExitCode);
        async Task<(int ExitCode, string Output, string Error)> Heads(string output, params string[] extra) => await CliRun.RunAsync(
            ["predict", "--method", "heads", "--model", DemoModel, "--tokens", tokens, "--labels", labels, "--task", "hospital_mortality",
             "--split", "all", "--threads", "1", "--out", output, .. extra]);

        var first = await Heads(temp.File("a"), "--name", "site_a");
        var second = await Heads(temp.File("b"), "--name", "site_b");
        var oracle = await Heads(temp.File("c"), "--name", "oracle_like");
        var evaluated = await CliRun.RunAsync("evaluate", Path.Combine(temp.File("a"), "site_a.predictions.parquet"), Path.Combine(temp.File("b"), "site_b.predictions.parquet"),
            "--reference", "site_a", "--bootstrap", "20", "--out", temp.File("report"));

        Assert.True(first.ExitCode == 0, first.Error);
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.All(PredictionsFile.Read(Path.Combine(temp.File("a"), "site_a.predictions.parquet")), r => Assert.Equal("site_a", r.Method));
        Assert.True(evaluated.ExitCode == 0, evaluated.Error);
        Assert.Contains("site_b vs site_a", evaluated.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, oracle.ExitCode);
    }

    [Fact]
    public async Task Predict_UnknownMethod_IsAUsageError()
    {
        using var temp = new TempDirectory();
        var (exitCode, _, stderr) = await CliRun.RunAsync("predict", "--method", "oracle", "--model", temp.Path, "--tokens", temp.Path,
            "--labels", temp.Path, "--out", temp.File("out"));

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("hint:", stderr, StringComparison.Ordinal);
    }

    /// <summary>Labels, a tokenizer and token shards of the sample, and a random 1-layer GPT saved beside the tokenizer.</summary>
    private static async Task<(string Model, string Labels, string Tokens)> Prepare(TempDirectory temp)
    {
        var (model, labels, tokens) = (temp.File("model"), temp.File("labels"), temp.File("tokens"));
        Assert.Equal(0, (await CliRun.RunAsync("labels", Sample, "--task", "all", "--out", labels)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", "fit", Sample, "--out", model, "--min-count", "1", "--min-subjects", "1")).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", Sample, "--tokenizer", model, "--out", tokens)).ExitCode);
        var vocabulary = TimelineTokenizer.Load(model).Vocabulary.Count;
        GptCheckpoint.Save(model, GptParameters.Initialize(new GptConfig(vocabulary, 1, 2, 16, 32), seed: 1));
        return (model, labels, tokens);
    }
}
