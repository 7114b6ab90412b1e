using FhirRisk.Model.Gpt;
using FhirRisk.Training.Finetuning;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Training.Tests.Finetuning;

public sealed class TaskTokenEmbeddingTests
{
    [Theory]
    [InlineData(40, 3)] // V + K fits the padded 64 rows: the layout is unchanged
    [InlineData(63, 2)] // V + K = 65 needs 128 rows: every tensor moves
    public void Growing_keeps_every_pretrained_weight_and_adds_drawn_rows(int vocabulary, int tasks)
    {
        var pretrained = GptParameters.Initialize(new GptConfig(vocabulary, 2, 2, 8, 16), seed: 4);
        var grown = TaskTokenEmbedding.Grow(pretrained, tasks, seed: 9);

        Assert.Equal(vocabulary + tasks, grown.Config.VocabSize);
        for (var i = 0; i < pretrained.Layout.Tensors.Count; i++)
        {
            var (from, to) = (pretrained.Layout.Tensors[i].Range, grown.Layout.Tensors[i].Range);
            var kept = i == 0 ? vocabulary * 8 : from.Length; // wte: the pretrained rows; padding rows may become task rows
            Assert.Equal(pretrained.Values.AsSpan(from.Offset, kept).ToArray(), grown.Values.AsSpan(to.Offset, kept)[..kept].ToArray());
        }
        var rows = grown.Values.AsSpan(grown.Layout.Wte.Offset + vocabulary * 8, tasks * 8).ToArray();
        Assert.All(rows, v => Assert.True(Math.Abs(v) is > 0 and < 0.2f));
        var padding = grown.Values.AsSpan(grown.Layout.Wte.Offset + (vocabulary + tasks) * 8, (grown.Config.PaddedVocabSize - vocabulary - tasks) * 8).ToArray();
        Assert.All(padding, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void A_shorter_context_keeps_the_first_position_rows_and_the_same_hidden_states_within_it()
    {
        var pretrained = GptParameters.Initialize(new GptConfig(40, 2, 2, 8, 16), seed: 4);
        var grown = TaskTokenEmbedding.Grow(pretrained, 3, seed: 9, contextLength: 7);

        Assert.Equal(7, grown.Config.ContextLength);
        Assert.Equal(7 * 8, grown.Layout.Wpe.Length);
        Assert.Equal(pretrained.Values.AsSpan(pretrained.Layout.Wpe.Offset, 7 * 8).ToArray(), grown.Values.AsSpan(grown.Layout.Wpe.Offset, 7 * 8).ToArray());
        int[] tokens = [1, 5, 9, 39, 3, 3, 7];
        Assert.Equal(HiddenStates(pretrained, tokens), HiddenStates(grown, tokens));
        Assert.Throws<ArgumentOutOfRangeException>(() => TaskTokenEmbedding.Grow(pretrained, 3, seed: 9, contextLength: 17));
    }

    [Fact]
    public void The_grown_model_gives_the_pretrained_hidden_states_for_pretrained_tokens()
    {
        var pretrained = GptParameters.Initialize(new GptConfig(63, 2, 2, 8, 16), seed: 4);
        var grown = TaskTokenEmbedding.Grow(pretrained, 2, seed: 9);
        int[] tokens = [1, 5, 9, 62, 3, 3, 7];
        Assert.Equal(HiddenStates(pretrained, tokens), HiddenStates(grown, tokens));
    }

    /// <summary>The final hidden state (8 channels) at every position of one sequence.</summary>
    private static float[] HiddenStates(GptParameters parameters, int[] tokens)
    {
        var states = new float[tokens.Length * 8];
        using var model = new GptModel(parameters, 1);
        model.ForwardHidden(tokens, 1, tokens.Length);
        model.HiddenStates([.. Enumerable.Range(0, tokens.Length)], states);
        return states;
    }
}
