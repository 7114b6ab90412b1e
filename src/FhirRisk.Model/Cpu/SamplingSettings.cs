namespace FhirRisk.Model.Cpu;

/// <summary>
/// How <see cref="Sampler"/> turns a row of logits into a token, applied in the order of Hugging Face's logits
/// warpers: temperature, then top-k, then top-p.
/// </summary>
/// <param name="Temperature">Divides the logits; 0 means greedy (argmax, first index on ties). Defaults to 1.</param>
/// <param name="TopK">Keeps the tokens whose logit is at least the k-th largest (so ties with it are kept too); 0 = off.</param>
/// <param name="TopP">
/// Nucleus: drops the least likely tokens while their cumulative probability stays ≤ 1 − p, always keeping the most
/// likely one; 1 = off.
/// </param>
public sealed record SamplingSettings(float Temperature = 1f, int TopK = 0, float TopP = 1f)
{
    /// <summary>Plain ancestral sampling from softmax(logits).</summary>
    public static SamplingSettings Ancestral { get; } = new();

    /// <summary>Always the most likely token.</summary>
    public static SamplingSettings Greedy { get; } = new(Temperature: 0f);
}
