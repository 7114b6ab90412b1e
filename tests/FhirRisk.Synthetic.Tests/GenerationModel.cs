using FhirRisk.Meds;
using FhirRisk.Model.Gpt;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;

namespace FhirRisk.Synthetic.Tests;

/// <summary>
/// A model directory to generate from, built once per test run: a tokenizer fitted on the repository's MEDS sample
/// (samples/meds-demo: train, tuning and held-out subjects) and a random GPT (1 layer, C = 16, T = 32). Its patients
/// are nonsense, but they exercise every step from the prompt to the reports in a second.
/// </summary>
internal static class GenerationModel
{
    private static readonly Lazy<(string Directory, TempDirectory Root)> s_model = new(Create);

    public static string Dataset => RepositoryPaths.Combine("samples", "meds-demo");

    public static string Directory => s_model.Value.Directory;

    private static (string, TempDirectory) Create()
    {
        var root = new TempDirectory("fhirrisk-generation-model");
        // Built once per test run, so nothing disposes it but the end of the run.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => root.Dispose();
        var tokenizer = TimelineTokenizer.Fit(MedsDatasetReader.Open(Dataset));
        var directory = root.File("model");
        tokenizer.Save(directory);
        GptCheckpoint.Save(directory, GptParameters.Initialize(new GptConfig(tokenizer.Vocabulary.Count, 1, 2, 16, 32), seed: 5));
        return (directory, root);
    }
}
