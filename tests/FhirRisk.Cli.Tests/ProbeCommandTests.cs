using FhirRisk.Meds;
using FhirRisk.Model.Gpt;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Cli.Tests;

public sealed class ProbeCommandTests : IDisposable
{
    private static string Sample => RepositoryPaths.Combine("samples", "meds-demo");

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Probe_Counts_WritesTheCountBaselinesPredictions_AndWarnsAboutUnfittableTasks()
    {
        var labels = await LabelsAsync();
        var output = _temp.File("out");

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("probe", Sample, "--labels", labels, "--out", output, "--features", "counts", "--min-count", "1", "--threads", "1");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("composite", stdout, StringComparison.Ordinal);
        Assert.Contains("warning: prolonged_los not fitted: no positive label", stderr, StringComparison.Ordinal);
        var predictions = PredictionsFile.Read(Path.Combine(output, "count_baseline.predictions.parquet"));
        Assert.Contains(predictions, p => p.Task == "composite" && p.Method == "count_baseline");
        Assert.True(File.Exists(Path.Combine(output, "count_baseline.fits.json")));
    }

    [Fact]
    public async Task Probe_Embeddings_OnATinyModel_WritesTheProbesPredictions()
    {
        var labels = await LabelsAsync();
        var model = TinyModel(_temp.File("model"));
        var output = _temp.File("out");

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("probe", Sample, "--labels", labels, "--task", "composite", "--model", model, "--out", output, "--threads", "1");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("probe.predictions.parquet", stdout, StringComparison.Ordinal);
        Assert.All(PredictionsFile.Read(Path.Combine(output, "probe.predictions.parquet")), p => Assert.Equal("composite", p.Task));
    }

    [Fact]
    public async Task Probe_Embeddings_OfDataTheModelsVocabularyDoesNotKnow_IsRefusedUnlessAllowed()
    {
        // CLI review s10: 'probe --model' embedded data of another kind (every code UNK) without a word, where tokenize and
        // finetune --meds refuse it.
        var labels = await LabelsAsync();
        var model = TinyModel(_temp.File("model"));
        var foreign = ForeignMeds.Recoded(Sample, _temp.File("foreign"));

        var (refusedExit, _, refusedError) = await CliRun.RunAsync("probe", foreign, "--labels", labels, "--task", "composite", "--model", model,
            "--out", _temp.File("refused"), "--threads", "1");
        var (allowedExit, _, allowedError) = await CliRun.RunAsync("probe", foreign, "--labels", labels, "--task", "composite", "--model", model,
            "--out", _temp.File("allowed"), "--threads", "1", "--allow-unknown-codes");

        Assert.Equal(ExitCodes.Failure, refusedExit);
        Assert.Contains("TOK001", refusedError, StringComparison.Ordinal);
        Assert.Contains("--allow-unknown-codes", refusedError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refusedError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.File("refused")) && Directory.EnumerateFileSystemEntries(_temp.File("refused")).Any());
        Assert.True(allowedExit == 0, allowedError);
    }

    [Fact]
    public async Task Probe_EmbeddingsWithoutAModel_IsAUsageError()
    {
        var (exitCode, _, stderr) = await CliRun.RunAsync("probe", Sample, "--labels", await LabelsAsync(), "--out", _temp.File("out"));

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("--model", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_IntoAnOutputHoldingTheMethodsFiles_RefusesToOverwrite()
    {
        var labels = await LabelsAsync();
        var output = _temp.File("out");
        string[] args = ["probe", Sample, "--labels", labels, "--task", "composite", "--out", output, "--features", "counts", "--min-count", "1", "--threads", "1"];
        Assert.Equal(0, (await CliRun.RunAsync(args)).ExitCode);

        var (exitCode, _, stderr) = await CliRun.RunAsync(args);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("already exists", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_ATaskWithNoPositives_FailsWithTheReason()
    {
        var labels = await LabelsAsync();
        var (exitCode, _, stderr) = await CliRun.RunAsync("probe", Sample, "--labels", labels, "--task", "prolonged_los",
            "--out", _temp.File("out"), "--features", "counts", "--min-count", "1");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("no positive label", stderr, StringComparison.Ordinal);
        Assert.Contains($"[PR008] {labels}: no task could be fitted", stderr, StringComparison.Ordinal);
        Assert.Contains("hint:", stderr, StringComparison.Ordinal);
    }

    private async Task<string> LabelsAsync()
    {
        var labels = _temp.File("labels");
        if (!Directory.Exists(labels))
            Assert.Equal(0, (await CliRun.RunAsync("labels", Sample, "--task", "all", "--out", labels)).ExitCode);
        return labels;
    }

    /// <summary>A tokenizer fitted on the sample and a tiny random GPT beside it (what 'fhirrisk train' would write).</summary>
    private static string TinyModel(string directory)
    {
        var tokenizer = TimelineTokenizer.Fit(MedsDatasetReader.Open(Sample));
        Directory.CreateDirectory(directory);
        GptCheckpoint.Save(directory, GptParameters.Initialize(new GptConfig(tokenizer.Vocabulary.Count, 2, 2, 16, 64), seed: 3));
        tokenizer.Save(directory);
        return directory;
    }
}
