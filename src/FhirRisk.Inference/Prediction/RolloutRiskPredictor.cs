using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using FhirRisk.Inference.Explanations;
using FhirRisk.Inference.Rollouts;

namespace FhirRisk.Inference.Prediction;

/// <summary>
/// Answers tasks by rollouts (ETHOS, ethos.md §3): each call becomes a <see cref="RolloutRequest"/> for one background
/// loop that owns a <see cref="RolloutScheduler"/>, so concurrent calls share decode steps (continuous batching). A
/// call's answer does not depend on which other calls it shared steps with.
/// </summary>
public sealed class RolloutRiskPredictor : IRiskPredictor, IRiskExplainer, IAsyncDisposable
{
    private readonly InferenceSession _session;
    private readonly RolloutScheduler _scheduler;
    private readonly Channel<Work> _inbox = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentQueue<Work> _cancelled = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    /// <summary>Set when the loop itself failed (not a step: <see cref="StepOrFail"/> answers those); every call then
    /// fails at once with it instead of waiting for a loop that no longer runs.</summary>
    private volatile InferenceException? _dead;

    internal RolloutRiskPredictor(InferenceSession session)
    {
        _session = session;
        _scheduler = session.CreateScheduler();
        _loop = Task.Factory.StartNew(RunLoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public RiskMethod Method => RiskMethod.Rollouts;

    public IReadOnlyList<string> Tasks => [.. _session.Tasks.Select(t => t.Name)];

    /// <summary>The scheduler's KV-cache pool (its cap and peak use).</summary>
    public KvCachePool Pool => _scheduler.Pool;

    /// <summary>The scheduler's steps, rows, finished rollouts and slots in use, readable from any thread.</summary>
    public RolloutSchedulerCounters Counters => _scheduler.Counters;

    /// <summary>True once the background loop has stopped on a failure: every rollout call fails with it (IN005, or the
    /// failure's own code) until the predictor is replaced. A failed decode step alone does not stop it (docs/inference.md "Errors").</summary>
    public bool Faulted => _dead is not null;

    /// <summary>
    /// One rollout request for the tasks the record leaves open at the point (<see cref="StayClock.Ask"/>); a task whose
    /// outcome the open stay already shows is answered by it, with no rollouts (<see cref="TaskRisk.Observed"/>).
    /// </summary>
    public async Task<IReadOnlyList<TaskRisk>> PredictAsync(RiskQuery query, CancellationToken cancellationToken = default) =>
        (await AnswerAsync(query, cancellationToken).ConfigureAwait(false)).Risks;

    /// <summary><see cref="PredictAsync"/>, with the rollouts behind it (null when every task was observed).</summary>
    private async Task<(TaskRisk[] Risks, RolloutResult? Rollouts)> AnswerAsync(RiskQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var clock = Stopwatch.StartNew();
        var asked = query.Tasks.Select(t => StayClock.Ask(_session.Meanings, query.Timeline, query.Index, _session.Task(t), query.AsOf)).ToArray();
        var open = asked.Where(a => a.Observed is null).ToArray();
        var settings = SettingsFor(query);
        var result = open.Length == 0 ? null
            : await RunAsync(new RolloutRequest(_session.RolloutPrompt(query.Timeline, query.Index), [.. open.Select(a => a.Task)], settings)
            {
                Starts = [.. open.Select(a => a.Start)],
            }, cancellationToken).ConfigureAwait(false);
        var latency = clock.Elapsed;
        var risks = new TaskRisk[asked.Length];
        for (int i = 0, next = 0; i < asked.Length; i++)
        {
            if (asked[i].Observed is { } observed)
            {
                risks[i] = TaskRisk.OfObserved(asked[i].Task.Name, observed, latency, where: asked[i].ObservedIn);
                continue;
            }
            var e = result!.Tasks[next++];
            var (risk, interval, recalibrated) = Calibrated(e, settings);
            risks[i] = new TaskRisk(e.Task, risk, interval, RiskMethod.Rollouts, e.Labelled, latency, e.Estimator, recalibrated)
            {
                BeforeStayEnd = asked[i].Start.AwaitsEnd,
            };
        }
        return (risks, result);
    }

    /// <summary>The estimate's answer and interval through the session's recalibration when it has a map for this task
    /// and estimator fitted on these rollout counts and this sampling temperature (docs/inference.md "Recalibration"), else
    /// as estimated; and whether it was mapped. A map fitted on other counts or at another temperature is not applied:
    /// its answers are distributed differently.</summary>
    private (double Risk, WilsonInterval Interval, bool Recalibrated) Calibrated(TaskEstimate estimate, RolloutSettings settings)
    {
        // No labelled rollout: NaN stays NaN, with its [0, 1] interval, and is not said to be recalibrated.
        if (double.IsNaN(estimate.Answer) || _session.RolloutCalibration is not { } calibration
            || !calibration.Fits(estimate.Task, estimate.Estimator, RolloutCounts.Of(settings), settings.Sampling.Temperature, _session.TaskParameters.ProlongedStay))
            return (estimate.Answer, estimate.AnswerInterval, false);
        double Map(double p) => calibration.Apply(estimate.Task, estimate.Estimator, p, estimate.Labelled);
        var raw = estimate.AnswerInterval;
        return (Map(estimate.Answer), new WilsonInterval(Map(raw.Lower), Map(raw.Upper)), true);
    }

    /// <summary>The session's rollout settings with the query's count, seed and interval level.</summary>
    private RolloutSettings SettingsFor(RiskQuery query)
    {
        var settings = _session.Options.Rollouts with
        {
            Seed = query.Seed ?? _session.Options.Rollouts.Seed,
            IntervalZ = WilsonInterval.ZOf(query.IntervalLevel),
        };
        return query.Rollouts is { } count ? settings with { MinRollouts = count, MaxRollouts = count } : settings;
    }

    /// <summary>
    /// The ARES trajectory (ethos.md §3.4): a fixed <see cref="ExplanationSettings.RolloutsPerPoint"/> rollouts before
    /// the first explained fact and after each one, all queued at once so they share decode steps, and with common
    /// random numbers — every point's requests share one key, so rollout i draws the same stream at every point and the
    /// deltas between neighbours are not swamped by sampling noise. A point whose outcome the record already shows
    /// (<see cref="StayClock.Ask"/>) is that outcome, with no rollouts. Beside the trajectory, the served answer at the
    /// prediction point (<see cref="RiskExplanation.Answer"/>, queued with the rest; the same key, so its rollouts draw
    /// the last point's streams: after the default pilot of 10 it answers over rollouts 10 …, and shares the last point's
    /// rollouts 10 … R − 1). Costs at most (F + 1) × R rollouts for F facts, plus the served answer's and its pilot's.
    /// </summary>
    public async Task<RiskExplanation> ExplainAsync(ExplanationQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var clock = Stopwatch.StartNew();
        var task = _session.Task(query.Task);
        var plan = ExplanationPlan.Create(_session, query, task, fromStayEnd: true);
        var explanations = _session.Options.Explanations;
        var count = explanations.RolloutsPerPoint;
        var settings = _session.Options.Rollouts with
        {
            MinRollouts = count, MaxRollouts = count, KeepTokens = false, Seed = query.Seed ?? _session.Options.Rollouts.Seed,
        };
        var served = AnswerAsync(new RiskQuery(query.Timeline, query.Index, [task.Name]) { Seed = query.Seed, AsOf = query.AsOf }, cancellationToken);
        var asked = plan.Points.Select(p => StayClock.Ask(_session.Meanings, query.Timeline, p, task)).ToArray();
        var key = new RolloutRequest(_session.RolloutPrompt(query.Timeline, plan.Points[^1]), [task], settings).Key;
        var runs = plan.Points.Select((point, i) =>
        {
            if (asked[i].Observed is not null)
                return Task.FromResult<RolloutResult?>(null);
            var prompt = _session.RolloutPrompt(query.Timeline, point);
            var request = new RolloutRequest(prompt, [asked[i].Task], settings) { Starts = [asked[i].Start] };
            if (explanations.CommonRandomNumbers)
                request = request with { Key = key };
            return Run(request);
        }).ToArray();
        var results = await Task.WhenAll(runs).ConfigureAwait(false);
        var (answers, answerRollouts) = await served.ConfigureAwait(false);
        var answer = answers[0];
        var trajectory = plan.Points.Select((index, i) =>
        {
            if (asked[i].Observed is { } observed)
                return new RiskPoint(index, plan.TimeOf(index), TaskRisk.RiskOf(observed), null, 0) { Observed = observed };
            var estimate = results[i]!.Tasks[0];
            var (risk, interval, recalibrated) = Calibrated(estimate, settings);
            return new RiskPoint(index, plan.TimeOf(index), risk, interval, estimate.Labelled, estimate.Estimator) { Recalibrated = recalibrated };
        }).ToArray();
        var cost = new ExplanationCost(results.Sum(r => r?.RolloutsRun ?? 0) + (answerRollouts?.RolloutsRun ?? 0),
            results.Sum(r => r?.GeneratedTokens ?? 0) + (answerRollouts?.GeneratedTokens ?? 0), clock.Elapsed);
        return plan.Explain(task.Name, RiskMethod.Rollouts, trajectory, null, cost) with { Risk = answer.Risk, Answer = answer };

        async Task<RolloutResult?> Run(RolloutRequest request) => await RunAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues a request for the shared scheduler; completes when it is answered.</summary>
    public Task<RolloutResult> RunAsync(RolloutRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_dead is { } dead)
            throw Copy(dead);
        var work = new Work(request);
        if (cancellationToken.CanBeCanceled)
            work.Registration = cancellationToken.Register(() => _cancelled.Enqueue(work));
        if (!_inbox.Writer.TryWrite(work))
        {
            work.Registration.Dispose();
            throw _dead is { } stopped ? Copy(stopped) : new ObjectDisposedException(nameof(RolloutRiskPredictor));
        }
        return work.Completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _inbox.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException || _dead is not null)
        {
            // The loop ends by cancellation, or ended on a failure its calls were already given (Faulted).
        }
        finally
        {
            _scheduler.Dispose();
            _stop.Dispose();
        }
    }

    private async Task RunLoopAsync()
    {
        var active = new Dictionary<Work, RolloutTicket>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                while (_inbox.Reader.TryRead(out var work))
                    Admit(work, active);
                while (_cancelled.TryDequeue(out var work))
                {
                    if (active.Remove(work, out var ticket))
                        _scheduler.Cancel(ticket);
                    work.Completion.TrySetCanceled();
                }
                if (_scheduler.HasWork)
                    StepOrFail(active);
                else if (!await _inbox.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
                    break;
            }
        }
        catch (Exception e) when (!IsStop(e))
        {
            // The loop cannot go on (its scheduler could not drop the calls of a failed step): fail every call now and
            // later, rather than leave them waiting for a loop that no longer runs.
            _dead = Failure(e, "the rollout engine stopped");
            _inbox.Writer.TryComplete(_dead);
        }
        finally
        {
            foreach (var work in active.Keys)
                End(work);
            while (_inbox.Reader.TryRead(out var work))
                End(work);
        }
    }

