using FhirRisk.Meds.Tasks;

namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// Collects a request's finished rollouts by index and decides when to stop (adaptive rollouts, docs/inference.md).
/// With a fixed count, rollouts 0 … n − 1 answer. With adaptive counts and a pilot (the default), rollouts
/// 0 … P − 1 (<see cref="RolloutSettings.Pilot"/>) decide each task's count n_t: the least n in
/// [<see cref="RolloutSettings.MinRollouts"/>, <see cref="RolloutSettings.MaxRollouts"/>] at which an estimate as
/// spread as the pilot's would have an interval (the answer's, <see cref="TaskEstimate.AnswerInterval"/>) of half-width
/// at most <see cref="RolloutSettings.TargetHalfWidth"/>; rollouts P … P + n_t − 1 answer, and the pilot is set aside.
/// Since the answering rollouts had no say in their number, their estimate is as unbiased as a fixed count's. Without a
/// pilot (<see cref="RolloutSettings.PilotRollouts"/> 0), each task's count is the first n ≥ MinRollouts at which
/// rollouts 0 … n − 1 are themselves narrow enough (sequential stopping, which keeps early low estimates and so biases
/// rare risks downwards). Either way a task's answer does not depend on which other tasks were asked with it.
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
    private readonly int _pilot;
    private int _prefix;

    public RolloutTally(RolloutRequest request)
    {
        _request = request;
        var limit = request.Settings.RolloutLimit;
        _pilot = request.Settings.Pilot;
        _outcomes = new TaskOutcome?[limit][];
        _hazards = new double[limit][];
        _tokens = new int[limit][];
        _generated = new int[limit];
        _positives = new int[request.Tasks.Count];
        _labelled = new int[request.Tasks.Count];
        _taskStop = new int?[request.Tasks.Count];
    }

    /// <summary>How many rollouts the request runs (the pilot's included) once decided, else null.</summary>
    public int? StopAt { get; private set; }

    /// <summary>Whether the count is decided and every rollout before it has been recorded.</summary>
    public bool Complete => StopAt is { } stop && _prefix >= stop;

    /// <summary>Records rollout <paramref name="index"/> (one at or past a decided count is ignored); returns
    /// <see cref="Complete"/>.</summary>
    /// <param name="index">The rollout's index in the request.</param>
    /// <param name="outcomes">Its judge's outcome per task.</param>
    /// <param name="tokens">What it generated.</param>
    /// <param name="hazards">Its judge's summed hazard per task; null when it tracked none.</param>
    public bool Add(int index, IReadOnlyList<TaskOutcome?> outcomes, int[] tokens, IReadOnlyList<double>? hazards = null)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _outcomes.Length);
        if (Complete || index >= (StopAt ?? _outcomes.Length))
            return Complete; // past a decided count: a speculative rollout, not counted
        _outcomes[index] = [.. outcomes];
        _hazards[index] = hazards is null ? null : [.. hazards];
        _tokens[index] = tokens;
        _generated[index] = tokens.Length;
        while (_prefix < (StopAt ?? _outcomes.Length) && _outcomes[_prefix] is { } done)
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
            StopAt ??= _pilot > 0 ? AfterPilot() : Sequential();
        }
        return Complete;
    }

    /// <summary>The result over the answering rollouts: pilot … <see cref="StopAt"/> − 1 (0 … with no pilot).</summary>
    public RolloutResult Result()
    {
        var stop = Complete ? StopAt!.Value : throw new InvalidOperationException("The request is not complete yet.");
        var tasks = _request.Tasks;
        var estimates = new TaskEstimate[tasks.Count];
        for (var t = 0; t < tasks.Count; t++)
        {
            // Each task over its own count (rollouts pilot … pilot + its count − 1), the rollouts after it left out.
            var count = _taskStop[t] ?? stop - _pilot;
            var estimator = AnswersWithHazard(_pilot, count) ? RolloutEstimator.Hazard : RolloutEstimator.Count;
            var (positives, labelled, excluded, ambiguous) = (0, 0, 0, 0);
            for (var r = _pilot; r < _pilot + count; r++)
            {
                var outcome = _outcomes[r]![t];
                excluded += outcome is { Label: null } ? 1 : 0;
                ambiguous += outcome is null ? 1 : 0;
                labelled += outcome?.Label is not null ? 1 : 0;
                positives += outcome?.Label == true ? 1 : 0;
            }
            var (hazard, hazardInterval) = Hazard(t, _pilot, count);
            estimates[t] = new TaskEstimate(tasks[t].Name, positives, labelled, excluded, ambiguous,
                WilsonInterval.Of(positives, labelled, _request.Settings.IntervalZ))
            {
                Hazard = hazard,
                HazardInterval = hazardInterval,
                Estimator = estimator,
            };
        }
        var keep = _request.Settings.KeepTokens;
        var answering = _pilot..stop;
        return new RolloutResult(estimates, stop - _pilot, _generated.AsSpan(0, stop).ToArray().Sum(x => (long)x),
            _outcomes[answering].Select(o => (IReadOnlyList<TaskOutcome?>)o!).ToArray(),
            keep ? _tokens[answering].Select(t => t!).ToArray() : [])
        {
            Hazards = [.. _hazards[answering].Select(h => (IReadOnlyList<double>?)h)],
            Pilot = _pilot,
        };
    }

    /// <summary>Sequential stopping: each task stops at the first prefix ≥ MinRollouts whose own interval is narrow
    /// enough (or at MaxRollouts); the request stops once every task has.</summary>
    private int? Sequential()
    {
        var settings = _request.Settings;
        if (_prefix < settings.MinRollouts)
            return null;
        var open = 0;
        for (var t = 0; t < _taskStop.Length; t++)
        {
            if (_taskStop[t] is null && (_prefix == settings.MaxRollouts || Narrow(t)))
                _taskStop[t] = _prefix;
            open += _taskStop[t] is null ? 1 : 0;
        }
        return open == 0 ? _prefix : null;
    }

    /// <summary>Once the pilot is complete: each task's count from the pilot's spread, and the request's length.</summary>
    private int? AfterPilot()
    {
        if (_prefix != _pilot)
            return null;
        var longest = _request.Settings.MinRollouts; // a request without tasks still runs its least count
        for (var t = 0; t < _taskStop.Length; t++)
        {
            _taskStop[t] = Planned(t);
            longest = Math.Max(longest, _taskStop[t]!.Value);
        }
        return _pilot + longest;
    }

    /// <summary>The least count in [MinRollouts, MaxRollouts] at which an estimate as spread as the pilot's would be
    /// narrow enough: the pilot's estimate at its effective sample size scaled by count / pilot (MaxRollouts when the
    /// pilot labelled no rollout of the task).</summary>
    private int Planned(int t)
    {
        var settings = _request.Settings;
        if (_labelled[t] == 0)
            return settings.MaxRollouts;
        var (risk, size) = AnswersWithHazard(0, _pilot)
            ? Sized(t, 0, _pilot)
            : ((double)_positives[t] / _labelled[t], _labelled[t]);
        for (var n = settings.MinRollouts; n < settings.MaxRollouts; n++)
        {
            if (WilsonInterval.OfProportion(risk, size * n / _pilot, settings.PlanningZ).HalfWidth <= settings.TargetHalfWidth)
                return n;
        }
        return settings.MaxRollouts;
    }

    /// <summary>Whether task <paramref name="t"/>'s interval over the rollouts tallied so far, the answer's, is narrow enough.</summary>
    private bool Narrow(int t)
    {
        var settings = _request.Settings;
        if (_labelled[t] == 0)
            return false;
        var interval = AnswersWithHazard(0, _prefix) ? Hazard(t, 0, _prefix, settings.PlanningZ).Interval : WilsonInterval.Of(_positives[t], _labelled[t], settings.PlanningZ);
        return interval.HalfWidth <= settings.TargetHalfWidth;
    }

    /// <summary>Whether rollouts <paramref name="from"/> … <paramref name="from"/> + <paramref name="n"/> − 1 are answered
    /// by their hazards: the request asks for it and every one of them tracked its hazard (plain ancestral sampling).</summary>
    private bool AnswersWithHazard(int from, int n)
    {
        if (_request.Settings.Estimator != RolloutEstimator.Hazard)
            return false;
        for (var r = from; r < from + n; r++)
        {
            if (_hazards[r] is null)
                return false;
        }
        return true;
    }

    /// <summary>Task <paramref name="t"/>'s hazard estimate over rollouts <paramref name="from"/> … <paramref name="from"/>
    /// + <paramref name="n"/> − 1; NaN and [0, 1] when a rollout tracked no hazard or none is labelled.</summary>
    private (double Risk, WilsonInterval Interval) Hazard(int t, int from, int n, double? z = null)
    {
        var (hazards, labelled) = Tracked(t, from, n);
        return hazards is null ? (double.NaN, new WilsonInterval(0, 1)) : HazardEstimate.Of(hazards, labelled, z ?? _request.Settings.IntervalZ);
    }

    private (double Risk, double EffectiveSize) Sized(int t, int from, int n)
    {
        var (hazards, labelled) = Tracked(t, from, n);
        return HazardEstimate.Sized(hazards!, labelled);
    }

    /// <summary>Each rollout's summed hazard for task <paramref name="t"/> and whether it is labelled; null when a rollout
    /// tracked no hazard.</summary>
    private (double[]? Hazards, bool[] Labelled) Tracked(int t, int from, int n)
    {
        var hazards = new double[n];
        var labelled = new bool[n];
        for (var r = 0; r < n; r++)
        {
            if (_hazards[from + r] is not { } tracked)
                return (null, labelled);
            // Every rollout's hazard, over the labelled count as k is: positives come only from labelled rollouts, but
            // the hazard that excluded and ambiguous ones summed before they ended was still part of the chance of a
            // positive, so leaving it out would bias the estimate below k / n.
            hazards[r] = tracked[t];
            labelled[r] = _outcomes[from + r]![t]?.Label is not null;
        }
        return (hazards, labelled);
    }
}
