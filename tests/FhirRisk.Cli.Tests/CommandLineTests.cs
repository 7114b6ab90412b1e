using FhirRisk.Testing;

namespace FhirRisk.Cli.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void Fail_AMessageWithItsOwnHint_PrintsThatHintOnce()
    {
        // CLI review s10: "error: … is not empty. Hint: write token shards to a new folder …" then "hint: choose a new --out folder."
        using var error = new StringWriter();

        var code = CommandOutput.Fail(error, "'out' is not empty. Hint: write token shards to a new folder.", "choose a new --out folder.", ExitCodes.UsageError);

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Equal($"error: 'out' is not empty.{Environment.NewLine}hint: write token shards to a new folder.{Environment.NewLine}", error.ToString());
    }

    [Fact]
    public async Task Tokenize_IntoAFolderWithShards_GivesOneHintLine()
    {
        using var temp = new TempDirectory();
        var sample = RepositoryPaths.Combine("samples", "meds-demo");
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", "fit", sample, "--out", temp.File("model"), "--min-count", "1", "--min-subjects", "1")).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", sample, "--tokenizer", temp.File("model"), "--out", temp.File("tokens"))).ExitCode);

        var again = await CliRun.RunAsync("tokenize", sample, "--tokenizer", temp.File("model"), "--out", temp.File("tokens"));

        Assert.Equal(ExitCodes.UsageError, again.ExitCode);
        Assert.Single(again.Error.Split('\n'), line => line.StartsWith("hint:", StringComparison.Ordinal));
        Assert.DoesNotContain("Hint:", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_Root_ListsMedsVerbAndExitsZero()
    {
        var (exitCode, output, error) = await CliRun.RunAsync("--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("meds", output, StringComparison.Ordinal);
        Assert.Empty(error);
    }

    [Theory]
    [InlineData("meds", "inspect")]
    [InlineData("meds", "validate")]
    public async Task Help_MedsVerb_DescribesArgumentAndExitsZero(string group, string verb)
    {
        var (exitCode, output, _) = await CliRun.RunAsync(group, verb, "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains($"fhirrisk meds {verb} <dir>", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "fhirrisk --help")]
    [InlineData(new[] { "meds" }, "fhirrisk meds --help")]
    [InlineData(new[] { "frobnicate" }, "fhirrisk --help")]
    [InlineData(new[] { "meds", "inspect" }, "fhirrisk meds inspect --help")]
    [InlineData(new[] { "meds", "inspect", "/no/such/dataset" }, "fhirrisk meds inspect --help")]
    [InlineData(new[] { "meds", "inspect", ".", "--top", "-3" }, "fhirrisk meds inspect --help")]
    [InlineData(new[] { "meds", "validate", ".", "--max-issues-per-code", "zero" }, "fhirrisk meds validate --help")]
    public async Task Run_BadArguments_StderrWithHintAndExitTwo(string[] args, string hint)
    {
        var (exitCode, output, error) = await CliRun.RunAsync(args);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Empty(output);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains($"hint: run '{hint}' for usage.", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("labels", "--task", "all")]
    [InlineData("probe", "--features", "counts")]
    public async Task Run_OutThatIsAFile_UsageErrorBeforeAnyWork(string verb, string option, string value)
    {
        using var temp = new TempDirectory();
        var sample = FhirRisk.Testing.RepositoryPaths.Combine("samples", "meds-demo");
        File.WriteAllText(temp.File("a-file"), "x");
        Directory.CreateDirectory(temp.File("labels"));
        string[] args = verb == "probe"
            ? [verb, sample, "--labels", temp.File("labels"), "--task", "hospital_mortality", option, value, "--out", temp.File("a-file")]
            : [verb, sample, option, value, "--out", temp.File("a-file")];

        var (exitCode, _, stderr) = await CliRun.RunAsync(args);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("is a file", stderr, StringComparison.Ordinal);
        Assert.Equal("x", File.ReadAllText(temp.File("a-file")));
    }
}
