using System.Text.Json;
using FhirRisk.Testing;

namespace FhirRisk.Cli.Tests;

public sealed class TrainCommandTests : IDisposable
{
    /// <summary>A model that trains on the sample in well under a second.</summary>
    private static readonly string[] Tiny =
        ["--layers", "1", "--heads", "2", "--channels", "16", "--context", "24", "--batch", "2", "--eval-every", "2", "--eval-batches", "1", "--warmup", "1", "--threads", "1"];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string Sample => RepositoryPaths.Combine("samples", "meds-demo");

    [Fact]
    public async Task Train_TokenizedSample_WritesTheModelDirectory()
    {
        var (tokenizer, tokens) = await Tokenize();
        var model = _temp.File("model");

        var (exitCode, stdout, stderr) = await CliRun.RunAsync(["train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", model, "--steps", "4", .. Tiny]);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("tokens/s", stdout, StringComparison.Ordinal);
        Assert.Contains("best tuning loss", stdout, StringComparison.Ordinal);
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json", "vocabulary.tsv", "training.json", "metrics.jsonl", "checkpoints/last/optimizer.safetensors" })
            Assert.True(File.Exists(Path.Combine(model, file)), file);
    }

    [Fact]
    public async Task Train_Resume_ContinuesToTheNewStepCount()
    {
        var (tokenizer, tokens) = await Tokenize();
        var model = _temp.File("model");
        var first = await CliRun.RunAsync(["train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", model, "--steps", "2", .. Tiny]);

        var resumed = await CliRun.RunAsync("train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", model, "--resume", "--steps", "3");

        Assert.True(first.ExitCode == 0, first.Error);
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("resuming at step 2", resumed.Output, StringComparison.Ordinal);
        using var record = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(model, "checkpoints", "last", "training.json")));
        Assert.Equal(3, record.RootElement.GetProperty("step").GetInt64());
        Assert.Equal(3, File.ReadAllLines(Path.Combine(model, "metrics.jsonl")).Length);
    }

    [Fact]
    public async Task Train_Init_StartsANewRunFromTheModelAndRefusesResume()
    {
        var (tokenizer, tokens) = await Tokenize();
        var (first, second) = (_temp.File("first"), _temp.File("second"));
        var trained = await CliRun.RunAsync(["train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", first, "--steps", "4", .. Tiny]);

        var continued = await CliRun.RunAsync(["train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", second, "--init", first, "--steps", "2", .. Tiny]);
        var both = await CliRun.RunAsync("train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", second, "--init", first, "--resume");
        var missing = await CliRun.RunAsync(["train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", _temp.File("third"), "--init", _temp.File("nowhere"), .. Tiny]);

        Assert.True(trained.ExitCode == 0, trained.Error);
        Assert.True(continued.ExitCode == 0, continued.Error);
        Assert.Contains($"training from {first}", continued.Output, StringComparison.Ordinal);
        using var record = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(second, "training.json")));
        Assert.Equal(first, record.RootElement.GetProperty("initialized_from").GetProperty("directory").GetString());
        Assert.Equal(2, record.RootElement.GetProperty("step").GetInt64());
        Assert.Equal(ExitCodes.UsageError, both.ExitCode);
        Assert.Contains("--init starts a new run", both.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, missing.ExitCode);
        Assert.Contains("does not exist", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_ResumeAtOrBelowTheStepReached_IsAUsageErrorThatChangesNothing()
    {
        var (tokenizer, tokens) = await Tokenize();
        var model = _temp.File("model");
        var first = await CliRun.RunAsync(["train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", model, "--steps", "3", .. Tiny]);
        var record = File.ReadAllBytes(Path.Combine(model, "checkpoints", "last", "training.json"));

        var below = await CliRun.RunAsync("train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", model, "--resume", "--steps", "2");
        var complete = await CliRun.RunAsync("train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", model, "--resume");

        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Equal((ExitCodes.UsageError, ExitCodes.UsageError), (below.ExitCode, complete.ExitCode));
        Assert.Contains("at step 3 of 2", below.Error, StringComparison.Ordinal);
        Assert.Contains("pass --steps N with N above 3", complete.Error, StringComparison.Ordinal);
        Assert.Equal(record, File.ReadAllBytes(Path.Combine(model, "checkpoints", "last", "training.json")));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(model, "metrics.jsonl")).Length);
    }

    [Fact]
    public async Task Train_AShortRunWithoutWarmupWorks_AndABadSettingIsNamedByItsOption()
    {
        var (tokenizer, tokens) = await Tokenize();
        string[] shape = ["--layers", "1", "--heads", "2", "--channels", "16", "--context", "24", "--batch", "2", "--eval-every", "0", "--threads", "1"];

        var short_ = await CliRun.RunAsync(["train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", _temp.File("short"), "--steps", "3", .. shape]);
        var bad = await CliRun.RunAsync(["train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", _temp.File("bad"), "--steps", "3", "--warmup", "9", .. shape]);

        var again = await CliRun.RunAsync(["train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", _temp.File("short"), "--steps", "3", .. shape]);

        Assert.True(short_.ExitCode == 0, short_.Error);
        Assert.Equal(ExitCodes.UsageError, again.ExitCode);
        Assert.Contains("--resume", again.Error, StringComparison.Ordinal);
        using var record = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_temp.File("short"), "training.json")));
        Assert.Equal(3, record.RootElement.GetProperty("settings").GetProperty("warmup_steps").GetInt32());
        Assert.Equal(ExitCodes.UsageError, bad.ExitCode);
        Assert.Contains("--warmup must lie in [0, --steps = 3] (was 9)", bad.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("PretrainingSettings", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_ResumeWithAnotherLearningRate_IsAUsageError()
    {
        var (tokenizer, tokens) = await Tokenize();

        var (exitCode, _, stderr) = await CliRun.RunAsync("train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", _temp.File("model"), "--resume", "--lr", "0.1");

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("--lr cannot change", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_ResumeWithoutACheckpoint_FailsWithAHint()
    {
        var (tokenizer, tokens) = await Tokenize();

        var (exitCode, _, stderr) = await CliRun.RunAsync("train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", _temp.File("model"), "--resume");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("hint: start the run without --resume", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_FolderThatIsNotTokenShards_FailsNamingTheTokenizeCommand()
    {
        var (tokenizer, _) = await Tokenize();
        Directory.CreateDirectory(_temp.File("not-tokens"));

        var (exitCode, _, stderr) = await CliRun.RunAsync(["train", "--tokens", _temp.File("not-tokens"), "--tokenizer", tokenizer, "--out", _temp.File("model"), .. Tiny]);

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("TR001", stderr, StringComparison.Ordinal);
        Assert.Contains("fhirrisk tokenize", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("1e39")]
    public async Task Train_LearningRateOfTenOrMore_IsAUsageErrorThatWritesNothing(string rate)
    {
        var (tokenizer, tokens) = await Tokenize();

        var (exitCode, _, stderr) = await CliRun.RunAsync(["train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", _temp.File("model"), .. Tiny, "--lr", rate]);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("--lr must be a number in (0, 10)", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.File("model")));
    }

    [Fact]
    public async Task Train_FewerTrainTokensThanOneBatchOfWindows_Warns()
    {
        var (tokenizer, tokens) = await Tokenize();

        var (exitCode, _, stderr) = await CliRun.RunAsync(["train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", _temp.File("model"),
            .. With(Tiny, ("--batch", "8"), ("--eval-every", "0")), "--steps", "1"]);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("warning: the train split holds", stderr, StringComparison.Ordinal);
        Assert.Contains("fewer than one batch of windows", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_InvalidModelShape_IsAUsageError()
    {
        var (tokenizer, tokens) = await Tokenize();

        var (exitCode, _, stderr) = await CliRun.RunAsync("train", "--tokens", tokens, "--tokenizer", tokenizer, "--out", _temp.File("model"), "--channels", "30", "--heads", "4");

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("with --heads dividing --channels (were", stderr, StringComparison.Ordinal); // the options typed
    }

    /// <summary><paramref name="options"/> with the values of <paramref name="changes"/> in place of theirs (an option may be given once).</summary>
    private static string[] With(string[] options, params (string Option, string Value)[] changes)
    {
        var changed = (string[])options.Clone();
        foreach (var (option, value) in changes)
            changed[Array.IndexOf(changed, option) + 1] = value;
        return changed;
    }

    private async Task<(string Tokenizer, string Tokens)> Tokenize()
    {
        var (tokenizer, tokens) = (_temp.File("tokenizer"), _temp.File("tokens"));
        var fit = await CliRun.RunAsync("tokenize", "fit", Sample, "--out", tokenizer, "--min-count", "1", "--min-subjects", "1");
        var run = await CliRun.RunAsync("tokenize", Sample, "--tokenizer", tokenizer, "--out", tokens);
        Assert.True(fit.ExitCode == 0 && run.ExitCode == 0, fit.Error + run.Error);
        return (tokenizer, tokens);
    }
}
