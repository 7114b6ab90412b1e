using FhirRisk.Meds.Tasks;

namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// Collects a request's finished rollouts by index and decides when to stop (adaptive rollouts, docs/inference.md):
/// each task's count is the first n ≥ <see cref="RolloutSettings.MinRollouts"/> at which rollouts 0 … n − 1 give it
/// an interval (the answer's, <see cref="TaskEstimate.AnswerInterval"/>) of half-width at most
/// <see cref="RolloutSettings.TargetHalfWidth"/>, or <see cref="RolloutSettings.MaxRollouts"/>, and its answer is over
/// those rollouts only; the request stops once every task has its count. A task's answer therefore does not depend on
/// which other tasks were asked with it.
/// It looks only at complete prefixes of the index order, never at which rollouts happened to finish first, so the
/// count — and the answer — do not depend on how rollouts were packed into decode steps.
/// </summary>
internal sealed class RolloutTally
{
    private readonly RolloutRequest _request;
    private readonly TaskOutcome?[]?[] _outcomes;
    private readonly double[]?[] _hazards;
    private readonly int[]?[] _tokens;
    private readonly int[] _generated;
    private readonly int[] _positives;
    private readonly int[] _labelled;
    private readonly int?[] _taskStop;
    private readonly int[] _stopPositives;
    private readonly int[] _stopLabelled;
    private int _prefix;

    public RolloutTally(RolloutRequest request)
    {
        _request = request;
        var max = request.Settings.MaxRollouts;
        _outcomes = new TaskOutcome?[max][];
        _hazards = new double[max][];
        _tokens = new int[max][];
        _generated = new int[max];
        _positives = new int[request.Tasks.Count];
        _labelled = new int[request.Tasks.Count];
        _taskStop = new int?[request.Tasks.Count];
        _stopPositives = new int[request.Tasks.Count];
        _stopLabelled = new int[request.Tasks.Count];
    }

    /// <summary>The count once decided, else null.</summary>
    public int? StopAt { get; private set; }

    /// <summary>Records rollout <paramref name="index"/>; returns <see cref="StopAt"/>.</summary>
    /// <param name="index">The rollout's index in the request.</param>
    /// <param name="outcomes">Its judge's outcome per task.</param>
    /// <param name="tokens">What it generated.</param>
    /// <param name="hazards">Its judge's summed hazard per task; null when it tracked none.</param>
    public int? Add(int index, IReadOnlyList<TaskOutcome?> outcomes, int[] tokens, IReadOnlyList<double>? hazards = null)
    {
        if (StopAt is not null)
            return StopAt;
        _outcomes[index] = [.. outcomes];
        _hazards[index] = hazards is null ? null : [.. hazards];
        _tokens[index] = tokens;
        _generated[index] = tokens.Length;
        var settings = _request.Settings;
        while (StopAt is null && _prefix < _outcomes.Length && _outcomes[_prefix] is { } done)
        {
            for (var t = 0; t < done.Length; t++)
            {
                if (done[t]?.Label is { } label)
                {
                    _labelled[t]++;
                    _positives[t] += label ? 1 : 0;
                }
            }
            _prefix++;
            if (_prefix < settings.MinRollouts)
                continue;
            var open = 0;
            for (var t = 0; t < _taskStop.Length; t++)
            {
                if (_taskStop[t] is null && (_prefix == settings.MaxRollouts || Narrow(t)))
                    (_taskStop[t], _stopPositives[t], _stopLabelled[t]) = (_prefix, _positives[t], _labelled[t]);
                open += _taskStop[t] is null ? 1 : 0;
            }
            if (open == 0)
                StopAt = _prefix;
        }
        return StopAt;
    }

    /// <summary>The result over rollouts 0 … <see cref="StopAt"/> − 1.</summary>
    public RolloutResult Result()
    {
        var n = StopAt ?? throw new InvalidOperationException("The request is not decided yet.");
        var tasks = _request.Tasks;
        var estimates = new TaskEstimate[tasks.Count];
        for (var t = 0; t < tasks.Count; t++)
        {
            // Each task over its own count (rollouts 0 … its count − 1), the rollouts after it left out.
            var count = _taskStop[t] ?? n;
            var estimator = AnswersWithHazard(count) ? RolloutEstimator.Hazard : RolloutEstimator.Count;
            var (excluded, ambiguous) = (0, 0);
            for (var r = 0; r < count; r++)
            {
                var outcome = _outcomes[r]![t];
                excluded += outcome is { Label: null } ? 1 : 0;
                ambiguous += outcome is null ? 1 : 0;
            }
            var (positives, labelled) = _taskStop[t] is null ? (_positives[t], _labelled[t]) : (_stopPositives[t], _stopLabelled[t]);
            var (hazard, hazardInterval) = Hazard(t, count);
            estimates[t] = new TaskEstimate(tasks[t].Name, positives, labelled, excluded, ambiguous,
                WilsonInterval.Of(positives, labelled, _request.Settings.IntervalZ))
            {
                Hazard = hazard,
                HazardInterval = hazardInterval,
                Estimator = estimator,
            };
        }
        var keep = _request.Settings.KeepTokens;
        return new RolloutResult(estimates, n, _generated.AsSpan(0, n).ToArray().Sum(x => (long)x),
            _outcomes.Take(n).Select(o => (IReadOnlyList<TaskOutcome?>)o!).ToArray(),
            keep ? _tokens.Take(n).Select(t => t!).ToArray() : [])
        {
            Hazards = [.. _hazards.Take(n).Select(h => (IReadOnlyList<double>?)h)],
        };
    }

    /// <summary>Whether task <paramref name="t"/>'s interval over the rollouts tallied so far, the answer's, is narrow enough.</summary>
    private bool Narrow(int t)
    {
        var settings = _request.Settings;
        if (_labelled[t] == 0)
            return false;
        var interval = AnswersWithHazard(_prefix) ? Hazard(t, _prefix).Interval : WilsonInterval.Of(_positives[t], _labelled[t], settings.IntervalZ);
        return interval.HalfWidth <= settings.TargetHalfWidth;
    }

    /// <summary>Whether rollouts 0 … <paramref name="n"/> − 1 are answered by their hazards: the request asks for it and
    /// every one of them tracked its hazard (plain ancestral sampling).</summary>
    private bool AnswersWithHazard(int n)
    {
        if (_request.Settings.Estimator != RolloutEstimator.Hazard)
            return false;
        for (var r = 0; r < n; r++)
        {
            if (_hazards[r] is null)
                return false;
        }
        return true;
    }

    /// <summary>Task <paramref name="t"/>'s hazard estimate over rollouts 0 … <paramref name="n"/> − 1; NaN and [0, 1]
    /// when a rollout tracked no hazard or none is labelled.</summary>
    private (double Risk, WilsonInterval Interval) Hazard(int t, int n)
    {
        var hazards = new double[n];
        var labelled = new bool[n];
        for (var r = 0; r < n; r++)
        {
            if (_hazards[r] is not { } tracked)
                return (double.NaN, new WilsonInterval(0, 1));
            // Every rollout's hazard, over the labelled count as k is: positives come only from labelled rollouts, but
            // the hazard that excluded and ambiguous ones summed before they ended was still part of the chance of a
            // positive, so leaving it out would bias the estimate below k / n.
            hazards[r] = tracked[t];
            labelled[r] = _outcomes[r]![t]?.Label is not null;
        }
        return HazardEstimate.Of(hazards, labelled, _request.Settings.IntervalZ);
    }
}
