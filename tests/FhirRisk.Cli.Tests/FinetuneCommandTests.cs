using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;
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
    public async Task Finetune_AllTasks_SkipsTasksWithoutBothClassesAndSaysSo()
    {
        using var temp = new TempDirectory();
        var (model, labels, tokens) = await Prepare(temp);

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", labels,
            "--out", temp.File("finetuned"), "--steps", "4", "--batch", "4", "--warmup", "0", "--freeze", "--threads", "1");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("skipped prolonged_los", stdout, StringComparison.Ordinal);
        Assert.Contains("heads only (frozen backbone)", stdout, StringComparison.Ordinal);
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

        var occupied = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", labels, "--out", model);
        Assert.Equal(ExitCodes.UsageError, occupied.ExitCode);
        Assert.Contains("choose a new --out", occupied.Error, StringComparison.Ordinal);

        // A bad setting is refused before anything is loaded or checked (here: before the occupied --out).
        var dropout = await CliRun.RunAsync("finetune", "--model", model, "--tokens", tokens, "--labels", labels, "--dropout", "1.5", "--out", model);
        Assert.Equal(ExitCodes.UsageError, dropout.ExitCode);
        Assert.Contains("Dropout must lie in [0, 1)", dropout.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("choose a new --out", dropout.Error, StringComparison.Ordinal);
    }

    /// <summary>Labels, a tokenizer and token shards of the sample, and a random 1-layer GPT saved beside the tokenizer.</summary>
    private static async Task<(string Model, string Labels, string Tokens)> Prepare(TempDirectory temp)
    {
        var (model, labels, tokens) = (temp.File("model"), temp.File("labels"), temp.File("tokens"));
        Assert.Equal(0, (await CliRun.RunAsync("labels", Sample, "--task", "all", "--out", labels)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", "fit", Sample, "--out", model)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", Sample, "--tokenizer", model, "--out", tokens)).ExitCode);
        var vocabulary = TimelineTokenizer.Load(model).Vocabulary.Count;
        GptCheckpoint.Save(model, GptParameters.Initialize(new GptConfig(vocabulary, 1, 2, 16, 32), seed: 1));
        return (model, labels, tokens);
    }
}
