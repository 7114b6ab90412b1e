using System.Globalization;
using FhirRisk.Model.Gpt;

namespace FhirRisk.Bench.Engine;

/// <summary>
/// The optimizer both sides of <c>engine</c> step with: the project's AdamW (β 0.9/0.95, eps 1e-8, decay 0.1 on the
/// matrices only) at a constant learning rate, without gradient clipping, which the issue's step (forward + backward
/// + AdamW) does not include and the peer does not do. Our side still measures the norm (one pass over the gradients).
/// </summary>
internal sealed record TrainingOptimizer(double LearningRate, AdamWSettings AdamW)
{
    public static TrainingOptimizer Default { get; } = new(1e-3, AdamWSettings.Default with { MaxGradientNorm = float.PositiveInfinity });

    /// <summary>The same values as <c>torch_peer.py train</c> arguments.</summary>
    public IEnumerable<string> PeerArguments() =>
    [
        "--lr", Invariant(LearningRate), "--beta1", Invariant(AdamW.Beta1), "--beta2", Invariant(AdamW.Beta2),
        "--eps", Invariant(AdamW.Eps), "--weight-decay", Invariant(AdamW.WeightDecay),
    ];

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"AdamW lr {LearningRate}, betas ({AdamW.Beta1}, {AdamW.Beta2}), eps {AdamW.Eps}, weight decay {AdamW.WeightDecay} on matrices, no clipping");

    private static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
