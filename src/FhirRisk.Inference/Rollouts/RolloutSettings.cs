using System.Globalization;
using FhirRisk.Model.Cpu;

namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// How many rollouts answer a request and how each is sampled (docs/inference.md). Immutable; <see cref="Validate"/>
/// names the first bad value.
/// </summary>
public sealed record RolloutSettings
{
    public static RolloutSettings Default { get; } = new();

    /// <summary>The generation seed. With the model and the prompt it fixes every rollout (default 42, as ETHOS).</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>The fewest rollouts that answer a task (a pilot's not counted). Default 20 (the npj paper's count, ethos.md §3.3).</summary>
    public int MinRollouts { get; init; } = 20;

    /// <summary>The most rollouts that answer a task (a request runs at most <see cref="RolloutLimit"/>, its pilot's
    /// included). Default 100; equal to <see cref="MinRollouts"/> for a fixed count.</summary>
    public int MaxRollouts { get; init; } = 100;

    /// <summary>Adaptive counts only: rollouts run first to decide each task's count and then set aside, so the answer
    /// is over rollouts that had no say in how many of them there are (docs/inference.md "Adaptive rollouts"). Default
    /// 10. 0: sequential stopping, each task stopping at the first count whose own interval is narrow enough, which
    /// biases rare risks downwards (how adaptive rollouts were answered before 2026-12-05).</summary>
    public int PilotRollouts { get; init; } = 10;

    /// <summary>Whether the count is decided per request (<see cref="MaxRollouts"/> above <see cref="MinRollouts"/>).</summary>
    public bool Adaptive => MaxRollouts > MinRollouts;

    /// <summary>The pilot rollouts a request runs: <see cref="PilotRollouts"/> with adaptive counts, none with a fixed count.</summary>
    public int Pilot => Adaptive ? PilotRollouts : 0;

    /// <summary>The most rollouts a request runs: the pilot and <see cref="MaxRollouts"/>.</summary>
    public int RolloutLimit => Pilot + MaxRollouts;

    /// <summary>Stop once every requested task's interval (the answer's: <see cref="Estimator"/>) has a half-width of at
    /// most this. Default 0.05.</summary>
    public double TargetHalfWidth { get; init; } = 0.05;

    /// <summary>Which estimate answers (and decides when adaptive rollouts are narrow enough). Default
    /// <see cref="RolloutEstimator.Hazard"/>, which falls back to the count under top-k, top-p or greedy sampling.</summary>
    public RolloutEstimator Estimator { get; init; } = RolloutEstimator.Hazard;

    /// <summary>z of the reported interval (Wilson's, or the hazard estimate's). Default <see cref="WilsonInterval.Z95"/>
    /// (95 %). It does not decide how many rollouts run: <see cref="PlanningZ"/> does.</summary>
    public double IntervalZ { get; init; } = WilsonInterval.Z95;

    /// <summary>z at which adaptive counts judge an interval narrow enough (<see cref="TargetHalfWidth"/>). Default
    /// <see cref="WilsonInterval.Z95"/>. Kept apart from <see cref="IntervalZ"/>, which a query sets: a client asking for
    /// another coverage of the reported interval got another count of rollouts, so another answer for the same patient
    /// and seed, at up to twice the cost, under a recalibration map fitted on other counts (review s22 rollout M1).</summary>
    public double PlanningZ { get; init; } = WilsonInterval.Z95;

    /// <summary>Tokens one rollout may generate; a rollout still unsettled then is ambiguous. Default 2048.</summary>
    public int MaxNewTokens { get; init; } = 2048;

    /// <summary>Rollouts of one request decoding at once; more wait for a slot. Default 32.</summary>
    public int MaxInFlight { get; init; } = 32;

    /// <summary>The smallest positive temperature. Below it logit / temperature overflows a float (|logit| / T past
    /// 3.4e38 near T = 1e-37), the hazard becomes NaN and the decode step that holds the request fails every request
    /// sharing it (review s22 rollout L1); 0 asks for greedy decoding instead.</summary>
    public const float MinTemperature = 0.001f;

    /// <summary>Temperature, top-k, top-p. Default plain ancestral sampling at temperature 1 (ETHOS).</summary>
    public SamplingSettings Sampling { get; init; } = SamplingSettings.Ancestral;

    /// <summary>Keep each counted rollout's generated tokens in the result (tests, the bench, synthetic patients).</summary>
    public bool KeepTokens { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public RolloutSettings Validate()
    {
        Require(MinRollouts >= 1, nameof(MinRollouts), "must be at least 1");
        Require(MaxRollouts >= MinRollouts, nameof(MaxRollouts), $"must be at least MinRollouts ({MinRollouts})");
        Require(PilotRollouts >= 0, nameof(PilotRollouts), "must not be negative");
        Require(TargetHalfWidth is >= 0 and <= 0.5, nameof(TargetHalfWidth), "must lie in [0, 0.5]");
        Require(IntervalZ > 0 && double.IsFinite(IntervalZ), nameof(IntervalZ), "must be positive");
        Require(PlanningZ > 0 && double.IsFinite(PlanningZ), nameof(PlanningZ), "must be positive");
        Require(MaxNewTokens >= 1, nameof(MaxNewTokens), "must be at least 1");
        Require(MaxInFlight >= 1, nameof(MaxInFlight), "must be at least 1");
        Require(Sampling is not null, nameof(Sampling), "must be set");
        Require(Sampling!.Temperature >= 0 && float.IsFinite(Sampling.Temperature), nameof(Sampling), "must have a finite temperature ≥ 0");
        Require(Sampling.Temperature == 0 || Sampling.Temperature >= MinTemperature, nameof(Sampling),
            $"must have a temperature of 0 (greedy) or at least {MinTemperature} (the service's floor too)");
        Require(Sampling.TopK >= 0, nameof(Sampling), "must have top-k ≥ 0");
        Require(Sampling.TopP is >= 0f and <= 1f, nameof(Sampling), "must have top-p in [0, 1]");
        Require(Enum.IsDefined(Estimator), nameof(Estimator), "must be Count or Hazard");
        return this;
    }

    private void Require(bool condition, string name, string problem)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(name, string.Create(CultureInfo.InvariantCulture, $"RolloutSettings.{name} {problem}."));
    }
}
