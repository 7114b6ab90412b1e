using FhirRisk.Meds.Tasks;

namespace FhirRisk.Meds.Tests.Labels;

/// <summary>Hand-built timelines for the task tests: events at hours after a fixed start, in the order given.</summary>
internal sealed class TimelineBuilder
{
    public static readonly DateTime Start = new(2150, 3, 1, 8, 0, 0);

    private readonly List<MedsEvent> _events = [new MedsEvent(SubjectId, null, "GENDER//F")];

    public const long SubjectId = 42;

    public TimelineBuilder At(double hours, string code, long? encounterId = null)
    {
        _events.Add(new MedsEvent(SubjectId, Time(hours), code, EncounterId: encounterId));
        return this;
    }

    public TimelineBuilder AtDays(double days, string code, long? encounterId = null) => At(days * 24, code, encounterId);

    public static DateTime Time(double hours) => Start.AddTicks((long)Math.Round(hours * TimeSpan.TicksPerHour));

    public TaskTimeline Build() => TaskTimeline.Of(SubjectId, "train", _events);

    /// <summary>The outcomes of the named task from the default catalog.</summary>
    public IReadOnlyList<StayOutcome> Label(string task, TaskParameters? parameters = null) =>
        new TimelineLabeler(Build()).Label(TaskCatalog.Create(parameters).Single(t => t.Name == task)).ToList();
}
