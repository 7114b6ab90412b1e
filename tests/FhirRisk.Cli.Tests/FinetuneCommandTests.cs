using FhirRisk.Cli.Commands;
using FhirRisk.Meds;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Evaluation;
using FhirRisk.Training.Finetuning;

namespace FhirRisk.Cli.Tests;

/// <summary><c>fhirrisk finetune</c> on the sample MEDS dataset: labels and token shards from the CLI, and a small
/// random GPT standing in for a pretrained model.</summary>
public sealed class FinetuneCommandTests
{
    private static string Sample => RepositoryPaths.Combine("samples", "meds-demo");

    [Theory]
    [InlineData("--tokens")]
    [InlineData("--meds")]
    public async Task Finetune_WritesAModelDirectoryWithCalibratedHeadsAndReportsTuningAuroc(string source)
    {
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await Prepare(temp);
        var output = temp.File("finetuned");

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("finetune", "--model", model, source, source == "--tokens" ? tokens : Sample,
            "--labels", labels, "--tasks", "icu_admission,composite", "--out", output, "--steps", "12", "--batch", "4", "--warmup", "2", "--threads", "1");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("tuning AUROC", stdout, StringComparison.Ordinal);
        Assert.Contains("icu_admission", stdout, StringComparison.Ordinal);
        var heads = TaskHeads.Load(output);
        Assert.Equal(["icu_admission", "composite"], heads.Tasks);
        Assert.Equal(heads.ModelVocabularySize, GptCheckpoint.Load(output).Config.VocabSize);
        Assert.True(File.Exists(Path.Combine(output, "tokenizer.json")));
    }

    [Fact]
    public async Task Finetune_AWarmupLongerThanTheRun_IsRefusedNotShortened()
    {
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await Prepare(temp);

        var refused = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", labels,
            "--out", temp.File("a"), "--steps", "12", "--warmup", "50", "--threads", "1");

