using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;

namespace FhirRisk.Inference.Tests;

/// <summary>The rollout stop rules of docs/inference.md on scripted token sequences: positives, stops, time limits,
/// "positive after", TIMELINE_END and the token budget, all from the catalog's task rows.</summary>
public sealed class RolloutJudgeTests
{
    private static readonly IReadOnlyList<TaskDefinition> Catalog = TaskCatalog.Create();
    private static readonly TokenMeanings Meanings = TokenMeanings.Of(TinyModel.Tokenizer);

    /// <summary>A catalog task; <c>name@10.5d</c> is that task asked 10.5 days into its stay (<see cref="TaskDefinition.After"/>).</summary>
    private static TaskDefinition Task(string name) => name.Split('@') is [var task, var days]
        ? Catalog.Single(t => t.Name == task).After(TimeSpan.FromDays(double.Parse(days.TrimEnd('d'), System.Globalization.CultureInfo.InvariantCulture)))
        : Catalog.Single(t => t.Name == name);

    private static int Id(string token) => TinyModel.Tokenizer.Vocabulary.IdOf(token);

    /// <summary>Feeds tokens until settled; returns the outcomes and how many tokens were read.</summary>
    private static (IReadOnlyList<TaskOutcome?> Outcomes, int Read, RolloutJudge Judge) Judge(string[] tasks, params string[] tokens)
    {
        var judge = new RolloutJudge([.. tasks.Select(Task)], Meanings);
        var read = 0;
        foreach (var token in tokens)
        {
            read++;
            if (judge.Observe(Id(token)))
                break;
        }
        return (judge.Outcomes, read, judge);
    }

