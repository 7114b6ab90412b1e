using System.Diagnostics;
using System.Globalization;
using FhirRisk.Inference.Explanations;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model.Heads;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Inference.Prediction;

/// <summary>
/// Answers every finetuned task in one forward pass (docs/finetuning.md, heads.md): the context the finetuner built
/// (<see cref="InferenceSession.HeadsContext"/>), all K task tokens appended, and each head's calibrated probability
/// of the hidden state at its token — <see cref="PromptedForward"/>, the very code the finetuner calibrates with.
/// It explains by heads too: the trajectory and every occluded variant in batched forward passes. Thread-safe: calls
/// take turns on the one model, and the asynchronous ones wait for their turn without holding a thread (review
/// s21-grpc M2: a hundred calls waiting on a lock starved the thread pool, and a health check waited seconds).
/// </summary>
public sealed class HeadsRiskPredictor : IRiskPredictor, IRiskExplainer, IDisposable
{
    private readonly InferenceSession _session;
    private readonly TaskHeads _heads;
    private readonly GptModel _model;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _disposed;
    private GptModel? _batchModel;

    internal HeadsRiskPredictor(InferenceSession session, TaskHeads heads)
    {
        (_session, _heads) = (session, heads);
        _model = new GptModel(session.Parameters, 1, session.Backend);
    }

    public RiskMethod Method => RiskMethod.Heads;

    public IReadOnlyList<string> Tasks => _heads.Tasks;

