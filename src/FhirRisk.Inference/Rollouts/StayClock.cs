using FhirRisk.Meds.Tasks;
using FhirRisk.Tokenizer;

namespace FhirRisk.Inference.Rollouts;

/// <summary>A task as asked at one timeline index: what is left to predict, or the outcome the timeline already shows.</summary>
/// <param name="Task">The question rollouts answer: the task with its clock moved by the time since its anchor
/// (<see cref="TaskDefinition.After"/>); unused when <paramref name="Observed"/> is set.</param>
/// <param name="Observed">The outcome the events from the anchor up to the index already settle, by the labels' own
/// interpreter (<see cref="TaskOutcomeTracker"/>); null while it is still open.</param>
/// <param name="Start">How far the question has run, for the rollouts' label rules (<see cref="RolloutRequest.Starts"/>).</param>
/// <param name="ObservedIn">Where <paramref name="Observed"/> was read (<see cref="Prediction.TaskRisk.ObservedIn"/>).</param>
internal readonly record struct StayQuestion(TaskDefinition Task, TaskOutcome? Observed, QuestionStart Start, Prediction.ObservedSpan? ObservedIn = null);

/// <summary>
/// How far the question a task asks has already run at a timeline index, so a rollout started mid-stay asks the
/// task's own question (ARES's dynamic in-stay risk, ethos.md §3.4; <see cref="TaskDefinition.After"/>): a stay of
/// 6 days is prolonged (≥ 10 days) if it lasts 4 more, not 10 more; and an ICU admission an hour ago has already
/// answered "ICU admission before discharge" (docs/inference.md "Asked mid-stay").
/// </summary>
internal static class StayClock
{
    /// <summary>
    /// The question's anchor at <paramref name="index"/>. For a task predicted at a stay's start: the open stay's start
    /// (the last start code of the task's stay kind at or before the index, with no end code of that kind after it up to
    /// and including the index). For a task predicted at a stay's end (readmission, ED re-attendance): the last end code
    /// at or before the index, with no start code of that kind after it (the patient is out of that kind of stay).
    /// Null otherwise: the question is then asked afresh at the index — or, for a stay-end task inside a stay of its kind
    /// (<see cref="OpenStay"/>), at that stay's coming end.
    /// </summary>
    public static int? Anchor(TokenMeanings meanings, TimelineSpans timeline, int index, TaskDefinition task)
    {
        var stay = task.Point.Stay;
        return task.Point.At == StayBoundary.Start
            ? LastOf(meanings, timeline, index, stay.StartCode, unless: stay.EndCode)
            : LastOf(meanings, timeline, index, stay.EndCode, unless: stay.StartCode);
    }

    /// <summary>The last token at or before <paramref name="index"/> whose code matches <paramref name="code"/>, with no
    /// code matching <paramref name="unless"/> after it up to and including the index; else null.</summary>
    private static int? LastOf(TokenMeanings meanings, TimelineSpans timeline, int index, string code, string unless)
    {
        for (var i = index; i >= 0; i--)
        {
            var at = meanings.CodeOf(timeline.Tokens[i]);
            if (CodeSet.Matches(at, code))
                return i;
            if (CodeSet.Matches(at, unless))
                return null;
        }
        return null;
    }

    /// <summary>
    /// The token that opened an ICU stay still open at the time of <paramref name="anchor"/> (read back from the last
    /// token of that time, up to <paramref name="index"/>), by the labels' rule (<see cref="StayKind.IcuOpenAt"/>: not
    /// past an earlier hospital admission, nor further back than <see cref="StayKind.IcuOpenLookBack"/>); else null.
    /// </summary>
    private static int? IcuOpenAt(TokenMeanings meanings, TimelineSpans timeline, int anchor, int index)
    {
        var last = anchor;
        while (last < index && timeline.Times[last + 1] == timeline.Times[anchor])
            last++;
        var first = FirstAtSameTime(timeline, anchor);
        for (var i = last; i >= 0 && Between(timeline, i, anchor) <= StayKind.IcuOpenLookBack; i--)
        {
            if (i == anchor)
                continue;
            var code = meanings.CodeOf(timeline.Tokens[i]);
            if (StayKind.OpensIcu(code) is { } opens)
                return opens && !InEarlierStay(meanings, timeline, i) ? i : null;
            if (i < first && CodeSet.Matches(code, TaskCodes.HospitalAdmission))
                return null;
        }
        return null;
    }