    [Fact]
    public void A_positive_code_settles_at_once_and_a_plain_stop_waits_for_the_clock()
    {
        var death = Judge([TaskCatalog.HospitalMortality], "LAB//A", "MEDS_DEATH", "LAB//B");
        Assert.Equal(2, death.Read);
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.Zero, "MEDS_DEATH"), death.Outcomes[0]);

        // Discharge home, then the clock moves: negative, decided at the interval token.
        var home = Judge([TaskCatalog.HospitalMortality], "LAB//A", "HOSPITAL_DISCHARGE//HOME", "LAB//B", "1d-2d", "LAB//A");
        Assert.Equal(4, home.Read);
        Assert.Equal(false, home.Outcomes[0]!.Label);
        Assert.Equal("HOSPITAL_DISCHARGE//HOME", home.Outcomes[0]!.Code);

        // Death at the discharge's timestamp wins over it (docs/tasks.md rule 3).
        var sameTime = Judge([TaskCatalog.HospitalMortality], "HOSPITAL_DISCHARGE//HOME", "MEDS_DEATH", "1d-2d");
        Assert.Equal(2, sameTime.Read);
        Assert.Equal(true, sameTime.Outcomes[0]!.Label);
    }

    [Fact]
    public void A_rare_disposition_still_discharges_but_never_counts_as_death()
    {
        var unknown = Judge([TaskCatalog.HospitalMortality], "UNK//HOSPITAL_DISCHARGE", "5m-15m");
        Assert.Equal(TaskOutcomeKind.Stop, unknown.Outcomes[0]!.Kind);
        Assert.Equal(false, unknown.Outcomes[0]!.Label);
    }

    [Fact]
    public void The_time_limit_is_crossed_at_the_interval_token_that_passes_it()
    {
        // 30-day readmission: 20d-30d twice is more than 30 days of generated time whatever the fitted means.
        var (outcomes, read, judge) = Judge([TaskCatalog.Readmission30d], "LAB//A", "20d-30d", "LAB//B", "20d-30d", "HOSPITAL_ADMISSION//IMP");
        Assert.Equal(4, read);
        Assert.Equal(TaskOutcomeKind.TimeLimit, outcomes[0]!.Kind);
        Assert.Equal(false, outcomes[0]!.Label); // a window task: nothing within 30 days is negative
        Assert.True(judge.Elapsed > TimeSpan.FromDays(30));

        // An in-stay task leaves a time-limit rollout out: =6mt five times is past the 2-year horizon.
        var stay = Judge([TaskCatalog.HospitalMortality], "=6mt", "=6mt", "=6mt", "=6mt", "=6mt");
        Assert.Equal(TaskOutcomeKind.TimeLimit, stay.Outcomes[0]!.Kind);
        Assert.Null(stay.Outcomes[0]!.Label);
    }

    [Fact]
    public void Interval_tokens_add_the_tokenizers_decode_durations()
    {
        var judge = new RolloutJudge([Task(TaskCatalog.HospitalMortality)], Meanings);
        judge.Observe(Id("1d-2d"));
        judge.Observe(Id("LAB//A"));
        judge.Observe(Id("5m-15m"));
        var intervals = TinyModel.Tokenizer.Intervals;
        var expected = intervals.Single(i => i.Token == "1d-2d").DecodeMicros + intervals.Single(i => i.Token == "5m-15m").DecodeMicros;
        Assert.Equal(TimeSpan.FromTicks(expected * 10), judge.Elapsed);
    }

    [Fact]
    public void Reaching_the_prolonged_stay_threshold_is_positive_and_tasks_settle_independently()
    {
        var tasks = new[] { TaskCatalog.HospitalMortality, TaskCatalog.ProlongedLos, TaskCatalog.IcuAdmission };
        var (outcomes, read, _) = Judge(tasks, "ICU_ADMISSION//MICU", "LAB//A", "7d-12d", "LAB//B", "7d-12d", "HOSPITAL_DISCHARGE//HOME", "1d-2d");
        Assert.Equal(7, read);
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.Zero, "ICU_ADMISSION//MICU"), outcomes[2]);
        Assert.Equal(TaskOutcomeKind.Duration, outcomes[1]!.Kind);
        Assert.Equal(true, outcomes[1]!.Label);
        Assert.Equal(false, outcomes[0]!.Label);
    }

    [Fact]
    public void Timeline_end_is_censored_excluded_for_stays_negative_for_windows()
    {
        var (outcomes, read, _) = Judge([TaskCatalog.HospitalMortality, TaskCatalog.Readmission30d], "LAB//A", "TIMELINE_END");
        Assert.Equal(2, read);
        Assert.All(outcomes, o => Assert.Equal(TaskOutcomeKind.Censored, o!.Kind));
        Assert.Null(outcomes[0]!.Label);
        Assert.Equal(false, outcomes[1]!.Label);
    }

    [Fact]
    public void An_exhausted_budget_is_ambiguous_unless_a_stop_is_pending()
    {
        var (_, _, judge) = Judge([TaskCatalog.HospitalMortality, TaskCatalog.IcuAdmission], "LAB//A", "HOSPITAL_DISCHARGE//HOME");
        Assert.False(judge.IsSettled);
        judge.Abandon();
        Assert.True(judge.IsSettled);
        Assert.Equal(false, judge.Outcomes[0]!.Label); // the pending discharge decides mortality
        Assert.Equal(false, judge.Outcomes[1]!.Label); // and ICU admission

        var (_, _, open) = Judge([TaskCatalog.HospitalMortality], "LAB//A", "LAB//B");
        open.Abandon();
        Assert.Null(open.Outcomes[0]);
    }

    [Theory]
    [InlineData(TaskCatalog.HospitalMortality, new[] { "LAB//A" })]
    [InlineData(TaskCatalog.HospitalMortality, new[] { "LAB//A", "HOSPITAL_DISCHARGE//HOME" })] // a pending stop: only a death at its time is positive
    [InlineData(TaskCatalog.ProlongedLos, new[] { "LAB//A", "7d-12d", "LAB//B" })] // 8–9 days in: long intervals cross the threshold
    [InlineData(TaskCatalog.IcuAdmission, new[] { "LAB//A", "1d-2d" })]
    // Asked mid-stay, 10.5 days in (StayClock): the threshold is behind, so every next token but TIMELINE_END settles it.
    [InlineData(TaskCatalog.ProlongedLos + "@10.5d", new string[0])]
    [InlineData(TaskCatalog.Composite + "@10.5d", new string[0])]
    // With the labels' edge rules (QuestionStart): at the prediction point, and 10.5 days into an open stay, where a new
    // admission censors the stay instead of settling it positive.
    [InlineData(TaskCatalog.HospitalMortality, new[] { "LAB//A", "1d-2d" }, "point")]
    [InlineData(TaskCatalog.Composite + "@10.5d", new string[0], "stay")]
    // Readmission asked inside the stay, once the generated discharge has opened its window.
    [InlineData(TaskCatalog.Readmission30d, new[] { "LAB//A", "HOSPITAL_DISCHARGE//HOME", "1d-2d" }, "awaiting")]
    public void The_hazard_is_the_probability_that_the_next_token_settles_the_task_positive(string task, string[] history, string? start = null)
    {
        QuestionStart[]? starts = start switch
        {
            "point" => [QuestionStart.AtPoint],
            "stay" => [new QuestionStart(TimeSpan.FromDays(10.5), InStay: true)],
            "awaiting" => [new QuestionStart(TimeSpan.Zero, InStay: true) { AwaitsEnd = true }],
            _ => null,
        };
        // Black box: for every id, a fresh judge fed the same history then that id says whether it settles positive;
        // the hazard must be the softmax mass of exactly those ids, whatever the judge's own shortcut.
        var random = new Random(3);
        var logits = Enumerable.Range(0, Meanings.Count).Select(_ => (float)(4 * random.NextDouble() - 2)).ToArray();
        const float Temperature = 0.8f;
        var weights = logits.Select(l => Math.Exp(l / Temperature)).ToArray();
        var expected = 0.0;
        var positiveIds = 0;
        for (var id = 0; id < Meanings.Count; id++)
        {
            var trial = new RolloutJudge([Task(task)], Meanings, starts);
            foreach (var token in history)
                trial.Observe(Id(token));
            trial.Observe(id);
            if (trial.Outcomes[0]?.Label == true)
            {
                expected += weights[id];
                positiveIds++;
            }
        }
        expected /= weights.Sum();

        var judge = new RolloutJudge([Task(task)], Meanings, starts);
        foreach (var token in history)
            judge.Observe(Id(token));
        judge.AddHazard(logits, Temperature);
        judge.AddHazard(logits, Temperature);

        Assert.True(positiveIds > 0, "no next token settles the task positive: the case tests nothing");
        Assert.Equal(2 * expected, judge.Hazards[0], 12);
        Assert.Null(judge.Outcomes[0]); // adding hazard settles nothing
    }

    [Fact]
    public void Given_where_the_question_stands_rollouts_follow_the_labels_edge_rules()
    {
        static TaskOutcome? Outcome(string task, QuestionStart? start, params string[] tokens)
        {
            var judge = new RolloutJudge([Task(task)], Meanings, start is { } s ? [s] : null);
            foreach (var token in tokens)
            {
                if (judge.Observe(Id(token)))
                    break;
            }
            return judge.Outcomes[0];
        }
        var point = QuestionStart.AtPoint;
        var hourIntoStay = new QuestionStart(TimeSpan.FromHours(1), InStay: true);

        // 1. A stop before the clock moves shares the prediction timestamp: known at prediction, left out as labels leave
        // such a point out. Mid-stay the same death is an outcome of the stay; the task rows alone count it too.
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.KnownAtPrediction, null, TimeSpan.Zero, "MEDS_DEATH"),
            Outcome(TaskCatalog.HospitalMortality, point, "MEDS_DEATH"));
        Assert.Equal(true, Outcome(TaskCatalog.HospitalMortality, hourIntoStay, "MEDS_DEATH")?.Label);
        Assert.Equal(true, Outcome(TaskCatalog.HospitalMortality, null, "MEDS_DEATH")?.Label);
        Assert.Equal(true, Outcome(TaskCatalog.HospitalMortality, new QuestionStart(TimeSpan.Zero, InStay: false), "MEDS_DEATH")?.Label); // afresh
        Assert.Equal(true, Outcome(TaskCatalog.HospitalMortality, point, "5m-15m", "MEDS_DEATH")?.Label);

        // 2. A new start code of the stay's kind before its end: the stay ended unseen, censored (excluded in-stay,
        // negative for a window task) once the clock moves on, as the labels read that timestamp whole. After the stay's
        // own end it is an ordinary event.
        Assert.Null(Outcome(TaskCatalog.IcuAdmission, point, "1d-2d", "HOSPITAL_ADMISSION//IMP")); // its timestamp still open
        // The token budget running out there settles it censored, as the next token would have (review s16-final #3).
        var budgetEnd = new RolloutJudge([Task(TaskCatalog.EdCriticalOutcome)], Meanings, [point]);
        foreach (var token in new[] { "2h-3h", "ED_REGISTRATION" })
            budgetEnd.Observe(Id(token));
        budgetEnd.Abandon();
        Assert.Equal((TaskOutcomeKind.Censored, false), (budgetEnd.Outcomes[0]?.Kind, budgetEnd.Outcomes[0]?.Label));
        var censored = Outcome(TaskCatalog.IcuAdmission, point, "1d-2d", "HOSPITAL_ADMISSION//IMP", "5m-15m");
        Assert.Equal((TaskOutcomeKind.Censored, null), (censored?.Kind, censored?.Label));
        Assert.Equal(censored, Outcome(TaskCatalog.IcuAdmission, point, "1d-2d", "HOSPITAL_ADMISSION//IMP", "TIMELINE_END"));
        Assert.Null(Outcome(TaskCatalog.IcuAdmission, null, "1d-2d", "HOSPITAL_ADMISSION//IMP"));
        var edCensored = Outcome(TaskCatalog.EdCriticalOutcome, point, "2h-3h", "ED_REGISTRATION", "5m-15m");
        Assert.Equal((TaskOutcomeKind.Censored, false), (edCensored?.Kind, edCensored?.Label));
        // Only a death at the start's own time still counts, whichever comes first (review s16-inference #3): the labels
        // count it. Another positive there does not (the ICU admission belongs to the new stay).
        Assert.Equal(true, Outcome(TaskCatalog.HospitalMortality, hourIntoStay, "1d-2d", "HOSPITAL_ADMISSION//IMP", "MEDS_DEATH")?.Label);
        Assert.Equal(true, Outcome(TaskCatalog.HospitalMortality, hourIntoStay, "1d-2d", "MEDS_DEATH", "HOSPITAL_ADMISSION//IMP")?.Label);
        var notIcu = Outcome(TaskCatalog.IcuAdmission, point, "1d-2d", "HOSPITAL_ADMISSION//IMP", "ICU_ADMISSION//MICU", "5m-15m");
        Assert.Equal((TaskOutcomeKind.Censored, null), (notIcu?.Kind, notIcu?.Label));
        Assert.Null(Outcome(TaskCatalog.EdCriticalOutcome, point, "2h-3h", "ED_OUT", "2h-3h", "ED_REGISTRATION"));

        // A new ED registration two hours on, asked twelve hours after the last event with nothing recorded since: the
        // record rules that future out (left out, not censored as a negative); asked an hour on, it censors as before.
        var quietHalfDay = point with { Quiet = TimeSpan.FromHours(12) };
        Assert.Equal((TaskOutcomeKind.NotAPoint, null), (Outcome(TaskCatalog.EdCriticalOutcome, quietHalfDay, "2h-3h", "ED_REGISTRATION")?.Kind,
            Outcome(TaskCatalog.EdCriticalOutcome, quietHalfDay, "2h-3h", "ED_REGISTRATION")?.Label));
        Assert.Equal((TaskOutcomeKind.Censored, false), (Outcome(TaskCatalog.EdCriticalOutcome, point with { Quiet = TimeSpan.FromHours(1) }, "2h-3h", "ED_REGISTRATION", "5m-15m")?.Kind,
            Outcome(TaskCatalog.EdCriticalOutcome, point with { Quiet = TimeSpan.FromHours(1) }, "2h-3h", "ED_REGISTRATION", "5m-15m")?.Label));
        // A generated end of the record within the quiet time agrees with a quiet record: censored as the task rows say.
        Assert.Equal(Outcome(TaskCatalog.EdCriticalOutcome, point, "2h-3h", "TIMELINE_END"), Outcome(TaskCatalog.EdCriticalOutcome, quietHalfDay, "2h-3h", "TIMELINE_END"));

        // 3. Sent home from the ED and admitted within the 6-hour grace: the labels make no reattendance point of it.
        Assert.Equal(TaskOutcomeKind.NotAPoint, Outcome(TaskCatalog.EdReattendance72h, point, "2h-3h", "HOSPITAL_ADMISSION//IMP")?.Kind);
        Assert.Null(Outcome(TaskCatalog.EdReattendance72h, point, "2h-3h", "HOSPITAL_ADMISSION//IMP")?.Label); // left out
        Assert.Null(Outcome(TaskCatalog.EdReattendance72h, point, "1d-2d", "HOSPITAL_ADMISSION//IMP"));
        Assert.Null(Outcome(TaskCatalog.EdReattendance72h, new QuestionStart(TimeSpan.FromHours(5), InStay: true), "2h-3h", "HOSPITAL_ADMISSION//IMP"));
        Assert.Null(Outcome(TaskCatalog.EdReattendance72h, null, "2h-3h", "HOSPITAL_ADMISSION//IMP"));
    }

    [Fact]
    public void A_stay_end_task_asked_inside_its_stay_opens_its_window_at_the_generated_end()
    {
        static TaskOutcome? Outcome(string task, QuestionStart? start, params string[] tokens) => Run(task, start, tokens).Outcomes[0];
        static RolloutJudge Run(string task, QuestionStart? start, string[] tokens)
        {
            var judge = new RolloutJudge([Task(task)], Meanings, start is { } s ? [s] : null);
            foreach (var token in tokens)
            {
                if (judge.Observe(Id(token)))
                    break;
            }
            return judge;
        }
        var inStay = new QuestionStart(TimeSpan.Zero, InStay: true) { AwaitsEnd = true };
        var intervals = TinyModel.Tokenizer.Intervals;
        TimeSpan Decoded(string token) => TimeSpan.FromTicks(intervals.Single(i => i.Token == token).DecodeMicros * 10);

        // The window opens at the discharge: an admission 7–12 days after it is a readmission, though 20–30 days of the
        // stay came first; asked afresh ("within 30 days of now", the old question) the same future is past the window.
        Assert.True(Decoded("20d-30d") + Decoded("7d-12d") > TimeSpan.FromDays(30) && Decoded("7d-12d") < TimeSpan.FromDays(30), "the case tests nothing");
        string[] lateReadmission = ["LAB//A", "20d-30d", "HOSPITAL_DISCHARGE//HOME", "7d-12d", "HOSPITAL_ADMISSION//IMP", "5m-15m"];
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, Decoded("7d-12d"), "HOSPITAL_ADMISSION//IMP"), Outcome(TaskCatalog.Readmission30d, inStay, lateReadmission));
        Assert.Equal((TaskOutcomeKind.TimeLimit, false), (Outcome(TaskCatalog.Readmission30d, null, lateReadmission)?.Kind, Outcome(TaskCatalog.Readmission30d, null, lateReadmission)?.Label));
        // The discharge alone settles nothing: the window is still open.
        var discharged = Run(TaskCatalog.Readmission30d, inStay, ["LAB//A", "20d-30d", "HOSPITAL_DISCHARGE//HOME", "1d-2d"]);
        Assert.Null(discharged.Outcomes[0]);
        Assert.False(discharged.IsSettled);

        // No live discharge, no point (the labels' filter): death in the stay, a died discharge, a death at the discharge's
        // own time, or the record ending inside the stay. A death a day after a live discharge is within the window.
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.NotAPoint, null, Decoded("1d-2d"), "MEDS_DEATH"), Outcome(TaskCatalog.Readmission30d, inStay, "LAB//A", "1d-2d", "MEDS_DEATH"));
        Assert.Equal(TaskOutcomeKind.NotAPoint, Outcome(TaskCatalog.Readmission30d, inStay, "HOSPITAL_DISCHARGE//DIED")?.Kind);
        Assert.Equal(TaskOutcomeKind.NotAPoint, Outcome(TaskCatalog.Readmission30d, inStay, "HOSPITAL_DISCHARGE//HOME", "MEDS_DEATH", "5m-15m")?.Kind);
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.NotAPoint, null, TimeSpan.Zero, null), Outcome(TaskCatalog.Readmission30d, inStay, "LAB//A", "TIMELINE_END"));
        Assert.Equal(true, Outcome(TaskCatalog.Readmission30d, inStay, "HOSPITAL_DISCHARGE//HOME", "1d-2d", "MEDS_DEATH")?.Label);
        // After the discharge the rules of a question asked at its own point: a stop at the discharge's time is known at
        // prediction, the record's end is a negative for the window task.
        Assert.Equal(TaskOutcomeKind.KnownAtPrediction, Outcome(TaskCatalog.Readmission30d, inStay, "LAB//A", "HOSPITAL_DISCHARGE//HOME", "HOSPITAL_ADMISSION//IMP", "5m-15m")?.Kind);
        var ended = Outcome(TaskCatalog.Readmission30d, inStay, "HOSPITAL_DISCHARGE//HOME", "1d-2d", "TIMELINE_END");
        Assert.Equal((TaskOutcomeKind.Censored, false), (ended?.Kind, ended?.Label));

        // Asked three days after the last event with nothing recorded since: a discharge within those days contradicts the
        // record (the patient is still in), one after them opens the window.
        var quiet = inStay with { Quiet = TimeSpan.FromDays(3) };
        Assert.True(Decoded("1d-2d") < TimeSpan.FromDays(3) && Decoded("7d-12d") > TimeSpan.FromDays(3), "the case tests nothing");
        Assert.Equal(TaskOutcomeKind.NotAPoint, Outcome(TaskCatalog.Readmission30d, quiet, "1d-2d", "HOSPITAL_DISCHARGE//HOME")?.Kind);
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, Decoded("1d-2d"), "HOSPITAL_ADMISSION//IMP"),
            Outcome(TaskCatalog.Readmission30d, quiet, "7d-12d", "HOSPITAL_DISCHARGE//HOME", "1d-2d", "HOSPITAL_ADMISSION//IMP", "5m-15m"));

        // ED re-attendance asked inside the ED visit: an admission from the visit, or within the 6-hour grace after ED_OUT,
        // makes no "not admitted" point; sent home, a new registration a day later is a re-attendance.
        Assert.Equal(TaskOutcomeKind.NotAPoint, Outcome(TaskCatalog.EdReattendance72h, inStay, "LAB//A", "2h-3h", "HOSPITAL_ADMISSION//IMP", "ED_OUT")?.Kind);
        Assert.Null(Outcome(TaskCatalog.EdReattendance72h, inStay, "LAB//A", "2h-3h", "HOSPITAL_ADMISSION//IMP")); // decided at ED_OUT
        // An admission before a new registration belongs to the earlier visit: the end closes the new one, not admitted.
        Assert.Equal(true, Outcome(TaskCatalog.EdReattendance72h, inStay, "HOSPITAL_ADMISSION//IMP", "2h-3h", "ED_REGISTRATION", "2h-3h", "ED_OUT", "1d-2d", "ED_REGISTRATION", "5m-15m")?.Label);
        // A stop at the end's own time, before the end code as after it, makes the outcome known at prediction.
        Assert.Equal(TaskOutcomeKind.KnownAtPrediction, Outcome(TaskCatalog.Readmission30d, inStay, "LAB//A", "HOSPITAL_ADMISSION//IMP", "HOSPITAL_DISCHARGE//HOME", "TIMELINE_END")?.Kind);
        Assert.Equal(TaskOutcomeKind.NotAPoint, Outcome(TaskCatalog.EdReattendance72h, inStay, "LAB//A", "ED_OUT", "2h-3h", "HOSPITAL_ADMISSION//IMP")?.Kind);
        Assert.Equal(true, Outcome(TaskCatalog.EdReattendance72h, inStay, "LAB//A", "2h-3h", "ED_OUT", "1d-2d", "ED_REGISTRATION", "5m-15m")?.Label);

        // The budget spent before the discharge: ambiguous, as any open task.
        var budget = Run(TaskCatalog.Readmission30d, inStay, ["LAB//A", "1d-2d", "LAB//B"]);
        budget.Abandon();
        Assert.Null(budget.Outcomes[0]);

        // Only a stay-end task can wait for its stay's end.
        Assert.Throws<ArgumentException>(() => new RolloutJudge([Task(TaskCatalog.HospitalMortality)], Meanings, [inStay]));
    }

    [Theory]
    [InlineData(TaskCatalog.Readmission30d, "HOSPITAL_ADMISSION//IMP", 0, false)]
    [InlineData(TaskCatalog.Readmission30d, "HOSPITAL_ADMISSION//IMP", 3, false)]
    [InlineData(TaskCatalog.Readmission30d, "HOSPITAL_ADMISSION//IMP", 0, true)]
    [InlineData(TaskCatalog.EdReattendance72h, "ED_REGISTRATION", 0, false)]
    [InlineData(TaskCatalog.EdReattendance72h, "ED_REGISTRATION", 3, false)]
    [InlineData(TaskCatalog.EdReattendance72h, "ED_REGISTRATION", 0, true)]
    public void Asked_inside_its_stay_a_stay_end_task_settles_every_future_as_the_labels_would(string name, string startCode, int quietDays, bool atTheStart)
    {
        // 100,000 random futures of an open stay (admissions, live and died discharges, deaths, ED visits, labs, intervals,
        // then the record's end), each judged by rollout rules waiting for the stay's end, and labelled by the labels'
        // own TimelineLabeler on the record plus the same events: left out (no point, or known at prediction), positive or
        // negative must agree. Asked `quietDays` after the last event, a point whose end falls within them is left out.
        // The question is StayClock's at the record's last event: an hour into the stay, or (`atTheStart`) at the stay's
        // start code itself, a stop of both tasks that an end generated at once makes known at prediction.
        var task = Task(name);
        string[] alphabet = ["LAB//A", "HOSPITAL_ADMISSION//IMP", "HOSPITAL_DISCHARGE//HOME", "HOSPITAL_DISCHARGE//DIED", "MEDS_DEATH",
            "ED_REGISTRATION", "ED_OUT", "5m-15m", "2h-3h", "1d-2d", "7d-12d", "20d-30d", "5m-15m", "2h-3h", "1d-2d"];
        // Not on the hour: the labels read a death at exactly midnight as a date-only one (at the day's end), and from 08:00
        // the tiny tokenizer's 20d-30d lands on midnight.
        var (admitted, quiet) = (new DateTime(2021, 3, 1, 8, 7, 13, DateTimeKind.Utc), TimeSpan.FromDays(quietDays));
        var last = atTheStart ? admitted : admitted.AddHours(1);
        MedsEvent[] record = atTheStart ? [new(1, admitted, startCode)] : [new(1, admitted, startCode), new(1, last, "LAB//B")];
        var timeline = LiveStays.Encode(record);
        var asked = StayClock.Ask(Meanings, timeline, timeline.Count - 1, task, last + quiet);
        Assert.Equal((null, true, atTheStart ? startCode : null), (asked.Observed, asked.Start.AwaitsEnd, asked.Start.StopAtPrompt));
        var random = new Random(11);
        var (compared, mismatches) = (0, new List<string>());
        for (var trial = 0; trial < 100_000; trial++)
        {
            var future = Enumerable.Range(0, random.Next(1, 9)).Select(_ => alphabet[random.Next(alphabet.Length)]).Append("TIMELINE_END").ToArray();
            // One end of the stay's kind per future (the labels pair several ends with starts of their own); and, a known
            // divergence, no admission after a death (a generated death is a negative stop of ED re-attendance at once,
            // where the labels would still remove the point for an admission within the grace).
            if (future.Count(t => CodeSet.Matches(t, task.Point.Stay.EndCode)) > 1
                || Array.FindIndex(future, TaskCodes.Death.Contains) is >= 0 and var death && future.Skip(death).Any(t => t.StartsWith("HOSPITAL_ADMISSION", StringComparison.Ordinal)))
                continue;
            var judge = new RolloutJudge([asked.Task], Meanings, [asked.Start]);
            foreach (var token in future)
            {
                if (judge.Observe(Id(token)))
                    break;
            }
            var events = record.ToList();
            var (micros, end) = (0L, (DateTime?)null);
            foreach (var token in future.SkipLast(1))
            {
                if (Meanings.RoleOf(Id(token)) == TokenRole.Interval)
                {
                    micros += Meanings.MicrosOf(Id(token));
                    continue;
                }
                events.Add(new MedsEvent(1, last.AddTicks(micros * 10), token));
                end ??= CodeSet.Matches(token, task.Point.Stay.EndCode) ? last.AddTicks(micros * 10) : null;
            }
            var point = end is { } at && at - last >= quiet
                ? new TimelineLabeler(TaskTimeline.Of(1, "held_out", events)).Label(task).FirstOrDefault(l => l.PredictionTime == at)
                : null;
            compared++;
            var (expected, actual) = (Reading(point?.Outcome), Reading(judge.Outcomes[0]));
            if (expected != actual && mismatches.Count < 3)
                mismatches.Add($"{string.Join(" ", future)}: labels {expected}, rollout {actual}");
        }

        Assert.True(compared > 50_000, $"{compared} futures compared");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));

        // No point, or an outcome known at the point: both leave the future out.
        static string Reading(TaskOutcome? outcome) => outcome switch
        {
            null or { Kind: TaskOutcomeKind.NotAPoint or TaskOutcomeKind.KnownAtPrediction } => "left out",
            { Label: { } label } => label ? "positive" : "negative",
            _ => "excluded",
        };
    }

    [Fact]
    public void A_stay_end_task_inside_its_stay_adds_hazard_only_once_its_window_is_open()
    {
        var inStay = new QuestionStart(TimeSpan.Zero, InStay: true) { AwaitsEnd = true };
        var random = new Random(5);
        var logits = Enumerable.Range(0, Meanings.Count).Select(_ => (float)(4 * random.NextDouble() - 2)).ToArray();
        var judge = new RolloutJudge([Task(TaskCatalog.Readmission30d)], Meanings, [inStay]);
        foreach (var token in new[] { "LAB//A", "1d-2d" })
        {
            judge.Observe(Id(token));
            judge.AddHazard(logits, 1f);
        }
        Assert.Equal(0, judge.Hazards[0]); // before the discharge no next token settles it positive

        // At the discharge's time a readmission would be known at prediction: the hazard counts none; once the clock moves
        // it is the mass of the admission and death codes, as for a question asked at a live discharge.
        judge.Observe(Id("HOSPITAL_DISCHARGE//HOME"));
        judge.AddHazard(logits, 1f);
        Assert.Equal(0, judge.Hazards[0]);
        judge.Observe(Id("1d-2d"));
        judge.AddHazard(logits, 1f);
        var atPoint = new RolloutJudge([Task(TaskCatalog.Readmission30d)], Meanings, [QuestionStart.AtPoint]);
        atPoint.Observe(Id("1d-2d"));
        atPoint.AddHazard(logits, 1f);
        Assert.True(atPoint.Hazards[0] > 0);
        Assert.Equal(atPoint.Hazards[0], judge.Hazards[0], 12);
    }

    [Fact]
    public void A_settled_task_adds_no_more_hazard()
    {
        var logits = new float[Meanings.Count];
        var judge = new RolloutJudge([Task(TaskCatalog.HospitalMortality), Task(TaskCatalog.Readmission30d)], Meanings);
        judge.AddHazard(logits, 1f);
        var first = judge.Hazards.ToArray();
        judge.Observe(Id("MEDS_DEATH"));
        judge.AddHazard(logits, 1f);

        Assert.True(first[0] > 0);
        Assert.Equal(first[0], judge.Hazards[0]);
    }

    [Fact]
    public void The_summed_hazard_has_the_positive_counts_expectation_and_less_variance()
    {
        // 4,000 rollouts of a synthetic token process through the judge (Process). The mean summed hazard must match the
        // fraction of positive rollouts (the compensator of the death count has its expectation), and vary less from
        // rollout to rollout than the 0/1 outcome.
        const int Rollouts = 4000;
        var (hazards, positives) = Process(Rollouts, death: 0.4f, sickDeath: 1.5f, new Random(11), onlyMedsDeath: true);

        var differences = hazards.Zip(positives, (h, y) => h - y).ToArray();
        var standardError = Math.Sqrt(Variance(differences) / Rollouts);
        Assert.InRange(positives.Average(), 0.15, 0.85);
        Assert.True(Math.Abs(differences.Average()) < 4 * standardError, $"hazard {hazards.Average():F4} vs positives {positives.Average():F4} (SE {standardError:F4})");
        Assert.True(Variance(hazards) < 0.9 * Variance(positives), $"hazard variance {Variance(hazards):F4} vs outcome variance {Variance(positives):F4}");
    }

    [Fact]
    public void Rollouts_asked_after_a_quiet_time_leave_out_the_futures_the_record_rules_out()
    {
        // The same 4,000 rollouts of the synthetic process (the same draws), asked an hour into the stay at the last event
        // and a day later with nothing recorded since. A rollout that settles within the day (a death, a discharge)
        // contradicts the record: it is left out, and the others keep their outcomes. So k / n becomes the risk given a
        // quiet day, and the hazards, which no longer count a death within it, estimate that risk too.
        const int Rollouts = 4000;
        var atLastEvent = new QuestionStart(TimeSpan.FromHours(1), InStay: true);
        var dayLater = atLastEvent with { Quiet = TimeSpan.FromDays(1) };
        var (plainHazards, plain) = ProcessOutcomes(Rollouts, -1f, 1f, new Random(23), onlyMedsDeath: true, atLastEvent, streamPerRollout: true);
        var (hazards, conditioned) = ProcessOutcomes(Rollouts, -1f, 1f, new Random(23), onlyMedsDeath: true, dayLater, streamPerRollout: true);

        var within = 0;
        for (var r = 0; r < Rollouts; r++)
        {
            if (plain[r] is { Label: not null, Elapsed: { } elapsed } && elapsed < TimeSpan.FromDays(1))
            {
                within++;
                // Left out where the outcome came, or at the new admission of that time which the quiet day rules out
                // first (asked at the last event, a death at the admission's time still counts, as the labels count it).
                var left = conditioned[r]!;
                Assert.Equal((TaskOutcomeKind.NotAPoint, (bool?)null, (TimeSpan?)elapsed), (left.Kind, left.Label, left.Elapsed));
                Assert.True(left.Code == plain[r]!.Code || CodeSet.Matches(left.Code!, TaskCodes.HospitalAdmission), left.Code);
            }
            else if (plain[r]?.Label is null)
            {
                Assert.Null(conditioned[r]?.Label); // left out either way (censored by a new admission, or within the quiet day)
            }
            else
            {
                Assert.Equal(plain[r], conditioned[r]);
            }
        }
        Assert.InRange(within, 400, 3600); // the quiet day rules out a good share of the futures, not all

        static (double Risk, int N) Counted(TaskOutcome?[] outcomes) =>
            (outcomes.Count(o => o?.Label == true) / (double)outcomes.Count(o => o?.Label is not null), outcomes.Count(o => o?.Label is not null));
        var (risk, n) = Counted(conditioned);
        var (plainRisk, _) = Counted(plain);

        // The hazard estimate over the same rollouts (Σ h / n, HazardEstimate) agrees with the counts within sampling error;
        // the hazards of the rollouts asked at the last event, over the same kept rollouts, would not.
        var kept = conditioned.Select(o => o?.Label is not null).ToArray();
        var (hazardRisk, _) = HazardEstimate.Of(hazards, kept);
        var (unconditioned, _) = HazardEstimate.Of(plainHazards, kept);
        var standardError = Math.Sqrt(risk * (1 - risk) / n);
        Assert.True(Math.Abs(hazardRisk - risk) < 4 * standardError, $"hazard {hazardRisk:F4} vs counts {risk:F4} (SE {standardError:F4}); asked at the last event {plainRisk:F4}, {within} left out");
        Assert.True(unconditioned - risk > 8 * standardError, $"the day's hazards counted: {unconditioned:F4} vs counts {risk:F4}");
    }

    [Theory]
    [InlineData(0.4f, 1.5f)] // a common outcome
    [InlineData(-3f, -1.5f)] // a rare one, as in-hospital death is
    public void The_hazard_interval_of_twenty_rollouts_covers_the_risk_and_is_no_wider_than_needed(float death, float sickDeath)
    {
        // 400 requests of 20 rollouts each: the risk is the mean hazard of all 8,000 (unbiased, with a standard error far
        // below the intervals' widths). A 95 % interval must cover it in at least 92 % of requests (95 % less three
        // standard errors of 400 requests), be at most 15 % wider on average than the counts' Wilson interval of the same
        // rollouts, and for the rare outcome, whose hazards vary far less than its 0/1 outcomes, at least 20 % narrower.
        const int Requests = 400, PerRequest = 20;
        var (hazards, positives) = Process(Requests * PerRequest, death, sickDeath, new Random(5));
        var risk = hazards.Average();
        var (covered, hazardWidth, countWidth) = (0, 0.0, 0.0);
        for (var r = 0; r < Requests; r++)
        {
            var range = new Range(r * PerRequest, (r + 1) * PerRequest);
            var (estimate, interval) = HazardEstimate.Of(hazards[range]);
            Assert.InRange(estimate, interval.Lower, interval.Upper);
            Assert.True(interval.HalfWidth >= WilsonInterval.OfProportion(estimate, HazardEstimate.MaxGain * PerRequest).HalfWidth - 1e-12, "n* is capped");
            covered += risk >= interval.Lower && risk <= interval.Upper ? 1 : 0;
            hazardWidth += interval.Upper - interval.Lower;
            var counts = WilsonInterval.Of((int)positives[range].Sum(), PerRequest);
            countWidth += counts.Upper - counts.Lower;
        }

        Assert.InRange(risk, death < 0 ? 0.02 : 0.15, death < 0 ? 0.15 : 0.85);
        Assert.True(covered >= 0.92 * Requests, $"covered {covered} of {Requests} at risk {risk:F4}");
        Assert.True(hazardWidth < (death < 0 ? 0.8 : 1.15) * countWidth, $"mean width {hazardWidth / Requests:F4} against the counts' {countWidth / Requests:F4}");
    }

    [Fact]
    public void The_hazard_interval_widens_when_the_hazards_vary_more_than_outcomes_would()
    {
        double[] even = [.. Enumerable.Repeat(0.1, 20)];
        double[] lopsided = [.. Enumerable.Repeat(0.0, 19), 2.0];

        var (evenRisk, evenInterval) = HazardEstimate.Of(even);
        var (lopsidedRisk, lopsidedInterval) = HazardEstimate.Of(lopsided);

        Assert.Equal(0.1, evenRisk, 12);
        var twenty = WilsonInterval.OfProportion(0.1, HazardEstimate.MaxGain * 20); // no spread seen: the cap
        Assert.Equal(twenty.Lower, evenInterval.Lower, 12);
        Assert.Equal(twenty.Upper, evenInterval.Upper, 12);
        Assert.Equal(0.1, lopsidedRisk, 12);
        // One rollout carried all the hazard: s² = 0.2, so n* = 0.09 / (20 · 0.2 / 400) = 9, not 20.
        var nine = WilsonInterval.OfProportion(0.1, 9);
        Assert.Equal(nine.Lower, lopsidedInterval.Lower, 12);
        Assert.Equal(nine.Upper, lopsidedInterval.Upper, 12);
        Assert.True(lopsidedInterval.HalfWidth > evenInterval.HalfWidth);
        // Excluded rollouts add hazard but not to n; no labelled rollout gives no answer; a sum above n is capped.
        Assert.Equal(0.1 * 20 / 16, HazardEstimate.Of(even, FirstLabelled(16, of: 20)).Risk, 12);
        Assert.Equal((double.NaN, new WilsonInterval(0, 1)), HazardEstimate.Of(even, FirstLabelled(0, of: 20)));
        Assert.Equal(1.0, HazardEstimate.Of([1.5, 1.5]).Risk);
        Assert.Throws<ArgumentOutOfRangeException>(() => HazardEstimate.Of([0.1, -0.1]));
    }

    [Fact]
    public void The_hazard_interval_counts_the_randomness_of_which_rollouts_are_labelled()
    {
        // Twenty rollouts with the same summed hazard, half of them excluded: p̂ = 8 / 10 = 0.8. Treating n = 10 as fixed,
        // the hazards do not vary at all and n* was the cap (2n = 20). As a ratio of two random sums (delta method), the
        // residuals h − p̂·l are −0.4 for the labelled and 0.4 for the excluded: variance 20/19 · 3.2 / 100, n* = 4.75.
        double[] hazards = [.. Enumerable.Repeat(0.4, 20)];
        var (risk, interval) = HazardEstimate.Of(hazards, FirstLabelled(10, of: 20));

        Assert.Equal(0.8, risk, 12);
        var expected = WilsonInterval.OfProportion(0.8, 0.8 * 0.2 / (20.0 / 19 * 3.2 / 100));
        Assert.Equal(expected.Lower, interval.Lower, 12);
        Assert.Equal(expected.Upper, interval.Upper, 12);
        Assert.True(interval.HalfWidth > WilsonInterval.OfProportion(0.8, HazardEstimate.MaxGain * 10).HalfWidth + 0.1);
        Assert.Throws<ArgumentException>(() => HazardEstimate.Of(hazards, FirstLabelled(10, of: 19)));
    }

    private static bool[] FirstLabelled(int labelled, int of) => [.. Enumerable.Range(0, of).Select(r => r < labelled)];

    /// <summary>
    /// Rollouts of a synthetic token process through the judge: death and discharge are rare per step, and a "severity"
    /// code sampled on the way raises the logit of every death code from <paramref name="death"/> to <paramref name="sickDeath"/>, so
    /// paths differ in risk. With <paramref name="onlyMedsDeath"/> the other death codes (a died disposition, an unknown
    /// code backed off to MEDS_DEATH) keep the baseline logit 0 of every other token, so death never becomes rare. Returns each rollout's summed hazard and 0/1 outcome.
    /// </summary>
    private static (double[] Hazards, double[] Positives) Process(int rollouts, float death, float sickDeath, Random random, bool onlyMedsDeath = false)
    {
        var (hazards, outcomes) = ProcessOutcomes(rollouts, death, sickDeath, random, onlyMedsDeath);
        return (hazards, [.. outcomes.Select(o => o?.Label == true ? 1.0 : 0.0)]);
    }

    /// <summary>The synthetic process of <see cref="Process"/>: each rollout's summed hazard and outcome, the judge told
    /// where the question stands (<paramref name="start"/>; null: the task rows only).</summary>
    private static (double[] Hazards, TaskOutcome?[] Outcomes) ProcessOutcomes(int rollouts, float death, float sickDeath, Random random,
        bool onlyMedsDeath = false, QuestionStart? start = null, bool streamPerRollout = false)
    {
        var task = Task(TaskCatalog.HospitalMortality);
        int[] deaths = onlyMedsDeath ? [Id("MEDS_DEATH")] : [.. Enumerable.Range(0, Meanings.Count).Where(id => task.PositiveCodes.Contains(Meanings.CodeOf(id)))];
        var (home, severe) = (Id("HOSPITAL_DISCHARGE//HOME"), Id("LAB//B"));
        var (hazards, outcomes) = (new double[rollouts], new TaskOutcome?[rollouts]);
        var logits = new float[Meanings.Count];
        for (var r = 0; r < rollouts; r++)
        {
            var judge = new RolloutJudge([task], Meanings, start is { } s ? [s] : null);
            var sick = false;
            // With streamPerRollout each rollout draws from its own stream, one draw of the caller's: two judges that
            // settle a rollout at different tokens (asked at different times) still see the same rollouts after it.
            var draws = streamPerRollout ? new Random(random.Next()) : random;
            for (var step = 0; step < 400 && !judge.IsSettled; step++)
            {
                Array.Clear(logits);
                foreach (var id in deaths)
                    logits[id] = sick ? sickDeath : death;
                logits[home] = 1.2f;
                logits[severe] = 0.6f;
                judge.AddHazard(logits, 1f);
                var token = Draw(logits, draws);
                sick |= token == severe;
                judge.Observe(token);
            }
            hazards[r] = judge.Hazards[0];
            outcomes[r] = judge.Outcomes[0];
        }
        return (hazards, outcomes);
    }

    private static double Variance(double[] values) => values.Sum(v => (v - values.Average()) * (v - values.Average())) / (values.Length - 1);

    /// <summary>A draw from softmax(logits).</summary>
    private static int Draw(float[] logits, Random random)
    {
        var weights = logits.Select(l => Math.Exp(l)).ToArray();
        var target = random.NextDouble() * weights.Sum();
        for (var id = 0; id < weights.Length; id++)
        {
            target -= weights[id];
            if (target < 0)
                return id;
        }
        return weights.Length - 1;
    }
}
