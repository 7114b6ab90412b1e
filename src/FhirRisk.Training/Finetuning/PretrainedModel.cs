using System.Globalization;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Model.Gpt;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Pretraining;

namespace FhirRisk.Training.Finetuning;

/// <summary>
/// The pretrained model directory finetuning starts from (docs/finetuning.md): its tokenizer and weights, which must
/// share one vocabulary and be finite. A run's checkpoint folder is refused with the model directory to pass instead.
/// </summary>
public static class PretrainedModel
{
    /// <summary>Loads and checks <paramref name="folder"/>.</summary>
    /// <exception cref="TrainingException"><see cref="FinetuningErrorCodes.BadModel"/> (not a model directory, or
    /// non-finite weights) or <see cref="FinetuningErrorCodes.TokenizerMismatch"/>.</exception>
    /// <exception cref="CheckpointException">The weights or config cannot be read.</exception>
    /// <exception cref="InvalidDataException">The tokenizer cannot be read.</exception>
    public static (TimelineTokenizer Tokenizer, GptParameters Parameters) Load(string folder)
    {
        if (ModelDirectory.OfCheckpoint(folder) is { } run)
            throw new TrainingException(FinetuningErrorCodes.BadModel, folder,
                $"this is a training run's resumable checkpoint folder, not a model directory (it has no tokenizer, and holds the latest weights, not the best). Hint: pass the run's model directory: --model {run}.");
        if (!File.Exists(Path.Combine(folder, "tokenizer.json")))
            throw new TrainingException(FinetuningErrorCodes.BadModel, folder,
                "there is no tokenizer.json, so this is not a model directory. Hint: pass a model directory written by 'fhirrisk train' (config.json, model.safetensors, tokenizer.json, vocabulary.tsv).");
        CheckpointIntegrity.CheckModelFiles(folder, FinetuningErrorCodes.BadModel);
        var tokenizer = TimelineTokenizer.Load(folder);
        var parameters = GptCheckpoint.Load(folder);
        if (parameters.Config.VocabSize != tokenizer.Vocabulary.Count)
        {
            var finetuned = File.Exists(Path.Combine(folder, "heads.json")) ? " It is already finetuned (heads.json): pass the pretrained model it came from." : "";
            throw new TrainingException(FinetuningErrorCodes.TokenizerMismatch, folder, string.Create(CultureInfo.InvariantCulture,
                $"the model has a vocabulary of {parameters.Config.VocabSize} tokens, its tokenizer {tokenizer.Vocabulary.Count}.{finetuned} Hint: pass a model directory written by 'fhirrisk train'."));
        }
        FiniteWeights.Require(parameters, folder, FinetuningErrorCodes.BadModel,
            "pass another model directory (or an intact copy of this one); a run that diverged needs training again with a lower --lr.");
        return (tokenizer, parameters);
    }
}