    private void End(Work work)
    {
        work.Registration.Dispose();
        if (_dead is { } dead)
            work.Completion.TrySetException(Copy(dead));
        else
            work.Completion.TrySetCanceled();
    }

    /// <summary>Only the predictor's own stop ends the loop quietly; a cancellation from anywhere else (a backend's) is a
    /// failure like any other (review s16-final #5).</summary>
    private bool IsStop(Exception e) => e is OperationCanceledException && _stop.IsCancellationRequested;

    /// <summary>A call's own copy of a failure shared by several calls: one exception thrown on many threads at once
    /// would garble its stack trace (review s16-final #8).</summary>
    private static InferenceException Copy(InferenceException failure) => new(failure.Code, failure.Path, failure.Detail, failure);

    /// <summary>
    /// One decode step. A step that throws (a NaN or infinite logit from a diverged model, a backend failure) fails every
    /// call in flight with the error, IN004 or IN005, and drops their rollouts; the loop goes on with the calls that
    /// come next, so a failure is reported to the calls it may have touched instead of leaving every later call waiting.
    /// </summary>
    private void StepOrFail(Dictionary<Work, RolloutTicket> active)
    {
        try
        {
            _scheduler.Step();
        }
        catch (Exception e) when (!IsStop(e))
        {
            var failure = Failure(e, "a rollout decode step failed");
            foreach (var (work, ticket) in active.ToArray())
            {
                _scheduler.Cancel(ticket);
                work.Registration.Dispose();
                work.Completion.TrySetException(Copy(failure));
            }
            active.Clear();
        }
    }

    /// <summary>A step's failure as the calls see it: an <see cref="InferenceException"/> as it is (NaN logits are IN004
    /// where the sampler draws, RolloutSequence.Sample), anything else IN005.</summary>
    private static InferenceException Failure(Exception e, string what) => e as InferenceException
        ?? new InferenceException(InferenceErrorCodes.RolloutFailed, "rollouts", $"{what}: {e.GetType().Name}: {e.Message}", e);

    private void Admit(Work work, Dictionary<Work, RolloutTicket> active)
    {
        if (work.Completion.Task.IsCompleted)
            return; // cancelled before it reached the scheduler
        try
        {
            active[work] = _scheduler.Enqueue(work.Request, ticket =>
            {
                active.Remove(work);
                work.Registration.Dispose();
                work.Completion.TrySetResult(ticket.Result!);
            });
        }
        catch (Exception e) when (!IsStop(e))
        {
            // A request the scheduler refuses (bad settings: ArgumentException) fails alone, not the engine.
            work.Registration.Dispose();
            work.Completion.TrySetException(e);
        }
    }

    private sealed class Work(RolloutRequest request)
    {
        public RolloutRequest Request { get; } = request;

        public TaskCompletionSource<RolloutResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }
    }
}
