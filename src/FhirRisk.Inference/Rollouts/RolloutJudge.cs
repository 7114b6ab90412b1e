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
/// Given each task's <see cref="QuestionStart"/> (the predictor's and the scorer's requests), three of the labels'
/// edge rules that the tracker alone does not know apply too (docs/inference.md "Rollouts and labels: edge rules"):
/// a stop at elapsed 0 of a question asked at its own prediction time is known at prediction (excluded); a new start
/// code of the stay's kind before its end censors the stay (<see cref="TaskOutcomeTracker.Finish"/>); and after an ED
/// visit not admitted, a hospital admission within the grace makes the future one where the point does not exist
/// (excluded, <see cref="TaskOutcomeKind.NotAPoint"/>). A stay-end task asked inside its stay
/// (<see cref="QuestionStart.AwaitsEnd"/>) waits for the generated end of the stay and counts its clock from there.
/// </summary>
public sealed class RolloutJudge
{
    private readonly TokenMeanings _meanings;
    private readonly TaskOutcomeTracker?[] _trackers;
    private readonly TaskOutcome?[] _outcomes;
    /// <summary>A code no task stops or settles on: what an ordinary event at the current time would do.</summary>
    private const string AnyOtherCode = "";

    private readonly int[][] _candidates;
    private readonly int[][] _intervalCandidates;
    private readonly double[] _hazards;
    private readonly LabelRules?[] _rules;
    /// <summary>Per task, the generated time its clock starts at: 0, or the stay's end it waited for.</summary>
    private readonly long[] _anchorMicros;
    private long _elapsedMicros;
    private int _open;

    /// <param name="tasks">The tasks, as asked (<see cref="StayClock"/>).</param>
    /// <param name="meanings">The vocabulary's meanings.</param>
    /// <param name="starts">Per task, how far its question had run at the prompt; null: the task rows only (generation).</param>
    public RolloutJudge(IReadOnlyList<TaskDefinition> tasks, TokenMeanings meanings, IReadOnlyList<QuestionStart>? starts = null)
    {
        ArgumentNullException.ThrowIfNull(meanings);
        Validate(tasks, starts);
        _meanings = meanings;
        _trackers = tasks.Select(t => new TaskOutcomeTracker(t)).ToArray();
        _outcomes = new TaskOutcome?[tasks.Count];
        _open = tasks.Count;
        _hazards = new double[tasks.Count];
        _candidates = [.. tasks.Select(t => Candidates(t, meanings))];
        _intervalCandidates = [.. _candidates.Select(ids => ids.Where(id => meanings.RoleOf(id) == TokenRole.Interval).ToArray())];
        _rules = [.. tasks.Select((t, i) => starts is null ? null : LabelRules.Of(t, starts[i], meanings))];
        _anchorMicros = new long[tasks.Count];
    }

