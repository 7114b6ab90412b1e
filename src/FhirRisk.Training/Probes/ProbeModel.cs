using FhirRisk.Model.Checkpoints;
using FhirRisk.Model.Gpt;
using FhirRisk.Tokenizer;

namespace FhirRisk.Training.Probes;

/// <summary>
/// A pretrained model directory as the probe reads it (docs/formats/model-directory.md): the GPT checkpoint
/// (<c>config.json</c>, <c>model.safetensors</c>) and the tokenizer (<c>tokenizer.json</c>, <c>vocabulary.tsv</c>) at its
/// top, checked to fit each other.
/// </summary>
/// <param name="Directory">The model directory.</param>
/// <param name="Parameters">The weights.</param>
/// <param name="Tokenizer">The timeline language the model was trained on.</param>
public sealed record ProbeModel(string Directory, GptParameters Parameters, TimelineTokenizer Tokenizer)
{
    /// <summary>Loads and checks <paramref name="directory"/>.</summary>
    /// <exception cref="TrainingException">A file is missing or damaged, or the tokenizer does not fit the model.</exception>
    public static ProbeModel Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        // The files must be the ones training.json vouches for, as finetuning and the service require.
        Pretraining.CheckpointIntegrity.CheckModelFiles(directory, ProbeErrorCodes.BadModel);
        GptParameters parameters;
        TimelineTokenizer tokenizer;
        try
        {
            parameters = GptCheckpoint.Load(directory);
        }
        catch (Exception e) when (e is CheckpointException or IOException)
        {
            throw new TrainingException(ProbeErrorCodes.BadModel, directory,
                $"the model checkpoint cannot be read: {TrainingException.WithoutHint(e.Message)} Hint: point --model at a directory written by 'fhirrisk train'.", e);
        }
        try
        {
            tokenizer = TimelineTokenizer.Load(directory);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new TrainingException(ProbeErrorCodes.BadModel, directory,
                $"the tokenizer cannot be read: {TrainingException.WithoutHint(e.Message)} Hint: the model directory must hold the tokenizer.json and vocabulary.tsv the model was trained with.", e);
        }
        Check(directory, parameters.Config, tokenizer);
        FiniteWeights.Require(parameters, directory, ProbeErrorCodes.NonFinite, "point --model at another model directory (or an intact copy of this one).");
        return new ProbeModel(directory, parameters, tokenizer);
    }

    /// <summary>Throws <see cref="TrainingException"/> unless every token id fits the model and a window has room after the static prefix.</summary>
    public static void Check(string directory, GptConfig config, TimelineTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        // The model may have more ids than the tokenizer (finetuning appends task tokens), never fewer.
        if (tokenizer.Vocabulary.Count > config.VocabSize)
        {
            throw new TrainingException(ProbeErrorCodes.TokenizerMismatch, directory,
                $"the tokenizer has {tokenizer.Vocabulary.Count} tokens but the model only {config.VocabSize}. Hint: use the tokenizer the model was trained with (they are saved together in the model directory).");
        }
        if (config.ContextLength <= tokenizer.PrefixLength)
        {
            throw new TrainingException(ProbeErrorCodes.TokenizerMismatch, directory,
                $"the model's context of {config.ContextLength} tokens leaves no room after the {tokenizer.PrefixLength}-token static prefix. Hint: train with a longer context.");
        }
    }
}
