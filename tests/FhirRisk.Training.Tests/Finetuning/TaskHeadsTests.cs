using System.Text.Json;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Model.Heads;
using FhirRisk.Testing;
using FhirRisk.Training.Finetuning;

namespace FhirRisk.Training.Tests.Finetuning;

public sealed class TaskHeadsTests
{
    [Fact]
    public void Heads_round_trip_through_heads_json_exactly()
    {
        using var folder = new TempDirectory();
        var heads = new TaskHeads(["hospital_mortality", "icu_admission"], 3, tokenizerVocabularySize: 100, tokenizerFingerprint: 0xABCDEF0123456789);
        double[] values = [0.1, -0.2, 1.0 / 3, 0.25, Math.PI, -1e-300, 2.5e10, -0.75];
        values.CopyTo(heads.Parameters, 0);
        heads.SetCalibration(0, new ProbabilityCalibration(CalibrationMethod.Platt, 0.8, -1.1));
        heads.SetCalibration(1, new ProbabilityCalibration(CalibrationMethod.Temperature, 1 / 1.7, 0));
        heads.Save(folder.Path);

        var loaded = TaskHeads.Load(folder.Path);
        Assert.Equal(heads.Tasks, loaded.Tasks);
        Assert.Equal(heads.Parameters, loaded.Parameters);
        Assert.Equal(heads.Calibrations, loaded.Calibrations);
        Assert.Equal(0xABCDEF0123456789UL, loaded.TokenizerFingerprint);
        Assert.Equal([100, 101], loaded.PromptTokenIds());
        Assert.Equal("TASK//icu_admission", loaded.TokenOf(1));
        Assert.Equal(102, loaded.ModelVocabularySize);

        float[] hidden = [1f, 2f, -1f];
        var logit = 0.1 * 1 - 0.2 * 2 - 1.0 / 3 + 0.25;
        Assert.Equal(logit, loaded.Logit(0, hidden), 12);
        Assert.Equal(1 / (1 + Math.Exp(-(0.8 * logit - 1.1))), loaded.Predict(0, hidden), 12);
    }

    [Fact]
    public void Heads_with_a_history_block_are_version_2_with_history_codes_and_heads_without_stay_version_1()
    {
        using var folder = new TempDirectory();
        using var plainFolder = new TempDirectory();
        var heads = new TaskHeads(["hospital_mortality"], 2, tokenizerVocabularySize: 50, tokenizerFingerprint: 7, historyCodes: 16);
        heads.Save(folder.Path);
        new TaskHeads(["hospital_mortality"], 2, 50, 7).Save(plainFolder.Path);

        using var json = JsonDocument.Parse(File.ReadAllText(folder.File("heads.json")));
        using var plainJson = JsonDocument.Parse(File.ReadAllText(plainFolder.File("heads.json")));
        Assert.Equal(2, json.RootElement.GetProperty("version").GetInt32());
        Assert.Equal(16, json.RootElement.GetProperty("history_codes").GetInt32());
        Assert.Equal(1, plainJson.RootElement.GetProperty("version").GetInt32());
        Assert.False(plainJson.RootElement.TryGetProperty("history_codes", out _));
        Assert.Equal(16, TaskHeads.Load(folder.Path).HistoryCodes);
        Assert.Equal(0, TaskHeads.Load(plainFolder.Path).HistoryCodes);
    }

    [Theory]
    [InlineData("\"version\": 2", "\"version\": 3", "not a version 1 or 2")]
    [InlineData("\"history_codes\": 16", "\"history_codes\": 0", "history_codes is 0")]
    [InlineData("\"history_codes\": 16,", "", "damaged")]
    [InlineData("\"scale\": 1,", "\"scale\": -14.6,", "slope that is not positive")]
    [InlineData("\"scale\": 1,", "\"scale\": 0,", "slope that is not positive")]
    public void A_heads_file_of_another_version_or_with_a_bad_history_block_is_refused(string find, string replace, string message)
    {
        using var folder = new TempDirectory();
        new TaskHeads(["hospital_mortality"], 2, 50, 7, historyCodes: 16).Save(folder.Path);
        var path = folder.File("heads.json");
        var text = File.ReadAllText(path);
        Assert.Contains(find, text, StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace(find, replace, StringComparison.Ordinal));

        var error = Assert.Throws<CheckpointException>(() => TaskHeads.Load(folder.Path));

        Assert.Equal(CheckpointErrorCodes.BadHeads, error.Code);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_or_missing_file_names_itself_and_the_fix()
    {
        using var folder = new TempDirectory();
        var missing = Assert.Throws<CheckpointException>(() => TaskHeads.Load(folder.Path));
        Assert.Equal(CheckpointErrorCodes.BadHeads, missing.Code);
        Assert.Contains("Hint:", missing.Message);

        File.WriteAllText(folder.File("heads.json"), """{ "format": "fhirrisk-task-heads", "version": 1, "channels": 2 """);
        var damaged = Assert.Throws<CheckpointException>(() => TaskHeads.Load(folder.Path));
        Assert.Equal(CheckpointErrorCodes.BadHeads, damaged.Code);
        Assert.EndsWith("heads.json", damaged.FilePath);
    }
}
