using FhirRisk.Meds;
using FhirRisk.Model.Gpt;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;

namespace FhirRisk.Cli.Tests;

public sealed class GenerateCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string Sample => RepositoryPaths.Combine("samples", "meds-demo");

    [Fact]
    public async Task Generate_WithTrainingData_WritesMedsFhirAndReports()
    {
        var model = Model();
        var output = _temp.File("synthetic");

        var (exitCode, stdout, stderr) = await CliRun.RunAsync(
            "generate", "--model", model, "--patients", "12", "--seed", "4", "--out", output, "--data", Sample, "--max-tokens", "40");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("membership inference AUC", stdout, StringComparison.Ordinal);
        Assert.Contains("synthetic patients", stdout, StringComparison.Ordinal);
        Assert.Contains("reports in reports/", stdout, StringComparison.Ordinal);
        foreach (var file in new[] { "meds/metadata/dataset.json", "fhir/manifest.json", "fhir/Patient.ndjson", "reports/fidelity.md", "reports/privacy.json", "reports/plots/age.png" })
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        Assert.NotEmpty(MedsDatasetReader.Open(Path.Combine(output, "meds")).ReadSubjects());
    }

    [Fact]
    public async Task Generate_WithoutData_SaysThereIsNoReport()
    {
        var (exitCode, stdout, stderr) = await CliRun.RunAsync("generate", "--model", Model(), "--patients", "3", "--out", _temp.File("s"), "--max-tokens", "16");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("no --data, so no fidelity or privacy report", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_DataTheModelsVocabularyDoesNotKnow_IsRefusedUnlessAllowed()
    {
        // CLI review s10: another kind of record as --data gave prompts and fidelity reports comparing unlike records.
        var foreign = ForeignMeds.Recoded(Sample, _temp.File("foreign"));
        var refusedOutput = _temp.File("refused");

        var (refusedExit, _, refusedError) = await CliRun.RunAsync("generate", "--model", Model(), "--patients", "3", "--data", foreign,
            "--out", refusedOutput, "--max-tokens", "16");
        var (allowedExit, _, allowedError) = await CliRun.RunAsync("generate", "--model", Model(), "--patients", "3", "--data", foreign,
            "--out", _temp.File("allowed"), "--max-tokens", "16", "--allow-unknown-codes");

        Assert.Equal(ExitCodes.Failure, refusedExit);
        Assert.Contains("TOK001", refusedError, StringComparison.Ordinal);
        Assert.Contains("--allow-unknown-codes", refusedError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(refusedOutput) && Directory.EnumerateFileSystemEntries(refusedOutput).Any());
        Assert.True(allowedExit == 0, allowedError);
    }

    [Fact]
    public async Task Generate_MissingModel_IsAUsageError()
    {
        var (exitCode, _, stderr) = await CliRun.RunAsync("generate", "--model", _temp.File("nope"), "--out", _temp.File("s"));

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("does not exist", stderr, StringComparison.Ordinal);
        Assert.Contains("hint:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_DataThatIsNotAMedsDataset_IsAUsageErrorSayingSo()
    {
        var export = _temp.File("fhir-export");
        Directory.CreateDirectory(export);
        File.WriteAllText(Path.Combine(export, "Patient.ndjson"), "{}");

        var (exitCode, _, stderr) = await CliRun.RunAsync("generate", "--model", Model(), "--patients", "2", "--data", export, "--out", _temp.File("s"));

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("it is not a MEDS dataset", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_IntoAFolderWithFiles_IsAUsageError()
    {
        var output = _temp.File("taken");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "keep.txt"), "x");

        var (exitCode, _, stderr) = await CliRun.RunAsync("generate", "--model", Model(), "--patients", "2", "--out", output);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("choose a new --out folder", stderr, StringComparison.Ordinal);
        Assert.Equal(1, stderr.Split("hint", StringSplitOptions.None).Length - 1 + stderr.Split("Hint", StringSplitOptions.None).Length - 1);
    }

    [Fact]
    public async Task Generate_IntoAFile_IsAUsageErrorSayingSo()
    {
        var output = _temp.File("afile");
        File.WriteAllText(output, "x");

        var (exitCode, _, stderr) = await CliRun.RunAsync("generate", "--model", Model(), "--patients", "2", "--out", output);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("is a file", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_NoPatientAtAll_FailsAndLeavesNoInvalidDataset()
    {
        // CLI review s10 #8: 0 patients exited 0 with a MEDS folder that meds validate refuses (no shard).
        var output = _temp.File("none");

        var (exitCode, _, stderr) = await CliRun.RunAsync("generate", "--model", Model(), "--patients", "2", "--out", output, "--max-tokens", "1");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("no synthetic patient was generated", stderr, StringComparison.Ordinal);
        Assert.Contains("--max-tokens", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task Generate_WithCreatedAt_WritesThatTimeIntoBothManifests()
    {
        var output = _temp.File("fixed");

        var (exitCode, _, stderr) = await CliRun.RunAsync("generate", "--model", Model(), "--patients", "3", "--out", output, "--max-tokens", "16", "--created-at", "2025-03-04T05:06:07Z");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("2025-03-04T05:06:07", File.ReadAllText(Path.Combine(output, "fhir", "manifest.json")), StringComparison.Ordinal);
        Assert.Contains("2025-03-04T05:06:07", File.ReadAllText(Path.Combine(output, "meds", "metadata", "dataset.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_ModelWhosePartsDisagree_FailsWithAHint()
    {
        var model = _temp.File("bad");
        var tokenizer = TimelineTokenizer.Fit(MedsDatasetReader.Open(Sample));
        tokenizer.Save(model);
        GptCheckpoint.Save(model, GptParameters.Initialize(new GptConfig(tokenizer.Vocabulary.Count + 5, 1, 2, 16, 32), seed: 1));

        var (exitCode, _, stderr) = await CliRun.RunAsync("generate", "--model", model, "--patients", "2", "--out", _temp.File("s"));

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("IN001", stderr, StringComparison.Ordinal);
        Assert.Contains("hint:", stderr, StringComparison.Ordinal);
    }

    /// <summary>A tokenizer fitted on the sample and a random 1-layer GPT: enough to exercise the verb.</summary>
    private string Model()
    {
        var model = _temp.File("model");
        if (File.Exists(Path.Combine(model, "config.json")))
            return model;
        var tokenizer = TimelineTokenizer.Fit(MedsDatasetReader.Open(Sample));
        tokenizer.Save(model);
        GptCheckpoint.Save(model, GptParameters.Initialize(new GptConfig(tokenizer.Vocabulary.Count, 1, 2, 16, 32), seed: 2));
        return model;
    }
}
