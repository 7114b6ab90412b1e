namespace FhirRisk.Model.Gpt;

/// <summary>
/// The optimizer's hyper-parameters (DESIGN §5: β 0.9/0.95, decoupled weight decay on the 2-D tensors — the
/// weight matrices and the token and position embeddings, as nanoGPT — not on layer-norm gains or biases, gradient
/// clipping at a global norm of 1). The learning rate is not here: it changes every step
/// (<see cref="Cpu.LearningRateSchedule"/>) and is passed to <see cref="GptOptimizer.Step"/>.
/// </summary>
/// <param name="Beta1">β1, decay of the first moment.</param>
/// <param name="Beta2">β2, decay of the second moment.</param>
/// <param name="Eps">Added to the bias-corrected denominator, as PyTorch.</param>
/// <param name="WeightDecay">Decoupled decay, applied to the tensors <see cref="GptLayout.CreateDecayMask"/> names.</param>
/// <param name="MaxGradientNorm">Clip the global gradient norm to this; <see cref="float.PositiveInfinity"/> does not clip.</param>
public sealed record AdamWSettings(
    double Beta1 = 0.9,
    double Beta2 = 0.95,
    double Eps = 1e-8,
    double WeightDecay = 0.1,
    float MaxGradientNorm = 1f)
{
    /// <summary>The project's defaults.</summary>
    public static AdamWSettings Default { get; } = new();
}