        Assert.Equal(ExitCodes.UsageError, refused.ExitCode);
        Assert.Contains("error: --warmup must lie in [0, --steps]", refused.Error, StringComparison.Ordinal); // the options typed
        Assert.False(Directory.Exists(temp.File("a")) && Directory.EnumerateFileSystemEntries(temp.File("a")).Any());
    }

    [Fact]
    public async Task Finetune_InterruptedBeforeItsFirstStep_SavesNothingAndExits130()
    {
        // Heads that took no step answer the tuning base rate for everyone; they were saved, calibrated, with an
        // in-sample ECE of 0.000, and the service would have served them.
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await Prepare(temp);
        var output = temp.File("finetuned");
        using var output_ = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await FhirRiskCommandLine.RunAsync(["finetune", "--model", model, "--tokens", tokens, "--labels", labels,
            "--out", output, "--steps", "12", "--batch", "4", "--threads", "1"], output_, error, new CancellationToken(canceled: true));

        Assert.Equal(130, exitCode);
        Assert.Contains("interrupted before the first finetuning step: nothing was saved", error.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, "heads.json")));
    }

    [Fact]
    public async Task Finetune_HistoryCodesAndTheLanguageModelLoss_AreSavedWithTheHeadsAndPredictPromptsWithThem()
    {
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await Prepare(temp, WriteReadmissions(temp.File("meds")));
        var (output, predictions) = (temp.File("finetuned"), temp.File("predictions"));

        var finetune = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", labels,
            "--history-codes", "4", "--lm-loss", "--out", output, "--steps", "6", "--batch", "4", "--warmup", "1", "--threads", "1");
        var predict = await CliRun.RunAsync("predict", "--method", "heads", "--model", output, "--tokens", tokens, "--labels", labels,
            "--task", "all", "--split", "all", "--threads", "1", "--out", predictions);

        Assert.True(finetune.ExitCode == 0, finetune.Error);
        Assert.True(predict.ExitCode == 0, predict.Error);
        Assert.Contains("each context ends with up to 4 diagnosis categories", string.Join(' ', finetune.Output.Split((char[])['\n', '\r', ' '], StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        Assert.Contains("next-token loss", finetune.Output, StringComparison.Ordinal);
        var heads = TaskHeads.Load(output);
        Assert.Equal(4, heads.HistoryCodes);
        var rows = PredictionsFile.Read(Path.Combine(predictions, PredictCommand.HeadsFile));
        var (tokenizer, finetuned) = (TimelineTokenizer.Load(output), GptCheckpoint.Load(output));
        IReadOnlyList<Prediction> Direct(int historyCodes) => HeadPredictor.Predict(finetuned, heads,
            FinetuningDataset.LoadForScoring(tokenizer, tokens, labels, heads.Tasks, heads.Tasks, finetuned.Config.ContextLength, null, historyCodes).Points, 16);
        var (withBlock, withoutBlock) = (Direct(4), Direct(0));
        Assert.Equal(withBlock.Count, rows.Count);
        Assert.All(rows.Zip(withBlock), pair => Assert.Equal(pair.Second.Probability, pair.First.Probability, 6));
        Assert.Contains(rows.Zip(withoutBlock), pair => Math.Abs(pair.First.Probability - pair.Second.Probability) > 1e-6);
    }

    [Fact]
    public async Task Finetune_RecordsTheTaskParametersTheLabelsWereMadeWith_AndLabelsKeepsOneSetPerFolder()
    {
        // Heads trained on 4-day prolonged stays must be served as 4-day prolonged stays (review: the threshold was not
        // recorded with the model, so the service answered them as 10-day ones).
        using var temp = new TempDirectory();
        var (model, _, tokens) = await Prepare(temp);
        var (weekly, output) = (temp.File("weekly-labels"), temp.File("finetuned"));
        var labels = await CliRun.RunAsync("labels", Sample, "--task", "prolonged_los", "--prolonged-stay-days", "4", "--out", weekly);
        Assert.True(labels.ExitCode == 0, labels.Error);
        Assert.Equal(TimeSpan.FromDays(4), Meds.Tasks.TaskParametersFile.Read(weekly)!.ProlongedStay);

        // A second task into the same folder with another threshold is refused; with the same one it is labelled.
        var mixed = await CliRun.RunAsync("labels", Sample, "--task", "composite", "--out", weekly);
        Assert.Equal(ExitCodes.UsageError, mixed.ExitCode);
        Assert.Contains("prolonged_stay_days 4 → 10", mixed.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(weekly, "labels", "composite")));
        Assert.Equal(0, (await CliRun.RunAsync("labels", Sample, "--task", "composite", "--prolonged-stay-days", "4", "--out", weekly)).ExitCode);

        var finetune = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", weekly, "--tasks", "composite",
            "--out", output, "--steps", "4", "--batch", "4", "--warmup", "1", "--threads", "1");

        Assert.True(finetune.ExitCode == 0, finetune.Error);
        using var record = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, FinetuningRunStatus.FileName)));
        Assert.Equal(4, record.RootElement.GetProperty("task_parameters").GetProperty("prolonged_stay_days").GetDouble());
        using (var session = Inference.InferenceSession.Open(output, new Inference.InferenceOptions { Threads = 1 }))
            Assert.Equal(TimeSpan.FromDays(4), session.TaskParameters.ProlongedStay);

        // The labels' task root (<out>/labels) finds the same file (review s20 M1); --prolonged-stay-days may not contradict it.
        var fromRoot = temp.File("from-root");
        var viaRoot = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", Path.Combine(weekly, "labels"), "--tasks", "composite",
            "--out", fromRoot, "--steps", "2", "--batch", "4", "--warmup", "1", "--threads", "1");
        Assert.True(viaRoot.ExitCode == 0, viaRoot.Error);
        Assert.DoesNotContain("task_parameters.json", viaRoot.Error, StringComparison.Ordinal);
        using (var session = Inference.InferenceSession.Open(fromRoot, new Inference.InferenceOptions { Threads = 1 }))
            Assert.Equal(TimeSpan.FromDays(4), session.TaskParameters.ProlongedStay);
        var contradicted = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", weekly, "--tasks", "composite",
            "--prolonged-stay-days", "10", "--out", temp.File("contradicted"), "--steps", "2", "--batch", "4", "--warmup", "1", "--threads", "1");
        Assert.Equal(ExitCodes.UsageError, contradicted.ExitCode);
        Assert.Contains("prolonged_stay_days 4 → 10", contradicted.Error, StringComparison.Ordinal);

        // Labels without the file (an older labels run, another tool): a warning, or --prolonged-stay-days, recorded.
        var bare = temp.File("bare-labels");
        Assert.Equal(0, (await CliRun.RunAsync("labels", Sample, "--task", "composite", "--prolonged-stay-days", "4", "--out", bare)).ExitCode);
        File.Delete(Path.Combine(bare, Meds.Tasks.TaskParametersFile.FileName));
        var warned = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", bare, "--tasks", "composite",
            "--out", temp.File("warned"), "--steps", "2", "--batch", "4", "--warmup", "1", "--threads", "1");
        Assert.True(warned.ExitCode == 0, warned.Error);
        Assert.Contains("has no task_parameters.json", warned.Error, StringComparison.Ordinal);
        var told = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", bare, "--tasks", "composite",
            "--prolonged-stay-days", "4", "--out", temp.File("told"), "--steps", "2", "--batch", "4", "--warmup", "1", "--threads", "1");
        Assert.True(told.ExitCode == 0, told.Error);
        Assert.DoesNotContain("task_parameters.json", told.Error, StringComparison.Ordinal);
        using (var session = Inference.InferenceSession.Open(temp.File("told"), new Inference.InferenceOptions { Threads = 1 }))
            Assert.Equal(TimeSpan.FromDays(4), session.TaskParameters.ProlongedStay);

        // labels refuses to add to a folder that holds labels without the file; predict refuses heads of other labels.
        var added = await CliRun.RunAsync("labels", Sample, "--task", "icu_admission", "--out", bare);
        Assert.Equal(ExitCodes.UsageError, added.ExitCode);
        Assert.Contains("without a record of the task parameters", added.Error, StringComparison.Ordinal);
        var tenDay = temp.File("ten-day-labels");
        Assert.Equal(0, (await CliRun.RunAsync("labels", Sample, "--task", "composite", "--out", tenDay)).ExitCode);
        var predict = await CliRun.RunAsync("predict", "--method", "heads", "--model", output, "--tokens", tokens, "--labels", tenDay,
            "--task", "composite", "--split", "all", "--threads", "1", "--out", temp.File("predictions"));
        Assert.NotEqual(0, predict.ExitCode);
        Assert.Contains("prolonged_stay_days 4 → 10", predict.Error, StringComparison.Ordinal);
        // Labels without the file: scored with the model's definitions, and said so.
        var unrecorded = await CliRun.RunAsync("predict", "--method", "heads", "--model", temp.File("told"), "--tokens", tokens, "--labels", bare,
            "--task", "composite", "--split", "all", "--threads", "1", "--out", temp.File("predictions-bare"));
        Assert.True(unrecorded.ExitCode == 0, unrecorded.Error);
        Assert.Contains("a prolonged stay of 4 days", unrecorded.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finetune_AllTasks_SkipsTasksWithoutBothClassesAndSaysSo()
    {
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await Prepare(temp);

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", labels,
            "--out", temp.File("finetuned"), "--steps", "4", "--batch", "4", "--warmup", "0", "--freeze", "--threads", "1");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("skipped prolonged_los", stdout, StringComparison.Ordinal);
        Assert.Contains("heads only (frozen backbone)", stdout, StringComparison.Ordinal);
        // The sample's tuning split holds two admissions, neither a death: the mortality head cannot be calibrated, and says so.
        Assert.Contains("warning: hospital_mortality: the tuning split has 2 label(s), 0 positive; a calibration needs 5 of each class, so its head is not calibrated", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finetune_BadInput_NamesTheProblemAndTheFix()
    {
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await Prepare(temp);

        var both = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--meds", Sample, "--labels", labels, "--out", temp.File("a"));
        Assert.Equal(ExitCodes.UsageError, both.ExitCode);
        Assert.Contains("exactly one of --tokens and --meds", both.Error, StringComparison.Ordinal);

        var singleClass = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", labels, "--tasks", "prolonged_los", "--out", temp.File("b"));
        Assert.Equal(ExitCodes.Failure, singleClass.ExitCode);
        Assert.Contains("hint: leave the task out of --tasks", singleClass.Error, StringComparison.Ordinal);

        // A training run's checkpoint folder is not a model directory: the error names the run's model directory.
        var checkpoint = Path.Combine(model, "checkpoints", "last");
        Directory.CreateDirectory(checkpoint);
        File.Copy(Path.Combine(model, "model.safetensors"), Path.Combine(checkpoint, "optimizer.safetensors"));
        var fromCheckpoint = await CliRun.RunAsync("finetune", "--model", checkpoint, "--tokens", tokens, "--labels", labels, "--out", temp.File("c"));
        Assert.Equal(ExitCodes.Failure, fromCheckpoint.ExitCode);
        Assert.Contains("[FT007]", fromCheckpoint.Error, StringComparison.Ordinal);
        Assert.Contains($"hint: pass the run's model directory: --model {model}.", fromCheckpoint.Error, StringComparison.Ordinal);
        Directory.Delete(Path.Combine(model, "checkpoints"), recursive: true);

        var occupied = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", labels, "--out", model);
        Assert.Equal(ExitCodes.UsageError, occupied.ExitCode);
        Assert.Contains("choose a new --out", occupied.Error, StringComparison.Ordinal);

        // A bad setting is refused before anything is loaded or checked (here: before the occupied --out).
        var history = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", labels, "--history-codes", "65", "--out", model);
        Assert.Equal(ExitCodes.UsageError, history.ExitCode);
        Assert.Contains("error: --history-codes must lie in [0, 64]", history.Error, StringComparison.Ordinal);
        var dropout = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", labels, "--dropout", "1.5", "--out", model);
        Assert.Equal(ExitCodes.UsageError, dropout.ExitCode);
        Assert.Contains("error: --dropout must lie in [0, 1)", dropout.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("choose a new --out", dropout.Error, StringComparison.Ordinal);
        var frozen = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", labels, "--freeze", "--lm-loss", "--out", model);
        Assert.Equal(ExitCodes.UsageError, frozen.ExitCode);
        // Options as the user typed them, not the library's property names (review s22 trainer L1).
        Assert.Contains("error: --lm-loss trains the backbone, which --freeze keeps fixed", frozen.Error, StringComparison.Ordinal);
        var headRate = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", labels, "--head-lr", "20", "--out", model);
        Assert.Equal(ExitCodes.UsageError, headRate.ExitCode);
        Assert.Contains("error: --head-lr must lie in (0, 10)", headRate.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("FinetuningSettings", headRate.Error, StringComparison.Ordinal);
    }

    /// <summary>Labels, a tokenizer and token shards of the sample (or of <paramref name="meds"/>), and a random 1-layer GPT
    /// saved beside the tokenizer.</summary>
    [Fact]
    public async Task Finetune_MedsOfOtherData_IsRefusedAsTokenizeRefusesIt()
    {
        // CLI review s10 #3: a model's tokenizer applied to other data (90 % unknown codes) was finetuned without a word.
        using var temp = new TempDirectory();
        var (model, labels, _) = await Prepare(temp, WriteReadmissions(temp.File("meds")));
        var foreign = temp.File("foreign");
        using (var writer = new MedsDatasetWriter(foreign))
        {
            for (var id = 1L; id <= 6; id++)
            {
                var at = new DateTime(2021, 5, 1, 8, 0, 0, DateTimeKind.Utc).AddDays(id);
                writer.WriteSubject(id, [new(id, at, "LAB//50912//mg/dL", 1f), new(id, at.AddHours(1), "MEDICATION//START//1234"), new(id, at.AddHours(2), "LAB//51221//%", 30f)],
                    id <= 4 ? MedsSchema.TrainSplit : MedsSchema.TuningSplit);
            }
            writer.Complete();
        }

        var (exitCode, _, stderr) = await CliRun.RunAsync("finetune", "--model", model, "--meds", foreign, "--labels", labels, "--out", temp.File("out"),
            "--steps", "2", "--batch", "2", "--warmup", "1", "--threads", "1");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("TOK001", stderr, StringComparison.Ordinal);
        Assert.Contains("--allow-unknown-codes", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    private static async Task<(string Model, string Labels, string Tokens)> Prepare(TempDirectory temp, string? meds = null)
    {
        meds ??= Sample;
        var (model, labels, tokens) = (temp.File("model"), temp.File("labels"), temp.File("tokens"));
        Assert.Equal(0, (await CliRun.RunAsync("labels", meds, "--task", "all", "--out", labels)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", "fit", meds, "--out", model, "--min-count", "1", "--min-subjects", "1")).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", meds, "--tokenizer", model, "--out", tokens)).ExitCode);
        var vocabulary = TimelineTokenizer.Load(model).Vocabulary.Count;
        GptCheckpoint.Save(model, GptParameters.Initialize(new GptConfig(vocabulary, 1, 2, 16, 32), seed: 1));
        return (model, labels, tokens);
    }

    /// <summary>
    /// Sixteen patients with two stays each, the first charting a diagnosis, so the second stay's prediction points have a
    /// diagnosis in their history (the sample's single stays chart theirs after their points). Every third patient dies in
    /// the second stay; the last four are the tuning split.
    /// </summary>
    private static string WriteReadmissions(string root)
    {
        var start = new DateTime(2020, 3, 1, 8, 0, 0, DateTimeKind.Utc);
        string[] diagnoses = ["ICD10CM//I50.9", "ICD10CM//J44.1", "ICD10CM//N18.3", "ICD10CM//E11.9"];
        using (var writer = new MedsDatasetWriter(root))
        {
            for (var id = 1L; id <= 16; id++)
            {
                var first = start.AddDays(id);
                var second = first.AddDays(40 + id);
                var dies = id % 3 == 0;
                MedsEvent[] events =
                [
                    new(id, null, id % 2 == 0 ? "GENDER//F" : "GENDER//M"),
                    new(id, first.AddYears(-50 - (int)id), MedsSchema.BirthCode),
                    new(id, first, "HOSPITAL_ADMISSION//EMER"),
                    new(id, first.AddHours(2), "LOINC//2160-0//mg/dL", 1f + id / 10f),
                    new(id, first.AddHours(20), diagnoses[id % diagnoses.Length]),
                    new(id, first.AddDays(3), "HOSPITAL_DISCHARGE//HOME"),
                    new(id, second, "HOSPITAL_ADMISSION//EMER"),
                    new(id, second.AddHours(1), "LOINC//2160-0//mg/dL", 2f + id / 10f),
                    new(id, second.AddDays(2), dies ? "HOSPITAL_DISCHARGE//DIED" : "HOSPITAL_DISCHARGE//HOME"),
                    .. dies ? [new MedsEvent(id, second.AddDays(2), "MEDS_DEATH")] : Array.Empty<MedsEvent>(),
                ];
                writer.WriteSubject(id, events, id <= 12 ? MedsSchema.TrainSplit : MedsSchema.TuningSplit);
            }
            writer.Complete();
        }
        return root;
    }
}
