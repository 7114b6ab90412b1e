using FhirRisk.Inference.Prediction;
using FhirRisk.Tokenizer;

namespace FhirRisk.Inference.Explanations;

/// <summary>
/// Explains one task's risk (ETHOS-ARES' explainability module, ethos.md §3.4; docs/inference.md "Explanations"): the
/// risk trajectory over the facts of the stay so far, each fact's signed contribution, and the top contributors in a
/// form a CDS Hooks card can show. Both predictors implement it; hosts depend on this interface.
/// </summary>
public interface IRiskExplainer
{
    /// <summary>How the risks are computed.</summary>
    RiskMethod Method { get; }

    /// <summary>Explains <paramref name="query"/>. The query's timeline is read before the first await.</summary>
    /// <exception cref="InferenceException">A task this predictor cannot answer (<see cref="InferenceErrorCodes.UnknownTask"/>).</exception>
    Task<RiskExplanation> ExplainAsync(ExplanationQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Explains every query, in order. The default explains them one by one; the heads share one batched occlusion pass
    /// among queries of the same timeline, point and span, since one forward answers every task.
    /// </summary>
    /// <exception cref="InferenceException">A task this predictor cannot answer (<see cref="InferenceErrorCodes.UnknownTask"/>).</exception>
    async Task<IReadOnlyList<RiskExplanation>> ExplainManyAsync(IReadOnlyList<ExplanationQuery> queries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var explanations = new RiskExplanation[queries.Count];
        for (var i = 0; i < queries.Count; i++)
            explanations[i] = await ExplainAsync(queries[i], cancellationToken).ConfigureAwait(false);
        return explanations;
    }
}

/// <summary>What to explain: one task's risk at one prediction point, over the timeline tokens from <see cref="From"/>.</summary>
/// <param name="Timeline">The patient, encoded by the session's tokenizer.</param>
/// <param name="Index">The prediction point: the last timeline token the model reads.</param>
/// <param name="Task">The task name.</param>
public sealed record ExplanationQuery(EncodedTimeline Timeline, int Index, string Task)
{
    /// <summary>
    /// The first timeline token of the explained span. Null (the default): the start of the stay of the task's
    /// prediction point at <see cref="Index"/> — its last start code (<c>HOSPITAL_ADMISSION</c> for the stay tasks,
    /// <c>ICU_ADMISSION</c> for ICU mortality, <c>ED_REGISTRATION</c> for the ED tasks) at or before the index: the open
    /// stay mid-stay, else the last one even though it has ended; the whole timeline when there is none.
    /// </summary>
    public int? From { get; init; }

    /// <summary>Contributors to list; null: <see cref="ExplanationSettings.TopContributors"/>.</summary>
    public int? TopContributors { get; init; }

    /// <summary>Rollouts: the generation seed; null: the session's <see cref="Rollouts.RolloutSettings.Seed"/>. Heads ignore it.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Readable names of this patient's codes (the displays of the FHIR codings they were mapped from), for the
    /// facts' labels; they take precedence over <see cref="ExplanationSettings.CodeDescriptions"/>. Null: the settings'.</summary>
    public IReadOnlyDictionary<string, string>? CodeDescriptions { get; init; }

    /// <summary>When the question is asked, for the served answer (<see cref="RiskQuery.AsOf"/>); null: at the index's
    /// own time. The trajectory's points are asked at their own events.</summary>
    public DateTime? AsOf { get; init; }

    /// <summary>The query at <paramref name="predictionTime"/>: every token at or before it is context.</summary>
    public static ExplanationQuery At(EncodedTimeline timeline, DateTime predictionTime, string task)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        var query = RiskQuery.At(timeline, predictionTime, [task]);
        return new ExplanationQuery(timeline, query.Index, task) { AsOf = query.AsOf };
    }
}
