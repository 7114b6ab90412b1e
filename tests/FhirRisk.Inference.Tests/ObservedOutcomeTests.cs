using FhirRisk.Inference.Explanations;
using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Tokenizer;
using static FhirRisk.Inference.Tests.LiveStays;

namespace FhirRisk.Inference.Tests;

/// <summary>
/// A question asked later than its prediction point reads what the record already shows (docs/inference.md "Asked
/// mid-stay"): an outcome already in the open stay is answered as observed, with no rollouts; a task asked after a
/// stay's end counts its window from that end.
/// </summary>
public sealed class ObservedOutcomeTests
{

    [Fact]
    public async Task An_icu_admission_already_in_the_open_stay_is_observed_not_predicted()
    {
        using var session = TinyModel.Open(new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(8) });
        await using var predictor = session.CreateRolloutPredictor();
        var timeline = Stay(["LAB//B", "ICU_ADMISSION//MICU", "LAB//A"]); // asked an hour after the ICU admission

        var risks = await predictor.PredictAsync(new RiskQuery(timeline, timeline.Count - 1,
            [TaskCatalog.IcuAdmission, TaskCatalog.HospitalMortality, TaskCatalog.Composite]));

        foreach (var observed in new[] { risks[0], risks[2] })
        {
            Assert.Equal(1.0, observed.Risk);
            Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.FromHours(2), "ICU_ADMISSION//MICU"), observed.Observed);
            Assert.Equal((0, null, null, false), (observed.N, observed.Interval, observed.Estimator, observed.Recalibrated));
        }
        Assert.Null(risks[1].Observed); // death before discharge is still open: predicted by rollouts
        Assert.InRange(risks[1].N, 1, 8);

        var finished = predictor.Counters.RolloutsFinished;
        var alone = await predictor.PredictAsync(new RiskQuery(timeline, timeline.Count - 1, [TaskCatalog.IcuAdmission]));
        Assert.Equal(1.0, alone[0].Risk);
        Assert.Equal(finished, predictor.Counters.RolloutsFinished); // no rollout ran
    }

    [Fact]
    public void The_open_stays_events_settle_the_question_by_the_labels_rules()
    {
        using var session = TinyModel.Open();
        var meanings = session.Meanings;
        TaskOutcome? Observed(EncodedTimeline t, string task) => StayClock.Ask(meanings, t, t.Count - 1, session.Task(task)).Observed;

        // An admission from the ED before ED_OUT: admitted, observed.
        var ed = Encode([new(1, Admitted, "ED_REGISTRATION"), new(1, Admitted.AddHours(2), "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddHours(3), "LAB//A")]);
        Assert.Equal(true, Observed(ed, TaskCatalog.EdHospitalization)?.Label);
        // A hospital discharge during an ICU stay whose ICU_DISCHARGE is missing: ICU mortality settled negative.
        var icu = Stay(["ICU_ADMISSION//MICU", "LAB//A", "HOSPITAL_DISCHARGE//HOME"]);
        var icuMortality = Observed(icu, TaskCatalog.IcuMortality);
        Assert.Equal((TaskOutcomeKind.Stop, false, TimeSpan.FromHours(2)), (icuMortality?.Kind, icuMortality?.Label, icuMortality?.Elapsed));
        // A stay past the 2-year horizon: left out (excluded), so the answer is NaN and says why.
        var endless = Encode([new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddDays(800), "LAB//A")]);
        Assert.Equal(TaskOutcomeKind.TimeLimit, Observed(endless, TaskCatalog.HospitalMortality)?.Kind);
        Assert.True(double.IsNaN(TaskRisk.OfObserved("x", Observed(endless, TaskCatalog.HospitalMortality)!, TimeSpan.Zero).Risk));
        // Nothing settled yet: the question is asked with the time left.
        var open = Stay(["LAB//A", "LAB//B"]);
        var asked = StayClock.Ask(meanings, open, open.Count - 1, session.Task(TaskCatalog.IcuAdmission));
        Assert.Null(asked.Observed);
        Assert.Equal(session.Task(TaskCatalog.IcuAdmission).TimeLimit - TimeSpan.FromHours(2), asked.Task.TimeLimit);
    }

    [Fact]
    public void An_icu_stay_open_before_the_admission_answers_the_icu_questions_as_the_labels_leave_them_out()
    {
        // The ICU stay began an hour before the admission was registered (review s15-labels #7): asked at the admission or
        // later, ICU admission and the composite are answered; rollouts would have asked about a second ICU admission.
        using var session = TinyModel.Open();
        TaskOutcome? Observed(EncodedTimeline t, string task) => StayClock.Ask(session.Meanings, t, t.Count - 1, session.Task(task)).Observed;
        var boarded = Encode([
            new(1, Admitted.AddHours(-1), "ICU_ADMISSION//MICU"), new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddHours(3), "LAB//A"),
        ]);

        foreach (var task in new[] { TaskCatalog.IcuAdmission, TaskCatalog.Composite })
            Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.Zero, "ICU_ADMISSION//MICU"), Observed(boarded, task));
        Assert.Null(Observed(boarded, TaskCatalog.HospitalMortality));

        // An ICU stay of an earlier stay whose ends were both lost answers nothing at a later admission (review s16-final #1).
        var lost = Encode([
            new(1, Admitted.AddDays(-300), "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddDays(-299), "ICU_ADMISSION//MICU"),
            new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddHours(3), "LAB//A"),
        ]);
        Assert.Null(Observed(lost, TaskCatalog.IcuAdmission));
        // Nor one hours before it that belongs to the stay admitted before it (review s16-final2 #1).
        var earlier = Encode([
            new(1, Admitted.AddHours(-20), "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddHours(-18), "ICU_ADMISSION//MICU"),
            new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddHours(3), "LAB//A"),
        ]);
        Assert.Null(Observed(earlier, TaskCatalog.IcuAdmission));
        // An ICU stay that ended before the admission (its discharge, or the end of the stay it belonged to) answers nothing.
        foreach (var end in new[] { "ICU_DISCHARGE", "HOSPITAL_DISCHARGE//HOME" })
        {
            var before = Encode([
                new(1, Admitted.AddDays(-9), "ICU_ADMISSION//MICU"), new(1, Admitted.AddDays(-8), end),
                new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddHours(3), "LAB//A"),
            ]);
            Assert.Null(Observed(before, TaskCatalog.IcuAdmission));
        }
    }

    [Fact]
    public async Task Explaining_icu_admission_across_the_icu_admission_shows_it_raising_the_risk_to_observed()
    {
        var options = new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(8), Explanations = new ExplanationSettings { MaxFacts = 8, RolloutsPerPoint = 8 } };
        using var session = TinyModel.Open(options);
        await using var predictor = session.CreateRolloutPredictor();
        var timeline = Stay(["LAB//B", "ICU_ADMISSION//MICU", "LAB//A", "LAB//A"]);

        var explanation = await predictor.ExplainAsync(new ExplanationQuery(timeline, timeline.Count - 1, TaskCatalog.IcuAdmission));

        Assert.Equal(["LAB//B", "ICU_ADMISSION//MICU", "LAB//A", "LAB//A"], explanation.Facts.SelectMany(c => c.Fact.Codes));
        var icu = explanation.Facts[1];
        Assert.Null(icu.Before.Observed);
        Assert.Equal((1.0, true), (icu.After.Risk, icu.After.Observed?.Label));
        Assert.True(icu.TrajectoryDelta >= 0, $"the ICU admission's Δ {icu.TrajectoryDelta}");
        Assert.All(explanation.Facts.Skip(2), c => Assert.Equal(0, c.TrajectoryDelta));
        Assert.Equal(1.0, explanation.Risk);
        Assert.NotNull(explanation.Answer!.Observed);
        Assert.Equal(2 * 8 + 0, explanation.Cost.Evaluations); // two predicted points, three observed ones and the observed answer
    }

    [Fact]
    public async Task Readmission_asked_after_the_discharge_counts_its_window_and_its_span_from_the_discharge()
    {
        var options = new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(8), Explanations = new ExplanationSettings { MaxFacts = 8, RolloutsPerPoint = 8 } };
        using var session = TinyModel.Open(options);
        await using var predictor = session.CreateRolloutPredictor();
        var task = session.Task(TaskCatalog.Readmission30d);
        var discharged = Admitted.AddDays(2);
        var timeline = Encode([
            new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddHours(5), "LAB//B"), new(1, discharged, "HOSPITAL_DISCHARGE//HOME"),
            new(1, discharged.AddDays(4), "LAB//A"), new(1, discharged.AddDays(10), "LAB//B"),
        ]);
        var index = timeline.Count - 1;

        var asked = StayClock.Ask(session.Meanings, timeline, index, task);
        Assert.Null(asked.Observed);
        Assert.Equal(task.TimeLimit - TimeSpan.FromDays(10), asked.Task.TimeLimit);

        // Every trajectory point lies after the discharge, so each asks the label's question with the time since it spent.
        var explanation = await predictor.ExplainAsync(new ExplanationQuery(timeline, index, TaskCatalog.Readmission30d));
        Assert.Equal(["LAB//A", "LAB//B"], explanation.Facts.SelectMany(c => c.Fact.Codes));
        Assert.StartsWith("HOSPITAL_DISCHARGE", session.Meanings.CodeOf(timeline.Tokens[explanation.Trajectory[0].Index]), StringComparison.Ordinal);
        Assert.Equal([0.0, 4, 10], explanation.Trajectory.Select(p => Math.Round(StayClock.Spent(session.Meanings, timeline, p.Index, task).TotalDays)));
        // The heads occlude facts at the prediction point, whose question does not move: their span keeps the stay's start.
        var heads = ExplanationPlan.Create(session, new ExplanationQuery(timeline, index, TaskCatalog.Readmission30d), task);
        Assert.Equal(["LAB//B", "HOSPITAL_DISCHARGE//HOME", "LAB//A", "LAB//B"], heads.Facts.SelectMany(f => f.Codes));

        // Forty days on, the window has passed without an admission: settled negative by the record.
        var late = Encode([new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, discharged, "HOSPITAL_DISCHARGE//HOME"), new(1, discharged.AddDays(40), "LAB//A")]);
        var risk = (await predictor.PredictAsync(new RiskQuery(late, late.Count - 1, [TaskCatalog.Readmission30d])))[0];
        Assert.Equal((0.0, TaskOutcomeKind.TimeLimit), (risk.Risk, risk.Observed?.Kind));
    }

    [Fact]
    public async Task Readmission_asked_days_after_a_discharge_with_nothing_recorded_since_counts_the_quiet_time()
    {
        using var session = TinyModel.Open(new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(8) });
        await using var predictor = session.CreateRolloutPredictor();
        var task = session.Task(TaskCatalog.Readmission30d);
        var discharged = Admitted.AddDays(2);
        var timeline = Encode([new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, discharged, "HOSPITAL_DISCHARGE//HOME")]);
        var index = timeline.Count - 1;

        // Forty days on, nothing recorded since the discharge: the window closed without an admission, negative.
        var late = (await predictor.PredictAsync(new RiskQuery(timeline, index, [TaskCatalog.Readmission30d]) { AsOf = discharged.AddDays(40) }))[0];
        Assert.Equal((0.0, TaskOutcomeKind.TimeLimit, 0), (late.Risk, late.Observed?.Kind, late.N));
        Assert.Equal(0, predictor.Counters.RolloutsFinished);
        // At the window's last instant it still counts (inclusive): open, predicted from the discharge.
        Assert.Null(StayClock.Ask(session.Meanings, timeline, index, task, discharged + task.TimeLimit).Observed);
        // Ten days on: still open, so rollouts answer it from the last event, leaving out the futures with an outcome
        // within the ten quiet days (RolloutJudgeTests.Rollouts_asked_after_a_quiet_time_leave_out_the_futures_the_record_rules_out).
        var asked = StayClock.Ask(session.Meanings, timeline, index, task, discharged.AddDays(10));
        Assert.Null(asked.Observed);
        Assert.Equal(task.TimeLimit, asked.Task.TimeLimit);
        Assert.Equal(new QuestionStart(TimeSpan.Zero, InStay: true) { Quiet = TimeSpan.FromDays(10) }, asked.Start);
        var open = (await predictor.PredictAsync(new RiskQuery(timeline, index, [TaskCatalog.Readmission30d]) { AsOf = discharged.AddDays(10) }))[0];
        Assert.Null(open.Observed);
        Assert.InRange(open.N, 1, 8);
        // Without an asked time, or asked at the discharge itself, the question is asked there, as a labelled point is.
        Assert.Equal(QuestionStart.AtPoint, StayClock.Ask(session.Meanings, timeline, index, task).Start);
        Assert.Equal(QuestionStart.AtPoint, StayClock.Ask(session.Meanings, timeline, index, task, discharged).Start);
        Assert.Null(StayClock.Ask(session.Meanings, timeline, index, task).Observed);
    }

    [Fact]
    public async Task An_observed_answer_says_which_part_of_the_record_settled_it_and_since_when()
    {
        // Service review s11 #3: a readmission settled after a discharge years before read "already in this stay's record".
        using var session = TinyModel.Open(new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(8) });
        await using var rollouts = session.CreateRolloutPredictor();
        var discharged = Admitted.AddDays(2);
        var past = Encode([new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, discharged, "HOSPITAL_DISCHARGE//HOME")]);
        var inIcu = Stay(["LAB//B", "ICU_ADMISSION//MICU", "LAB//A"]);
        var diedInStay = Stay(["LAB//B", "HOSPITAL_DISCHARGE//DIED", "MEDS_DEATH"]);

        var readmission = (await rollouts.PredictAsync(new RiskQuery(past, past.Count - 1, [TaskCatalog.Readmission30d]) { AsOf = discharged.AddYears(6) }))[0];
        var icu = (await rollouts.PredictAsync(new RiskQuery(inIcu, inIcu.Count - 1, [TaskCatalog.IcuAdmission])))[0];
        var mortality = (await rollouts.PredictAsync(new RiskQuery(diedInStay, diedInStay.Count - 1, [TaskCatalog.HospitalMortality]) { AsOf = Admitted.AddDays(30) }))[0];

        Assert.Equal(TaskOutcomeKind.TimeLimit, readmission.Observed?.Kind);
        Assert.Equal(new ObservedSpan(discharged, ObservedStay.After), readmission.ObservedIn);
        Assert.Equal(new ObservedSpan(Admitted, ObservedStay.Open), icu.ObservedIn);
        Assert.Equal((true, new ObservedSpan(Admitted, ObservedStay.Ended)), (mortality.Observed?.Label, mortality.ObservedIn));
        using var finetuned = InferenceSession.Open(FinetunedTinyModel.Value.Directory, new InferenceOptions { Threads = 1 });
        using var heads = finetuned.CreateHeadsPredictor();
        var byHeads = (await heads.PredictAsync(new RiskQuery(inIcu, inIcu.Count - 1, [TaskCatalog.IcuAdmission])))[0];
        Assert.Equal(icu.ObservedIn, byHeads.ObservedIn);
        Assert.Null((await rollouts.PredictAsync(new RiskQuery(past, past.Count - 1, [TaskCatalog.Readmission30d])))[0].ObservedIn); // predicted
    }

    [Fact]
    public void A_stay_asked_on_day_12_whose_last_event_is_on_day_9_is_observed_prolonged()
    {
        using var session = TinyModel.Open();
        var task = session.Task(TaskCatalog.ProlongedLos);
        var timeline = Encode([new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddDays(9), "LAB//A")]);
        var index = timeline.Count - 1;

        var observed = StayClock.Ask(session.Meanings, timeline, index, task, Admitted.AddDays(12)).Observed;

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Duration, true, task.PositiveAfter), observed);
        Assert.Equal(true, StayClock.Ask(session.Meanings, timeline, index, session.Task(TaskCatalog.Composite), Admitted.AddDays(12)).Observed?.Label);
        Assert.Null(StayClock.Ask(session.Meanings, timeline, index, task, Admitted.AddDays(9.5)).Observed);
        Assert.Null(StayClock.Ask(session.Meanings, timeline, index, task).Observed);
    }

    [Theory]
    [InlineData("HOSPITAL_DISCHARGE//DIED", null, 0)]
    [InlineData("HOSPITAL_DISCHARGE//HOME", "MEDS_DEATH", 0)]
    // The death charted two hours after a died discharge, asked then: until 2026-12-05 (night) "died outside any open stay".
    [InlineData("HOSPITAL_DISCHARGE//DIED", "MEDS_DEATH", 2)]
    public async Task Asked_at_a_death_in_hospital_mortality_is_observed_and_readmission_is_not_applicable(string discharge, string? death, int deathHoursLater)
    {
        using var session = TinyModel.Open(new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(8) });
        await using var predictor = session.CreateRolloutPredictor();
        var died = Admitted.AddDays(3);
        var charted = died.AddHours(deathHoursLater);
        var timeline = Encode([
            new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddHours(5), "LAB//B"), new(1, died, discharge),
            .. death is null ? Array.Empty<MedsEvent>() : [new MedsEvent(1, charted, death)],
        ]);

        var risks = await predictor.PredictAsync(new RiskQuery(timeline, timeline.Count - 1,
            [TaskCatalog.Readmission30d, TaskCatalog.HospitalMortality, TaskCatalog.IcuAdmission]) { AsOf = charted });

        // The labels make no readmission point at a discharge the patient did not leave alive: no estimate, not a positive.
        Assert.Equal((TaskOutcomeKind.NotAPoint, (bool?)null), (risks[0].Observed?.Kind, risks[0].Observed?.Label));
        Assert.True(double.IsNaN(risks[0].Risk));
        // The stay that ended in death is replayed: the death settles its start's questions, as its labels do.
        Assert.Equal((1.0, TaskOutcomeKind.Stop), (risks[1].Risk, risks[1].Observed?.Kind));
        Assert.Equal((0.0, TaskOutcomeKind.Stop), (risks[2].Risk, risks[2].Observed?.Kind));
        Assert.Equal(0, predictor.Counters.RolloutsFinished);
    }

    [Fact]
    public void A_death_hours_after_a_live_discharge_does_not_replay_the_stay()
    {
        using var session = TinyModel.Open();
        var discharged = Admitted.AddDays(3);
        var timeline = Encode([new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, discharged, "HOSPITAL_DISCHARGE//HOME"), new(1, discharged.AddHours(2), "MEDS_DEATH")]);

        // The labels read the stay as survived (the discharge decides it), so its start's questions are not observed
        // positive: the patient died outside any open stay.
        var labeler = new TimelineLabeler(TaskTimeline.Of(1, "held_out", [
            new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, discharged, "HOSPITAL_DISCHARGE//HOME"), new(1, discharged.AddHours(2), "MEDS_DEATH")]));
        Assert.Equal(false, Assert.Single(labeler.Label(session.Task(TaskCatalog.HospitalMortality))).Outcome.Label);
        Assert.Equal(TaskOutcomeKind.Deceased, StayClock.Ask(session.Meanings, timeline, timeline.Count - 1, session.Task(TaskCatalog.HospitalMortality)).Observed?.Kind);
    }

    [Fact]
    public void Asked_at_a_live_discharge_readmission_stays_open_and_the_stay_tasks_are_asked_afresh()
    {
        using var session = TinyModel.Open();
        var timeline = Encode([new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddDays(3), "HOSPITAL_DISCHARGE//HOME")]);
        var index = timeline.Count - 1;

        Assert.Null(StayClock.Ask(session.Meanings, timeline, index, session.Task(TaskCatalog.Readmission30d)).Observed);
        var mortality = StayClock.Ask(session.Meanings, timeline, index, session.Task(TaskCatalog.HospitalMortality));
        Assert.Equal((null, false), (mortality.Observed, mortality.Start.InStay));
    }

    [Fact]
    public void Asked_inside_a_stay_readmission_waits_for_the_stays_end_and_a_death_in_it_leaves_no_point()
    {
        using var session = TinyModel.Open();
        var readmission = session.Task(TaskCatalog.Readmission30d);
        StayQuestion Ask(EncodedTimeline t, string task, DateTime? asOf = null) => StayClock.Ask(session.Meanings, t, t.Count - 1, session.Task(task), asOf);

        // Two hours into a stay: the label's question, asked at the stay's coming end (until this change "admission or
        // death within 30 days of now").
        var open = Stay(["LAB//A", "LAB//B"]);
        var asked = Ask(open, TaskCatalog.Readmission30d);
        Assert.Null(asked.Observed);
        Assert.Equal(readmission, asked.Task); // the window has not started: no time spent
        Assert.Equal(new QuestionStart(TimeSpan.Zero, InStay: true) { AwaitsEnd = true }, asked.Start);
        Assert.Equal(TimeSpan.FromHours(5), Ask(open, TaskCatalog.Readmission30d, Admitted.AddHours(7)).Start.Quiet);
        // The stay tasks are unchanged: their clock runs from the admission.
        Assert.False(Ask(open, TaskCatalog.HospitalMortality).Start.AwaitsEnd);

        // A death in the stay: no live discharge will follow, so no readmission point (not applicable), and not "died
        // outside any open stay".
        var died = Stay(["LAB//A", "MEDS_DEATH"]);
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.NotAPoint, null, TimeSpan.Zero, "MEDS_DEATH"), Ask(died, TaskCatalog.Readmission30d).Observed);

        // ED re-attendance inside the ED visit: waits for ED_OUT; once the visit shows an admission there is no
        // "not admitted" point.
        var ed = Encode([new(1, Admitted, "ED_REGISTRATION"), new(1, Admitted.AddHours(1), "LAB//A")]);
        Assert.Equal((null, true), (Ask(ed, TaskCatalog.EdReattendance72h).Observed, Ask(ed, TaskCatalog.EdReattendance72h).Start.AwaitsEnd));
        var admitted = Encode([new(1, Admitted, "ED_REGISTRATION"), new(1, Admitted.AddHours(2), "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddHours(3), "LAB//A")]);
        Assert.Equal(TaskOutcomeKind.NotAPoint, Ask(admitted, TaskCatalog.EdReattendance72h).Observed?.Kind);
        // After ED_OUT, an admission of the visit is found wherever it sits: at the ED_OUT instant written before it (the
        // canonical order's "HOSPITAL_ADMISSION//IMP ED_OUT": review s24 M1), or hours before it (boarding in the ED), asked
        // at that instant or a day into the stay, as the labels read the visit from its registration.
        var atOut = Admitted.AddHours(2);
        EncodedTimeline Visit(DateTime admittedAt, params MedsEvent[] more) => Encode([new(1, Admitted, "ED_REGISTRATION"),
            new(1, admittedAt, "HOSPITAL_ADMISSION//IMP"), new(1, atOut, "ED_OUT"), .. more]);
        Assert.Equal(TaskOutcomeKind.NotAPoint, Ask(Visit(atOut), TaskCatalog.EdReattendance72h).Observed?.Kind);
        Assert.Equal(TaskOutcomeKind.NotAPoint, Ask(Visit(atOut, new MedsEvent(1, atOut.AddDays(1), "LAB//A")), TaskCatalog.EdReattendance72h).Observed?.Kind);
        Assert.Equal(TaskOutcomeKind.NotAPoint, Ask(Visit(Admitted.AddHours(1)), TaskCatalog.EdReattendance72h).Observed?.Kind);
        // Sent home, the question stays open; an admission before this visit's registration is not the visit's.
        var home = Encode([new(1, Admitted.AddDays(-9), "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddDays(-5), "HOSPITAL_DISCHARGE//HOME"),
            new(1, Admitted, "ED_REGISTRATION"), new(1, atOut, "ED_OUT"), new(1, atOut.AddHours(1), "LAB//A")]);
        Assert.Null(Ask(home, TaskCatalog.EdReattendance72h).Observed);

        // After the discharge the window counts from it, as before.
        var after = Encode([new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddDays(3), "HOSPITAL_DISCHARGE//HOME"), new(1, Admitted.AddDays(4), "LAB//A")]);
        Assert.Equal((false, TimeSpan.FromDays(1)), (Ask(after, TaskCatalog.Readmission30d).Start.AwaitsEnd, Ask(after, TaskCatalog.Readmission30d).Start.Spent));
    }

    [Fact]
    public async Task The_rollouts_ask_readmission_inside_a_stay_from_the_coming_discharge()
    {
        using var session = TinyModel.Open(new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(8) });
        await using var predictor = session.CreateRolloutPredictor();
        var timeline = Stay(["LAB//A", "LAB//B"]);
        var index = timeline.Count - 1;

        var served = await predictor.PredictAsync(new RiskQuery(timeline, index, [TaskCatalog.Readmission30d]));

        // The served answer is that of the rollout request that waits for the discharge, rollout for rollout.
        var settings = session.Options.Rollouts with { MinRollouts = 8, MaxRollouts = 8 };
        var waiting = await predictor.RunAsync(new RolloutRequest(session.RolloutPrompt(timeline, index), [session.Task(TaskCatalog.Readmission30d)], settings)
        {
            Starts = [new QuestionStart(TimeSpan.Zero, InStay: true) { AwaitsEnd = true }],
        });
        var e = waiting.Tasks[0];
        Assert.Equal((e.Labelled, e.Answer), (served[0].N, served[0].Risk));
        Assert.Equal(8, e.Labelled + e.Excluded + e.Ambiguous);
        var afresh = (await predictor.RunAsync(new RolloutRequest(session.RolloutPrompt(timeline, index), [session.Task(TaskCatalog.Readmission30d)], settings)
        {
            Starts = [new QuestionStart(TimeSpan.Zero, InStay: false)],
        })).Tasks[0];
        // Asked afresh, the same eight rollouts answered another question: every one labelled (the tiny model's futures
        // mostly die in the stay or end the record before a discharge, which leaves no readmission point).
        Assert.NotEqual((e.Labelled, e.Excluded), (afresh.Labelled, afresh.Excluded));
    }

    [Fact]
    public async Task The_heads_answer_an_outcome_already_in_the_record_as_observed_like_the_rollouts()
    {
        var (directory, _, _) = FinetunedTinyModel.Value;
        using var session = InferenceSession.Open(directory, new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(8) });
        using var heads = session.CreateHeadsPredictor();
        await using var rollouts = session.CreateRolloutPredictor();
        var timeline = Stay(["LAB//B", "ICU_ADMISSION//MICU", "LAB//A"]); // asked an hour after the ICU admission
        var query = new RiskQuery(timeline, timeline.Count - 1, [TaskCatalog.HospitalMortality, TaskCatalog.IcuAdmission]);

        var byHeads = await heads.PredictAsync(query);
        var byRollouts = await rollouts.PredictAsync(query);

        // The ICU admission is in the record whichever method is asked: observed, no interval, n 0, no estimator.
        Assert.Equal(byRollouts[1].Observed, byHeads[1].Observed);
        Assert.Equal((1.0, RiskMethod.Heads, 0, null, null), (byHeads[1].Risk, byHeads[1].Method, byHeads[1].N, byHeads[1].Interval, byHeads[1].Estimator));
        // Mortality is still open: the head's own probability.
        Assert.Null(byHeads[0].Observed);
        Assert.Equal(heads.Predict([session.HeadsContext(timeline, query.Index)])[0], byHeads[0].Risk);
    }

    [Fact]
    public async Task A_heads_explanation_of_an_observed_task_is_the_observed_answer_with_no_occlusion_contributors()
    {
        var (directory, _, _) = FinetunedTinyModel.Value;
        using var session = InferenceSession.Open(directory, new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(8) });
        using var heads = session.CreateHeadsPredictor();
        var timeline = Stay(["LAB//B", "ICU_ADMISSION//MICU", "LAB//A"]); // asked an hour after the ICU admission
        var index = timeline.Count - 1;
        var served = await heads.PredictAsync(new RiskQuery(timeline, index, [TaskCatalog.IcuAdmission, TaskCatalog.HospitalMortality]));

        var explained = await heads.ExplainManyAsync([
            new ExplanationQuery(timeline, index, TaskCatalog.IcuAdmission), new ExplanationQuery(timeline, index, TaskCatalog.HospitalMortality)]);

        // The observed task: the served answer (1, observed), nothing occluded, no contributor, no head read for it.
        var icu = explained[0];
        Assert.Equal((1.0, RiskMethod.Heads), (icu.Risk, icu.Method));
        Assert.Equal(served[0].Observed, icu.Answer?.Observed);
        Assert.Equal((1.0, 0, (WilsonInterval?)null), (icu.Answer!.Risk, icu.Answer.N, icu.Answer.Interval));
        Assert.Empty(icu.TopContributors);
        Assert.Empty(icu.Facts);
        Assert.Equal(served[0].Observed, Assert.Single(icu.Trajectory).Observed);
        Assert.Equal(0, icu.Cost.Evaluations);
        // The open task of the same call is still explained by occlusion of the head's probability, its served answer.
        var mortality = explained[1];
        Assert.Null(mortality.Answer);
        Assert.Equal(served[1].Risk, mortality.Risk, 5);
        Assert.NotEmpty(mortality.Facts);
        Assert.All(mortality.Facts, f => Assert.NotNull(f.OcclusionDelta));
    }

    [Theory]
    [InlineData(5, true)]   // died at home five days after a live discharge: a readmission within 30 days, as the label says
    [InlineData(40, false)] // forty days after: the readmission window closed without one
    public async Task A_death_outside_any_stay_leaves_the_stay_tasks_not_applicable_and_readmission_as_its_label(int daysAfter, bool readmitted)
    {
        var (directory, _, _) = FinetunedTinyModel.Value;
        using var session = InferenceSession.Open(directory, new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(8) });
        using var heads = session.CreateHeadsPredictor();
        await using var rollouts = session.CreateRolloutPredictor();
        var discharged = Admitted.AddDays(3);
        var died = discharged.AddDays(daysAfter);
        MedsEvent[] events = [
            new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddHours(5), "LAB//B"), new(1, discharged, "HOSPITAL_DISCHARGE//HOME"),
            new(1, died, "MEDS_DEATH"),
        ];
        var timeline = Encode(events);
        var tasks = session.Tasks.Select(t => t.Name).ToArray();

        var byRollouts = await rollouts.PredictAsync(new RiskQuery(timeline, timeline.Count - 1, tasks) { AsOf = died.AddHours(1) });
        var byHeads = await heads.PredictAsync(new RiskQuery(timeline, timeline.Count - 1, heads.Tasks) { AsOf = died.AddHours(1) });

        // The labels of these events: no point of any task at or after the death, and readmission's point at the discharge.
        var labeler = new TimelineLabeler(TaskTimeline.Of(1, "held_out", events));
        Assert.All(session.Tasks, t => Assert.All(labeler.Label(t), point => Assert.True(point.PredictionTime < died)));
        var readmission = Assert.Single(labeler.Label(session.Task(TaskCatalog.Readmission30d)));
        Assert.Equal(readmitted, readmission.Outcome.Label);
        for (var i = 0; i < tasks.Length; i++)
        {
            var risk = byRollouts[i];
            Assert.NotNull(risk.Observed);
            Assert.Equal((0, (WilsonInterval?)null, (RolloutEstimator?)null), (risk.N, risk.Interval, risk.Estimator));
            if (tasks[i] == TaskCatalog.Readmission30d)
            {
                Assert.Equal((readmitted ? 1.0 : 0.0, (bool?)readmitted), (risk.Risk, risk.Observed!.Label));
                continue;
            }
            // Every task asked at a stay's start, and the ED tasks: no stay is open and none can start after a death.
            Assert.Equal(new TaskOutcome(TaskOutcomeKind.Deceased, null, TimeSpan.Zero, "MEDS_DEATH"), risk.Observed);
            Assert.True(double.IsNaN(risk.Risk), $"{tasks[i]}: {risk.Risk}");
        }
        Assert.Equal(0, rollouts.Counters.RolloutsFinished); // nothing sampled on a finished timeline
        Assert.All(byHeads, h => Assert.Equal(byRollouts[Array.IndexOf(tasks, h.Task)].Observed, h.Observed));
        Assert.All(byHeads, h => Assert.Equal(RiskMethod.Heads, h.Method));
    }

    [Fact]
    public void A_death_without_any_stay_leaves_every_task_not_applicable_and_a_live_patient_is_still_asked()
    {
        using var session = TinyModel.Open();
        var dead = Encode([new(1, Admitted, "LAB//A"), new(1, Admitted.AddDays(1), "MEDS_DEATH")]);
        var alive = Encode([new(1, Admitted, "LAB//A"), new(1, Admitted.AddDays(1), "LAB//B")]);

        Assert.All(session.Tasks, t =>
        {
            Assert.Equal(TaskOutcomeKind.Deceased, StayClock.Ask(session.Meanings, dead, dead.Count - 1, t).Observed?.Kind);
            Assert.Null(StayClock.Ask(session.Meanings, alive, alive.Count - 1, t).Observed);
        });
        // Before the death the same record is still asked afresh.
        var beforeDeath = dead.IndexAt((Admitted - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond);
        Assert.Null(StayClock.Ask(session.Meanings, dead, beforeDeath, session.Task(TaskCatalog.HospitalMortality)).Observed);
    }
}
