using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Tokenizer;

namespace FhirRisk.Inference.Tests;

/// <summary>A task asked mid-stay counts its clock from the stay's start (ARES's dynamic in-stay risk).</summary>
public sealed class StayClockTests
{
    [Fact]
    public void Spent_is_the_time_since_the_open_stays_admission_and_zero_outside_a_stay()
    {
        using var session = TinyModel.Open();
        var prolonged = session.Task(TaskCatalog.ProlongedLos);
        var readmission = session.Task(TaskCatalog.Readmission30d);
        var (timeline, admission, discharge) = Enumerable.Range(1, 60)
            .Select(id => TinyModel.Encode(id, stays: 3))
            .Select(t => (Timeline: t, Stay: FirstStay(session, t)))
            .Where(c => c.Stay.Admission > 0 && c.Stay.Discharge > c.Stay.Admission + 2)
            .Select(c => (c.Timeline, c.Stay.Admission, c.Stay.Discharge))
            .First();

        Assert.Equal(TimeSpan.Zero, StayClock.Spent(session.Meanings, timeline, admission, prolonged));
        var last = discharge - 1;
        Assert.Equal(Between(timeline, admission, last), StayClock.Spent(session.Meanings, timeline, last, prolonged));
        Assert.Equal(TimeSpan.Zero, StayClock.Spent(session.Meanings, timeline, discharge, prolonged));
        Assert.Equal(TimeSpan.Zero, StayClock.Spent(session.Meanings, timeline, discharge + 1, prolonged));
        Assert.Equal(TimeSpan.Zero, StayClock.Spent(session.Meanings, timeline, admission - 1, prolonged));
        Assert.Equal(TimeSpan.Zero, StayClock.Spent(session.Meanings, timeline, last, readmission));
    }

    [Fact]
    public async Task A_stay_already_past_the_threshold_is_observed_prolonged_without_rollouts()
    {
        using var session = TinyModel.Open(new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(8) });
        await using var predictor = session.CreateRolloutPredictor();
        var threshold = session.Task(TaskCatalog.ProlongedLos).PositiveAfter!.Value;
        var (timeline, index) = Enumerable.Range(1, 60)
            .Select(id => TinyModel.Encode(id, stays: 3))
            .Select(t => (Timeline: t, Index: LongStayIndex(session, t, threshold)))
            .First(c => c.Index >= 0);

        var risks = await predictor.PredictAsync(new RiskQuery(timeline, index, [TaskCatalog.ProlongedLos]));

        // The record already shows a stay of ten days: prolonged, observed, no rollout run (until 2026-12-05 the rollouts
        // answered it, each positive at its first token).
        Assert.Equal(1.0, risks[0].Risk);
        Assert.Equal((TaskOutcomeKind.Duration, true, threshold), (risks[0].Observed?.Kind, risks[0].Observed?.Label, risks[0].Observed?.Elapsed));
        Assert.Equal((0, null), (risks[0].N, risks[0].Estimator));
        Assert.Equal(0, predictor.Counters.RolloutsFinished);
    }

    [Fact]
    public void A_visit_charted_during_a_stay_whose_end_is_not_yet_recorded_does_not_end_it()
    {
        // A live stay has no discharge yet, and FHIR charts consults and ED legs of a stay as visits of their own (the
        // MIMIC-IV demo has an ED encounter 21 h into its hospital stay): the service asks its questions inside the stay
        // until its end or a new stay of its kind. (The labels, reading a finished record, end a stay whose end is lost
        // at such a visit: docs/tasks.md rule 4.)
        using var session = TinyModel.Open();
        var mortality = session.Task(TaskCatalog.HospitalMortality);
        var start = new DateTime(2150, 1, 1, 8, 0, 0);
        MedsEvent[] events =
        [
            new(7, null, "GENDER//F"),
            new(7, start.AddYears(-60), MedsSchema.BirthCode),
            new(7, start, "HOSPITAL_ADMISSION//IMP"),
            new(7, start.AddHours(3), "LAB//A"),
            new(7, start.AddDays(1), "ED_REGISTRATION"),
            new(7, start.AddDays(1).AddHours(1), "LAB//B"),
        ];
        var timeline = TinyModel.Tokenizer.CreateBuffer();
        TinyModel.Tokenizer.Encode(events, timeline, endTimeline: false);
        var codes = Enumerable.Range(0, timeline.Count).Select(i => session.Meanings.CodeOf(timeline.Tokens[i])).ToArray();

        Assert.Equal(Array.IndexOf(codes, "HOSPITAL_ADMISSION//IMP"), StayClock.Anchor(session.Meanings, timeline, timeline.Count - 1, mortality));
    }

    [Fact]
    public void A_stay_opened_after_a_recorded_death_is_not_asked_about()
    {
        // The labels make no point after the record's first death; asked inside such a stay the service answered an
        // in-stay mortality question of a patient the record shows dead.
        using var session = TinyModel.Open();
        var start = new DateTime(2150, 1, 1, 8, 0, 0);
        MedsEvent[] events =
        [
            new(8, null, "GENDER//F"),
            new(8, start.AddYears(-60), MedsSchema.BirthCode),
            new(8, start, "MEDS_DEATH"),
            new(8, start.AddDays(2), "HOSPITAL_ADMISSION//IMP"),
            new(8, start.AddDays(2).AddHours(3), "LAB//A"),
        ];
        var timeline = TinyModel.Tokenizer.CreateBuffer();
        TinyModel.Tokenizer.Encode(events, timeline, endTimeline: false);

        var asked = StayClock.Ask(session.Meanings, timeline, timeline.Count - 1, session.Task(TaskCatalog.HospitalMortality));

        Assert.Equal(TaskOutcomeKind.Deceased, asked.Observed?.Kind);
    }

    /// <summary>An index inside a stay that has lasted at least <paramref name="threshold"/> by then, or −1.</summary>
    private static int LongStayIndex(InferenceSession session, EncodedTimeline timeline, TimeSpan threshold)
    {
        var task = session.Task(TaskCatalog.ProlongedLos);
        for (var i = 0; i < timeline.Count; i++)
        {
            if (StayClock.Spent(session.Meanings, timeline, i, task) >= threshold)
                return i;
        }
        return -1;
    }

    private static (int Admission, int Discharge) FirstStay(InferenceSession session, EncodedTimeline timeline)
    {
        var codes = Enumerable.Range(0, timeline.Count).Select(i => session.Meanings.CodeOf(timeline.Tokens[i])).ToArray();
        var admission = Array.FindIndex(codes, c => c.StartsWith("HOSPITAL_ADMISSION", StringComparison.Ordinal));
        var discharge = Array.FindIndex(codes, Math.Max(admission, 0), c => c.StartsWith("HOSPITAL_DISCHARGE", StringComparison.Ordinal));
        return (admission, discharge);
    }

    private static TimeSpan Between(EncodedTimeline timeline, int from, int to) =>
        TimeSpan.FromTicks((timeline.Times[to] - timeline.Times[from]) * TimeSpan.TicksPerMicrosecond);
}