    /// <summary><see cref="StayKind.InEarlierStay(IReadOnlyList{string}, int)"/> on tokens.</summary>
    private static bool InEarlierStay(TokenMeanings meanings, TimelineSpans timeline, int icu)
    {
        for (var i = icu - 1; i >= 0; i--)
        {
            if (StayKind.InEarlierStay(meanings.CodeOf(timeline.Tokens[i])) is { } earlier)
                return earlier;
        }
        return false;
    }

    /// <summary>A hospital admission token of the visit that ended at <paramref name="end"/> (its end code), from the first
    /// token at its registration's time (the last start code before the end; the end's own time when none is in view) up
    /// to the end; else null.</summary>
    private static int? AdmissionInVisit(TokenMeanings meanings, TimelineSpans timeline, int end, TaskDefinition task)
    {
        var registration = end;
        for (var i = end - 1; i >= 0 && registration == end; i--)
        {
            if (CodeSet.Matches(meanings.CodeOf(timeline.Tokens[i]), task.Point.Stay.StartCode))
                registration = i;
        }
        return AdmissionFrom(meanings, timeline, registration, end - 1);
    }

    /// <summary>The first hospital admission token from the first token at the time of <paramref name="stayStart"/> up to
    /// <paramref name="last"/> (inclusive), as the labels read a visit (TimelineLabeler.AdmittedBetween); else null.</summary>
    private static int? AdmissionFrom(TokenMeanings meanings, TimelineSpans timeline, int stayStart, int last)
    {
        for (var i = FirstAtSameTime(timeline, stayStart); i <= last; i++)
        {
            if (CodeSet.Matches(meanings.CodeOf(timeline.Tokens[i]), TaskCodes.HospitalAdmission))
                return i;
        }
        return null;
    }

    /// <summary>The first token at the time of token <paramref name="index"/>.</summary>
    private static int FirstAtSameTime(TimelineSpans timeline, int index)
    {
        var first = index;
        while (first > 0 && timeline.Times[first - 1] == timeline.Times[index])
            first--;
        return first;
    }

    /// <summary>The time from the question's <see cref="Anchor"/> to <paramref name="index"/>; zero when it has none.</summary>
    public static TimeSpan Spent(TokenMeanings meanings, TimelineSpans timeline, int index, TaskDefinition task) =>
        Anchor(meanings, timeline, index, task) is { } anchor ? Between(timeline, anchor, index) : TimeSpan.Zero;

