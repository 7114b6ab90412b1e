using FhirRisk.Meds;
using FhirRisk.Model.Gpt;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;

namespace FhirRisk.Training.Tests.Probes;

/// <summary>
/// A model directory for the probe tests: a tokenizer fitted on samples/meds-demo and a tiny randomly initialised GPT
/// (L = 2, NH = 2, C = 16) saved with <see cref="GptCheckpoint"/> beside it.
/// </summary>
internal static class TinyProbeModel
{
    public static string Sample => RepositoryPaths.Combine("samples", "meds-demo");

    /// <summary>Writes the model directory into <paramref name="directory"/> and returns it.</summary>
    /// <param name="directory">The folder to write.</param>
    /// <param name="context">T, the context length.</param>
    /// <param name="extraVocabulary">Ids beyond the tokenizer's (as finetuning's task tokens add).</param>
    public static string Create(string directory, int context = 64, int extraVocabulary = 0)
    {
        var tokenizer = TimelineTokenizer.Fit(MedsDatasetReader.Open(Sample));
        var config = new GptConfig(tokenizer.Vocabulary.Count + extraVocabulary, Layers: 2, Heads: 2, Channels: 16, ContextLength: context);
        Directory.CreateDirectory(directory);
        GptCheckpoint.Save(directory, GptParameters.Initialize(config, seed: 7));
        tokenizer.Save(directory);
        return directory;
    }
}
