using FhirRisk.Testing;

namespace FhirRisk.Cli.Tests;

public sealed class TokenizeCommandTests
{
    private static string Sample => RepositoryPaths.Combine("samples", "meds-demo");

    [Fact]
    public async Task FitThenTokenize_Sample_WritesTheTokenizerAndShards()
    {
        using var temp = new TempDirectory();
        var (model, tokens) = (temp.File("model"), temp.File("tokens"));

        var fit = await CliRun.RunAsync("tokenize", "fit", Sample, "--out", model);
        var run = await CliRun.RunAsync("tokenize", Sample, "--tokenizer", model, "--out", tokens);

        Assert.True(fit.ExitCode == 0, fit.Error);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.True(File.Exists(Path.Combine(model, "tokenizer.json")));
        Assert.True(File.Exists(Path.Combine(model, "vocabulary.tsv")));
        Assert.True(File.Exists(Path.Combine(tokens, "manifest.json")));
        Assert.NotEmpty(Directory.GetFiles(tokens, "*.tokens", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Tokenize_WithoutAFittedTokenizer_IsAnErrorNamingTheFitCommand()
    {
        using var temp = new TempDirectory();
        var model = temp.File("empty-model");
        Directory.CreateDirectory(model);

        var (exitCode, _, stderr) = await CliRun.RunAsync("tokenize", Sample, "--tokenizer", model, "--out", temp.File("tokens"));

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("tokenize fit", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokenize_AFolderThatIsNotMedsOrAnOutThatIsAFile_FailsWithAHintAndNoTrace()
    {
        using var temp = new TempDirectory();
        var model = temp.File("model");
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", "fit", Sample, "--out", model)).ExitCode);
        File.WriteAllText(temp.File("export.ndjson"), "{}");
        File.WriteAllText(temp.File("a-file"), "x");

        var notMeds = await CliRun.RunAsync("tokenize", temp.Path, "--tokenizer", model, "--out", temp.File("tokens"));
        var outIsFile = await CliRun.RunAsync("tokenize", Sample, "--tokenizer", model, "--out", temp.File("a-file"));
        var fitOutIsFile = await CliRun.RunAsync("tokenize", "fit", Sample, "--out", temp.File("a-file"));

        Assert.Equal(ExitCodes.UsageError, notMeds.ExitCode);
        Assert.Contains("not a MEDS dataset", notMeds.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File("tokens")), "nothing is written for a folder that is not a dataset");
        Assert.Equal(ExitCodes.UsageError, outIsFile.ExitCode);
        Assert.Contains("is a file", outIsFile.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failure, fitOutIsFile.ExitCode);
        Assert.Contains("could not save the tokenizer", fitOutIsFile.Error, StringComparison.Ordinal);
        foreach (var run in new[] { notMeds, outIsFile, fitOutIsFile })
            Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }
}
