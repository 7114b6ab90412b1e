using FhirRisk.Model.Gpt;
using FhirRisk.Testing;

namespace FhirRisk.Inference.Tests;

/// <summary>
/// A finetuned directory with its pretrained backbone beside the heads (<c>pretrained/</c>, as <c>fhirrisk demo-model</c>
/// ships it): the heads run on the finetuned weights, rollouts and embeddings on the pretrained ones.
/// </summary>
public sealed class GenerativeBackboneTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Rollouts_OfAFinetunedModelWithItsPretrainedBackbone_AreThePretrainedModels()
    {
        var directory = FinetunedWith(pretrained: true);
        using var session = InferenceSession.Open(directory, new InferenceOptions { Threads = 1 });
        using var pretrained = TinyModel.Open();

        Assert.NotSame(session.Parameters, session.GenerativeParameters);
        Assert.Equal(pretrained.Parameters.Config, session.GenerativeParameters.Config);
        Assert.Equal(session.Tokenizer.Vocabulary.Count + FinetunedTinyModel.Tasks.Length, session.Parameters.Config.VocabSize);
        var request = Requests.For(session, 5, Requests.Fixed(4, maxNewTokens: 40));
        Requests.AssertSame(Requests.Schedule(pretrained, [request], slots: 2)[0], Requests.Schedule(session, [request], slots: 2)[0]);
    }

    [Fact]
    public void Rollouts_OfAFinetunedModelAlone_RunOnItsOwnWeights()
    {
        using var session = InferenceSession.Open(FinetunedWith(pretrained: false), new InferenceOptions { Threads = 1 });

        Assert.Same(session.Parameters, session.GenerativeParameters);
    }

    [Fact]
    public void A_PretrainedBackboneOfAnotherShape_ServesRolloutsAtItsOwnContext()
    {
        // The demo ships a larger generative backbone than the heads' (docs/demo-model.md): only the tokenizer must match.
        var directory = FinetunedWith(pretrained: false);
        var larger = new GptConfig(TinyModel.Tokenizer.Vocabulary.Count, Layers: 2, Heads: 2, Channels: 24, ContextLength: 48);
        var folder = Path.Combine(directory, InferenceSession.PretrainedFolder);
        Copy(TinyModel.Directory, folder);
        GptCheckpoint.Save(folder, GptParameters.Initialize(larger, seed: 3));

        using var session = InferenceSession.Open(directory, new InferenceOptions { Threads = 1 });
        var result = Requests.Schedule(session, [Requests.For(session, 4, Requests.Fixed(3, maxNewTokens: 30))], slots: 2)[0];

        Assert.Equal(larger, session.GenerativeParameters.Config);
        Assert.NotEqual(larger.Channels, session.Parameters.Config.Channels);
        Assert.Equal(3, result.Rollouts);
        Assert.True(session.RolloutPrompt(TinyModel.Encode(4, stays: 3), 60).Length > TinyModel.ContextLength - 1, "the prompt is cut to the generative backbone's context, not the heads'");
    }

    [Fact]
    public void Open_APretrainedBackboneThatDoesNotFit_NamesIt()
    {
        // A backbone of another vocabulary (here: its config says one id more than the tokenizer holds).
        var directory = FinetunedWith(pretrained: true);
        var config = Path.Combine(directory, InferenceSession.PretrainedFolder, "config.json");
        var v = TinyModel.Tokenizer.Vocabulary.Count;
        var text = File.ReadAllText(config);
        Assert.Contains($"\"vocab_size\": {v}", text, StringComparison.Ordinal);
        File.WriteAllText(config, text.Replace($"\"vocab_size\": {v}", $"\"vocab_size\": {v + 1}", StringComparison.Ordinal));

        var error = Assert.ThrowsAny<Exception>(() => InferenceSession.Open(directory, new InferenceOptions { Threads = 1 }));
        Assert.Contains(Path.Combine(directory, InferenceSession.PretrainedFolder), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Open_HeadsWithoutTheFinetuningRecord_AreAnUnfinishedSave_AndRefused(bool withoutWeights)
    {
        // fhirrisk finetune writes heads.json first and finetuning.json last, so a save stopped part-way (a crash or a
        // power loss) leaves heads without the record — with or without the weights — which was loaded and served as if
        // complete (review s18-docs #1).
        var directory = FinetunedWith(pretrained: true);
        string[] missing = withoutWeights ? ["config.json", "model.safetensors", "finetuning.json"] : ["finetuning.json"];
        foreach (var file in missing)
            File.Delete(Path.Combine(directory, file));

        var error = Assert.Throws<InferenceException>(() => InferenceSession.Open(directory, new InferenceOptions { Threads = 1 }));

        Assert.Equal(InferenceErrorCodes.ModelMismatch, error.Code);
        Assert.Contains(Path.Combine(directory, "finetuning.json"), error.Message, StringComparison.Ordinal);
        Assert.Contains("stopped part-way", error.Message, StringComparison.Ordinal);
    }

    private string FinetunedWith(bool pretrained)
    {
        var directory = Path.Combine(_temp.Path, pretrained ? "with" : "without");
        Copy(FinetunedTinyModel.Value.Directory, directory);
        if (pretrained)
            Copy(TinyModel.Directory, Path.Combine(directory, InferenceSession.PretrainedFolder));
        return directory;
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
