using System.Globalization;
using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds.Tasks;

namespace FhirRisk.Inference.Explanations;

/// <summary>How a contribution was measured.</summary>
public enum AttributionMethod
{
    /// <summary>Δ = risk after the fact − risk before it, along the timeline (ARES, ethos.md §3.4).</summary>
    Trajectory,

    /// <summary>Δ = risk with every fact − risk with this fact removed from the context (heads only).</summary>
    Occlusion,
}

/// <summary>
/// A clinical fact: the timeline tokens of one event — its code token(s), its decile token and the interval token(s)
/// that moved the clock to it — or, under <see cref="FactGrouping.TimeAndVocabulary"/>, of the consecutive events
/// sharing one timestamp and code vocabulary.
/// </summary>
/// <param name="Start">The first timeline token of the fact.</param>
/// <param name="EventStart">Its first token after its interval tokens (= <paramref name="Start"/> when it has none,
/// = <paramref name="End"/> for time that passed with no event): what occlusion removes.</param>
/// <param name="End">One past its last token: the risk "after" the fact reads the timeline up to End − 1.</param>
/// <param name="Time">When the fact became known (UTC).</param>
/// <param name="Codes">The codes of its events, as decoding writes them; empty for time that passed with no event.</param>
/// <param name="Label">A short readable label (<see cref="FactLabels"/>).</param>
public sealed record ClinicalFact(int Start, int EventStart, int End, DateTime Time, IReadOnlyList<string> Codes, string Label);

/// <summary>The risk with the timeline read up to and including token <paramref name="Index"/>.</summary>
/// <param name="Index">The last timeline token the model read.</param>
/// <param name="Time">That token's time (UTC).</param>
/// <param name="Risk">The probability; NaN when no rollout could be labelled.</param>
/// <param name="Interval">Rollouts: the estimate's Wilson interval; heads: null.</param>
/// <param name="N">Rollouts: labelled rollouts; heads: 0.</param>
/// <param name="Estimator">Rollouts: which estimate the risk is; heads: null.</param>
public sealed record RiskPoint(int Index, DateTime Time, double Risk, WilsonInterval? Interval, int N, RolloutEstimator? Estimator = null)
{
    /// <summary>The outcome the record already shows at this point (<see cref="TaskRisk.Observed"/>); the risk is then its
    /// label, with no rollouts run or heads read. Null when it was predicted.</summary>
    public TaskOutcome? Observed { get; init; }

    /// <summary>Rollouts: the risk went through the model's recalibration, which happens only when the map was fitted on
    /// the point's rollout counts and sampling temperature (<see cref="RolloutCalibration.Fits"/>).</summary>
    public bool Recalibrated { get; init; }
}

/// <summary>One fact's contribution to the risk.</summary>
/// <param name="Fact">The fact.</param>
/// <param name="Before">The risk just before it on the trajectory.</param>
/// <param name="After">The risk just after it.</param>
/// <param name="Without">Heads: the risk at the prediction point with this fact removed from the context; null for rollouts.</param>
/// <param name="OcclusionDelta">Heads: the risk at the prediction point − <paramref name="Without"/>; null for rollouts.</param>
public sealed record FactContribution(ClinicalFact Fact, RiskPoint Before, RiskPoint After, double? Without, double? OcclusionDelta)
{
    /// <summary>After − before: how far the risk moved when the fact became known.</summary>
    public double TrajectoryDelta => After.Risk - Before.Risk;
}

/// <summary>
/// One line of a CDS Hooks card (docs/inference.md "Explanations"): what the fact was, when, and how far it moved the
/// risk, signed (positive = raised it).
/// </summary>
/// <param name="Label">The fact's readable label.</param>
/// <param name="Delta">The signed change in probability (0.041 = +4.1 percentage points).</param>
/// <param name="Time">When the fact became known (UTC).</param>
/// <param name="Method">How <paramref name="Delta"/> was measured.</param>
/// <param name="Codes">The fact's codes, for a card's links or a host's own lookup.</param>
public sealed record RiskContributor(string Label, double Delta, DateTime Time, AttributionMethod Method, IReadOnlyList<string> Codes)
{
    /// <summary>
    /// How many facts this row stands for: facts with one label, time and codes (a result charted twice at one time)
    /// are one row, whose <see cref="Delta"/> is the sum of theirs. Summed trajectory Δs are the change across the facts
    /// when they are neighbours; occlusion removes each fact alone, so their sum is the first-order estimate of removing
    /// them all. 1 for a fact of its own.
    /// </summary>
    public int Facts { get; init; } = 1;

