using System.Runtime.CompilerServices;
using FhirRisk.Inference;
using FhirRisk.Inference.Explanations;
using FhirRisk.Inference.Prediction;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Timeline;
using FhirRisk.Tokenizer;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// Top contributing events from the loaded model's own explainer (docs/cds-hooks.md "Top contributing events"): for a
/// risk answered by the finetuned heads, occlusion — the risk with every fact minus the risk with that fact removed,
/// all contexts in a few batched forward passes (<see cref="HeadsRiskPredictor.ExplainManyAsync"/>), shared by the
/// call's tasks whose explained span is the same. Rollout risks get none:
/// their explanation costs (F + 1) × R rollouts, far too slow for a hook call (gRPC Explain serves it). Each card waits
/// at most <see cref="CdsHooksOptions.ContributorTimeout"/>, then goes out without the section; so does a card whose
/// contributors fail (the risk itself was answered). The patient's timeline is built and its heads tasks explained
/// once per hook call; each card picks its task's contributors. Logs name tasks and exception types only.
/// </summary>
internal sealed class ExplainedCardContributors(
    PatientTimelineBuilder timelines,
    TimelinePredictor encoder,
    RiskModel model,
    IOptions<CdsHooksOptions> options,
    ILogger<ExplainedCardContributors> logger) : ICardContributorSource
{
    private readonly ConditionalWeakTable<PatientRiskRequest, Task<IReadOnlyDictionary<string, RiskExplanation>>> _explanations = [];

    public async Task<IReadOnlyList<CardContributor>> GetContributorsAsync(CardContributorQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Risk.Method != RiskMethod.Heads || double.IsNaN(query.Risk.Risk) || !model.IsLoaded)
            return [];
        using var timeout = new CancellationTokenSource(options.Value.ContributorTimeout);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var explanations = await _explanations.GetValue(query.Request, request => ExplainAsync(request, cancellationToken))
                .WaitAsync(budget.Token).ConfigureAwait(false);
            return explanations.TryGetValue(query.Risk.Task, out var explanation)
                ? [.. explanation.TopContributors.Select(c => new CardContributor(c.Label, c.Delta))]
                : [];
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            CdsHooksLog.ContributorsTimedOut(logger, query.Risk.Task, options.Value.ContributorTimeout.TotalMilliseconds);
            return [];
        }
        catch (Exception e) when (e is InferenceException or PatientDataUnavailableException or RiskModelUnavailableException
            or TimelineStoreUnavailableException or ArgumentException)
        {
            CdsHooksLog.ContributorsFailed(logger, query.Risk.Task, e.GetType().Name);
            return [];
        }
    }

    /// <summary>Every heads task of the call explained at once: one timeline, one batched occlusion pass for the tasks
    /// that share their explained span (<see cref="IRiskExplainer.ExplainManyAsync"/>).</summary>
    private async Task<IReadOnlyDictionary<string, RiskExplanation>> ExplainAsync(PatientRiskRequest request, CancellationToken cancellationToken)
    {
        var patient = await timelines.BuildAsync(request.PatientId, request.FhirResources, cancellationToken).ConfigureAwait(false);
        var (timeline, index) = encoder.Encode(patient.Events, request.PredictionTime);
        if (index < 0)
            return new Dictionary<string, RiskExplanation>();
        var explainer = model.Explainer(RiskMethod.Heads);
        var headsTasks = ((IRiskPredictor)explainer).Tasks;
        var queries = request.Tasks.Where(headsTasks.Contains).Distinct().Select(task => new ExplanationQuery(timeline, index, task)).ToArray();
        // The heads explain synchronously: run off the request thread so each card's budget can end its wait.
        var explanations = await Task.Run(() => explainer.ExplainManyAsync(queries, cancellationToken), cancellationToken).ConfigureAwait(false);
        return explanations.ToDictionary(e => e.Task);
    }
}
