using FhirRisk.Model.Gpt;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Pretraining;

namespace FhirRisk.Training.Tests.Pretraining;

/// <summary>Issue 6 item 7: each bad input is a <see cref="TrainingException"/> with a stable code, the file, and a hint.</summary>
public sealed class PretrainingInputErrorTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly TimelineTokenizer _tokenizer;
    private readonly string _tokens;

    public PretrainingInputErrorTests()
    {
        (_tokenizer, _tokens) = TokenData.Cycle(_temp.File("data"));
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Start_FolderWithoutManifest_NoTrainingData()
    {
        Directory.CreateDirectory(_temp.File("empty"));

        var error = Start(_tokenizer, _temp.File("empty"), TinyRuns.Settings);

        Assert.Equal(PretrainingErrorCodes.NoTrainingData, error.Code);
        Assert.Equal(_temp.File("empty"), error.Path);
        Assert.Contains("fhirrisk tokenize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_TrainSplitWithoutTokens_NoTrainingData()
    {
        var (tokenizer, tokens) = TokenData.Write(_temp.File("statics-only"), train: [0, 0], tuning: [5]);

        var error = Start(tokenizer, tokens, TinyRuns.Settings);

        Assert.Equal(PretrainingErrorCodes.NoTrainingData, error.Code);
        Assert.Contains("Hint:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_NoTuningSplit_NoTuningDataUnlessEvaluationIsOff()
    {
        var (tokenizer, tokens) = TokenData.Write(_temp.File("train-only"), train: [20, 30], tuning: []);

        var error = Start(tokenizer, tokens, TinyRuns.Settings);
        using var withoutEvaluation = Pretrainer.Start(tokenizer, tokens, _temp.File("model"), TinyRuns.Settings with { EvalEvery = 0, Steps = 2 });
        var result = withoutEvaluation.Run();

        Assert.Equal(PretrainingErrorCodes.NoTuningData, error.Code);
        Assert.Contains("--eval-every 0", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, result.Step);
        Assert.True(File.Exists(_temp.File("model", "model.safetensors")));
    }

    [Fact]
    public void Start_ShardsOfAnotherTokenizer_TokenizerMismatch()
    {
        var (other, _) = TokenData.Write(_temp.File("other"), train: [10], tuning: [10], codes: ["DX//X", "DX//Y"]);

        var error = Start(other, _tokens, TinyRuns.Settings);

        Assert.Equal(PretrainingErrorCodes.TokenizerMismatch, error.Code);
    }

    [Fact]
    public void Start_ShardsOfATokenizerWithTheSameTokensAndOtherRules_TokenizerMismatch()
    {
        // Review s22 trainer H1: only the token list was compared, so a refitted tokenizer (other deciles, quantized
        // codes, tie order) trained on shards it did not write and went into the model directory.
        var other = WithOtherRules(_tokenizer);

        var error = Start(other, _tokens, TinyRuns.Settings);
        var fromModel = Assert.Throws<TrainingException>(() =>
            Pretrainer.Start(other, _tokens, _temp.File("refused-init"), TinyRuns.Settings, initialWeights: TrainAndStop(steps: 1)));

        Assert.Equal(_tokenizer.Vocabulary.Fingerprint, other.Vocabulary.Fingerprint);
        Assert.Equal(PretrainingErrorCodes.TokenizerMismatch, error.Code);
        Assert.Contains("another tokenizer", error.Message, StringComparison.Ordinal);
        Assert.Equal(PretrainingErrorCodes.TokenizerMismatch, fromModel.Code);
        Assert.False(Directory.Exists(_temp.File("refused-init")), "nothing is written for a refused run");
    }

    [Fact]
    public void Resume_WithAnotherTokenizer_TokenizerMismatch()
    {
        var model = TrainAndStop(steps: 2);
        var (other, _) = TokenData.Write(_temp.File("other"), train: [10], tuning: [10], codes: ["DX//X", "DX//Y"]);

        var error = Assert.Throws<TrainingException>(() => Pretrainer.Resume(other, _tokens, model));

        Assert.Equal(PretrainingErrorCodes.TokenizerMismatch, error.Code);
        Assert.Contains("--tokenizer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resume_TruncatedOptimizerState_CorruptCheckpointNamingTheFile()
    {
        var model = TrainAndStop(steps: 2);
        var optimizer = Path.Combine(model, "checkpoints", "last", "optimizer.safetensors");
        File.WriteAllBytes(optimizer, File.ReadAllBytes(optimizer)[..^16]);

        var error = Assert.Throws<TrainingException>(() => Pretrainer.Resume(_tokenizer, _tokens, model));

        Assert.Equal(PretrainingErrorCodes.CorruptCheckpoint, error.Code);
        Assert.Equal(optimizer, error.Path);
        Assert.Contains("Hint:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resume_DamagedTrainingRecord_CorruptCheckpoint()
    {
        var model = TrainAndStop(steps: 2);
        File.WriteAllText(Path.Combine(model, "checkpoints", "last", "training.json"), "{\"step\": ");

        var error = Assert.Throws<TrainingException>(() => Pretrainer.Resume(_tokenizer, _tokens, model));

        Assert.Equal(PretrainingErrorCodes.CorruptCheckpoint, error.Code);
    }

    [Fact]
    public void Resume_WithoutACheckpoint_SaysToStartWithoutResume()
    {
        var error = Assert.Throws<TrainingException>(() => Pretrainer.Resume(_tokenizer, _tokens, _temp.File("never-trained")));

        Assert.Equal(PretrainingErrorCodes.CorruptCheckpoint, error.Code);
        Assert.Contains("without --resume", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_that_is_a_file_is_refused_before_any_data_is_read_by_train_and_finetune()
    {
        // Review s22 trainer M3: finetune trained to the end and then failed to save, telling the user to delete their file.
        var file = _temp.File("a-file");
        File.WriteAllText(file, "the user's");

        var train = Assert.Throws<TrainingException>(() => Pretrainer.Start(_tokenizer, _temp.File("no-such-tokens"), file, TinyRuns.Settings));
        var finetune = Assert.Throws<TrainingException>(() => FhirRisk.Training.Finetuning.FinetunedModel.CheckEmpty(file));

        Assert.Equal(PretrainingErrorCodes.OutputNotEmpty, train.Code);
        Assert.Contains("is a file", train.Message, StringComparison.Ordinal);
        Assert.Equal(FhirRisk.Training.Finetuning.FinetuningErrorCodes.OutputNotEmpty, finetune.Code);
        Assert.Contains("is a file", finetune.Message, StringComparison.Ordinal);
        Assert.Equal("the user's", File.ReadAllText(file));
    }

    [Fact]
    public void Start_IntoAFolderHoldingARun_OutputNotEmpty()
    {
        var model = TrainAndStop(steps: 1);

        var error = Assert.Throws<TrainingException>(() => Pretrainer.Start(_tokenizer, _tokens, model, TinyRuns.Settings));

        Assert.Equal(PretrainingErrorCodes.OutputNotEmpty, error.Code);
        Assert.Contains("--resume", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_DivergingLoss_StopsNamingTheStepAndSavesNoNonFiniteWeights()
    {
        var model = _temp.File("model");
        var settings = TinyRuns.Settings with { LearningRate = 1e30, WarmupSteps = 0, EvalEvery = 0, CheckpointEvery = 1 };
        using var trainer = Pretrainer.Start(_tokenizer, _tokens, model, settings);

        var error = Assert.Throws<TrainingException>(() => trainer.Run());

        Assert.Equal(PretrainingErrorCodes.NonFiniteLoss, error.Code);
        Assert.Contains($"at step {trainer.Step + 1}", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(model, "model.safetensors")));
        var saved = GptCheckpoint.Load(Path.Combine(model, "checkpoints", "last"));
        Assert.All(saved.Values, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(1, 0)] // the last step's update diverges and the run ends: the final save
    [InlineData(5, 1)] // a checkpoint after every step
    public void Run_AnUpdateThatMakesTheWeightsNonFinite_IsRefusedBeforeAnySaveHoldsThem(int steps, int checkpointEvery)
    {
        // The loss and gradient of step 1 are finite; only the update, at a learning rate of 1e39, is not.
        var model = _temp.File("model");
        var settings = TinyRuns.Settings with { Steps = steps, LearningRate = 1e39, WarmupSteps = 0, EvalEvery = 0, CheckpointEvery = checkpointEvery };
        using var trainer = Pretrainer.Start(_tokenizer, _tokens, model, settings);

        var error = Assert.Throws<TrainingException>(() => trainer.Run());

        Assert.Equal(PretrainingErrorCodes.NonFiniteLoss, error.Code);
        Assert.False(File.Exists(Path.Combine(model, "model.safetensors")));
        Assert.False(Directory.Exists(Path.Combine(model, "checkpoints", "last")) && GptCheckpoint.Load(Path.Combine(model, "checkpoints", "last")).Values.Any(v => !float.IsFinite(v)));
    }

    [Fact]
    public void Run_DiskFullWhileSavingTheModel_SaveFailedNamingTheFolder()
    {
        Assert.True(File.Exists("/dev/full"), "this test writes to /dev/full, which Linux provides");
        var model = _temp.File("model");
        using var trainer = Pretrainer.Start(_tokenizer, _tokens, model, TinyRuns.Settings with { EvalEvery = 1 });
        File.CreateSymbolicLink(Path.Combine(model, "model.safetensors.partial"), "/dev/full");

        var error = Assert.Throws<TrainingException>(() => trainer.Run());

        Assert.Equal(PretrainingErrorCodes.SaveFailed, error.Code);
        Assert.Equal(model, error.Path);
        Assert.IsAssignableFrom<IOException>(error.InnerException);
        Assert.Contains("free space", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_FromAModelOfAnotherShape_InitialWeightsNamingTheShapes()
    {
        var model = TrainAndStop(steps: 2);

        var error = Assert.Throws<TrainingException>(() =>
            Pretrainer.Start(_tokenizer, _tokens, _temp.File("refused-model"), TinyRuns.Settings with { Channels = 32 }, initialWeights: model));

        Assert.Equal(PretrainingErrorCodes.InitialWeights, error.Code);
        Assert.Equal(model, error.Path);
        Assert.Contains("--channels", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.File("refused-model")), "nothing is written for a refused run");
    }

    [Fact]
    public void Start_FromAModelOfAnotherVocabulary_TokenizerMismatch()
    {
        var (other, otherTokens) = TokenData.Write(_temp.File("other"), train: [10, 12], tuning: [10], codes: ["DX//X", "DX//Y"]);
        var model = _temp.File("other-model");
        using (var trainer = Pretrainer.Start(other, otherTokens, model, TinyRuns.Settings with { Steps = 1, WarmupSteps = 0, EvalEvery = 0 }))
            trainer.Run();

        var error = Assert.Throws<TrainingException>(() =>
            Pretrainer.Start(_tokenizer, _tokens, _temp.File("refused-model"), TinyRuns.Settings, initialWeights: model));

        Assert.Equal(PretrainingErrorCodes.TokenizerMismatch, error.Code);
        Assert.Contains("--tokenizer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_FromAFolderWithoutWeights_InitialWeightsNamingTheFile()
    {
        Directory.CreateDirectory(_temp.File("no-model"));

        var error = Assert.Throws<TrainingException>(() =>
            Pretrainer.Start(_tokenizer, _tokens, _temp.File("refused-model"), TinyRuns.Settings, initialWeights: _temp.File("no-model")));

        Assert.Equal(PretrainingErrorCodes.InitialWeights, error.Code);
        Assert.Equal(_temp.File("no-model", "model.safetensors"), error.Path);
    }

    private TrainingException Start(TimelineTokenizer tokenizer, string tokens, PretrainingSettings settings) =>
        Assert.Throws<TrainingException>(() => Pretrainer.Start(tokenizer, tokens, _temp.File("refused-model"), settings));

    [Fact]
    public void AModelDirectoryMixingTwoSaves_IsRefusedByInitFinetuningAndTheProbe()
    {
        // A save of the best weights renames config.json and model.safetensors, then training.json. A crash between the
        // renames leaves the new weights beside the previous record: simulated by copying in another save's weights.
        var model = TrainAndStop(steps: 2);
        var other = _temp.File("other-seed");
        using (var trainer = Pretrainer.Start(_tokenizer, _tokens, other, TinyRuns.Settings with { Seed = 6 }))
            TinyRuns.RunUntil(trainer, stopAfter: 2);
        File.Copy(Path.Combine(other, "model.safetensors"), Path.Combine(model, "model.safetensors"), overwrite: true);

        var init = Assert.Throws<TrainingException>(() =>
            Pretrainer.Start(_tokenizer, _tokens, _temp.File("refused-model"), TinyRuns.Settings, initialWeights: model));
        var finetune = Assert.Throws<TrainingException>(() => FhirRisk.Training.Finetuning.PretrainedModel.Load(model));
        var probe = Assert.Throws<TrainingException>(() => FhirRisk.Training.Probes.ProbeModel.Load(model));

        Assert.Equal(PretrainingErrorCodes.InitialWeights, init.Code);
        Assert.Equal(Path.Combine(model, "model.safetensors"), init.Path);
        Assert.Equal(FhirRisk.Training.Finetuning.FinetuningErrorCodes.BadModel, finetune.Code);
        Assert.Equal(Path.Combine(model, "model.safetensors"), finetune.Path);
        Assert.Equal((FhirRisk.Training.Probes.ProbeErrorCodes.BadModel, Path.Combine(model, "model.safetensors")), (probe.Code, probe.Path));
        Assert.False(Directory.Exists(_temp.File("refused-model")), "nothing is written for a refused run");
    }

    private string TrainAndStop(int steps)
    {
        var model = _temp.File("model-" + steps);
        using var trainer = Pretrainer.Start(_tokenizer, _tokens, model, TinyRuns.Settings);
        TinyRuns.RunUntil(trainer, stopAfter: steps);
        return model;
    }

    /// <summary><paramref name="tokenizer"/> with the same tokens and another tie order: other ids for the same events.</summary>
    private TimelineTokenizer WithOtherRules(TimelineTokenizer tokenizer)
    {
        var folder = _temp.File("other-rules");
        tokenizer.Save(folder);
        var path = Path.Combine(folder, "tokenizer.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        var settings = json["settings"]!;
        settings["tie_order"] = settings["tie_order"]?.GetValue<string>() == "canonical" ? "input" : "canonical";
        File.WriteAllText(path, json.ToJsonString());
        return TimelineTokenizer.Load(folder);
    }
}
