using FhirRisk.Meds.Tasks;
using static FhirRisk.Meds.Tasks.TaskCatalog;

namespace FhirRisk.Meds.Tests.Labels;

/// <summary>Readmission (at live discharges) and the ED tasks on hand-built timelines.</summary>
public sealed class AfterStayTaskTests
{
    private const string Admission = "HOSPITAL_ADMISSION//EMER";
    private const string Home = "HOSPITAL_DISCHARGE//HOME";

    [Theory]
    [InlineData(30.0, true)]
    [InlineData(29.5, true)]
    [InlineData(30.0001, false)]
    public void Readmission_AdmissionWithinThirtyDaysInclusive_Positive(double daysAfterDischarge, bool expected)
    {
        var rows = new TimelineBuilder().At(0, Admission).AtDays(2, Home).AtDays(2 + daysAfterDischarge, Admission).AtDays(40, Home)
            .Label(Readmission30d);

        Assert.Equal(TimelineBuilder.Time(48), rows[0].PredictionTime);
        Assert.Equal(expected, rows[0].Outcome.Label);
        Assert.Equal(expected ? TaskOutcomeKind.Stop : TaskOutcomeKind.TimeLimit, rows[0].Outcome.Kind);
    }

    [Fact]
    public void NoTask_MakesAPointAfterTheRecordsFirstDeath()
    {
        // A visit charted after a (timed) death is an error of the record; its prompt would read the death.
        var timeline = new TimelineBuilder().At(0, Admission).AtDays(2, Home).AtDays(5, "MEDS_DEATH")
            .AtDays(5.5, "ED_REGISTRATION").AtDays(5.6, "ED_OUT").AtDays(6, Admission).AtDays(7, Home);

        foreach (var task in Names)
            Assert.DoesNotContain(timeline.Label(task), row => row.PredictionTime > TimelineBuilder.Time(5 * 24));
        Assert.Single(timeline.Label(HospitalMortality));
    }

    [Fact]
    public void EdTasks_DateOnlyDeathThatDay_ComesAfterTheVisit()
    {
        // A date of death at midnight, an ED visit at 14:00 that day: the death is placed at the day's end, after the
        // visit, as the tokenizer places it; the visit is then a point whose critical outcome is that death.
        var midnight = TimelineBuilder.Start.Date.AddDays(1);
        var hours = (midnight - TimelineBuilder.Start).TotalHours;
        var timeline = new TimelineBuilder().At(hours, "MEDS_DEATH").At(hours + 14, "ED_REGISTRATION").At(hours + 16, "ED_OUT");

        var outcome = timeline.Label(EdCriticalOutcome).Single().Outcome;
        Assert.True(outcome.Label == true, outcome.ToString());
    }