    /// <summary>
    /// One forward pass for the tasks the record leaves open at the point; a task whose outcome the open stay already
    /// shows (<see cref="StayClock.Ask"/>, model-free) is answered by it as the rollouts answer it
    /// (<see cref="TaskRisk.Observed"/>), so the method never turns an outcome in the record into a probability.
    /// </summary>
    public async Task<IReadOnlyList<TaskRisk>> PredictAsync(RiskQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        var indices = query.Tasks.Select(IndexOf).ToArray();
        var asked = indices.Select(k => Ask(query.Timeline, query.Index, _session.Tasks.FirstOrDefault(t => t.Name == _heads.Tasks[k]), query.AsOf)).ToArray();
        var probabilities = Array.Empty<double>();
        if (!asked.All(a => a?.Observed is not null))
        {
            var context = _session.HeadsContext(query.Timeline, query.Index);
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                probabilities = PromptedForward.Probabilities(_model, _heads, [context], maxBatch: 1);
            }
            finally
            {
                _gate.Release();
            }
        }
        var latency = clock.Elapsed;
        return [.. indices.Select((k, i) => asked[i]?.Observed is { } outcome
            ? TaskRisk.OfObserved(_heads.Tasks[k], outcome, latency, RiskMethod.Heads, asked[i]?.ObservedIn)
            : new TaskRisk(_heads.Tasks[k], probabilities[k], null, RiskMethod.Heads, 0, latency) { BeforeStayEnd = asked[i]?.Start.AwaitsEnd == true })];
    }

    /// <summary>Where the question of <paramref name="definition"/> stands at <paramref name="index"/>, asked at
    /// <paramref name="asOf"/> (<see cref="StayClock.Ask"/>); null for a head of no catalog task (no definition).</summary>
    private StayQuestion? Ask(Tokenizer.EncodedTimeline timeline, int index, TaskDefinition? definition, DateTime? asOf) =>
        definition is null ? null : StayClock.Ask(_session.Meanings, timeline, index, definition, asOf);

    /// <summary>(N, K) the calibrated probability of every head for every context, in <see cref="TaskHeads.Tasks"/> order.</summary>
    /// <param name="contexts">Contexts of at most T − K ids (<see cref="InferenceSession.HeadsContext"/>).</param>
    public double[] Predict(IReadOnlyList<int[]> contexts)
    {
        _gate.Wait();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return PromptedForward.Probabilities(_model, _heads, contexts, maxBatch: 1);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The trajectory (the calibrated risk after each explained fact) and each fact's occlusion Δ (the risk with every
    /// fact − the risk with that fact removed), all contexts in forward passes of <see cref="ExplanationSettings.MaxBatch"/>.
    /// The top contributors rank the occlusion Δs.
    /// </summary>
    public async Task<RiskExplanation> ExplainAsync(ExplanationQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return (await ExplainManyAsync([query], cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>
    /// <see cref="ExplainAsync"/> for several queries: those with the same timeline, point and explained facts have the
    /// same occluded contexts, so one batched pass gives every task's risks (the heads
    /// answer all tasks from one forward) and each query reads its own task's column.
    /// </summary>
    public async Task<IReadOnlyList<RiskExplanation>> ExplainManyAsync(IReadOnlyList<ExplanationQuery> queries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queries);
        cancellationToken.ThrowIfCancellationRequested();
        var explanations = new RiskExplanation[queries.Count];
        var plans = queries.Select(query =>
        {
            ArgumentNullException.ThrowIfNull(query);
            var definition = _session.Tasks.FirstOrDefault(t => t.Name == query.Task);
            return (Task: IndexOf(query.Task), Plan: ExplanationPlan.Create(_session, query, definition), Definition: definition);
        }).ToArray();
        // A task the record already settles is answered by it, as PredictAsync answers it, and occludes nothing.
        for (var i = 0; i < queries.Count; i++)
        {
            // Asked at ExplanationQuery.AsOf, as the served answer is.
            if (Ask(queries[i].Timeline, queries[i].Index, plans[i].Definition, queries[i].AsOf) is { Observed: { } outcome } settled)
                explanations[i] = OfObserved(queries[i], plans[i].Plan, outcome, settled.ObservedIn);
        }
        // The occluded contexts are a function of the timeline, the point and the explained facts' spans alone.
        var groups = Enumerable.Range(0, queries.Count).Where(i => explanations[i] is null).GroupBy(i => (Timeline: (object)queries[i].Timeline, queries[i].Index,
            Facts: string.Join(',', plans[i].Plan.Facts.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Start}-{f.End}")))));
        foreach (var group in groups)
        {
            // Between the batched passes: a caller that gave up (a card's budget) stops the work here.
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var plan = plans[group.First()].Plan;
            var contexts = OcclusionContexts.Build(_session, plan);
            var settings = _session.Options.Explanations;
            double[] probabilities;
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _batchModel ??= new GptModel(_session.Parameters, settings.MaxBatch, _session.Backend);
                probabilities = PromptedForward.Probabilities(_batchModel, _heads, contexts, settings.MaxBatch);
            }
            finally
            {
                _gate.Release();
            }
            var cost = new ExplanationCost(contexts.Count, 0, clock.Elapsed);
            foreach (var i in group)
            {
                // Each query's own plan (same facts and points; its own contributor count), its own task's column.
                var (k, own, _) = plans[i];
                var risks = contexts.Select((_, c) => probabilities[c * _heads.Count + k]).ToArray();
                var points = own.Points.Length;
                var trajectory = own.Points.Select((index, p) => new RiskPoint(index, own.TimeOf(index), risks[p], null, 0)).ToArray();
                explanations[i] = own.Explain(queries[i].Task, RiskMethod.Heads, trajectory, risks[points..], cost);
            }
        }
        return explanations;
    }

    /// <summary>
    /// The explanation of a task whose answer is observed, not predicted: the served answer (<see cref="RiskExplanation.Answer"/>,
    /// exactly <see cref="PredictAsync"/>'s), one trajectory point at the prediction point holding the outcome, and no
    /// contributors. Occluding facts would explain the head's own probability, which is not what was served, and no
    /// fact can change an outcome already in the record (the rollout explainer's trajectory reaches the same observed
    /// answer; docs/inference.md "Explanations").
    /// </summary>
    private static RiskExplanation OfObserved(ExplanationQuery query, ExplanationPlan plan, TaskOutcome outcome, ObservedSpan? where)
    {
        var answer = TaskRisk.OfObserved(query.Task, outcome, TimeSpan.Zero, RiskMethod.Heads, where);
        var point = new RiskPoint(query.Index, plan.TimeOf(query.Index), answer.Risk, null, 0) { Observed = outcome };
        return new RiskExplanation(query.Task, RiskMethod.Heads, answer.Risk, [point], [], [], 0, new ExplanationCost(0, 0, TimeSpan.Zero)) { Answer = answer };
    }

    public void Dispose()
    {
        // The running call's turn ends first; the calls waiting then get theirs and find the predictor disposed (review
        // s21-fixes L6: they ran on freed buffers). The gate is not disposed: it holds no handle, and a disposed
        // SemaphoreSlim would leave a waiting call waiting for ever and make a release throw (review s21-changes L1).
        _disposed = true;
        _gate.Wait();
        try
        {
            _model.Dispose();
            _batchModel?.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    private int IndexOf(string task) => _heads.IndexOf(task) is var k and >= 0
        ? k
        : throw new InferenceException(InferenceErrorCodes.UnknownTask, task, Meds.Tasks.TaskCatalog.Names.Contains(task)
            ? $"the model has no finetuned head for this task. Hint: ask for one of {string.Join(", ", _heads.Tasks)}, or predict it by rollouts."
            : $"no task has this name. Hint: ask for one of {string.Join(", ", _heads.Tasks)}.");
}
