using FhirRisk.Meds.Tasks;
using static FhirRisk.Meds.Tasks.TaskCatalog;

namespace FhirRisk.Meds.Tests.Labels;

/// <summary>The tasks predicted at admission (and ICU admission) on hand-built timelines.</summary>
public sealed class InStayTaskTests
{
    private const string Admission = "HOSPITAL_ADMISSION//EMER";
    private const string Home = "HOSPITAL_DISCHARGE//HOME";

    [Fact]
    public void HospitalMortality_DeathBeforeDischarge_Positive()
    {
        var row = new TimelineBuilder().At(0, Admission).At(1, "LAB//x").At(30, "MEDS_DEATH").At(30.5, Home).Label(HospitalMortality).Single();

        Assert.Equal(TimelineBuilder.Time(0), row.PredictionTime);
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.FromHours(30), "MEDS_DEATH"), row.Outcome);
        Assert.Equal(TimeSpan.FromHours(30.5), row.LengthOfStay);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void HospitalMortality_DeathAtTheDischargeTime_PositiveWhicheverRowComesFirst(bool deathFirst)
    {
        var builder = new TimelineBuilder().At(0, Admission);
        if (deathFirst)
            builder.At(48, "MEDS_DEATH").At(48, Home);
        else
            builder.At(48, Home).At(48, "MEDS_DEATH");

        var outcome = builder.Label(HospitalMortality).Single().Outcome;

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.FromHours(48), "MEDS_DEATH"), outcome);
    }

    [Fact]
    public void HospitalMortality_DiedDispositionWithLaterDeathDate_Positive()
    {
        // MIMIC-IV demo MEDS: the date of death lands hours after the discharge that says DIED.
        var outcome = new TimelineBuilder().At(0, Admission).At(40, "HOSPITAL_DISCHARGE//DIED").At(62, "MEDS_DEATH")
            .Label(HospitalMortality).Single().Outcome;

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.FromHours(40), "HOSPITAL_DISCHARGE//DIED"), outcome);
    }

    [Theory]
    [InlineData("HOSPITAL_DISCHARGE//exp")]
    [InlineData("HOSPITAL_DISCHARGE//20")]
    [InlineData("HOSPITAL_DISCHARGE//41")]
    public void HospitalMortality_UbAndHl7DiedDispositions_PositiveAndNoReadmissionPoint(string died)
    {
        // UB-04 41, "expired in a medical facility", with the Patient's timed death half an hour later.
        var builder = new TimelineBuilder().At(0, Admission).At(40, died).At(40.5, "MEDS_DEATH");

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.FromHours(40), died), builder.Label(HospitalMortality).Single().Outcome);
        Assert.Empty(builder.Label(Readmission30d));
    }

    [Theory]
    [InlineData("HOSPITAL_DISCHARGE//HOME", false)]
    [InlineData("HOSPITAL_DISCHARGE//DIED", true)]
    public void HospitalMortality_DateOnlyDeathAtMidnightThenALiveDischargeThatDay_TheDeathCountsFromTheDaysEnd(string discharge, bool died)
    {
        // MEDS_transforms writes a date-only dod at midnight: 00:00 of day 4, the discharge home at 14:00 that day. The
        // patient left alive, so the death is taken at the day's end; a DIED discharge keeps it an in-hospital death.
        var builder = new TimelineBuilder().At(2, Admission).At(88, "MEDS_DEATH").At(102, discharge);

        Assert.Equal(died, builder.Label(HospitalMortality).Single().Outcome.Label);
        var readmission = builder.Label(Readmission30d);
        if (died)
        {
            Assert.Empty(readmission);
        }
        else
        {
            Assert.Equal((TimelineBuilder.Time(102), true, "MEDS_DEATH"), (readmission.Single().PredictionTime, readmission.Single().Outcome.Label, readmission.Single().Outcome.Code));
        }
    }

    [Fact]
    public void HospitalMortality_LiveDischargeThenDeathLater_Negative()
    {
        var outcome = new TimelineBuilder().At(0, Admission).At(40, Home).AtDays(20, "MEDS_DEATH").Label(HospitalMortality).Single().Outcome;

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, false, TimeSpan.FromHours(40), Home), outcome);
    }

    [Fact]
    public void HospitalMortality_MissingDischarge_ExcludedAsCensored()
    {
        var row = new TimelineBuilder().At(0, Admission).At(5, "LAB//x").Label(HospitalMortality).Single();

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Censored, null), row.Outcome);
        Assert.Null(row.StayEnd);
        Assert.Null(row.ToMedsLabel());
    }

    [Fact]
    public void HospitalMortality_MissingDischargeThenAnotherStayAndDeathLater_CensoredAtTheNextAdmission()
    {
        var rows = new TimelineBuilder().AtDays(0, Admission).AtDays(1, "LAB//x").AtDays(100, Admission).AtDays(102, Home).AtDays(300, "MEDS_DEATH")
            .Label(HospitalMortality);

        Assert.Equal([null, false], rows.Select(r => r.Outcome.Label));
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Censored, null), rows[0].Outcome);
    }

    [Theory]
    [InlineData("VISIT//AMB")]
    [InlineData("ED_REGISTRATION")]
    public void InStayTasks_MissingDischargeThenAVisitElsewhere_CensoredThere(string elsewhere)
    {
        // A stay whose discharge is lost (an Encounter without period.end): an outpatient visit on day 12 shows the
        // patient had left. It made the stay "prolonged", and the death at home 300 days later "in-hospital".
        var timeline = new TimelineBuilder().AtDays(0, Admission, 11).AtDays(1, "LAB//x", 11).AtDays(12, elsewhere, 12).AtDays(300, "MEDS_DEATH");

        foreach (var task in new[] { HospitalMortality, IcuAdmission, ProlongedLos, Composite })
            Assert.Equal(new TaskOutcome(TaskOutcomeKind.Censored, null), timeline.Label(task).Single().Outcome);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void HospitalMortality_MissingDischargeThenAVisitAndADeathAtOneTime_PositiveInEitherRowOrder(bool visitFirst)
    {
        var builder = new TimelineBuilder().AtDays(0, Admission, 11).AtDays(1, "LAB//x", 11);
        builder = visitFirst ? builder.AtDays(3, "VISIT//AMB", 12).AtDays(3, "MEDS_DEATH") : builder.AtDays(3, "MEDS_DEATH").AtDays(3, "VISIT//AMB", 12);

        Assert.Equal(true, builder.Label(HospitalMortality).Single().Outcome.Label);
    }

    [Fact]
    public void IcuMortality_AnIcuStayOpenedBeforeItsHospitalAdmission_IsNotEndedByIt()
    {
        // MIMIC-IV: 2 of the demo's 140 ICU stays start 36-43 minutes before their hospital admission is registered.
        var outcome = new TimelineBuilder().At(0, "ICU_ADMISSION//MICU", 12).At(0.7, Admission, 11).AtDays(2, "LAB//x", 12)
            .AtDays(3, "MEDS_DEATH").Label(IcuMortality).Single().Outcome;

        Assert.Equal(true, outcome.Label);
    }

    [Fact]
    public void IcuMortality_MissingIcuAndHospitalDischargeThenAVisit_Censored()
    {
        var outcome = new TimelineBuilder().AtDays(0, Admission, 11).AtDays(0.2, "ICU_ADMISSION//MICU", 12).AtDays(2, "LAB//x", 12)
            .AtDays(20, "VISIT//AMB", 13).AtDays(250, "MEDS_DEATH").Label(IcuMortality).Single().Outcome;

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Censored, null), outcome);
    }

    [Fact]
    public void HospitalMortality_MissingDischargeAndDeathInTheStay_StillPositive()
    {
        var outcome = new TimelineBuilder().AtDays(0, Admission, 11).AtDays(1, "LAB//x", 11).AtDays(2, "MEDS_DEATH").Label(HospitalMortality).Single().Outcome;

        Assert.Equal(true, outcome.Label);
    }

    [Fact]
    public void HospitalMortality_AVisitInsideAStayWithItsDischarge_DoesNotEndIt()
    {
        // Only a stay whose end is missing is cut short: a consult recorded as a visit inside a stay with a discharge is not.
        var outcome = new TimelineBuilder().AtDays(0, Admission, 11).AtDays(1, "VISIT//AMB", 12).AtDays(3, "MEDS_DEATH").AtDays(3, "HOSPITAL_DISCHARGE//DIED", 11)
            .Label(HospitalMortality).Single().Outcome;

        Assert.Equal(true, outcome.Label);
    }

    [Fact]
    public void HospitalMortality_DeathAtAdmissionTime_KnownAtPrediction()
    {
        var outcome = new TimelineBuilder().At(0, "MEDS_DEATH").At(0, Admission).At(1, Home).Label(HospitalMortality).Single().Outcome;

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.KnownAtPrediction, null, TimeSpan.Zero, "MEDS_DEATH"), outcome);
    }

    [Fact]
    public void IcuAdmission_IcuDuringTheStay_PositiveAndTransfersIgnored()
    {
        var outcome = new TimelineBuilder().At(0, Admission).At(2, "TRANSFER_TO//transfer//MICU").At(2, "ICU_ADMISSION//MICU")
            .At(30, "ICU_DISCHARGE//MICU").At(50, Home).Label(IcuAdmission).Single().Outcome;

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.FromHours(2), "ICU_ADMISSION//MICU"), outcome);
    }

    [Fact]
    public void IcuAdmission_AnIcuStayOpenBeforeTheAdmission_KnownAtPrediction()
    {
        // The ICU stay began an hour before the admission was registered (review s15-labels #7): the patient is in the
        // ICU at the prediction time, so "ICU admission before discharge" is answered; it was labelled negative.
        var timeline = new TimelineBuilder().At(-1, "ICU_ADMISSION//MICU").At(0, Admission).At(48, "ICU_DISCHARGE//MICU").At(96, Home);

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.KnownAtPrediction, null, TimeSpan.Zero, "ICU_ADMISSION//MICU"),
            timeline.Label(IcuAdmission).Single().Outcome);
        Assert.Equal(TaskOutcomeKind.KnownAtPrediction, timeline.Label(Composite).Single().Outcome.Kind);
        // A task that does not ask about the ICU is asked as before.
        Assert.Equal(false, timeline.Label(HospitalMortality).Single().Outcome.Label);
    }

    [Theory]
    [InlineData("ICU_DISCHARGE//MICU")]
    [InlineData("HOSPITAL_DISCHARGE//HOME")]
    [InlineData("VISIT//AMB")]
    public void IcuAdmission_AnIcuStayEndedBeforeTheAdmission_AskedAsUsual(string end)
    {
        // Ended by its discharge, by the end of the stay it belonged to, or (its end lost) by a visit since.
        var outcome = new TimelineBuilder().At(-100, "ICU_ADMISSION//MICU").At(-50, end).At(0, Admission).At(10, "ICU_ADMISSION//SICU")
            .At(40, Home).Label(IcuAdmission).Single().Outcome;

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.FromHours(10), "ICU_ADMISSION//SICU"), outcome);
    }

    [Fact]
    public void IcuAdmission_AnOldIcuStayWhoseEndsWereLost_IsNotOpenAtLaterAdmissions()
    {
        // Review s16-final #1: an ICU stay of a stay whose ICU and hospital discharges were both lost answered every
        // later admission. It is open at most 48 h back, and never past an earlier admission.
        var rows = new TimelineBuilder().AtDays(0, Admission).AtDays(0.5, "ICU_ADMISSION//MICU").AtDays(1, "LAB//x")
            .AtDays(400, Admission).AtDays(400.5, "ICU_ADMISSION//SICU").AtDays(402, Home)
            .AtDays(600, Admission).AtDays(601, Home).Label(IcuAdmission).ToList();

        Assert.Equal(3, rows.Count);
        Assert.Equal([true, false], rows.Skip(1).Select(r => r.Outcome.Label));
        Assert.All(rows, r => Assert.NotEqual(TaskOutcomeKind.KnownAtPrediction, r.Outcome.Kind));
    }

    [Fact]
    public void IcuAdmission_AnIcuStayOfAStayWhoseDischargeWasLost_IsNotOpenAtTheNextAdmissionEvenHoursLater()
    {
        // Review s16-final2 #1: the ICU stay belongs to the stay admitted before it; the new admission ended that stay.
        var rows = new TimelineBuilder().At(0, Admission).At(2, "ICU_ADMISSION//MICU").At(20, Admission).At(30, "ICU_ADMISSION//SICU")
            .At(60, Home).Label(IcuAdmission).ToList();

        Assert.Equal(2, rows.Count);
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.FromHours(10), "ICU_ADMISSION//SICU"), rows[1].Outcome);
    }

    [Theory]
    [InlineData(47, true)]
    [InlineData(49, false)]
    public void IcuAdmission_AnIcuStayBeforeTheAdmission_IsOpenAtItWithin48Hours(double hoursBefore, bool open)
    {
        var outcome = new TimelineBuilder().At(-hoursBefore, "ICU_ADMISSION//MICU").At(0, Admission).At(40, Home)
            .Label(IcuAdmission).Single().Outcome;

        Assert.Equal(open, outcome.Kind == TaskOutcomeKind.KnownAtPrediction);
    }

    [Fact]
    public void IcuAdmission_IcuDischargeAtTheAdmissionTime_NotOpen()
    {
        var outcome = new TimelineBuilder().At(-5, "ICU_ADMISSION//MICU").At(0, Admission).At(0, "ICU_DISCHARGE//MICU").At(40, Home)
            .Label(IcuAdmission).Single().Outcome;

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, false, TimeSpan.FromHours(40), Home), outcome);
    }

    [Fact]
    public void IcuAdmission_IcuTransferAtTheAdmissionTime_KnownAtPrediction()
    {
        var outcome = new TimelineBuilder().At(0, Admission).At(0, "ICU_ADMISSION//MICU").At(50, Home).Label(IcuAdmission).Single().Outcome;

        Assert.Equal(TaskOutcomeKind.KnownAtPrediction, outcome.Kind);
        Assert.Null(outcome.Label);
    }

    [Fact]
    public void IcuAdmission_IcuOnlyInTheNextStay_Negative()
    {
        var rows = new TimelineBuilder().At(0, Admission).At(50, Home).AtDays(10, Admission).AtDays(10.5, "ICU_ADMISSION//CCU").AtDays(12, Home)
            .Label(IcuAdmission);

        Assert.Equal([false, true], rows.Select(r => r.Outcome.Label));
    }

    [Theory]
    [InlineData(10.0, true)]
    [InlineData(9.999, false)]
    [InlineData(15.0, true)]
    public void ProlongedLos_TenDaysOrMore_Positive(double days, bool expected)
    {
        var row = new TimelineBuilder().At(0, Admission).AtDays(days, Home).Label(ProlongedLos).Single();

        Assert.Equal(expected, row.Outcome.Label);
        Assert.Equal(TimeSpan.FromDays(days), row.LengthOfStay);
    }

    [Fact]
    public void ProlongedLos_ThresholdIsAParameter()
    {
        var parameters = new TaskParameters { ProlongedStay = TimeSpan.FromDays(7) };

        var row = new TimelineBuilder().At(0, Admission).AtDays(8, Home).Label(ProlongedLos, parameters).Single();

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Duration, true, TimeSpan.FromDays(7)), row.Outcome);
    }

    [Fact]
    public void ProlongedLos_MissingDischarge_PositiveOnceTheTimelineReachesTheThreshold_ElseExcluded()
    {
        var long_ = new TimelineBuilder().At(0, Admission).AtDays(11, "LAB//x").Label(ProlongedLos).Single();
        var short_ = new TimelineBuilder().At(0, Admission).AtDays(4, "LAB//x").Label(ProlongedLos).Single();

        Assert.Equal(true, long_.Outcome.Label);
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Censored, null), short_.Outcome);
    }

    [Fact]
    public void ProlongedLos_DeathOnDayThree_Negative()
    {
        var outcome = new TimelineBuilder().At(0, Admission).AtDays(3, "MEDS_DEATH").AtDays(3, "HOSPITAL_DISCHARGE//DIED").Label(ProlongedLos).Single().Outcome;

        Assert.Equal(false, outcome.Label);
    }

    [Theory]
    [InlineData("ICU_ADMISSION//SICU", 5.0, true)]
    [InlineData("MEDS_DEATH", 5.0, true)]
    [InlineData("LAB//x", 12.0, true)]
    [InlineData("LAB//x", 5.0, false)]
    public void Composite_AnyOfDeathIcuOrLongStay(string code, double dischargeDay, bool expected)
    {
        var outcome = new TimelineBuilder().At(0, Admission).AtDays(1, code).AtDays(dischargeDay, Home).Label(Composite).Single().Outcome;

        Assert.Equal(expected, outcome.Label);
    }

    [Fact]
    public void IcuMortality_DeathInIcuRecordedBeforeIcuDischarge_PositiveForThatStayOnly()
    {
        // MIMIC-IV demo pattern: the ICU transfer's out-time follows the died discharge.
        var rows = new TimelineBuilder()
            .At(0, Admission)
            .At(1, "ICU_ADMISSION//MICU").At(20, "ICU_DISCHARGE//MICU")
            .At(30, "ICU_ADMISSION//CCU")
            .At(60, "HOSPITAL_DISCHARGE//DIED").At(60, "MEDS_DEATH").At(61, "ICU_DISCHARGE//CCU")
            .Label(IcuMortality);

        Assert.Equal([TimelineBuilder.Time(1), TimelineBuilder.Time(30)], rows.Select(r => r.PredictionTime));
        Assert.Equal([false, true], rows.Select(r => r.Outcome.Label));
        Assert.Equal("MEDS_DEATH", rows[1].Outcome.Code);
        Assert.Equal(TimeSpan.FromHours(31), rows[1].LengthOfStay);
    }

    [Fact]
    public void OverlappingStays_WithEncounterIds_EachStayEndsAtItsOwnDischarge()
    {
        var rows = new TimelineBuilder()
            .AtDays(0, Admission, encounterId: 1)
            .AtDays(1, Admission, encounterId: 2)
            .AtDays(2, Home, encounterId: 2)
            .AtDays(12, Home, encounterId: 1)
            .Label(ProlongedLos);

        Assert.Equal([1L, 2L], rows.Select(r => r.EncounterId!.Value));
        Assert.Equal([TimeSpan.FromDays(12), TimeSpan.FromDays(1)], rows.Select(r => r.LengthOfStay!.Value));
        Assert.Equal([true, false], rows.Select(r => r.Outcome.Label));
    }

    [Fact]
    public void OverlappingStays_WithoutEncounterIds_TheEarlierStayHasNoEndAndIsExcluded()
    {
        var rows = new TimelineBuilder().AtDays(0, Admission).AtDays(1, Admission).AtDays(2, Home).Label(HospitalMortality);

        Assert.Equal([null, false], rows.Select(r => r.Outcome.Label));
        Assert.Equal(TaskOutcomeKind.Censored, rows[0].Outcome.Kind);
    }
}
