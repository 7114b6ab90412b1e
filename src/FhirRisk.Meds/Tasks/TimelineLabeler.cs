namespace FhirRisk.Meds.Tasks;

/// <summary>
/// Finds the prediction points of tasks on one subject's timeline and settles each with a
/// <see cref="TaskOutcomeTracker"/> fed the events after the point. Stays are paired once per kind and shared by
/// the tasks (docs/tasks.md describes every rule).
/// </summary>
public sealed class TimelineLabeler
{
    private readonly TaskTimeline _timeline;
    private readonly Dictionary<StayKind, IReadOnlyList<Stay>> _stays = [];
    private readonly int? _firstDeath;

    public TimelineLabeler(TaskTimeline timeline)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        _timeline = timeline;
        _firstDeath = FirstIndexOf(TaskCodes.Death);
    }

    /// <summary>Every prediction point of <paramref name="task"/> on the timeline, in timeline order, with its outcome.</summary>
    public IEnumerable<StayOutcome> Label(TaskDefinition task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var point = task.Point;
        foreach (var stay in StaysOf(point.Stay))
        {
            if ((point.At == StayBoundary.Start ? stay.StartIndex : stay.EndIndex) is not { } anchor || !Passes(point, stay, anchor))
                continue;
            yield return new StayOutcome(
                _timeline.SubjectId,
                _timeline.Split,
                _timeline.EncounterIds[anchor],
                _timeline.Times[anchor],
                stay.StartIndex is { } start ? _timeline.Times[start] : null,
                stay.EndIndex is { } end ? _timeline.Times[end] : null,
                Settle(task, stay, anchor));
        }
    }

    private IReadOnlyList<Stay> StaysOf(StayKind kind)
    {
        if (!_stays.TryGetValue(kind, out var stays))
            _stays[kind] = stays = Stay.Find(_timeline, kind);
        return stays;
    }

    private TaskOutcome Settle(TaskDefinition task, Stay stay, int anchor)
    {
        var predictionTime = _timeline.Times[anchor];
        var contextEnd = _timeline.LastAtSameTime(anchor);
        for (var i = _timeline.FirstAtSameTime(anchor); i <= contextEnd; i++)
        {
            if (i != anchor && Counts(task, stay, i) && task.Stops(_timeline.Codes[i]))
                return new TaskOutcome(TaskOutcomeKind.KnownAtPrediction, null, TimeSpan.Zero, _timeline.Codes[i]);
        }
        // An ICU stay already open at a stay's start (begun before the admission was registered) answers a task whose
        // positive is an ICU admission: the point is left out as for one at the same time (review s15-labels #7).
        if (task.Point.At == StayBoundary.Start && StayKind.AsksAboutIcu(task.PositiveCodes)
            && StayKind.IcuOpenAt(_timeline.Codes, _timeline.Times, anchor, _timeline.FirstAtSameTime(anchor), contextEnd) is { } icu && task.PositiveCodes.Contains(_timeline.Codes[icu]))
            return new TaskOutcome(TaskOutcomeKind.KnownAtPrediction, null, TimeSpan.Zero, _timeline.Codes[icu]);
        var tracker = new TaskOutcomeTracker(task);
        var endMissing = task.Point.At == StayBoundary.Start && stay.EndIndex is null;
        for (var i = contextEnd + 1; i < _timeline.Count; i++)
        {
            // A stay without an end is observed until something shows it had ended unseen (StayKind.EndedBy: the next
            // stay of its kind, or a visit elsewhere), so a death at home a year later cannot make it an in-hospital
            // death, nor an outpatient visit make it prolonged. That timestamp is read as a whole, whatever the order
            // of its rows (rule 3): only a death there still counts.
            var firstOfItsTime = i == contextEnd + 1 || _timeline.Times[i] != _timeline.Times[i - 1];
            var ended = endMissing && firstOfItsTime && EndsUnseenAt(task.Point.Stay, i);
            if (ended)
            {
                for (var k = i; k <= _timeline.LastAtSameTime(i); k++)
                {
                    if (TaskCodes.Death.Contains(_timeline.Codes[k]) && tracker.Observe(_timeline.Times[k] - predictionTime, _timeline.Codes[k]) is { } death)
                        return death;
                }
                break;
            }
            if (Counts(task, stay, i) && tracker.Observe(_timeline.Times[i] - predictionTime, _timeline.Codes[i]) is { } outcome)
                return outcome;
        }
        return tracker.Finish();
    }

    /// <summary>Whether the timestamp of event <paramref name="first"/> (its first row) holds a code that shows a stay of
    /// <paramref name="kind"/> had ended (<see cref="StayKind.EndedBy"/>).</summary>
    private bool EndsUnseenAt(StayKind kind, int first)
    {
        for (var k = first; k <= _timeline.LastAtSameTime(first); k++)
        {
            if (kind.EndedBy.Contains(_timeline.Codes[k]))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Whether event <paramref name="index"/> speaks to this point. While the point's stay is open, its kind's end code
    /// counts only as the stay's own end, so another stay's discharge cannot end this one (overlapping stays, or a
    /// stay whose end is missing). A death code always counts, even as another stay's discharge disposition.
    /// </summary>
    private bool Counts(TaskDefinition task, Stay stay, int index)
    {
        var code = _timeline.Codes[index];
        return task.Point.At == StayBoundary.End
            || index == stay.EndIndex
            || !CodeSet.Matches(code, task.Point.Stay.EndCode)
            || TaskCodes.Death.Contains(code);
    }

    private bool Passes(PredictionPoint point, Stay stay, int anchor)
    {
        // No point after the record's first death: a visit or admission charted after it is an error of the record,
        // and its prompt would read the death (a death at the point's own time is known at prediction, Settle).
        if (_firstDeath is { } first && _timeline.Times[first] < _timeline.Times[anchor])
            return false;
        return point.Filter switch
        {
            PointFilter.Alive => _firstDeath is not { } death || _timeline.Times[death] > _timeline.Times[anchor],
            PointFilter.NotAdmitted => !AdmittedBetween(stay.StartIndex ?? anchor, _timeline.Times[anchor] + point.AdmissionGrace),
            _ => true,
        };
    }

    /// <summary>
    /// A hospital admission from the ED visit registered at <paramref name="from"/> until <paramref name="until"/>, and
    /// before the next ED registration: an admission after the patient came back to the ED belongs to that return, which
    /// is the very reattendance the point is there to predict.
    /// </summary>
    private bool AdmittedBetween(int from, DateTime until)
    {
        var registration = _timeline.Times[from];
        for (var i = _timeline.FirstAtSameTime(from); i < _timeline.Count && _timeline.Times[i] <= until; i++)
        {
            if (CodeSet.Matches(_timeline.Codes[i], TaskCodes.HospitalAdmission))
                return true;
            if (_timeline.Times[i] > registration && CodeSet.Matches(_timeline.Codes[i], TaskCodes.EdRegistration))
                return false;
        }
        return false;
    }

    private int? FirstIndexOf(CodeSet codes)
    {
        for (var i = 0; i < _timeline.Count; i++)
        {
            if (codes.Contains(_timeline.Codes[i]))
                return i;
        }
        return null;
    }
}
