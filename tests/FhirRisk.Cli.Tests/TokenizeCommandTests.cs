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
}
