using FhirRisk.Core.Statistics;
using FhirRisk.Model.Heads;
using FhirRisk.Training.Linear;

namespace FhirRisk.Training.Finetuning;

/// <summary>
/// The multitask loss of a batch, in double: for each example n and task k with a label y (masked pairs skipped),
/// ℓ = ωₖ(y)·[softplus(z) − y·z] with z = wₖ·hₙₖ + bₖ the logit at task k's token and ωₖ(1) the task's positive weight
/// (ωₖ(0) = 1); the batch loss is the mean over the labelled pairs. Its gradients with respect to the head parameters and
/// to each hidden state hₙₖ follow from ∂ℓ/∂z = ωₖ(y)·(σ(z) − y).
/// </summary>
internal static class MultitaskHeadLoss
{
    /// <summary>Computes the loss and both gradients.</summary>
    /// <param name="heads">The heads (K tasks, C channels).</param>
    /// <param name="hidden">(N, K, C) the hidden state of example n at task k's token.</param>
    /// <param name="labels">(N, K) 1, 0 or <see cref="PromptedExample.Masked"/>.</param>
    /// <param name="positiveWeights">(K) ωₖ(1).</param>
    /// <param name="parameterGradient">(K, C + 1) overwritten with ∂L/∂(wₖ, bₖ).</param>
    /// <param name="hiddenGradient">(N, K, C) overwritten with ∂L/∂hₙₖ (zero for masked pairs).</param>
    /// <returns>The mean loss and the number of labelled pairs (0 gives a loss of 0 and zero gradients).</returns>
    public static (double Loss, int Labelled) Compute(TaskHeads heads, ReadOnlySpan<float> hidden, ReadOnlySpan<sbyte> labels,
        ReadOnlySpan<double> positiveWeights, Span<double> parameterGradient, Span<float> hiddenGradient)
    {
        var (k, c) = (heads.Count, heads.Channels);
        var n = labels.Length / k;
        if (labels.Length != n * k || hidden.Length != n * k * c || hiddenGradient.Length != hidden.Length
            || parameterGradient.Length != k * (c + 1) || positiveWeights.Length != k)
            throw new ArgumentException("hidden (N, K, C), labels (N, K), positive weights (K) and the gradients must agree.", nameof(hidden));

        var labelled = 0;
        foreach (var label in labels)
            labelled += label == PromptedExample.Masked ? 0 : 1;
        parameterGradient.Clear();
        hiddenGradient.Clear();
        if (labelled == 0)
            return (0, 0);

        var parameters = heads.Parameters;
        var scale = 1.0 / labelled;
        var loss = 0.0;
        for (var i = 0; i < n * k; i++)
        {
            if (labels[i] == PromptedExample.Masked)
                continue;
            var task = i % k;
            var h = hidden.Slice(i * c, c);
            var z = heads.Logit(task, h);
            var y = labels[i] == 1;
            var weight = y ? positiveWeights[task] : 1.0;
            loss += weight * (LogisticFunctions.Softplus(z) - (y ? z : 0));

            var dz = weight * (LogisticFunctions.Sigmoid(z) - (y ? 1 : 0)) * scale;
            var row = parameters.AsSpan(task * (c + 1), c);
            var gradientRow = parameterGradient.Slice(task * (c + 1), c + 1);
            var dh = hiddenGradient.Slice(i * c, c);
            for (var j = 0; j < c; j++)
            {
                gradientRow[j] += dz * h[j];
                dh[j] = (float)(dz * row[j]);
            }
            gradientRow[c] += dz;
        }
        return (loss * scale, labelled);
    }
}
