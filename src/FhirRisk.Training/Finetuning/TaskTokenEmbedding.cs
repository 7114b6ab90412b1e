using FhirRisk.Model.Cpu;
using FhirRisk.Model.Gpt;

namespace FhirRisk.Training.Finetuning;

/// <summary>
/// Gives a pretrained GPT one embedding row per task token (docs/finetuning.md "Task tokens"): the tokenizer reserves no
/// ids for them, so the model's vocabulary grows from V to V + K and task k takes id V + k. The token embedding has
/// Vp = V rounded up to 64 rows; when V + K still fits, the layout is unchanged and only the config's vocabulary moves,
/// otherwise every tensor is copied into the re-padded layout. The new rows start as GPT-2's embedding initialisation.
/// A shorter context (<see cref="FinetuningSettings.ContextLength"/>) keeps the first rows of the position embedding.
/// </summary>
/// <remarks>
/// The embedding is tied to the output projection, so the grown model also has logits for the task tokens. They are
/// not events: a sampler over a finetuned model restricts itself to the first V ids (docs/finetuning.md).
/// </remarks>
public static class TaskTokenEmbedding
{
    /// <summary>A copy of <paramref name="pretrained"/> with <paramref name="taskCount"/> new token rows.</summary>
    /// <param name="pretrained">The pretrained weights (left unchanged).</param>
    /// <param name="taskCount">K, the task tokens to add.</param>
    /// <param name="seed">Seeds the new rows' N(0, 0.02²) draws.</param>
    /// <param name="contextLength">T of the copy, at most the pretrained one; 0 keeps it.</param>
    /// <param name="dropout">The copy's drop probability; null keeps the pretrained one.</param>
    public static GptParameters Grow(GptParameters pretrained, int taskCount, ulong seed, int contextLength = 0, float? dropout = null)
    {
        ArgumentNullException.ThrowIfNull(pretrained);
        ArgumentOutOfRangeException.ThrowIfLessThan(taskCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(contextLength);
        var old = pretrained.Config;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(contextLength, old.ContextLength);
        var config = old with { VocabSize = old.VocabSize + taskCount, ContextLength = contextLength == 0 ? old.ContextLength : contextLength,
            Dropout = dropout ?? old.Dropout };
        var layout = new GptLayout(config);
        var values = new float[layout.Count];
        var source = pretrained.Layout;
        for (var i = 0; i < layout.Tensors.Count; i++)
        {
            var (from, to) = (source.Tensors[i].Range, layout.Tensors[i].Range);
            // Every tensor has the same shape except wte, whose first V rows are copied (the padding rows are zero), and
            // wpe, whose first T rows are copied when the context shrinks (row-major, so a prefix of the values).
            var length = Math.Min(from.Length, to.Length);
            pretrained.Values.AsSpan(from.Offset, length).CopyTo(values.AsSpan(to.Offset, length));
        }

        var c = config.Channels;
        var rows = values.AsSpan(layout.Wte.Offset + old.VocabSize * c, taskCount * c);
        rows.Clear();
        for (var i = 0; i < rows.Length; i += 2)
        {
            // Box–Muller over Philox, as GptParameters.Initialize draws the other rows.
            var (x0, x1, _, _) = CounterRng.Block(seed, 0, (ulong)i / 2);
            var radius = GptParameters.InitStd * Math.Sqrt(-2.0 * Math.Log(1.0 - CounterRng.ToUniformDouble(x0)));
            var angle = 2.0 * Math.PI * CounterRng.ToUniformDouble(x1);
            rows[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < rows.Length)
                rows[i + 1] = (float)(radius * Math.Sin(angle));
        }
        return new GptParameters(layout, values);
    }
}