    /// <summary>
    /// <paramref name="task"/> as asked at <paramref name="index"/>: the timeline's events after the anchor, up to and
    /// including the index, replayed through the task's tracker with their time since the anchor. A settled outcome (a
    /// positive code, a stop pending at the index, the "positive after" threshold or the time limit reached) is the
    /// observed answer. Asked at <paramref name="asOf"/>, later than the index's event, the quiet time since settles it
    /// too when it alone reaches the "positive after" threshold or passes the time limit (<see cref="TaskOutcomeTracker.Reach"/>:
    /// nothing recorded in a window that has closed). Otherwise the task with its clock moved on by the time spent to
    /// the index: rollouts continue from the last event, and those in which the task settles before the asked time are
    /// left out (<see cref="QuestionStart.Quiet"/>). With no open
    /// stay to replay and a death in the record up to the index (died at home after a discharge), the task has no point
    /// left: observed <see cref="TaskOutcomeKind.Deceased"/>, not applicable. A stay-end task asked inside a stay of its
    /// kind asks the label's question at the stay's coming end (<see cref="QuestionStart.AwaitsEnd"/>); a death already
    /// recorded in that stay makes a live-discharge task's point impossible (observed
    /// <see cref="TaskOutcomeKind.NotAPoint"/>), as an admission already recorded from the visit does a not-admitted one's.
    /// </summary>
    public static StayQuestion Ask(TokenMeanings meanings, TimelineSpans timeline, int index, TaskDefinition task, DateTime? asOf = null)
    {
        var live = Anchor(meanings, timeline, index, task);
        // The labels make no point after the record's first death (TimelineLabeler.Passes): a stay opened after one is
        // an error of the record, and there is nothing to predict of it.
        if (task.Point.At == StayBoundary.Start && live is { } opened && DeathBefore(meanings, timeline, opened) is { } before)
            return new StayQuestion(task, new TaskOutcome(TaskOutcomeKind.Deceased, null, TimeSpan.Zero, before), new QuestionStart(TimeSpan.Zero, InStay: false));
        if ((live ?? DiedAtIndex(meanings, timeline, index, task)) is not { } anchor)
        {
            // No open stay to replay, and the patient has died: the labels make no point of this task after a death (no
            // stay starts, no live discharge comes), so there is nothing to predict; rollouts would continue a finished
            // timeline and label nothing.
            var fresh = new QuestionStart(TimeSpan.Zero, InStay: false);
            var open = OpenStay(meanings, timeline, index, task);
            if (DeathBy(meanings, timeline, index, index) is { } dead)
            {
                // Inside the stay a live-discharge task asks about, a death means that discharge will not be a point.
                return open is { } inStay && task.Point.Filter == PointFilter.Alive
                    ? new StayQuestion(task, new TaskOutcome(TaskOutcomeKind.NotAPoint, null, TimeSpan.Zero, dead), new QuestionStart(TimeSpan.Zero, InStay: true) { AwaitsEnd = true },
                        Span(timeline, inStay, Prediction.ObservedStay.Open))
                    : new StayQuestion(task, new TaskOutcome(TaskOutcomeKind.Deceased, null, TimeSpan.Zero, dead), fresh);
            }
            return open is { } stayStart ? AwaitingEnd(meanings, timeline, stayStart, index, task, asOf) : new StayQuestion(task, null, fresh);
        }
        var spent = Between(timeline, anchor, index);
        var start = new QuestionStart(spent, InStay: true);
        // The open stay (a stay-start task inside it), the time after a stay's end (a stay-end task), or a stay that ended
        // in death (DiedAtIndex): a card says which, not "this stay" for a discharge years ago (service review s11 #3).
        var span = Span(timeline, anchor, live is null ? Prediction.ObservedStay.Ended
            : task.Point.At == StayBoundary.End ? Prediction.ObservedStay.After : Prediction.ObservedStay.Open);
        // The labels make no point at a discharge the patient did not leave alive (TimelineLabeler's PointFilter.Alive).
        if (task.Point.Filter == PointFilter.Alive && DeathBy(meanings, timeline, anchor, index) is { } death)
            return new StayQuestion(task, new TaskOutcome(TaskOutcomeKind.NotAPoint, null, TimeSpan.Zero, death), start, span);
        var tracker = new TaskOutcomeTracker(task);
        // An ICU stay open when the stay began (the ICU admission charted before the hospital admission) has answered an
        // ICU question already, as one at the admission's own time does; the labels leave that point out (TimelineLabeler).
        if (task.Point.At == StayBoundary.Start && StayKind.AsksAboutIcu(task.PositiveCodes) && IcuOpenAt(meanings, timeline, anchor, index) is { } icu
            && meanings.CodeOf(timeline.Tokens[icu]) is var icuCode && task.PositiveCodes.Contains(icuCode))
            return new StayQuestion(task, new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.Zero, icuCode), start, span);
        var grace = task.Point.Filter == PointFilter.NotAdmitted ? task.Point.AdmissionGrace : (TimeSpan?)null;
        // Admitted during the visit, up to its ED_OUT: the labels read the visit from the first event at its registration's
        // time (TimelineLabeler.AdmittedBetween). In canonical order an admission at the ED_OUT instant is written before
        // it, so the replay after the anchor alone missed it (review s24 M1).
        if (grace is not null && AdmissionInVisit(meanings, timeline, anchor, task) is { } admission)
            return new StayQuestion(task, new TaskOutcome(TaskOutcomeKind.NotAPoint, null, TimeSpan.Zero, meanings.CodeOf(timeline.Tokens[admission])), start, span);
        for (var i = anchor + 1; i <= index; i++)
        {
            var (elapsed, code) = (Between(timeline, anchor, i), meanings.CodeOf(timeline.Tokens[i]));
            // Admitted within the grace after ED_OUT: the labels make no "not admitted" point of this visit.
            if (elapsed <= grace && CodeSet.Matches(code, TaskCodes.HospitalAdmission))
                return new StayQuestion(task, new TaskOutcome(TaskOutcomeKind.NotAPoint, null, elapsed, code), start, span);
            if (tracker.Observe(elapsed, code) is { } outcome)
                return new StayQuestion(task, outcome, start, span);
        }
        // A stop already read (a positive one, or one at the index's own time): the labels would settle the point there.
        if (tracker.Finish() is { Kind: TaskOutcomeKind.Stop } stopped)
            return new StayQuestion(task, stopped, start, span);
        if (asOf is { } at && tracker.Reach(Since(timeline, anchor, at)) is { } lapsed)
            return new StayQuestion(task, lapsed, start, span);
        // Still open at the asked time: the rollouts continue from the last event, conditioned on nothing settling the
        // task during the quiet time since (QuestionStart.Quiet).
        return new StayQuestion(task.After(spent), null, start with { Quiet = QuietTime(timeline, index, asOf) });
    }

    /// <summary>
    /// For a task predicted at a stay's end (readmission, ED re-attendance): the start code of the stay of its kind open
    /// at <paramref name="index"/> (the last start code at or before it, with no end code after it up to and including
    /// the index); else null.
    /// </summary>
    public static int? OpenStay(TokenMeanings meanings, TimelineSpans timeline, int index, TaskDefinition task) =>
        task.Point.At == StayBoundary.End ? LastOf(meanings, timeline, index, task.Point.Stay.StartCode, unless: task.Point.Stay.EndCode) : null;

    /// <summary>
    /// A stay-end task asked inside its stay (<paramref name="stayStart"/> its start code): the label's question, asked
    /// at the stay's coming end (<see cref="QuestionStart.AwaitsEnd"/>). A not-admitted task whose visit the record
    /// already shows admitted has no such point (observed <see cref="TaskOutcomeKind.NotAPoint"/>).
    /// </summary>
    private static StayQuestion AwaitingEnd(TokenMeanings meanings, TimelineSpans timeline, int stayStart, int index, TaskDefinition task, DateTime? asOf)
    {
        var start = new QuestionStart(TimeSpan.Zero, InStay: true) { AwaitsEnd = true, Quiet = QuietTime(timeline, index, asOf) };
        if (start.Quiet == TimeSpan.Zero)
        {
            // A stop already at the last timestamp (the stay's own admission, asked at it): an end generated at that
            // time would make the outcome known at prediction, as the labels read every event at a point's time.
            for (var i = FirstAtSameTime(timeline, index); i <= index && start.StopAtPrompt is null; i++)
            {
                if (task.Stops(meanings.CodeOf(timeline.Tokens[i])))
                    start = start with { StopAtPrompt = meanings.CodeOf(timeline.Tokens[i]) };
            }
        }
        // As the labels read the visit: from the first event at its registration's time.
        if (task.Point.Filter == PointFilter.NotAdmitted && AdmissionFrom(meanings, timeline, stayStart, index) is { } admission)
            return new StayQuestion(task, new TaskOutcome(TaskOutcomeKind.NotAPoint, null, TimeSpan.Zero, meanings.CodeOf(timeline.Tokens[admission])), start,
                Span(timeline, stayStart, Prediction.ObservedStay.Open));
        return new StayQuestion(task, null, start);
    }

    /// <summary><paramref name="task"/> as rollouts ask it at <paramref name="index"/> (its clock moved on, whether or
    /// not the timeline already settles it: <see cref="Ask"/> says that).</summary>
    public static TaskDefinition At(TokenMeanings meanings, TimelineSpans timeline, int index, TaskDefinition task) =>
        task.After(Spent(meanings, timeline, index, task));

    /// <summary>
    /// For a task predicted at a stay's start, asked after its last stay of that kind ended in death (an end code that is
    /// a death, or a death code at the end's time) with no stay of that kind since — at the very timestamp, or later, as
    /// when the death itself is charted hours after a died discharge: that stay's start, so the death is replayed and
    /// observed, as the label of its start reads it; else null. A stay that ended alive is not replayed: a question asked
    /// after it is asked afresh (or, after a later death, is not applicable).
    /// </summary>
    private static int? DiedAtIndex(TokenMeanings meanings, TimelineSpans timeline, int index, TaskDefinition task)
    {
        if (task.Point.At != StayBoundary.Start)
            return null;
        if (LastOf(meanings, timeline, index, task.Point.Stay.EndCode, unless: task.Point.Stay.StartCode) is not { } end)
            return null;
        var first = FirstAtSameTime(timeline, end);
        var died = false;
        for (var i = first; i <= index && timeline.Times[i] == timeline.Times[end]; i++)
            died |= TaskCodes.Death.Contains(meanings.CodeOf(timeline.Tokens[i]));
        return died && first > 0 ? Anchor(meanings, timeline, first - 1, task) : null;
    }

    /// <summary>The first death code strictly before the time of <paramref name="anchor"/>, or null.</summary>
    private static string? DeathBefore(TokenMeanings meanings, TimelineSpans timeline, int anchor)
    {
        for (var i = 0; i < anchor && timeline.Times[i] < timeline.Times[anchor]; i++)
        {
            var code = meanings.CodeOf(timeline.Tokens[i]);
            if (TaskCodes.Death.Contains(code))
                return code;
        }
        return null;
    }

    /// <summary>The first death code at or before the time of <paramref name="anchor"/> (up to the index), or null.</summary>
    private static string? DeathBy(TokenMeanings meanings, TimelineSpans timeline, int anchor, int index)
    {
        for (var i = 0; i <= index && timeline.Times[i] <= timeline.Times[anchor]; i++)
        {
            var code = meanings.CodeOf(timeline.Tokens[i]);
            if (TaskCodes.Death.Contains(code))
                return code;
        }
        return null;
    }

    private static Prediction.ObservedSpan Span(TimelineSpans timeline, int from, Prediction.ObservedStay stay) =>
        new(DateTime.UnixEpoch.AddTicks(timeline.Times[from] * TimeSpan.TicksPerMicrosecond), stay);

    /// <summary>The time from the index's event to the asked time when that is later (<see cref="QuestionStart.Quiet"/>), else zero.</summary>
    private static TimeSpan QuietTime(TimelineSpans timeline, int index, DateTime? asOf) =>
        asOf is { } asked && Since(timeline, index, asked) is { Ticks: > 0 } since ? since : TimeSpan.Zero;

    /// <summary>The time from token <paramref name="from"/> to <paramref name="time"/>, on the timeline's microsecond clock.</summary>
    private static TimeSpan Since(TimelineSpans timeline, int from, DateTime time) =>
        TimeSpan.FromTicks(((time.ToUniversalTime() - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond - timeline.Times[from]) * TimeSpan.TicksPerMicrosecond);

    private static TimeSpan Between(TimelineSpans timeline, int from, int to) =>
        TimeSpan.FromTicks((timeline.Times[to] - timeline.Times[from]) * TimeSpan.TicksPerMicrosecond);
}

/// <summary>A timeline's tokens and times, as <see cref="StayClock"/> reads them: an <see cref="EncodedTimeline"/>, or one
/// subject's arrays of a token shard (<see cref="Scoring.LabelledPoints"/>).</summary>
internal readonly ref struct TimelineSpans(ReadOnlySpan<int> tokens, ReadOnlySpan<long> times)
{
    public ReadOnlySpan<int> Tokens { get; } = tokens;

    public ReadOnlySpan<long> Times { get; } = times;

    public static implicit operator TimelineSpans(EncodedTimeline timeline) => new(timeline.Tokens, timeline.Times);
}