    [Fact]
    public void Readmission_DeathWithinThirtyDays_Positive()
    {
        var outcome = new TimelineBuilder().At(0, Admission).AtDays(2, Home).AtDays(12, "MEDS_DEATH").Label(Readmission30d).Single().Outcome;

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.FromDays(10), "MEDS_DEATH"), outcome);
    }

    [Fact]
    public void Readmission_DeathAtDischargeOrDiedDisposition_NoPredictionPoint()
    {
        var deathAtDischarge = new TimelineBuilder().At(0, Admission).AtDays(2, Home).AtDays(2, "MEDS_DEATH").Label(Readmission30d);
        var diedDisposition = new TimelineBuilder().At(0, Admission).AtDays(2, "HOSPITAL_DISCHARGE//DIED").Label(Readmission30d);

        Assert.Empty(deathAtDischarge);
        Assert.Empty(diedDisposition);
    }

    [Fact]
    public void Readmission_TimelineEndsWithinTheWindow_CountsAsNegative()
    {
        var outcome = new TimelineBuilder().At(0, Admission).AtDays(2, Home).AtDays(3, "LAB//x").Label(Readmission30d).Single().Outcome;

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Censored, false), outcome);
    }

    [Fact]
    public void Readmission_TransferDischargeAndAdmissionAtOneTime_PairsBothStaysAndIsKnownAtPrediction()
    {
        // The new admission is listed first at the shared timestamp; the discharge still closes the first stay.
        var timeline = new TimelineBuilder().At(0, Admission).AtDays(3, Admission).AtDays(3, "HOSPITAL_DISCHARGE//ACUTE HOSPITAL").AtDays(9, Home);
        var readmission = timeline.Label(Readmission30d);
        var mortality = timeline.Label(HospitalMortality);

        Assert.Equal(TaskOutcomeKind.KnownAtPrediction, readmission[0].Outcome.Kind);
        Assert.Equal([TimeSpan.FromDays(3), TimeSpan.FromDays(6)], mortality.Select(r => r.LengthOfStay!.Value));
    }

    [Fact]
    public void Readmission_DischargeWithoutAdmission_StillAPoint()
    {
        var row = new TimelineBuilder().At(0, "LAB//x").AtDays(1, Home).AtDays(5, Admission).Label(Readmission30d).Single();

        Assert.Null(row.StayStart);
        Assert.Equal(true, row.Outcome.Label);
    }

    [Fact]
    public void EdHospitalization_AdmittedFromTheEd_Positive_SentHome_Negative()
    {
        var admitted = new TimelineBuilder().At(0, "ED_REGISTRATION").At(0, "TRANSFER_TO//ED//Emergency Department")
            .At(3, Admission).At(4, "ED_OUT").AtDays(3, Home).Label(EdHospitalization).Single();
        var home = new TimelineBuilder().At(0, "ED_REGISTRATION").At(3, "ED_OUT").AtDays(30, "LAB//x").Label(EdHospitalization).Single();

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.FromHours(3), Admission), admitted.Outcome);
        Assert.Equal(TimeSpan.FromHours(4), admitted.LengthOfStay);
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.TimeLimit, false, TimeSpan.FromHours(72)), home.Outcome);
    }

    [Fact]
    public void EdHospitalization_AdmissionOnlyAfterANewEdVisit_NegativeForTheFirstVisit()
    {
        var rows = new TimelineBuilder().At(0, "ED_REGISTRATION").At(3, "ED_OUT").At(20, "ED_REGISTRATION").At(22, Admission).At(23, "ED_OUT")
            .Label(EdHospitalization);

        Assert.Equal([false, true], rows.Select(r => r.Outcome.Label));
        Assert.Equal("ED_REGISTRATION", rows[0].Outcome.Code);
    }

    [Theory]
    [InlineData("ICU_ADMISSION//MICU", 11.5, true)]
    [InlineData("ICU_ADMISSION//MICU", 12.5, false)]
    [InlineData("MEDS_DEATH", 6.0, true)]
    public void EdCriticalOutcome_IcuOrDeathWithinTwelveHours(string code, double hours, bool expected)
    {
        var outcome = new TimelineBuilder().At(0, "ED_REGISTRATION").At(2, Admission).At(3, "ED_OUT").At(hours, code).AtDays(5, Home)
            .Label(EdCriticalOutcome).Single().Outcome;

        Assert.Equal(expected, outcome.Label);
    }

    [Fact]
    public void EdCriticalOutcome_DischargedBeforeIcu_Negative()
    {
        var outcome = new TimelineBuilder().At(0, "ED_REGISTRATION").At(1, Admission).At(2, "ED_OUT").At(6, Home).At(8, Admission).At(9, "ICU_ADMISSION//MICU")
            .Label(EdCriticalOutcome).Single().Outcome;

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, false, TimeSpan.FromHours(6), Home), outcome);
    }

    [Theory]
    [InlineData(48.0, true)]
    [InlineData(72.0, true)]
    [InlineData(73.0, false)]
    public void EdReattendance_ReturnWithinSeventyTwoHours_Positive(double hoursAfterOut, bool expected)
    {
        var rows = new TimelineBuilder().At(0, "ED_REGISTRATION").At(4, "ED_OUT").At(4 + hoursAfterOut, "ED_REGISTRATION").At(6 + hoursAfterOut, "ED_OUT")
            .Label(EdReattendance72h);

        Assert.Equal(TimelineBuilder.Time(4), rows[0].PredictionTime);
        Assert.Equal(expected, rows[0].Outcome.Label);
    }

    [Fact]
    public void EdReattendance_VisitAdmittedShortlyAfterEdOut_NoPredictionPoint()
    {
        // MIMIC-IV: some admissions are recorded half an hour after ED_OUT; they still end the ED visit in an admission.
        var rows = new TimelineBuilder().At(0, "ED_REGISTRATION").At(4, "ED_OUT").At(4.5, Admission).AtDays(3, Home)
            .At(90, "ED_REGISTRATION").At(93, "ED_OUT").Label(EdReattendance72h);

        Assert.Equal([TimelineBuilder.Time(93)], rows.Select(r => r.PredictionTime));
    }

    [Fact]
    public void EdReattendance_SentHomeThenBackAndAdmittedWithinHours_APositivePoint()
    {
        // Sent home at 12:00, back at 14:00 and admitted at 15:00, within the 6 h grace of the first ED_OUT: the admission
        // belongs to the return, so the first visit is a reattendance point, and positive, as ed_hospitalization calls it
        // negative (stopped by the return).
        var builder = new TimelineBuilder().At(10, "ED_REGISTRATION").At(12, "ED_OUT").At(14, "ED_REGISTRATION").At(15, Admission).At(16, "ED_OUT");

        var reattendance = builder.Label(EdReattendance72h);

        var first = Assert.Single(reattendance);
        Assert.Equal((TimelineBuilder.Time(12), true), (first.PredictionTime, first.Outcome.Label));
        Assert.Equal([false, true], builder.Label(EdHospitalization).Select(r => r.Outcome.Label));
    }
}