    /// <summary>Throws what the constructor would for these tasks and starts, so a request is refused before it is queued
    /// (<see cref="RolloutScheduler.Enqueue"/>), not when its first rollout is admitted.</summary>
    /// <exception cref="ArgumentException">Not one start per task, or a start waiting for the end of a stay for a task
    /// predicted at a stay's start.</exception>
    public static void Validate(IReadOnlyList<TaskDefinition> tasks, IReadOnlyList<QuestionStart>? starts)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (starts is null)
            return;
        if (starts.Count != tasks.Count)
            throw new ArgumentException("One question start per task is needed.", nameof(starts));
        for (var i = 0; i < tasks.Count; i++)
        {
            if (starts[i].AwaitsEnd && tasks[i].Point.At != StayBoundary.End)
                throw new ArgumentException($"'{tasks[i].Name}' is predicted at a stay's start, so its question cannot wait for the stay's end.", nameof(starts));
        }
    }

    /// <summary>Generated time so far.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(_elapsedMicros * TimeSpan.TicksPerMicrosecond);

    /// <summary>True once every task is settled: the rollout may stop.</summary>
    public bool IsSettled => _open == 0;

    /// <summary>Each task's outcome; null while open, or after <see cref="Abandon"/> for an ambiguous task.</summary>
    public IReadOnlyList<TaskOutcome?> Outcomes => _outcomes;

    /// <summary>
    /// Per task, the hazard summed so far (<see cref="AddHazard"/>): the probability, at each step while the task was
    /// open, that the next token would settle it positive. Its mean over rollouts estimates the risk with less variance
    /// than the fraction of positive rollouts (docs/inference.md "The hazard estimate").
    /// </summary>
    public IReadOnlyList<double> Hazards => _hazards;

    /// <summary>
    /// Adds, for every open task, the probability under softmax(<paramref name="logits"/> / <paramref name="temperature"/>)
    /// of the next tokens that would settle it positive: its positive codes, and interval tokens that reach its
    /// "positive after" threshold. Call with the distribution the next token is drawn from, before
    /// <see cref="Observe"/>; it changes no outcome.
    /// </summary>
    /// <param name="logits">The logits of the tokenizer's ids (no task tokens, no padding).</param>
    /// <param name="temperature">The sampling temperature (&gt; 0): ancestral sampling, no top-k or top-p.</param>
    public void AddHazard(ReadOnlySpan<float> logits, float temperature)
    {
        if (_open == 0)
            return;
        var max = float.NegativeInfinity;
        foreach (var logit in logits)
            max = Math.Max(max, logit / temperature);
        var total = 0.0;
        foreach (var logit in logits)
            total += Math.Exp((double)(logit / temperature) - max);
        for (var t = 0; t < _trackers.Length; t++)
        {
            if (_trackers[t] is not { } tracker)
                continue;
            var rules = _rules[t];
            if (rules is { AwaitingEnd: true })
                continue; // its window opens at the stay's end: no next token settles it positive before that
            var hazard = 0.0;
            var now = ElapsedOf(t);
            if (rules is not null && !rules.After(now))
            {
                // Within the quiet time every outcome contradicts the record: only the interval tokens that carry the
                // clock past it can lead to a positive the record allows.
                foreach (var id in _intervalCandidates[t])
                {
                    var elapsed = After(t, _meanings.MicrosOf(id));
                    if (rules.After(elapsed) && tracker.WouldSettlePositive(elapsed, _meanings.CodeOf(id)))
                        hazard += Math.Exp((double)(logits[id] / temperature) - max);
                }
            }
            else if (rules is not { Censoring: true } && tracker.WouldSettlePositive(now, AnyOtherCode))
            {
                // Past a "positive after" threshold (a stay asked about mid-stay, StayClock): any event settles the task
                // positive, so the hazard is the mass of every token but TIMELINE_END, which finishes it unresolved, and
                // a new start code of the stay's kind, which censors it.
                hazard = total;
                foreach (var id in _meanings.TimelineEnds)
                    hazard -= Math.Exp((double)(logits[id] / temperature) - max);
                if (rules is { StayOpen: true })
                {
                    foreach (var id in rules.StartIds)
                        hazard -= Math.Exp((double)(logits[id] / temperature) - max);
                }
            }
            else
            {
                foreach (var id in _candidates[t])
                {
                    var isInterval = _meanings.RoleOf(id) == TokenRole.Interval;
                    if (!isInterval && rules is { KnownAtStart: true } && now == TimeSpan.Zero)
                        continue; // a stop at the prediction time itself is known at prediction, not positive
                    if (rules is { Censoring: true } && (isInterval || !TaskCodes.Death.Contains(_meanings.CodeOf(id))))
                        continue; // censored at this timestamp: only a death still at it counts
                    var elapsed = isInterval ? After(t, _meanings.MicrosOf(id)) : now;
                    if (tracker.WouldSettlePositive(elapsed, _meanings.CodeOf(id)))
                        hazard += Math.Exp((double)(logits[id] / temperature) - max);
                }
            }
            _hazards[t] += hazard / total;
        }
    }

    /// <summary>Takes the next generated token; returns <see cref="IsSettled"/>.</summary>
    public bool Observe(int token)
    {
        var role = _meanings.RoleOf(token);
        if (role == TokenRole.Interval)
            _elapsedMicros = AfterMicros(_meanings.MicrosOf(token));
        var code = _meanings.CodeOf(token);
        for (var i = 0; i < _trackers.Length; i++)
        {
            if (_trackers[i] is not { } tracker)
                continue;
            if (_rules[i] is { AwaitingEnd: true } waiting)
            {
                // Not the task's own clock yet: the stay's end opens its window (the end token itself is the point, as
                // the labels' anchor is), and a future in which the point would not exist is left out.
                if (waiting.Await(Elapsed, role == TokenRole.TimelineEnd ? null : code) is { } none)
                    Settle(i, none);
                else if (!waiting.AwaitingEnd)
                    _anchorMicros[i] = _elapsedMicros;
                continue;
            }
            var elapsed = ElapsedOf(i);
            var ruled = role == TokenRole.TimelineEnd ? null : _rules[i]?.Before(tracker, elapsed, code);
            var outcome = role == TokenRole.TimelineEnd ? tracker.Finish()
                : ReferenceEquals(ruled, LabelRules.Held) ? null
                : ruled ?? tracker.Observe(elapsed, code);
            if (outcome is null && tracker.IsDecided)
                outcome = tracker.Finish();
            if (outcome is not null)
                Settle(i, outcome);
        }
        return IsSettled;
    }

    /// <summary>The token budget ran out: a pending stop decides its task, a task a new start was censoring is censored;
    /// every other open task stays null (ambiguous).</summary>
    public void Abandon()
    {
        for (var i = 0; i < _trackers.Length; i++)
        {
            if (_trackers[i] is not { } tracker)
                continue;
            var outcome = Ruled(i, tracker.Finish());
            _trackers[i] = null;
            _open--;
            // Censored by a new start within the last timestamp: settled as such, as the next token would have settled
            // it (only a death could still have come, and one would have decided the tracker already).
            if (outcome.Kind != TaskOutcomeKind.Censored || _rules[i] is { Censoring: true })
                _outcomes[i] = outcome;
        }
    }

    private long AfterMicros(long micros) => Math.Min(_elapsedMicros + micros, TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMicrosecond);

    /// <summary>Task <paramref name="task"/>'s clock: generated time since its anchor.</summary>
    private TimeSpan ElapsedOf(int task) => TimeSpan.FromTicks((_elapsedMicros - _anchorMicros[task]) * TimeSpan.TicksPerMicrosecond);

    /// <summary>Task <paramref name="task"/>'s clock after an interval of <paramref name="micros"/>.</summary>
    private TimeSpan After(int task, long micros) => TimeSpan.FromTicks((AfterMicros(micros) - _anchorMicros[task]) * TimeSpan.TicksPerMicrosecond);

    /// <summary>The ids that could settle <paramref name="task"/> positive as the next token: its positive codes, and
    /// the interval tokens when it has a "positive after" threshold. <see cref="AddHazard"/> asks the tracker about each.</summary>
    private static int[] Candidates(TaskDefinition task, TokenMeanings meanings) =>
    [
        .. Enumerable.Range(0, meanings.Count).Where(id =>
            task.PositiveCodes.Contains(meanings.CodeOf(id)) || (task.PositiveAfter is not null && meanings.RoleOf(id) == TokenRole.Interval)),
    ];

    private void Settle(int task, TaskOutcome outcome)
    {
        _outcomes[task] = Ruled(task, outcome);
        _trackers[task] = null;
        _open--;
    }

    /// <summary>A stop at elapsed 0 of a question asked at its prediction time is known at prediction, as labels leave
    /// such a point out (docs/tasks.md "Left-out points").</summary>
    /// <summary>And an outcome within the quiet time (<see cref="QuestionStart.Quiet"/>) contradicts the record, which shows
    /// the question still open when it is asked: that future is left out, as one where the point does not exist. A
    /// generated <c>TIMELINE_END</c> within it is kept (an end of the record agrees with a quiet record), censored as
    /// the task rows say; a new start of the stay's kind within it is left out (<see cref="LabelRules.Before"/>).</summary>
    private TaskOutcome Ruled(int task, TaskOutcome outcome) => _rules[task] switch
    {
        { KnownAtStart: true } when outcome is { Kind: TaskOutcomeKind.Stop, Elapsed: { Ticks: 0 } } =>
            new TaskOutcome(TaskOutcomeKind.KnownAtPrediction, null, TimeSpan.Zero, outcome.Code),
        { } rules when outcome is { Label: not null, Elapsed: { } elapsed } && !rules.After(elapsed) =>
            new TaskOutcome(TaskOutcomeKind.NotAPoint, null, elapsed, outcome.Code),
        _ => outcome,
    };

    /// <summary>The labels' edge rules for one task, where its question stands at the prompt.</summary>
    private sealed class LabelRules
    {
        private readonly string? _startCode, _endCode;
        private readonly TaskDefinition _task;
        private TimeSpan? _admissionGrace;
        private TimeSpan _quiet;
        /// <summary>A live-discharge point's window has opened: a death at its own time unmakes the point.</summary>
        private bool _diesAtEndUnmakes;
        /// <summary>While <see cref="AwaitingEnd"/>: the first stop code at the latest time one was generated, which at
        /// the end's own time makes the outcome known at prediction, as labels read every event at the point's time.</summary>
        private (TimeSpan At, string Code)? _stop;
        /// <summary>While <see cref="AwaitingEnd"/> for a not-admitted point: when the visit was last admitted from.</summary>
        private TimeSpan? _admitted;
        private TimeSpan? _diedAt;

        private LabelRules(TaskDefinition task, bool knownAtStart, string? startCode, string? endCode, TimeSpan? admissionGrace, int[] startIds,
            TimeSpan quiet, bool awaitingEnd)
        {
            (_task, KnownAtStart, _startCode, _endCode, _admissionGrace, StartIds, _quiet, AwaitingEnd) =
                (task, knownAtStart, startCode, endCode, admissionGrace, startIds, quiet, awaitingEnd);
            StayOpen = startCode is not null;
        }

        /// <summary>What <see cref="Before"/> returns for an event it has taken itself: the tracker does not see it, and
        /// nothing is settled yet.</summary>
        public static readonly TaskOutcome Held = new(TaskOutcomeKind.Censored, null);

        /// <summary>When a new start of the stay's kind censored the question; the rest of that timestamp is still read.</summary>
        private TimeSpan? _censoredAt;

        /// <summary>A new start has censored the question at the current timestamp (<see cref="Before"/>).</summary>
        public bool Censoring => _censoredAt is not null;

        /// <summary>Whether an outcome at <paramref name="elapsed"/> is allowed by the record: at or after the quiet time's end.</summary>
        public bool After(TimeSpan elapsed) => elapsed >= _quiet;

        /// <summary>Asked at its own prediction time (an anchor, no time spent): a stop at elapsed 0 is known at prediction.</summary>
        public bool KnownAtStart { get; private set; }

        /// <summary>The question's stay is open and no end of it has been generated: a new start code censors it.</summary>
        public bool StayOpen { get; private set; }

        /// <summary>A stay-end task asked inside its stay whose end has not been generated yet (<see cref="QuestionStart.AwaitsEnd"/>).</summary>
        public bool AwaitingEnd { get; private set; }

        /// <summary>The ids whose code is the stay kind's start code.</summary>
        public int[] StartIds { get; }

        public static LabelRules Of(TaskDefinition task, QuestionStart start, TokenMeanings meanings)
        {
            var point = task.Point;
            if (start.AwaitsEnd)
            {
                return new LabelRules(task, knownAtStart: false, null, null, null, [], start.Quiet, awaitingEnd: true)
                {
                    _stop = start.StopAtPrompt is { } stop && start.Quiet == TimeSpan.Zero ? (TimeSpan.Zero, stop) : null,
                };
            }
            var stay = point.Stay;
            var censors = point.At == StayBoundary.Start && start.InStay;
            var grace = point.Filter == PointFilter.NotAdmitted && start.InStay && point.AdmissionGrace >= start.Spent
                ? point.AdmissionGrace - start.Spent : (TimeSpan?)null;
            // Only a "positive after" task needs the start codes' ids (AddHazard past its threshold): spare the other
            // rollouts a scan of the vocabulary.
            int[] startIds = censors && task.PositiveAfter is not null
                ? [.. Enumerable.Range(0, meanings.Count).Where(id => CodeSet.Matches(meanings.CodeOf(id), stay.StartCode))]
                : [];
            return new LabelRules(task, start.InStay && start.Spent == TimeSpan.Zero, censors ? stay.StartCode : null, censors ? stay.EndCode : null, grace,
                startIds, start.InStay ? start.Quiet : TimeSpan.Zero, awaitingEnd: false);
        }

        /// <summary>
        /// While <see cref="AwaitingEnd"/>: event <paramref name="code"/> (null: <c>TIMELINE_END</c>) at generated time
        /// <paramref name="elapsed"/> since the prompt. The stay's end opens the window — the rules of a question asked at
        /// its own point apply from then on, and <see cref="AwaitingEnd"/> turns false — unless it falls within the quiet
        /// time, which the record shows the patient still in. As the labels (TimelineLabeler) read the futures: a death
        /// under a live-discharge point's filter, an admission from the visit the end closes under a not-admitted one's
        /// (an admission before a new registration of the stay's kind belongs to the earlier visit), or the record's end
        /// before the stay's, or a death before the end (the labels make no point after a death), make no such point
        /// (<see cref="TaskOutcomeKind.NotAPoint"/>, its elapsed time counted from the
        /// prompt, since the task's clock never started); a stop of the task at the end's own time, before the end code
        /// as after it, makes the outcome known at prediction. Returns that outcome, else null.
        /// </summary>
        public TaskOutcome? Await(TimeSpan elapsed, string? code)
        {
            var point = _task.Point;
            if (code is null || (point.Filter == PointFilter.Alive && TaskCodes.Death.Contains(code)))
                return new TaskOutcome(TaskOutcomeKind.NotAPoint, null, elapsed, code);
            if (TaskCodes.Death.Contains(code))
                _diedAt ??= elapsed;
            if (point.Filter == PointFilter.NotAdmitted && CodeSet.Matches(code, TaskCodes.HospitalAdmission))
                _admitted = elapsed;
            else if (point.Filter == PointFilter.NotAdmitted && CodeSet.Matches(code, point.Stay.StartCode) && _admitted < elapsed)
                _admitted = null; // a new visit, the end to come closes it; an admission at its own time still counts
            if (!CodeSet.Matches(code, point.Stay.EndCode))
            {
                if (_task.Stops(code) && _stop?.At != elapsed)
                    _stop = (elapsed, code);
                return null;
            }
            // The labels make no point after a death (TimelineLabeler.Passes); one at the end's own time is a stop there.
            if (!After(elapsed) || _admitted is not null || _diedAt < elapsed)
                return new TaskOutcome(TaskOutcomeKind.NotAPoint, null, elapsed, code);
            if (_stop is { } stop && stop.At == elapsed)
                return new TaskOutcome(TaskOutcomeKind.KnownAtPrediction, null, TimeSpan.Zero, stop.Code);
            (AwaitingEnd, KnownAtStart, _quiet) = (false, true, TimeSpan.Zero);
            _diesAtEndUnmakes = point.Filter == PointFilter.Alive;
            _admissionGrace = point.Filter == PointFilter.NotAdmitted ? point.AdmissionGrace : null;
            return null;
        }

        /// <summary>The outcome an edge rule gives event <paramref name="code"/> at <paramref name="elapsed"/>, before the
        /// tracker sees it; null: the tracker decides (<see cref="TaskOutcomeTracker.Observe"/>).</summary>
        public TaskOutcome? Before(TaskOutcomeTracker tracker, TimeSpan elapsed, string code)
        {
            // A death at the time of the generated discharge: the patient did not leave alive, so the labels make no point.
            if (_diesAtEndUnmakes && elapsed == TimeSpan.Zero && TaskCodes.Death.Contains(code))
                return new TaskOutcome(TaskOutcomeKind.NotAPoint, null, elapsed, code);
            // The stay ended unseen (TimelineLabeler: a missing end is censored at the next start); a start within the
            // quiet time is an event the record rules out, so that future is left out, not censored. (The labels also
            // end a record's end-less stay at a visit or admission elsewhere, StayKind.EndedBy; a generated future is a
            // stay whose end is yet to come, observed, as the labels observe a stay with an end, up to that end.)
            // Censored at a new start: the labels read that timestamp as a whole, whatever the order of its rows, and
            // only a death there still counts (TimelineLabeler), so the outcome waits for the clock to move on
            // (review s16-inference #3: a death generated just after the start code at its time was lost).
            if (_censoredAt is { } at)
            {
                if (elapsed > at)
                    return tracker.Finish();
                if (TaskCodes.Death.Contains(code))
                    tracker.Observe(elapsed, code);
                return Held;
            }
            if (StayOpen && CodeSet.Matches(code, _startCode!))
            {
                if (!After(elapsed))
                    return new TaskOutcome(TaskOutcomeKind.NotAPoint, null, elapsed, code);
                _censoredAt = elapsed;
                return Held;
            }
            if (StayOpen && CodeSet.Matches(code, _endCode!))
                StayOpen = false;
            if (_admissionGrace is { } grace && elapsed <= grace && CodeSet.Matches(code, TaskCodes.HospitalAdmission))
                return new TaskOutcome(TaskOutcomeKind.NotAPoint, null, elapsed, code); // admitted after all: no such point
            return null;
        }
    }
}
