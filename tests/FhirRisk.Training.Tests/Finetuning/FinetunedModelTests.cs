using FhirRisk.Testing;
using FhirRisk.Training.Finetuning;

namespace FhirRisk.Training.Tests.Finetuning;

/// <summary>What a failed finetuning save leaves behind, and the record of a run stopped early.</summary>
public sealed class FinetunedModelTests
{
    [Fact]
    public void WriteOrRemove_AFailedWrite_RemovesWhatItWroteSoTheSameOutIsFree()
    {
        using var temp = new TempDirectory();
        var output = temp.File("finetuned");

        var error = Assert.Throws<TrainingException>(() => FinetunedModel.WriteOrRemove(output, () =>
        {
            File.WriteAllText(Path.Combine(output, "config.json"), "{}");
            File.WriteAllText(Path.Combine(output, "model.safetensors.partial"), "half");
            throw new IOException("No space left on device");
        }));

        Assert.Equal(FinetuningErrorCodes.SaveFailed, error.Code);
        Assert.Contains("the same --out is free", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output), "a half-written model is neither served nor in the retry's way");
        FinetunedModel.CheckEmpty(output);
    }

    [Fact]
    public void WriteOrRemove_IntoAnEmptyFolderGiven_EmptiesItAgain()
    {
        using var temp = new TempDirectory();
        var output = temp.File("finetuned");
        Directory.CreateDirectory(output);

        Assert.Throws<TrainingException>(() => FinetunedModel.WriteOrRemove(output, () =>
        {
            File.WriteAllText(Path.Combine(output, "tokenizer.json"), "{}");
            throw new IOException("No space left on device");
        }));

        Assert.True(Directory.Exists(output));
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void StoppedEarlyWarning_OnlyForARunStoppedEarly(bool cancelled, bool warned)
    {
        using var temp = new TempDirectory();
        File.WriteAllText(Path.Combine(temp.Path, FinetunedModel.RecordFile),
            $$"""{"format": "fhirrisk-finetuning", "version": 1, "settings": {"steps": 500}, "steps_done": 40, "cancelled": {{(cancelled ? "true" : "false")}}}""");

        var warning = FinetunedModel.StoppedEarlyWarning(temp.Path);

        Assert.Equal(warned, warning is not null);
        if (warned)
            Assert.Contains("at step 40 of 500", warning, StringComparison.Ordinal);
    }
}