    /// <summary>
    /// Rollouts: the 95 % half-width of <see cref="Delta"/>, from the intervals of the trajectory points before and after
    /// the fact taken as independent; null for heads (occlusion is deterministic). At the default 20 rollouts a point it
    /// is often 0.2–0.3, larger than most Δs: a contributor with |Δ| below it is not told apart from sampling noise, and
    /// its sign can change with the seed (review s22 explain H1). Common random numbers correlate the two points only
    /// while the continuations stay alike, which rollouts hundreds of tokens long do not.
    /// </summary>
    public double? HalfWidth { get; init; }

    /// <summary><c>+4.1 pp · Lactate … · 2024-03-01 14:05 UTC</c> (<c>Lactate … (×2)</c> for two facts): the line a card shows.</summary>
    public string Display => string.Create(CultureInfo.InvariantCulture,
        $"{Delta * 100:+0.0;-0.0;0.0} pp · {Label}{(Facts > 1 ? $" (×{Facts})" : "")} · {Time:yyyy-MM-dd HH:mm} UTC");
}

/// <summary>What an explanation cost.</summary>
/// <param name="Evaluations">Heads: contexts run through the model; rollouts: rollouts generated.</param>
/// <param name="GeneratedTokens">Rollouts: tokens generated (0 for heads).</param>
/// <param name="Latency">Wall time of the call.</param>
public sealed record ExplanationCost(int Evaluations, long GeneratedTokens, TimeSpan Latency);

/// <summary>The explanation of one task's risk at one prediction point.</summary>
/// <param name="Task">The task name.</param>
/// <param name="Method">Rollouts or heads.</param>
/// <param name="Risk">The risk at the prediction point: for rollouts the served answer (<see cref="Answer"/>), for heads
/// the trajectory's last point (which is the heads' served answer).</param>
/// <param name="Trajectory">The risk before the first explained fact, then after each explained fact, in timeline order.</param>
/// <param name="Facts">Each explained fact with its contribution, in timeline order.</param>
/// <param name="TopContributors">The largest contributions by absolute size, largest first
/// (occlusion for heads, trajectory deltas for rollouts).</param>
/// <param name="OmittedFacts">Facts of the span before the explained ones, left out by <see cref="ExplanationSettings.MaxFacts"/>.</param>
/// <param name="Cost">Evaluations, tokens and wall time.</param>
public sealed record RiskExplanation(
    string Task,
    RiskMethod Method,
    double Risk,
    IReadOnlyList<RiskPoint> Trajectory,
    IReadOnlyList<FactContribution> Facts,
    IReadOnlyList<RiskContributor> TopContributors,
    int OmittedFacts,
    ExplanationCost Cost)
{
    /// <summary>
    /// Rollouts: the task's answer at the prediction point exactly as <see cref="IRiskPredictor.PredictAsync"/> gives it
    /// (the session's adaptive counts, the same seed and streams: after the default pilot of 10 its answering rollouts
    /// 10 … share the trajectory's last point's streams 10 … <see cref="ExplanationSettings.RolloutsPerPoint"/> − 1,
    /// docs/inference.md); null for heads, whose last point is their answer — except when the
    /// heads' answer is observed (<see cref="TaskRisk.Observed"/>): then it is that answer, the trajectory its one point,
    /// with no facts and no contributors.
    /// </summary>
    public TaskRisk? Answer { get; init; }

    /// <summary>Explained facts with no Δ, left out of <see cref="TopContributors"/>: rollouts beside a trajectory point
    /// where no rollout could be scored (every one excluded: its risk is NaN), so their move is unknown, not zero (review
    /// s22 explain L1).</summary>
    public int UnscoredFacts => Facts.Count(f => !double.IsFinite(f.OcclusionDelta ?? f.TrajectoryDelta));
}
