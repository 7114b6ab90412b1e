using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;

namespace FhirRisk.Synthetic.Generation.Reports;

/// <summary>
/// What the fidelity report compares between two cohorts (docs/generate.md "Fidelity"), accumulated one patient at a
/// time: events per code (unigram frequencies) and patients per code (prevalence) over timed events other than
/// <c>MEDS_BIRTH</c>; sex; age at the first timed event; hospital lengths of stay; encounters the timelines do not hold
/// whole (<see cref="EncounterCompleteness"/>); and each task's labels from the same labeler as <c>fhirrisk labels</c>
/// (<see cref="TimelineLabeler"/>).
/// </summary>
internal sealed class CohortProfile(IReadOnlyList<TaskDefinition> tasks)
{
    private const double DaysPerYear = 365.2425;

    public int Patients { get; private set; }

    public long Events { get; private set; }

    public Dictionary<string, long> CodeEvents { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> CodePatients { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> Sexes { get; } = new(StringComparer.Ordinal);

    public List<double> Ages { get; } = [];

    public List<double> StayDays { get; } = [];

    public EncounterCompleteness Encounters { get; private set; } = EncounterCompleteness.Empty;

    public IReadOnlyList<TaskDefinition> Tasks { get; } = tasks;

    /// <summary>(positives, labelled) per task.</summary>
    public (long Positives, long Labelled)[] Outcomes { get; } = new (long, long)[tasks.Count];

    /// <summary>Per task, points left out because their timeline was cut by the token budget before the question was
    /// settled (<see cref="Add"/>'s <c>cutShort</c>).</summary>
    public long[] CutShort { get; } = new long[tasks.Count];

    /// <param name="subjectId">The patient.</param>
    /// <param name="events">Its events, in MEDS order.</param>
    /// <param name="cutShort">The timeline was cut by the token budget (a generated patient the model did not end). A
    /// question still open at its end is then left out, not counted as the labels count the end of a real extract: a
    /// window task (readmission within 30 days) would read "nothing happened" where the generation only stopped, and
    /// bias the synthetic rate low (review s22 generate L7).</param>
    public void Add(long subjectId, IReadOnlyList<MedsEvent> events, bool cutShort = false)
    {
        Patients++;
        var sex = events.FirstOrDefault(e => e.Code.StartsWith("GENDER//", StringComparison.Ordinal)).Code ?? "GENDER//UNKNOWN";
        Sexes[sex] = Sexes.GetValueOrDefault(sex) + 1;
        var timed = events.Where(e => e.Time is not null && e.Code != MedsSchema.BirthCode).ToList();
        var birth = events.FirstOrDefault(e => e.Code == MedsSchema.BirthCode).Time;
        if (birth is { } b && timed.Count > 0)
            Ages.Add((timed.Min(e => e.Time!.Value) - b).TotalDays / DaysPerYear);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var ev in timed)
        {
            Events++;
            CodeEvents[ev.Code] = CodeEvents.GetValueOrDefault(ev.Code) + 1;
            if (seen.Add(ev.Code))
                CodePatients[ev.Code] = CodePatients.GetValueOrDefault(ev.Code) + 1;
        }
        var timeline = TaskTimeline.Of(subjectId, "", timed);
        Encounters = Encounters.Add(EncounterCompleteness.Of(timeline.Times, timeline.Codes));
        foreach (var stay in Stay.Find(timeline, StayKind.Hospital))
        {
            if (stay is { StartIndex: { } start, EndIndex: { } end })
                StayDays.Add((timeline.Times[end] - timeline.Times[start]).TotalDays);
        }
        var labeler = new TimelineLabeler(timeline);
        for (var t = 0; t < Tasks.Count; t++)
        {
            foreach (var row in labeler.Label(Tasks[t]))
            {
                if (cutShort && row.Outcome.Kind == TaskOutcomeKind.Censored)
                {
                    CutShort[t]++;
                    continue;
                }
                if (row.Outcome.Label is { } label)
                    Outcomes[t] = (Outcomes[t].Positives + (label ? 1 : 0), Outcomes[t].Labelled + 1);
            }
        }
    }
}
