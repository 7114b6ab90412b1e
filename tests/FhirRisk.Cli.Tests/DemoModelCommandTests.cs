using FhirRisk.Model.Heads;
using System.Text.Json;
using FhirRisk.Testing;
using FhirRisk.Training.Demo;

namespace FhirRisk.Cli.Tests;

/// <summary><c>fhirrisk demo-model --quick</c>: the whole pipeline on a small simulated cohort, in-process.</summary>
public sealed class DemoModelCommandTests
{
    /// <summary>Tasks the quick recipe's heads must rank better than chance. At discharge the timeline already shows what
    /// drives a readmission (the stay's length, an ICU stay, the last labs), so even the quick model learns it; the
    /// admission tasks need the severity read off the emergency visit's labs, which a 300-step model does not yet do
    /// (docs/demo-model.md, "The quick recipe").</summary>
    private static readonly string[] LearnableTasks = ["readmission_30d"];

    [Fact]
    public async Task DemoModel_Quick_WritesASelfContainedModelWhoseLossFallsAndWhoseHeadsBeatChance()
    {
        using var temp = new TempDirectory();
        var (output, work) = (temp.File("demo"), temp.File("work"));

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("demo-model", "--quick", "--out", output, "--work", work, "--threads", "2");

        Assert.True(exitCode == 0, stderr);
        foreach (var stage in DemoStages.All)
            Assert.Contains(stage, stdout, StringComparison.Ordinal);
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json", "vocabulary.tsv", "heads.json", "finetuning.json", "recipe.json",
            "acceptance.md", "pretrained/model.safetensors", "pretrained/training.json", "report/summary.md", "report/metrics.json",
            "report/validation/summary.md", "report/validation/metrics.json" })
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        Assert.False(Directory.Exists(Path.Combine(output, "pretrained", "checkpoints")));
        Assert.False(Directory.Exists(work), "the work folder is deleted without --keep-work");

        using var recipe = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "recipe.json")));
        var root = recipe.RootElement;
        Assert.Equal(DemoStages.All, root.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("stage").GetString()));
        Assert.Equal(DemoRecipe.Quick.Finetuning.HistoryCodes, root.GetProperty("settings").GetProperty("finetuning").GetProperty("history_codes").GetInt32());
        Assert.Equal(DemoRecipe.Quick.Finetuning.HistoryCodes, TaskHeads.Load(output).HistoryCodes); // validated with the block, as served
        var losses = root.GetProperty("losses");
        Assert.True(losses.GetProperty("tuning_last").GetDouble() < 0.7 * losses.GetProperty("tuning_first").GetDouble(), losses.ToString());
        Assert.True(losses.GetProperty("pretrain_last").GetDouble() < 0.5 * losses.GetProperty("pretrain_first").GetDouble(), losses.ToString());
        Assert.Equal(0, root.GetProperty("data").GetProperty("oracle_label_mismatches").GetInt32());

        AssertHeadsBeatChance(root.GetProperty("tasks"), "held_out");

        Assert.Equal(DemoRecipe.Quick.GenerativeSeed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            root.GetProperty("settings").GetProperty("generative_seed").GetString());

        // The independent validation cohort: its own seed, every point scored against the truth, the same heads beating chance.
        var validation = root.GetProperty("validation");
        Assert.Equal(DemoRecipe.Quick.ValidationPatients, validation.GetProperty("patients").GetInt32());
        Assert.Equal(DemoRecipe.Quick.ValidationSeed.ToString(System.Globalization.CultureInfo.InvariantCulture), validation.GetProperty("seed").GetString());
        Assert.True(validation.GetProperty("points").GetInt32() > 0);
        Assert.Equal(0, validation.GetProperty("oracle_label_mismatches").GetInt32());
        AssertHeadsBeatChance(validation.GetProperty("tasks"), "validation");
        Assert.Contains("independent validation cohort", await File.ReadAllTextAsync(Path.Combine(output, "acceptance.md")), StringComparison.Ordinal);
    }

    private static void AssertHeadsBeatChance(JsonElement taskArray, string points)
    {
        var tasks = taskArray.EnumerateArray().ToDictionary(t => t.GetProperty("task").GetString()!);
        foreach (var name in LearnableTasks)
        {
            var task = tasks[name];
            var (count, positives) = (task.GetProperty(points + "_points").GetInt32(), task.GetProperty(points + "_positives").GetInt32());
            var auroc = task.GetProperty("heads_auroc").GetDouble();
            Assert.True(auroc > 0.5 + 3 * NullStandardError(positives, count - positives), $"{name} ({points}): heads AUROC {auroc:0.000} on {count} points ({positives} positive)");
            Assert.True(double.IsFinite(task.GetProperty("oracle_auroc").GetDouble()), $"{name} ({points}): the oracle scored the same points");
        }
    }

    [Fact]
    public async Task DemoModel_OutNotEmpty_IsAUsageErrorThatNamesTheFix()
    {
        using var temp = new TempDirectory();
        var output = temp.File("occupied");
        Directory.CreateDirectory(output);
        await File.WriteAllTextAsync(Path.Combine(output, "keep.txt"), "x");

        var (exitCode, _, stderr) = await CliRun.RunAsync("demo-model", "--quick", "--out", output, "--work", temp.File("work"));

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("not empty", stderr, StringComparison.Ordinal);
        Assert.Contains("hint: pass a new or empty --out folder", stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "keep.txt")));
    }

    [Fact]
    public async Task DemoModel_TooFewPatients_IsAUsageError()
    {
        using var temp = new TempDirectory();

        var (exitCode, _, stderr) = await CliRun.RunAsync("demo-model", "--quick", "--patients", "3", "--out", temp.File("demo"), "--work", temp.File("work"));

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("Patients must be at least 10", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DemoModel_AHeldOutSplitWithoutPoints_IsAUsageErrorBeforePretraining()
    {
        using var temp = new TempDirectory();

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("demo-model", "--quick", "--patients", "10", "--validation-patients", "0", "--threads", "1",
            "--out", temp.File("demo"), "--work", temp.File("work"));

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("[DM003]", stderr, StringComparison.Ordinal);
        Assert.Contains("hint: pass --patients 100 or more", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", stderr + stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(DemoStages.Pretrain, stdout, StringComparison.Ordinal);
    }

    /// <summary>The standard deviation of the AUROC of a random ranking (Mann–Whitney U under the null).</summary>
    private static double NullStandardError(int positives, int negatives) =>
        Math.Sqrt((positives + negatives + 1.0) / (12.0 * positives * negatives));
}
