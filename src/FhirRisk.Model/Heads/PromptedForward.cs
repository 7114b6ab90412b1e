using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Model.Heads;

/// <summary>
/// The forward pass of prompted heads (docs/finetuning.md): every context gets all K task tokens appended
/// (<see cref="PromptBatch"/>), one forward pass without dropout runs up to the hidden states, and task k reads the
/// ln_f output at its own token. Finetuning calibrates on these hidden states and inference predicts from them, so
/// both see the same numbers.
/// </summary>
public static class PromptedForward
{
    /// <summary>(N, K, C) the hidden state of each context at each task token, without dropout.</summary>
    /// <param name="model">A GPT over the tokenizer's vocabulary plus the K task tokens.</param>
    /// <param name="heads">Give the task token ids, in prompt order.</param>
    /// <param name="contexts">(N) contexts of at most T − K ids each.</param>
    /// <param name="maxBatch">Contexts per forward pass, at most the model's batch capacity.</param>
    public static float[] HiddenStates(GptModel model, TaskHeads heads, IReadOnlyList<int[]> contexts, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(heads);
        ArgumentNullException.ThrowIfNull(contexts);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        var (k, c) = (heads.Count, heads.Channels);
        var hidden = new float[contexts.Count * k * c];
        var prompt = heads.PromptTokenIds();
        for (var start = 0; start < contexts.Count; start += maxBatch)
        {
            var batch = PromptBatch.Create(contexts.Skip(start).Take(maxBatch).ToArray(), prompt);
            model.ForwardHidden(batch.Tokens, batch.B, batch.T);
            model.HiddenStates(batch.TaskRows, hidden.AsSpan(start * k * c, batch.B * k * c));
        }
        return hidden;
    }

    /// <summary>The calibrated probability of every task for every context: (N, K), row n in <see cref="TaskHeads.Tasks"/> order.</summary>
    public static double[] Probabilities(GptModel model, TaskHeads heads, IReadOnlyList<int[]> contexts, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(heads);
        var hidden = HiddenStates(model, heads, contexts, maxBatch);
        var (k, c) = (heads.Count, heads.Channels);
        var probabilities = new double[contexts.Count * k];
        for (var i = 0; i < probabilities.Length; i++)
            probabilities[i] = heads.Predict(i % k, hidden.AsSpan(i * c, c));
        return probabilities;
    }
}
