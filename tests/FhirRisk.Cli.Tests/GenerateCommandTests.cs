using FhirRisk.Meds;
using FhirRisk.Model.Gpt;
using FhirRisk.Parquet;
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

    [Fact]
    public async Task Generate_DataWithASubjectOutOfTimeOrder_FailsWithAHint_AndNamesNoSubject()
    {
        // Review s22 generate M2: an unhandled ArgumentException printed the subject id and a stack trace.
        const long Subject = 424_242_424_242;
        var data = CopySample(_temp.File("unsorted"));
        var start = (new DateTime(2021, 3, 4) - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        var day = TimeSpan.TicksPerDay / TimeSpan.TicksPerMicrosecond;
        var events = new ParquetSchema(MedsSchema.Data.Fields[0], MedsSchema.Data.Fields[1], MedsSchema.Data.Fields[2]);
        using (var writer = ParquetFileWriter.Create(Path.Combine(data, "data", "train", "2.parquet"), events))
        {
            writer.WriteRowGroup(
            [
                ParquetColumn.Create(events.Fields[0], new[] { Subject, Subject, Subject }),
                ParquetColumn.Create(events.Fields[1], new[] { start + day, start, start + (2 * day) }),
                ParquetColumn.Create(events.Fields[2], new string?[] { "HOSPITAL_ADMISSION//IMP", "ED_REGISTRATION", "HOSPITAL_DISCHARGE//home" }),
            ]);
        }

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("generate", "--model", Model(), "--patients", "2", "--data", data, "--out", _temp.File("s"), "--max-tokens", "8");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("not in time order", stderr, StringComparison.Ordinal);
        Assert.Contains("fhirrisk meds validate", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Subject.ToString(System.Globalization.CultureInfo.InvariantCulture), stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_DataOtherThanTheTokenizersFit_WarnsThatThePrivacyNumbersSayNothing()
    {
        // Review s22 generate M1: a cohort the model never saw gave a privacy report with no warning.
        var first = MedsDatasetReader.Open(Sample).ReadSubjects().First(s => s.Split == MedsSchema.TrainSplit).SubjectId;
        var other = _temp.File("other");
        using (var writer = new MedsDatasetWriter(other))
        {
            foreach (var subject in MedsDatasetReader.Open(Sample).ReadSubjects().Where(s => s.SubjectId != first))
                writer.WriteSubject(subject.SubjectId, subject.Events, subject.Split);
            writer.Complete();
        }

        var (ownExit, ownOutput, ownError) = await CliRun.RunAsync("generate", "--model", Model(), "--patients", "6", "--data", Sample, "--out", _temp.File("own"), "--max-tokens", "40");
        var (exitCode, stdout, stderr) = await CliRun.RunAsync("generate", "--model", Model(), "--patients", "6", "--data", other, "--out", _temp.File("s"), "--max-tokens", "40");

        Assert.True(ownExit == 0, ownError);
        Assert.Matches("train split is the model's training data +│? *yes", ownOutput);
        Assert.DoesNotContain("not the data this model's tokenizer was fitted on", ownError, StringComparison.Ordinal);
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("NO: the privacy numbers say nothing", stdout, StringComparison.Ordinal);
        Assert.Contains("warning: --data's train split is not the data this model's tokenizer was fitted on", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_NoPatientAtAll_KeepsTheEmptyOutputFolderItWasGiven_AndPrintsNoSummary()
    {
        // Review s22 generate L3: the zero-patient path deleted the user's own empty --out folder, after a success line.
        var output = _temp.File("mine");
        Directory.CreateDirectory(output);

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("generate", "--model", Model(), "--patients", "2", "--out", output, "--max-tokens", "1");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("no synthetic patient was generated", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("synthetic patients (", stdout, StringComparison.Ordinal);
        Assert.True(Directory.Exists(output));
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    private static string CopySample(string destination)
    {
        foreach (var file in Directory.GetFiles(Sample, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(Sample, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return destination;
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
