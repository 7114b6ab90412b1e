using FhirRisk.Meds;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Model.Gpt;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Finetuning;
using FhirRisk.Training.Pretraining;
using FhirRisk.Training.Probes;

namespace FhirRisk.Training.Tests.Pretraining;

/// <summary>
/// Checkpoints and models whose files still parse but are not what the run saved: a flipped bit, a file from another
/// run, NaN weights, negative second moments, other token shards. Each is refused when loaded, naming the file, instead
/// of resuming silently or being blamed on the learning rate a few steps later.
/// </summary>
public sealed class CheckpointIntegrityTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly TimelineTokenizer _tokenizer;
    private readonly string _tokens;

    public CheckpointIntegrityTests()
    {
        (_tokenizer, _tokens) = TokenData.Cycle(_temp.File("data"));
    }

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("optimizer.safetensors")]
    public void Resume_AFileWithOneFlippedBit_CorruptCheckpointNamingTheFile(string name)
    {
        var model = Train("model", seed: 5);
        var file = Path.Combine(model, "checkpoints", "last", name);
        var bytes = File.ReadAllBytes(file);
        bytes[^10] ^= 0x01; // a low mantissa bit of one value: still a finite float
        File.WriteAllBytes(file, bytes);

        var error = Assert.Throws<TrainingException>(() => Pretrainer.Resume(_tokenizer, _tokens, model));

        Assert.Equal(PretrainingErrorCodes.CorruptCheckpoint, error.Code);
        Assert.Equal(file, error.Path);
        Assert.Single(Hints(error.Message));
    }

    [Fact]
    public void Resume_ModelFileOfAnotherRunOfTheSameShape_CorruptCheckpoint()
    {
        var model = Train("model", seed: 5);
        var other = Train("other", seed: 6);
        var file = Path.Combine(model, "checkpoints", "last", Checkpoint.ModelFileName);
        File.Copy(Path.Combine(other, "checkpoints", "last", Checkpoint.ModelFileName), file, overwrite: true);

        var error = Assert.Throws<TrainingException>(() => Pretrainer.Resume(_tokenizer, _tokens, model));

        Assert.Equal(PretrainingErrorCodes.CorruptCheckpoint, error.Code);
        Assert.Equal(file, error.Path);
    }

    [Fact]
    public void Resume_NonFiniteWeightsRecordedAsSaved_CorruptCheckpointNamingModelSafetensors()
    {
        var model = Train("model", seed: 5);
        Rewrite(model, (weights, _, _) => weights[7] = float.NaN);

        var error = Assert.Throws<TrainingException>(() => Pretrainer.Resume(_tokenizer, _tokens, model));

        Assert.Equal(PretrainingErrorCodes.CorruptCheckpoint, error.Code);
        Assert.Equal(Path.Combine(model, "checkpoints", "last", Checkpoint.ModelFileName), error.Path);
    }

    [Fact]
    public void Resume_ANegativeSecondMoment_CorruptCheckpointNamingOptimizerSafetensors()
    {
        var model = Train("model", seed: 5);
        Rewrite(model, (_, _, v) => v[3] = -1f);

        var error = Assert.Throws<TrainingException>(() => Pretrainer.Resume(_tokenizer, _tokens, model));

        Assert.Equal(PretrainingErrorCodes.CorruptCheckpoint, error.Code);
        Assert.Equal(Path.Combine(model, "checkpoints", "last", Checkpoint.OptimizerFileName), error.Path);
        Assert.Contains("exp_avg_sq", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resume_TruncatedFile_GivesOneHint()
    {
        var model = Train("model", seed: 5);
        var file = Path.Combine(model, "checkpoints", "last", Checkpoint.OptimizerFileName);
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..^16]);
        // As a checkpoint of an older build, without hashes: the safetensors reader's own error, wrapped.
        var folder = Path.Combine(model, "checkpoints", "last");
        (TrainingRecord.Load(folder) with { FileSha256 = null }).Save(folder);

        var error = Assert.Throws<TrainingException>(() => Pretrainer.Resume(_tokenizer, _tokens, model));

        Assert.Equal(PretrainingErrorCodes.CorruptCheckpoint, error.Code);
        Assert.Single(Hints(error.Message));
        Assert.DoesNotContain("earlier checkpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resume_OnOtherTokenShardsOfTheSameTokenizer_TokenizerMismatchNamingTheRunsTokens()
    {
        var model = Train("model", seed: 5);
        // A smaller cohort of the same codes, tokenized with the run's tokenizer.
        TokenData.Write(_temp.File("small"), train: [40, 3], tuning: [30]);
        var other = _temp.File("small-tokens");
        DatasetTokenization.Run(_tokenizer, MedsDatasetReader.Open(_temp.File("small", "meds")), other);

        var error = Assert.Throws<TrainingException>(() => Pretrainer.Resume(_tokenizer, other, model));

        Assert.Equal(PretrainingErrorCodes.TokenizerMismatch, error.Code);
        Assert.Equal(other, error.Path);
        Assert.Contains($"--tokens {Path.GetFullPath(_tokens)}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonFiniteModel_IsRefusedByInitFinetuneAndProbe_NamingModelSafetensors()
    {
        var model = Train("model", seed: 5);
        var parameters = GptCheckpoint.Load(model);
        parameters.Values[11] = float.PositiveInfinity;
        GptCheckpoint.Save(model, parameters);
        // Saved as a run would have saved them (the record vouching for these files), so that what is refused is the
        // infinite weight itself, not a file that differs from its record (which the probe checks first, PR003).
        var record = TrainingRecord.Load(model);
        (record with { FileSha256 = CheckpointIntegrity.ModelFileHashes(model) }).Save(model);
        var weights = Path.Combine(model, Checkpoint.ModelFileName);

        var init = Assert.Throws<TrainingException>(() => Pretrainer.Start(_tokenizer, _tokens, _temp.File("init"), TinyRuns.Settings, initialWeights: model));
        var finetune = Assert.Throws<TrainingException>(() => PretrainedModel.Load(model));
        var probe = Assert.Throws<TrainingException>(() => ProbeModel.Load(model));

        Assert.Equal((PretrainingErrorCodes.InitialWeights, weights), (init.Code, init.Path));
        Assert.Equal((FinetuningErrorCodes.BadModel, weights), (finetune.Code, finetune.Path));
        Assert.Equal((ProbeErrorCodes.NonFinite, weights), (probe.Code, probe.Path));
        Assert.DoesNotContain("--lr", init.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Finetune_FromACheckpointFolder_BadModelPointingToTheModelDirectory()
    {
        var model = Train("model", seed: 5);

        var error = Assert.Throws<TrainingException>(() => PretrainedModel.Load(Path.Combine(model, "checkpoints", "last")));

        Assert.Equal(FinetuningErrorCodes.BadModel, error.Code);
        Assert.Contains($"--model {model}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_DamagedCheckpoint_BadModelWithOneHint()
    {
        var model = Train("model", seed: 5);
        var file = Path.Combine(model, Checkpoint.ModelFileName);
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..^16]);

        var error = Assert.Throws<TrainingException>(() => ProbeModel.Load(model));

        Assert.Equal(ProbeErrorCodes.BadModel, error.Code);
        Assert.Single(Hints(error.Message));
    }

    [Theory]
    [InlineData("torn")]
    [InlineData("damaged-record")]
    public void Resume_RepairsAModelDirectoryWhoseBestSaveWasTorn_WithoutAnEvaluationToRewriteIt(string how)
    {
        // Review s22 trainer M1: a kill between the best weights' renames and their record (torn), or a damaged record,
        // was carried through a resume with --eval-every 0 into a directory every consumer refused.
        var model = Train("model", seed: 5); // evaluated at step 2 (the best weights), stopped at step 3
        if (how == "torn")
            File.Copy(Path.Combine(model, "checkpoints", "last", Checkpoint.ModelFileName), Path.Combine(model, Checkpoint.ModelFileName), overwrite: true);
        else
            File.WriteAllText(Path.Combine(model, TrainingRecord.FileName), "{\"format\": ");

        PretrainingResult result;
        using (var trainer = Pretrainer.Resume(_tokenizer, _tokens, model, s => s with { EvalEvery = 0 }))
            result = trainer.Run();

        Assert.Equal(TinyRuns.Settings.Steps, result.Step);
        Assert.Contains("step 2", result.BestWeightsLost, StringComparison.Ordinal);
        CheckpointIntegrity.CheckModelFiles(model, PretrainingErrorCodes.CorruptCheckpoint);
        Assert.Equal(result.Step, TrainingRecord.Load(model).WeightsStep);
        Assert.Equal(GptCheckpoint.Load(Path.Combine(model, "checkpoints", "last")).Values, GptCheckpoint.Load(model).Values);
    }

    [Fact]
    public void Resume_KeepsIntactBestWeights()
    {
        var model = Train("model", seed: 5);
        var best = File.ReadAllBytes(Path.Combine(model, Checkpoint.ModelFileName));

        PretrainingResult result;
        using (var trainer = Pretrainer.Resume(_tokenizer, _tokens, model, s => s with { EvalEvery = 0 }))
            result = trainer.Run();

        Assert.Null(result.BestWeightsLost);
        Assert.Equal(best, File.ReadAllBytes(Path.Combine(model, Checkpoint.ModelFileName)));
        Assert.Equal(2, TrainingRecord.Load(model).WeightsStep);
    }

    private string Train(string name, ulong seed)
    {
        var model = _temp.File(name);
        using var trainer = Pretrainer.Start(_tokenizer, _tokens, model, TinyRuns.Settings with { Seed = seed });
        TinyRuns.RunUntil(trainer, stopAfter: 3);
        return model;
    }

    /// <summary>Changes the checkpoint's tensors and records the new files' hashes, as a save of such values would.</summary>
    private static void Rewrite(string model, Action<float[], float[], float[]> change)
    {
        var folder = Path.Combine(model, "checkpoints", "last");
        var parameters = GptCheckpoint.Load(folder);
        var (m, v) = (new float[parameters.Values.Length], new float[parameters.Values.Length]);
        var progress = GptCheckpoint.LoadOptimizer(folder, parameters.Layout, m, v);
        change(parameters.Values, m, v);
        GptCheckpoint.Save(folder, parameters, m, v, progress);
        var record = TrainingRecord.Load(folder);
        (record with { FileSha256 = CheckpointIntegrity.FileHashes(folder) }).Save(folder);
    }

    private static string[] Hints(string message) => message.Split("Hint:")[1..];
}
