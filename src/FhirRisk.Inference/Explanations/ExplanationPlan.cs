using FhirRisk.Meds.Tasks;
using FhirRisk.Tokenizer;

namespace FhirRisk.Inference.Explanations;

/// <summary>
/// What one explanation evaluates, for either method: the span's facts, the ones explained (the last
/// <see cref="ExplanationSettings.MaxFacts"/> after the span's first fact, which anchors it — the admission itself for
/// a stay), and the trajectory points: the timeline index just before the first explained fact, then the last index
/// of each explained fact.
/// </summary>
internal sealed class ExplanationPlan
{
    private ExplanationPlan(EncodedTimeline timeline, int index, IReadOnlyList<ClinicalFact> facts, int omitted, int top)
    {
        (Timeline, Index, Facts, Omitted, TopContributors) = (timeline, index, facts, omitted, top);
        Points = facts.Count == 0 ? [index] : [facts[0].Start - 1, .. facts.Select(f => f.End - 1)];
    }

    public EncodedTimeline Timeline { get; }

    public int Index { get; }

    /// <summary>The explained facts, in timeline order.</summary>
    public IReadOnlyList<ClinicalFact> Facts { get; }

    public int Omitted { get; }

    /// <summary>Contributors to list: the query's count, else the settings'.</summary>
    public int TopContributors { get; }

    /// <summary>(F + 1) the trajectory's timeline indices: before the first explained fact, then after each.</summary>
    public int[] Points { get; }

    /// <param name="task">The catalog task, which places the default span; null for a head the catalog does not know
    /// (the span is then the whole timeline).</param>
    /// <param name="fromStayEnd">Rollouts: a stay-end task's default span starts at the stay's end, where its question
    /// does (<see cref="ClinicalFacts.StayStart"/>). Heads occlude facts at the prediction point, whose question does not
    /// move, so they keep the stay's start.</param>
    public static ExplanationPlan Create(InferenceSession session, ExplanationQuery query, TaskDefinition? task, bool fromStayEnd = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        var timeline = query.Timeline ?? throw new ArgumentException("The query has no timeline.", nameof(query));
        if (query.Index < 0 || query.Index >= timeline.Count)
            throw new ArgumentOutOfRangeException(nameof(query), $"The prediction point {query.Index} is outside the timeline's {timeline.Count} tokens.");
        var from = query.From ?? (task is null ? 0 : ClinicalFacts.StayStart(session.Meanings, timeline, query.Index, task, fromStayEnd));
        if (from < 0 || from > query.Index)
            throw new ArgumentOutOfRangeException(nameof(query), $"The span start {from} must lie in 0..{query.Index} (the prediction point).");
        var settings = session.Options.Explanations;
        // Names of codes: the patient's record's first, then the host's, else the ones the model's tokenizer was fitted
        // with; each whole (its own code, then the concept) before the next (review s23 M4: merged, the tokenizer's name
        // of LOINC//8867-4///min beat the record's of LOINC//8867-4).
        var names = new CodeNames(query.CodeDescriptions, settings.CodeDescriptions ?? session.Tokenizer.CodeDescriptions);
        if (query.TopContributors is < 0)
            throw new ArgumentOutOfRangeException(nameof(query), "The number of contributors must not be negative.");
        var (facts, omitted) = ClinicalFacts.Explained(session.Tokenizer, timeline, from, query.Index, settings, settings.MaxFacts, names);
        return new ExplanationPlan(timeline, query.Index, facts, omitted, query.TopContributors ?? settings.TopContributors);
    }

    public DateTime TimeOf(int index) => DateTime.UnixEpoch.AddTicks(Timeline.Times[index] * TimeSpan.TicksPerMicrosecond);

    /// <summary>The explanation from the risks at <see cref="Points"/> and, for heads, the risk without each fact.</summary>
    public RiskExplanation Explain(string task, Prediction.RiskMethod method, RiskPoint[] trajectory, double[]? without, ExplanationCost cost)
    {
        var final = trajectory[^1].Risk;
        var contributions = new FactContribution[Facts.Count];
        for (var f = 0; f < Facts.Count; f++)
        {
            var (w, delta) = without is null ? ((double?)null, (double?)null) : (without[f], final - without[f]);
            contributions[f] = new FactContribution(Facts[f], trajectory[f], trajectory[f + 1], w, delta);
        }
        var attribution = without is null ? AttributionMethod.Trajectory : AttributionMethod.Occlusion;
        var top = contributions
            .Select(c => (c.Fact, Delta: c.OcclusionDelta ?? c.TrajectoryDelta, c.Before, c.After))
            .Where(c => double.IsFinite(c.Delta))
            // Facts that read alike (one label, time and codes: a result charted twice) are one row, not two identical
            // ones; its Δ is their sum (docs/inference.md "Explanations"), ranked where its first fact stands. Neighbours
            // along the trajectory, their summed Δ runs from the first one's point before to the last one's after.
            .GroupBy(c => (c.Fact.Label, c.Fact.Time, Codes: string.Join('\n', c.Fact.Codes)))
            .Select(g => (g.First().Fact, Delta: g.Sum(c => c.Delta), Facts: g.Count(),
                HalfWidth: without is null ? HalfWidthOf(g.First().Before, g.Last().After) : null))
            .Where(c => c.Delta != 0)
            .OrderByDescending(c => Math.Abs(c.Delta))
            .ThenBy(c => c.Fact.Start)
            .Take(TopContributors)
            .Select(c => new RiskContributor(c.Fact.Label, c.Delta, c.Fact.Time, attribution, c.Fact.Codes) { Facts = c.Facts, HalfWidth = c.HalfWidth })
            .ToArray();
        return new RiskExplanation(task, method, final, trajectory, contributions, top, Omitted, cost);
    }

    /// <summary>The 95 % half-width of the difference of two trajectory points, their intervals taken as independent
    /// (<see cref="RiskContributor.HalfWidth"/>); 0 from a point the record settles (no rollouts), null without intervals.</summary>
    private static double? HalfWidthOf(RiskPoint before, RiskPoint after)
    {
        double? Of(RiskPoint point) => point.Observed is not null ? 0 : point.Interval?.HalfWidth;
        return Of(before) is { } a && Of(after) is { } b ? Math.Sqrt((a * a) + (b * b)) : null;
    }
}
