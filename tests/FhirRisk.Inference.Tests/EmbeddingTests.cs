using FhirRisk.Inference.Embeddings;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Inference.Tests;

/// <summary>Hidden-state embeddings: the prediction token's state of the probe's window, or its mean.</summary>
public sealed class EmbeddingTests
{
    [Fact]
    public void Last_and_mean_equal_the_rows_of_one_forward_pass_over_the_whole_window()
    {
        using var session = TinyModel.Open();
        using var embedder = session.CreateEmbedder();
        var timeline = TinyModel.Encode(4, stays: 1);
        var prefix = session.Tokenizer.PrefixLength;
        var whole = Math.Min(timeline.Count, TinyModel.ContextLength - prefix) - 1;
        var window = session.Tokenizer.PrefixAt(timeline.Statics, timeline.Times[0]).Concat(timeline.Tokens[..(whole + 1)].ToArray()).ToArray();
        using var gpt = new GptModel(session.GenerativeParameters, 1, session.Backend);
        gpt.ForwardHidden(window, 1, window.Length);
        var c = TinyModel.Channels;
        var rows = new float[window.Length * c];
        gpt.HiddenStates([.. Enumerable.Range(0, window.Length)], rows);

        // Causal attention: the embedding at an earlier point is the whole window's row at that position.
        var index = whole - 2;
        var last = embedder.Embed(timeline, index, EmbeddingPooling.Last);
        var mean = embedder.Embed(timeline, index, EmbeddingPooling.Mean);

        var position = prefix + index;
        Assert.Equal(c, embedder.Dimension);
        Assert.Equal(position + 1, last.Tokens);
        for (var j = 0; j < c; j++)
        {
            Assert.Equal(rows[position * c + j], last.Vector[j], 4);
            var column = Enumerable.Range(0, position + 1).Average(r => rows[r * c + j]);
            Assert.Equal(column, mean.Vector[j], 4);
        }
        Assert.Equal(last.Vector, embedder.Embed(timeline, index, EmbeddingPooling.Last).Vector);
    }

    [Fact]
    public void A_point_outside_the_timeline_is_refused()
    {
        using var session = TinyModel.Open();
        using var embedder = session.CreateEmbedder();
        var timeline = TinyModel.Encode(4, stays: 1);

        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => embedder.Embed(timeline, timeline.Count, EmbeddingPooling.Last));
    }
}
