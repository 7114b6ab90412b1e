using FhirRisk.Meds.Tasks;

namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// Settles the requested tasks over one rollout's generated tokens with the same interpreter that labels real timelines
/// (<see cref="TaskOutcomeTracker"/>, docs/tasks.md): one tracker per task, fed each event with its elapsed time. So the
/// stop codes, positive codes, time limit, "positive after" and the unresolved policy all come from the
/// <see cref="TaskDefinition"/> rows of the catalog; nothing here knows a task by name. Token rules (docs/inference.md):
/// <list type="bullet">
/// <item>An interval token moves the clock and is shown to the trackers as a step in time (it carries the time of the
/// events it leads to), so a pending stop is decided and a time limit or "positive after" threshold is crossed at the
/// interval token itself, without sampling the next event.</item>
/// <item>A positive code decides its task at once (<see cref="TaskOutcomeTracker.IsDecided"/>); a non-positive stop
/// waits for the clock to move, since a positive code at the same timestamp would still win.</item>
/// <item><c>TIMELINE_END</c> finishes every tracker: censored unless a stop is pending.</item>
/// <item>When the token budget runs out, a task with a pending stop is decided by it; any other is ambiguous (null).</item>
/// </list>
/// </summary>
public sealed class RolloutJudge
{
    private readonly TokenMeanings _meanings;
    private readonly TaskOutcomeTracker?[] _trackers;
    private readonly TaskOutcome?[] _outcomes;
    private long _elapsedMicros;
    private int _open;

    public RolloutJudge(IReadOnlyList<TaskDefinition> tasks, TokenMeanings meanings)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(meanings);
        _meanings = meanings;
        _trackers = tasks.Select(t => new TaskOutcomeTracker(t)).ToArray();
        _outcomes = new TaskOutcome?[tasks.Count];
        _open = tasks.Count;
    }

    /// <summary>Generated time so far.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(_elapsedMicros * TimeSpan.TicksPerMicrosecond);

    /// <summary>True once every task is settled: the rollout may stop.</summary>
    public bool IsSettled => _open == 0;

    /// <summary>Each task's outcome; null while open, or after <see cref="Abandon"/> for an ambiguous task.</summary>
    public IReadOnlyList<TaskOutcome?> Outcomes => _outcomes;

    /// <summary>Takes the next generated token; returns <see cref="IsSettled"/>.</summary>
    public bool Observe(int token)
    {
        var role = _meanings.RoleOf(token);
        if (role == TokenRole.Interval)
            _elapsedMicros = Math.Min(_elapsedMicros + _meanings.MicrosOf(token), TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMicrosecond);
        var (elapsed, code) = (Elapsed, _meanings.CodeOf(token));
        for (var i = 0; i < _trackers.Length; i++)
        {
            if (_trackers[i] is not { } tracker)
                continue;
            var outcome = role == TokenRole.TimelineEnd ? tracker.Finish() : tracker.Observe(elapsed, code);
            if (outcome is null && tracker.IsDecided)
                outcome = tracker.Finish();
            if (outcome is not null)
                Settle(i, outcome);
        }
        return IsSettled;
    }

    /// <summary>The token budget ran out: a pending stop decides its task; every other open task stays null (ambiguous).</summary>
    public void Abandon()
    {
        for (var i = 0; i < _trackers.Length; i++)
        {
            if (_trackers[i] is not { } tracker)
                continue;
            var outcome = tracker.Finish();
            _trackers[i] = null;
            _open--;
            if (outcome.Kind != TaskOutcomeKind.Censored)
                _outcomes[i] = outcome;
        }
    }

    private void Settle(int task, TaskOutcome outcome)
    {
        _outcomes[task] = outcome;
        _trackers[task] = null;
        _open--;
    }
}
