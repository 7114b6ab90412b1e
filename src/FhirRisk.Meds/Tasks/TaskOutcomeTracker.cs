namespace FhirRisk.Meds.Tasks;

/// <summary>
/// Interprets one <see cref="TaskDefinition"/> over the events that follow a prediction point, one at a time and in
/// time order, and says as soon as the outcome is settled. Labels feed it a real timeline; rollouts will feed it
/// generated events with their elapsed times. Rules (docs/tasks.md):
/// <list type="number">
/// <item>Reaching <see cref="TaskDefinition.PositiveAfter"/> before a stop is positive (at the threshold: positive).</item>
/// <item>An event later than <see cref="TaskDefinition.TimeLimit"/> settles it as <see cref="TaskOutcomeKind.TimeLimit"/> (at the limit: still counts).</item>
/// <item>The first timestamp holding a stop code decides; if any code at that timestamp is positive the label is true
/// (ETHOS puts death before discharge when they share a time), else false.</item>
/// <item>No more events: <see cref="TaskOutcomeKind.Censored"/>.</item>
/// </list>
/// Unresolved outcomes get the label <see cref="TaskDefinition.WhenUnresolved"/> says.
/// </summary>
public sealed class TaskOutcomeTracker
{
    private readonly TaskDefinition _task;
    private TimeSpan? _stopAt;
    private string? _stopCode;
    private string? _positiveCode;

    public TaskOutcomeTracker(TaskDefinition task)
    {
        ArgumentNullException.ThrowIfNull(task);
        _task = task;
    }

    /// <summary>
    /// Takes the next event, <paramref name="elapsed"/> after the prediction time (non-decreasing across calls);
    /// returns the outcome once settled, else null.
    /// </summary>
    public TaskOutcome? Observe(TimeSpan elapsed, string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (Reach(elapsed) is { } settled)
            return settled;
        if (_task.PositiveCodes.Contains(code))
        {
            _positiveCode = Preferred(_task.PositiveCodes, _positiveCode, code);
            _stopAt = elapsed;
        }
        else if (_task.StopCodes.Contains(code))
        {
            _stopCode = Preferred(_task.StopCodes, _stopCode, code);
            _stopAt = elapsed;
        }
        return null;
    }

    /// <summary>
    /// The outcome the clock alone settles once it reaches <paramref name="elapsed"/> with no event since the last one
    /// (rules 1 and 2, and a pending stop once the clock has passed it), else null; changes nothing. A question asked
    /// later than the record's last event reads the quiet time since by this (docs/inference.md "Asked mid-stay").
    /// </summary>
    public TaskOutcome? Reach(TimeSpan elapsed)
    {
        if (_stopAt is { } stopAt)
            return elapsed > stopAt ? Decide() : null;
        if (_task.PositiveAfter is { } threshold && elapsed >= threshold)
            return new TaskOutcome(TaskOutcomeKind.Duration, true, threshold);
        if (elapsed > _task.TimeLimit)
            return Unresolved(TaskOutcomeKind.TimeLimit, _task.TimeLimit);
        return null;
    }

    /// <summary>
    /// True once a positive code has come at the deciding timestamp: whatever else shares that time, the outcome is
    /// positive (rule 3), so <see cref="Finish"/> already gives it. Rollouts stop there instead of generating on until
    /// the clock moves.
    /// </summary>
    public bool IsDecided => _positiveCode is not null;

    /// <summary>
    /// Whether <see cref="Observe"/>(<paramref name="elapsed"/>, <paramref name="code"/>) would settle the outcome as
    /// positive now (a positive code, or the "positive after" threshold reached), without changing this tracker.
    /// Rollouts sum the probability of every such next token (the hazard, docs/inference.md).
    /// </summary>
    public bool WouldSettlePositive(TimeSpan elapsed, string code)
    {
        var trial = new TaskOutcomeTracker(_task) { _stopAt = _stopAt, _stopCode = _stopCode, _positiveCode = _positiveCode };
        var outcome = trial.Observe(elapsed, code);
        return outcome is null ? trial.IsDecided : outcome.Label == true;
    }

    /// <summary>The task this tracker interprets.</summary>
    public TaskDefinition Task => _task;

    /// <summary>There are no more events: the outcome at the pending stop, or <see cref="TaskOutcomeKind.Censored"/>.</summary>
    public TaskOutcome Finish() => _stopAt is null ? Unresolved(TaskOutcomeKind.Censored, null) : Decide();

    private TaskOutcome Decide() => _positiveCode is { } positive
        ? new TaskOutcome(TaskOutcomeKind.Stop, true, _stopAt, positive)
        : new TaskOutcome(TaskOutcomeKind.Stop, false, _stopAt, _stopCode);

    private TaskOutcome Unresolved(TaskOutcomeKind kind, TimeSpan? elapsed) =>
        new(kind, _task.WhenUnresolved == UnresolvedOutcome.Negative ? false : null, elapsed);

    // Several deciding codes at one timestamp: name the one listed first (MEDS_DEATH before a died discharge).
    private static string Preferred(CodeSet codes, string? current, string candidate) =>
        current is null || codes.RankOf(candidate) < codes.RankOf(current) ? candidate : current;
}
