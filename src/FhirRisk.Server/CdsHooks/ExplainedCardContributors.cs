using System.Diagnostics;
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
/// call's tasks whose explained span is the same. Rollout risks get none, and neither does an observed answer
/// (<see cref="TaskRisk.Observed"/>: nothing was predicted, so no fact moved it):
/// their explanation costs (F + 1) × R rollouts, far too slow for a hook call (gRPC Explain serves it). Each card waits
/// at most <see cref="CdsHooksOptions.ContributorTimeout"/>, then goes out without the section; so does a card whose
/// contributors fail (the risk itself was answered). The patient's timeline is built and its heads tasks explained
/// once per hook call, held by that call alone; each card picks its task's contributors. An explanation still running
/// when the last card has given up on it is cancelled: it must not outlive the call, whose place and bytes
/// (docs/cds-hooks.md "Limits") are given back as the cards go out. Logs name tasks and exception types only.
/// </summary>
internal sealed class ExplainedCardContributors(
    PatientTimelineBuilder timelines,
    TimelinePredictor encoder,
    RiskModel model,
    IOptions<CdsHooksOptions> options,
    ILogger<ExplainedCardContributors> logger) : ICardContributorSource
{
    /// <summary>The heads' explainer; the loaded model's unless a test stands in its own (one it can hold mid-pass).</summary>
    internal Func<IRiskExplainer> HeadsExplainer { get; init; } = () => model.Explainer(RiskMethod.Heads);

    public async Task<IReadOnlyList<IReadOnlyList<CardContributor>>> GetContributorsAsync(PatientRiskRequest request, IReadOnlyList<TaskRisk> risks,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(risks);
        var contributors = new IReadOnlyList<CardContributor>[risks.Count];
        Task<IReadOnlyDictionary<string, Explained>>? explanations = null;
        var explanationCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // One budget for the call's cards, from before the first waits (which starts the explanation; the cards before it
        // are passed over at once): every card reads the same explanation, and a budget per card let a stuck one hold the
        // answer once per card (review s24-cds M3).
        var started = Stopwatch.GetTimestamp();
        using var timeout = new CancellationTokenSource(options.Value.ContributorTimeout);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            for (var i = 0; i < risks.Count; i++)
            {
                var risk = risks[i];
                contributors[i] = [];
                // An observed answer (already in the record) was not predicted: no fact moved it, so it has no contributors.
                if (risk.Method != RiskMethod.Heads || risk.Observed is not null || double.IsNaN(risk.Risk) || !model.IsLoaded)
                    continue;
                explanations ??= ExplainAsync(request, risks, explanationCancel.Token);
                contributors[i] = await ContributorsAsync(explanations, risk.Task, started, budget.Token, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (explanations is { IsCompleted: false })
            {
                explanationCancel.Cancel();
                ObserveLate(explanations, explanationCancel);
            }
            else
            {
                explanationCancel.Dispose();
            }
        }
        return contributors;
    }

    private async Task<IReadOnlyList<CardContributor>> ContributorsAsync(Task<IReadOnlyDictionary<string, Explained>> explanations, string task,
        long started, CancellationToken budget, CancellationToken cancellationToken)
    {
        try
        {
            var explained = await explanations.WaitAsync(budget).ConfigureAwait(false);
            // The budget's timer may not have fired yet when an explanation lands just after it: the clock decides.
            if (Stopwatch.GetElapsedTime(started) > options.Value.ContributorTimeout)
                return TimedOut(task);
            return explained.TryGetValue(task, out var explanation)
                ? [.. explanation.TopContributors.Where(c => !explanation.Assumed(c)).Select(c => new CardContributor(c.Label, c.Delta, c.Facts) { ExplainedSince = explanation.Since })]
                : [];
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return TimedOut(task);
        }
        catch (Exception e) when (IsExpected(e))
        {
            CdsHooksLog.ContributorsFailed(logger, task, e.GetType().Name);
            return [];
        }
    }

    private IReadOnlyList<CardContributor> TimedOut(string task)
    {
        CdsHooksLog.ContributorsTimedOut(logger, task, options.Value.ContributorTimeout.TotalMilliseconds);
        return [];
    }

    /// <summary>An explanation still running when every card has given up on it has been cancelled and ends unobserved:
    /// its failure (the cancellation, or one already logged per card) is only observed here, and its token source
    /// disposed once nothing reads it.</summary>
    private static void ObserveLate(Task explanations, CancellationTokenSource cancel) =>
        _ = explanations.ContinueWith(t =>
        {
            _ = t.Exception;
            cancel.Dispose();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static bool IsExpected(Exception e) => e is InferenceException or PatientDataUnavailableException or RiskModelUnavailableException
        or TimelineStoreUnavailableException or ArgumentException;

    /// <summary>Every heads task of the call explained at once: one timeline, one batched occlusion pass for the tasks
    /// that share their explained span (<see cref="IRiskExplainer.ExplainManyAsync"/>).</summary>
    private async Task<IReadOnlyDictionary<string, Explained>> ExplainAsync(PatientRiskRequest request, IReadOnlyList<TaskRisk> risks,
        CancellationToken cancellationToken)
    {
        var patient = await timelines.BuildAsync(request, cancellationToken).ConfigureAwait(false);
        var (timeline, index) = encoder.Encode(patient.Events, request.PredictionTime);
        if (index < 0)
            return new Dictionary<string, Explained>();
        var explainer = HeadsExplainer();
        var headsTasks = ((IRiskPredictor)explainer).Tasks;
        // Asked when the prediction was (RiskQuery.AsOf), so a task the answer found settled is settled here too.
        // The tasks answered, not those asked: an encounter hook answers only those that apply to its encounter (review
        // s21-fixes L2: the others were explained for nothing, inside the cards' budget).
        var queries = risks.Select(r => r.Task).Where(headsTasks.Contains).Distinct()
            // Every contributor, not the explainer's top five: a card shows labels only and merges the rows of one label
            // (one lab at two times) before it keeps its largest (RiskCardFactory).
            .Select(task => new ExplanationQuery(timeline, index, task)
            {
                AsOf = request.PredictionTime?.UtcDateTime, TopContributors = int.MaxValue, CodeDescriptions = patient.CodeDescriptions,
            })
            .ToArray();
        // The heads explain synchronously: run off the request thread so each card's budget can end its wait.
        var explanations = await Task.Run(() => explainer.ExplainManyAsync(queries, cancellationToken), cancellationToken).ConfigureAwait(false);
        var written = patient.WrittenEnds.Select(e => (e.Time, e.Code)).ToHashSet();
        return explanations.ToDictionary(e => e.Task, e => new Explained(e.TopContributors, written)
        {
            Since = e.OmittedFacts > 0 && e.Facts.Count > 0 ? e.Facts[0].Fact.Time : null,
        });
    }

    /// <summary>A task's contributors, and the stay ends this service wrote at the prediction time
    /// (<see cref="PatientEventsResult.WrittenEnds"/>). The heads read those ends, so occlusion scores them like any event,
    /// but no clinician entered them (a guessed disposition, "home", for a patient perhaps going to a nursing facility):
    /// a card does not list them as a reason for its risk (review s22 explain M4).</summary>
    private sealed record Explained(IReadOnlyList<RiskContributor> TopContributors, HashSet<(DateTime? Time, string Code)> Written)
    {
        /// <summary>The first measured fact's time when earlier facts of the stay were left out (review s22 explain M3).</summary>
        public DateTime? Since { get; init; }

        public bool Assumed(RiskContributor contributor) =>
            contributor.Codes.Count > 0 && contributor.Codes.All(code => Written.Contains((contributor.Time, code)));
    }
}
