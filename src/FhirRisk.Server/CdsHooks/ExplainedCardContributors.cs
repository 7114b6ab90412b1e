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
/// all contexts in a few batched forward passes (<see cref="HeadsRiskPredictor.ExplainAsync"/>). Rollout risks get none:
/// their explanation costs (F + 1) × R rollouts, far too slow for a hook call (gRPC Explain serves it). Each card waits
/// at most <see cref="CdsHooksOptions.ContributorTimeout"/>, then goes out without the section; so does a card whose
/// contributors fail (the risk itself was answered). The patient's timeline is built once per hook call and shared by
/// its cards. Logs name tasks and exception types only.
/// </summary>
internal sealed class ExplainedCardContributors(
    PatientTimelineBuilder timelines,
    TimelinePredictor encoder,
    RiskModel model,
    IOptions<CdsHooksOptions> options,
    ILogger<ExplainedCardContributors> logger) : ICardContributorSource
{
    private readonly ConditionalWeakTable<PatientRiskRequest, Task<(EncodedTimeline Timeline, int Index)>> _timelines = [];

    public async Task<IReadOnlyList<CardContributor>> GetContributorsAsync(CardContributorQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Risk.Method != RiskMethod.Heads || double.IsNaN(query.Risk.Risk) || !model.IsLoaded)
            return [];
        using var timeout = new CancellationTokenSource(options.Value.ContributorTimeout);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var (timeline, index) = await _timelines.GetValue(query.Request, request => EncodeAsync(request, cancellationToken))
                .WaitAsync(budget.Token).ConfigureAwait(false);
            if (index < 0)
                return [];
            var explainer = model.Explainer(RiskMethod.Heads);
            // The heads explain synchronously: run off the request thread so the budget can end the wait.
            var explanation = await Task.Run(() => explainer.ExplainAsync(new ExplanationQuery(timeline, index, query.Risk.Task), budget.Token), budget.Token)
                .WaitAsync(budget.Token).ConfigureAwait(false);
            return [.. explanation.TopContributors.Select(c => new CardContributor(c.Label, c.Delta))];
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

    private async Task<(EncodedTimeline, int)> EncodeAsync(PatientRiskRequest request, CancellationToken cancellationToken)
    {
        var patient = await timelines.BuildAsync(request.PatientId, request.FhirResources, cancellationToken).ConfigureAwait(false);
        return encoder.Encode(patient.Events, request.PredictionTime);
    }
}
