using System.Globalization;
using System.Text.RegularExpressions;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Pretraining;

namespace FhirRisk.Training.Tests.Pretraining;

/// <summary>
/// What a failed or interrupted run leaves behind, and whether the way forward its message gives works: a new run that
/// fails (or stops) before its first checkpoint removes its folder, so the same command runs again; a run with a
/// checkpoint keeps it and names a command that continues from it.
/// </summary>
public sealed class FailedRunStateTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly TimelineTokenizer _tokenizer;
    private readonly string _tokens;

    public FailedRunStateTests()
    {
        (_tokenizer, _tokens) = TokenData.Cycle(_temp.File("data"));
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Run_NewRunDivergingBeforeItsFirstCheckpoint_RemovesTheFolderSoTheSameOutRunsAgain()
    {
        var model = _temp.File("model");
        var diverging = TinyRuns.Settings with { LearningRate = 1e30, WarmupSteps = 0, EvalEvery = 2, CheckpointEvery = 0 };
        using (var trainer = Pretrainer.Start(_tokenizer, _tokens, model, diverging))
        {
            var error = Assert.Throws<TrainingException>(() => trainer.Run());

            Assert.Equal(PretrainingErrorCodes.NonFiniteLoss, error.Code);
            Assert.Contains("no checkpoint yet", error.Message, StringComparison.Ordinal);
            Assert.Contains("the same --out is free", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("--resume", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("intact", error.Message, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(model), "a failed new run leaves nothing behind");
        using var again = Pretrainer.Start(_tokenizer, _tokens, model, TinyRuns.Settings);
        Assert.Equal(TinyRuns.Settings.Steps, again.Run().Step);
    }

    [Fact]
    public void Run_DivergingAfterACheckpoint_KeepsItAndTheHintedInitRunFromTheBestWeightsWorks()
    {
        // A run that trains soundly to a checkpoint at step 2, then diverges: its rate is made huge from step 3 on, as a
        // rate that is only too high once the warmup ends would.
        var model = _temp.File("model");
        var settings = TinyRuns.Settings with { EvalEvery = 1, CheckpointEvery = 1 };
        using (var first = Pretrainer.Start(_tokenizer, _tokens, model, settings))
            TinyRuns.RunUntil(first, stopAfter: 2);
        var last = Path.Combine(model, "checkpoints", "last");
        var saved = TrainingRecord.Load(last);
        (saved with { Settings = saved.Settings with { LearningRate = 1e30, WarmupSteps = 0 } }).Save(last);
        TrainingException error;
        using (var resumed = Pretrainer.Resume(_tokenizer, _tokens, model))
            error = Assert.Throws<TrainingException>(() => resumed.Run());

        Assert.Equal(PretrainingErrorCodes.NonFiniteLoss, error.Code);
        Assert.True(error.Message.Contains("intact. A resume would repeat this step exactly", StringComparison.Ordinal), error.Message);
        Assert.Contains($"--tokenizer {model} --init {model} ", error.Message, StringComparison.Ordinal);
        // The suggested command keeps the run's other settings (review s22 trainer L2), the rate left to the user.
        Assert.Contains("--context 16 --batch 4 --steps 6 --warmup 0 --eval-every 1 --eval-batches 2 --checkpoint-every 1 --seed 5 --lr <lower>", error.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(last));
        // The hint: a new run from the best weights (whose tuning loss was finite), the same shape, a lower rate.
        using var continued = Pretrainer.Start(_tokenizer, _tokens, _temp.File("continued"), settings, initialWeights: model);
        Assert.Equal(settings.Steps, continued.Run().Step);
    }

    [Fact]
    public void Run_SaveFailingOnANewRun_ClaimsNoCheckpointAndRemovesTheFolder()
    {
        Assert.True(File.Exists("/dev/full"), "this test writes to /dev/full, which Linux provides");
        var model = _temp.File("model");
        using var trainer = Pretrainer.Start(_tokenizer, _tokens, model, TinyRuns.Settings with { EvalEvery = 1 });
        File.CreateSymbolicLink(Path.Combine(model, "model.safetensors.partial"), "/dev/full");

        var error = Assert.Throws<TrainingException>(() => trainer.Run());

        Assert.Equal(PretrainingErrorCodes.SaveFailed, error.Code);
        Assert.DoesNotContain("intact", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("--resume", error.Message, StringComparison.Ordinal);
        Assert.Contains("free space", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(model));
    }

    [Fact]
    public void Run_SaveFailingAfterACheckpoint_KeepsItRemovesThePartialFileAndHintsResume()
    {
        var model = _temp.File("model");
        using (var first = Pretrainer.Start(_tokenizer, _tokens, model, TinyRuns.Settings))
            TinyRuns.RunUntil(first, stopAfter: 2);
        // The run's last write, the model directory's training.json, fails after the final checkpoint is saved.
        var partial = Path.Combine(model, "training.json.partial");
        File.CreateSymbolicLink(partial, "/dev/full");
        TrainingException error;
        using (var resumed = Pretrainer.Resume(_tokenizer, _tokens, model))
            error = Assert.Throws<TrainingException>(() => resumed.Run());

        Assert.Equal(PretrainingErrorCodes.SaveFailed, error.Code);
        var intact = Regex.Match(error.Message, "The checkpoint of step ([0-9]+) in [^ ]+ is intact");
        Assert.True(intact.Success, error.Message);
        Assert.Contains("--resume", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(partial), "the failed save's partial file is removed");
        using var again = Pretrainer.Resume(_tokenizer, _tokens, model);
        Assert.Equal(long.Parse(intact.Groups[1].Value, CultureInfo.InvariantCulture), again.Step);
    }

    [Fact]
    public void Run_LossCurveFailingAtTheEnd_IsAWarningNotAFailure()
    {
        // The chart is written last, after the checkpoint and the model: its failure named a --resume that is refused
        // ("nothing to resume") for a run that has finished.
        Assert.True(File.Exists("/dev/full"), "this test writes to /dev/full, which Linux provides");
        var model = _temp.File("model");
        using var trainer = Pretrainer.Start(_tokenizer, _tokens, model, TinyRuns.Settings);
        File.CreateSymbolicLink(trainer.Directory.LossCurve + Core.DurableFiles.PartialSuffix, "/dev/full");

        var result = trainer.Run();

        Assert.Equal(TinyRuns.Settings.Steps, result.Step);
        Assert.NotNull(result.LossCurveNotWritten);
        Assert.True(File.Exists(Path.Combine(model, "model.safetensors")));
        Assert.False(File.Exists(trainer.Directory.LossCurve), "no cut chart");
    }

    [Fact]
    public void Run_NewRunCancelledBeforeItsFirstStep_SavesNothingAndRemovesTheFolder()
    {
        var model = _temp.File("model");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        using var trainer = Pretrainer.Start(_tokenizer, _tokens, model, TinyRuns.Settings);

        var result = trainer.Run(cancellationToken: cancelled.Token);

        Assert.True(result.NothingSaved);
        Assert.Equal(0, result.Step);
        Assert.False(Directory.Exists(model), "random initial weights are not a model");
    }

    [Fact]
    public void Start_IntoAnEmptyFolderThatFails_EmptiesItButKeepsIt()
    {
        var model = _temp.File("empty-model");
        Directory.CreateDirectory(model);
        using (var trainer = Pretrainer.Start(_tokenizer, _tokens, model, TinyRuns.Settings with { LearningRate = 1e30, WarmupSteps = 0, EvalEvery = 0 }))
            Assert.Throws<TrainingException>(() => trainer.Run());

        Assert.True(Directory.Exists(model));
        Assert.Empty(Directory.EnumerateFileSystemEntries(model));
    }
}
