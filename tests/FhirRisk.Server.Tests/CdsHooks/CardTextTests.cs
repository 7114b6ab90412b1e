using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Patients;

namespace FhirRisk.Server.Tests.CdsHooks;

public sealed class CardTextTests
{
    [Theory]
    [InlineData(10)]
    [InlineData(139)]
    [InlineData(140)]
    [InlineData(500)]
    public void Summaries_stay_under_140_characters(int length)
    {
        var summary = CardText.Truncate(new string('a', length));
        Assert.True(summary.Length <= CardText.SummaryLimit);
        Assert.Equal(length <= CardText.SummaryLimit, !summary.EndsWith('…'));
    }

    [Fact]
    public void Truncation_never_splits_a_surrogate_pair_or_a_combining_sequence()
    {
        var emoji = string.Concat(Enumerable.Repeat("🫀", 100)); // each is two UTF-16 units
        var cut = CardText.Truncate(emoji);
        Assert.True(cut.Length <= CardText.SummaryLimit);
        _ = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(cut); // throws on a lone surrogate
        var accents = string.Concat(Enumerable.Repeat("e\u0301", 100));
        var cutAccents = CardText.Truncate(accents);
        Assert.Equal('\u0301', cutAccents[^2]);
    }

    [Fact]
    public void A_long_task_name_still_gives_a_valid_summary()
    {
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var result = new PatientRiskResult([Risk(new string('x', 300), 0.5)], "m", 1, []);
        var card = Assert.Single(factory.Build(result, [new RiskCardInput(result.Risks[0], [])], []));
        Assert.True(card.Summary.Length < 140);
    }

    [Fact]
    public void A_demo_model_card_says_so_in_its_summary_and_first_line_and_another_model_card_does_not()
    {
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var demo = new PatientRiskResult([Risk("hospital_mortality", 0.2)], "demo@1", 3, []) { TrainedOnSimulatedPatients = true };
        var site = new PatientRiskResult([Risk("hospital_mortality", 0.2)], "site@1", 3, []);

        var demoCard = Assert.Single(factory.Build(demo, [new RiskCardInput(demo.Risks[0], [])], []));
        var siteCard = Assert.Single(factory.Build(site, [new RiskCardInput(site.Risks[0], [])], []));

        Assert.StartsWith("[DEMO, simulated data] In-hospital mortality risk: ", demoCard.Summary, StringComparison.Ordinal);
        Assert.True(demoCard.Summary.Length < 140);
        Assert.StartsWith(RiskCardFactory.SimulatedModelNote, demoCard.Detail, StringComparison.Ordinal);
        Assert.StartsWith("In-hospital mortality risk: ", siteCard.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain("simulated", siteCard.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    // Review s24-cds L8: rounded, a risk just under a band's threshold read as reaching it, beside the lower band.
    [InlineData(0.2996, "29.9% (elevated)")]
    [InlineData(0.0996, "9.96% (low)")]
    [InlineData(0.3000, "30% (high)")]
    [InlineData(0.2940, "29% (elevated)")]
    [InlineData(0.0949, "9.5% (low)")]
    public void A_risk_just_under_a_threshold_never_reads_as_reaching_it(double risk, string expected)
    {
        var factory = new RiskCardFactory(new CdsHooksOptions()); // warning 0.10, critical 0.30
        var result = new PatientRiskResult([Risk("hospital_mortality", risk)], "m", 3, []);

        var card = Assert.Single(factory.Build(result, [new RiskCardInput(result.Risks[0], [])], []));

        Assert.Equal("In-hospital mortality risk: " + expected, card.Summary);
    }

    [Fact]
    public void A_prolonged_stay_card_names_the_threshold_the_model_answered_under()
    {
        // The threshold is the model's own (finetuning.json task_parameters), not always 10 days (review s20 L8).
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var result = new PatientRiskResult([Risk("prolonged_los", 0.2), Risk("composite", 0.4), Risk("hospital_mortality", 0.1)], "m", 3, [])
        {
            ProlongedStayDays = 7,
        };

        var cards = factory.Build(result, [.. result.Risks.Select(r => new RiskCardInput(r, []))], []);

        Assert.StartsWith("Prolonged stay (≥ 7 days) risk: ", cards[0].Summary, StringComparison.Ordinal);
        Assert.StartsWith("**Prolonged stay \\(≥ 7 days\\):** ", cards[0].Detail, StringComparison.Ordinal); // Markdown-escaped
        Assert.StartsWith("Death, ICU or prolonged stay (≥ 7 days) risk: ", cards[1].Summary, StringComparison.Ordinal);
        Assert.StartsWith("In-hospital mortality risk: ", cards[2].Summary, StringComparison.Ordinal);
        var unknown = new PatientRiskResult([Risk("prolonged_los", 0.2)], "m", 3, []);
        Assert.StartsWith("Prolonged stay risk: ", Assert.Single(factory.Build(unknown, [new RiskCardInput(unknown.Risks[0], [])], [])).Summary,
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.01, "info")]
    [InlineData(0.05, "warning")]
    [InlineData(0.149, "warning")]
    [InlineData(0.15, "critical")]
    [InlineData(double.NaN, "info")]
    public void The_indicator_follows_the_task_thresholds(double risk, string indicator)
    {
        var options = new CdsHooksOptions();
        options.Thresholds["hospital_mortality"] = new RiskThreshold { Warning = 0.05, Critical = 0.15 };
        Assert.Equal(indicator, new RiskCardFactory(options).Indicator("hospital_mortality", risk));
        Assert.Equal("info", new RiskCardFactory(options).Indicator("other_task", 0.09)); // default 0.10 / 0.30
    }

    [Fact]
    public void Contributors_are_rendered_as_an_escaped_table_largest_first()
    {
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var risk = Risk("icu_admission", 0.2, new WilsonInterval(0.15, 0.26));
        var contributors = new CardContributor[] { new("Lactate | high", 0.031), new("Age *80-89*", -0.12), new("Sepsis", 0.05) };
        var card = Assert.Single(factory.Build(new PatientRiskResult([risk], "demo 1.0", 12, []), [new RiskCardInput(risk, contributors)], []));
        var detail = card.Detail!;
        Assert.Contains("(95% interval 15%–26%)", detail, StringComparison.Ordinal);
        Assert.Contains("**Top contributing events**", detail, StringComparison.Ordinal);
        Assert.Contains(@"| Age \*80\-89\* | −12.0 pts |", detail, StringComparison.Ordinal);
        Assert.Contains(@"| Lactate \| high | +3.1 pts |", detail, StringComparison.Ordinal);
        Assert.True(detail.IndexOf("Age", StringComparison.Ordinal) < detail.IndexOf("Sepsis", StringComparison.Ordinal));
        Assert.Contains("model `demo 1.0`", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Contributors_with_one_label_are_one_row_with_their_summed_change()
    {
        // Service review s11 #2: one lab at two times gave the same line twice; a card shows labels only.
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var risk = Risk("icu_admission", 0.2, new WilsonInterval(0.15, 0.26));
        CardContributor[] contributors =
        [
            new("Lactate high", 0.03), new("Sepsis", 0.04), new("Lactate high", 0.02, Facts: 2),
            new("A", 0.001), new("B", 0.002), new("C", 0.003), new("D", 0.004),
        ];

        var detail = Assert.Single(factory.Build(new PatientRiskResult([risk], "m", 12, []), [new RiskCardInput(risk, contributors)], [])).Detail!;

        var rows = detail.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| Event", StringComparison.Ordinal)).ToArray();
        Assert.Equal("| Lactate high (×3) | +5.0 pts |", rows[0]);
        Assert.Equal("| Sepsis | +4.0 pts |", rows[1]);
        Assert.Equal(5, rows.Length); // five distinct rows: the merged lab, sepsis, then D, C, B
        Assert.Equal(rows.Distinct(), rows);
    }

    [Fact]
    public void Heads_risks_name_their_method_and_have_no_interval()
    {
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var risk = new TaskRisk("readmission_30d", 0.27, null, RiskMethod.Heads, 0, TimeSpan.Zero);
        var card = Assert.Single(factory.Build(new PatientRiskResult([risk], "m", 1, []), [new RiskCardInput(risk, [])], []));
        Assert.Equal("30-day readmission risk: 27% (elevated)", card.Summary);
        Assert.Contains("calibrated task head", card.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("interval", card.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(RiskCardFactory.BeforeStayEndNote, card.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_card_says_when_its_risk_is_estimated_as_of_but_an_observed_outcome_does_not()
    {
        // Service review s10 #5: a record whose last event is a 2018 check-up gave a 2018 estimate, shown as current.
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var risk = new TaskRisk("hospital_mortality", 0.016, null, RiskMethod.Heads, 0, TimeSpan.Zero);
        var observed = risk with { Observed = new Meds.Tasks.TaskOutcome(Meds.Tasks.TaskOutcomeKind.Stop, true, Code: "MEDS_DEATH") };
        var result = new PatientRiskResult([risk, observed], "m", 56, []) { PredictionPoint = new DateTimeOffset(2018, 8, 17, 9, 5, 0, TimeSpan.Zero) };

        var cards = factory.Build(result, [new RiskCardInput(risk, []), new RiskCardInput(observed, [])], []);

        Assert.Contains("56 events read, estimated as of the last, 2018-08-17 09:05 UTC", cards[0].Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("estimated as of", cards[1].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_neither_prefetched_nor_fetchable_are_not_missing_when_the_stored_history_answered()
    {
        // Service review s10 #4: a push-based call (only context.patientId) was always flagged "Incomplete data".
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var risk = new TaskRisk("hospital_mortality", 0.041, null, RiskMethod.Heads, 0, TimeSpan.Zero);
        MissingPrefetch[] notSent = [new("patient", FetchFailure.NoFhirServer), new("encounters", FetchFailure.NoFhirServer)];

        var fromStore = factory.Build(new PatientRiskResult([risk], "m", 152, []) { StoredResources = 55 }, [new RiskCardInput(risk, [])], notSent);
        var nothingStored = factory.Build(new PatientRiskResult([risk], "m", 3, []), [new RiskCardInput(risk, [])], notSent);
        var serverFailed = factory.Build(new PatientRiskResult([risk], "m", 152, []) { StoredResources = 55 }, [new RiskCardInput(risk, [])],
            [new("patient", FetchFailure.NoFhirServer), new("encounters", FetchFailure.Unreachable)]);

        var card = Assert.Single(fromStore);
        Assert.DoesNotContain("Incomplete data", card.Detail, StringComparison.Ordinal);
        Assert.Contains("152 events read (the 55 resources stored for the patient included)", card.Detail, StringComparison.Ordinal);
        Assert.Equal(2, nothingStored.Count);
        Assert.Contains("not retrieved: patient, encounters", nothingStored[0].Detail, StringComparison.Ordinal);
        Assert.Equal(2, serverFailed.Count); // a fetch that failed is still missing data, stored history or not
        Assert.Contains("FHIR server unreachable", serverFailed[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_heads_readmission_risk_read_inside_the_stay_says_so_on_its_card_not_as_a_data_issue()
    {
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var risk = new TaskRisk("readmission_30d", 0.09, null, RiskMethod.Heads, 0, TimeSpan.Zero) { BeforeStayEnd = true };
        var rollouts = risk with { Method = RiskMethod.Rollouts, Interval = new WilsonInterval(0.05, 0.15), N = 40, Estimator = RolloutEstimator.Hazard };
        string[] notes = ["HEADS_BEFORE_STAY_END the task heads read readmission_30d inside the open stay, before the discharge they were finetuned at, where they may read low; rollouts ask at the stay's coming end"];
        var incomplete = new DataGaps(1, 0, 0, false);

        var cards = factory.Build(new PatientRiskResult([risk], "m", 1, notes) { Gaps = incomplete }, [new RiskCardInput(risk, [])], []);
        var byRollouts = Assert.Single(factory.Build(new PatientRiskResult([rollouts], "m", 1, []), [new RiskCardInput(rollouts, [])], []));

        Assert.Contains(RiskCardFactory.BeforeStayEndNote, cards[0].Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("HEADS_BEFORE_STAY_END", cards[1].Detail, StringComparison.Ordinal); // the incomplete-data card lists data issues only
        Assert.DoesNotContain(RiskCardFactory.BeforeStayEndNote, byRollouts.Detail, StringComparison.Ordinal); // rollouts ask at the coming end
    }

    [Theory]
    [InlineData(RolloutEstimator.Hazard, "Method: zero-shot rollouts (ETHOS), 100 labelled continuations, their summed step-by-step chances of the outcome;")]
    [InlineData(RolloutEstimator.Count, "Method: zero-shot rollouts (ETHOS), 100 labelled continuations;")]
    public void Rollout_risks_say_which_estimate_they_are(RolloutEstimator estimator, string method)
    {
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var risk = Risk("hospital_mortality", 0.04, new WilsonInterval(0.02, 0.08)) with { Estimator = estimator };
        var card = Assert.Single(factory.Build(new PatientRiskResult([risk], "m", 1, []), [new RiskCardInput(risk, [])], []));
        Assert.Contains(method, card.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Recalibrated_rollout_risks_say_so()
    {
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var risk = Risk("hospital_mortality", 0.04, new WilsonInterval(0.02, 0.08)) with { Estimator = RolloutEstimator.Hazard, Recalibrated = true };
        var card = Assert.Single(factory.Build(new PatientRiskResult([risk], "m", 1, []), [new RiskCardInput(risk, [])], []));
        Assert.Contains("chances of the outcome, recalibrated on held-back patients;", card.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_outcome_already_in_the_record_is_shown_as_observed_on_the_card_and_the_wire()
    {
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var outcome = new FhirRisk.Meds.Tasks.TaskOutcome(FhirRisk.Meds.Tasks.TaskOutcomeKind.Stop, true, TimeSpan.FromHours(2), "ICU_ADMISSION//MICU");
        var risk = TaskRisk.OfObserved("icu_admission", outcome, TimeSpan.Zero);
        var card = Assert.Single(factory.Build(new PatientRiskResult([risk], "m", 1, []), [new RiskCardInput(risk, [])], []));
        Assert.Equal("ICU admission: already occurred (in the record)", card.Summary);
        Assert.Contains("observed, not predicted", card.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("interval", card.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("continuations,", card.Detail, StringComparison.Ordinal);

        var wire = FhirRisk.Server.Risk.RiskWire.RiskOf(risk, 0.95);
        Assert.True(wire.Observed);
        Assert.Equal((1.0, 0u, null), (wire.Probability, wire.N, wire.Interval));
        Assert.Equal(FhirRisk.Grpc.V1.Estimator.Unspecified, wire.Estimator);
        Assert.False(FhirRisk.Server.Risk.RiskWire.RiskOf(Risk("icu_admission", 0.2), 0.95).Observed);
    }

    [Fact]
    public void An_observed_outcome_names_the_part_of_the_record_that_settled_it_not_always_this_stay()
    {
        // Service review s11 #3: a readmission settled after a discharge six years before read "already in this stay's record".
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var discharged = new DateTime(2018, 8, 17, 9, 5, 0, DateTimeKind.Utc);
        var windowClosed = new FhirRisk.Meds.Tasks.TaskOutcome(FhirRisk.Meds.Tasks.TaskOutcomeKind.TimeLimit, false, TimeSpan.FromDays(30));
        var readmission = TaskRisk.OfObserved("readmission_30d", windowClosed, TimeSpan.Zero, RiskMethod.Heads, new ObservedSpan(discharged, ObservedStay.After));
        var icuOutcome = new FhirRisk.Meds.Tasks.TaskOutcome(FhirRisk.Meds.Tasks.TaskOutcomeKind.Stop, true, TimeSpan.FromHours(2), "ICU_ADMISSION//MICU");
        var icu = TaskRisk.OfObserved("icu_admission", icuOutcome, TimeSpan.Zero, RiskMethod.Heads, new ObservedSpan(new DateTime(2024, 3, 1, 9, 0, 0, DateTimeKind.Utc), ObservedStay.Open));
        var result = new PatientRiskResult([readmission, icu], "m", 40, []) { PredictionPoint = new DateTimeOffset(2024, 3, 1, 11, 0, 0, TimeSpan.Zero) };

        var cards = factory.Build(result, [new RiskCardInput(readmission, []), new RiskCardInput(icu, [])], []);

        Assert.Equal("30-day readmission: did not occur (in the record)", cards[0].Summary);
        Assert.Contains("Method: observed, not predicted: the outcome is already in the patient's record, after the stay that ended 2018-08-17 09:05 UTC, settled 2018-09-16 (5 years before the prediction time), so no model was asked",
            cards[0].Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("this stay", cards[0].Detail, StringComparison.Ordinal);
        Assert.Contains("the outcome is already in this stay's record (the stay since 2024-03-01 09:00 UTC), so no model was asked", cards[1].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_death_outside_any_stay_says_why_the_task_is_not_applicable_not_that_it_could_not_be_estimated()
    {
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var outcome = new FhirRisk.Meds.Tasks.TaskOutcome(FhirRisk.Meds.Tasks.TaskOutcomeKind.Deceased, null, TimeSpan.Zero, "MEDS_DEATH");
        var risk = TaskRisk.OfObserved("hospital_mortality", outcome, TimeSpan.Zero, RiskMethod.Heads);

        var card = Assert.Single(factory.Build(new PatientRiskResult([risk], "m", 1, []), [new RiskCardInput(risk, [])], []));

        Assert.Equal("In-hospital mortality: not applicable (the patient died outside any open stay)", card.Summary);
        Assert.Equal("info", card.Indicator);
        Assert.Contains("death and no open stay", card.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("could not be estimated", card.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain("not estimable", card.Detail, StringComparison.Ordinal);
        var wire = FhirRisk.Server.Risk.RiskWire.RiskOf(risk, 0.95);
        Assert.True(wire.Observed);
        Assert.True(double.IsNaN(wire.Probability));
    }

    [Fact]
    public void A_heads_explanation_of_an_observed_answer_goes_on_the_wire_as_that_answer()
    {
        var outcome = new FhirRisk.Meds.Tasks.TaskOutcome(FhirRisk.Meds.Tasks.TaskOutcomeKind.Stop, true, TimeSpan.FromHours(2), "ICU_ADMISSION//MICU");
        var answer = TaskRisk.OfObserved("icu_admission", outcome, TimeSpan.Zero, RiskMethod.Heads);
        var point = new FhirRisk.Inference.Explanations.RiskPoint(3, DateTime.UnixEpoch, 1, null, 0) { Observed = outcome };
        var explanation = new FhirRisk.Inference.Explanations.RiskExplanation("icu_admission", RiskMethod.Heads, 1, [point], [], [], 0,
            new FhirRisk.Inference.Explanations.ExplanationCost(0, 0, TimeSpan.Zero)) { Answer = answer };

        var wire = FhirRisk.Server.Risk.RiskWire.RiskOf(explanation);

        Assert.Equal((true, 1.0, FhirRisk.Grpc.V1.Method.Heads, 0u), (wire.Observed, wire.Probability, wire.Method, wire.N));
    }

    [Fact]
    public void An_outcome_the_heads_answered_as_observed_reads_as_observed_even_when_they_stood_in_for_busy_rollouts()
    {
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var outcome = new FhirRisk.Meds.Tasks.TaskOutcome(FhirRisk.Meds.Tasks.TaskOutcomeKind.Stop, true, TimeSpan.FromHours(2), "ICU_ADMISSION//MICU");
        var risk = TaskRisk.OfObserved("icu_admission", outcome, TimeSpan.Zero, RiskMethod.Heads);
        var result = new PatientRiskResult([risk], "m", 1, []) { AnsweredByHeadsWhenBusy = true };

        var card = Assert.Single(factory.Build(result, [new RiskCardInput(risk, [])], []));

        Assert.Equal("ICU admission: already occurred (in the record)", card.Summary);
        // A fact of the record, not a risk to act on (walkthrough review s21 M3; until 2026-12-07 it was critical).
        Assert.Equal("info", card.Indicator);
        Assert.Contains("Method: observed, not predicted", card.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("task head", card.Detail, StringComparison.Ordinal);
        var wire = FhirRisk.Server.Risk.RiskWire.RiskOf(risk, 0.95);
        Assert.Equal((true, 1.0, 0u, null), (wire.Observed, wire.Probability, wire.N, wire.Interval));
    }

    [Fact]
    public void A_death_that_settled_readmission_reads_as_a_death_not_a_readmission()
    {
        // Walkthrough review s21 M3: a death the day after discharge read "30-day readmission: already occurred", critical.
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var died = TaskRisk.OfObserved("readmission_30d", new FhirRisk.Meds.Tasks.TaskOutcome(FhirRisk.Meds.Tasks.TaskOutcomeKind.Stop, true, TimeSpan.FromDays(1), "MEDS_DEATH"), TimeSpan.Zero);
        var readmitted = TaskRisk.OfObserved("readmission_30d", new FhirRisk.Meds.Tasks.TaskOutcome(FhirRisk.Meds.Tasks.TaskOutcomeKind.Stop, true, TimeSpan.FromDays(9), "HOSPITAL_ADMISSION//IMP"), TimeSpan.Zero);
        var result = new PatientRiskResult([died, readmitted], "m", 1, []);

        var cards = factory.Build(result, [new RiskCardInput(died, []), new RiskCardInput(readmitted, [])], []);

        Assert.Equal(["30-day readmission: the patient died (in the record)", "30-day readmission: already occurred (in the record)"], cards.Select(c => c.Summary));
        Assert.All(cards, c => Assert.Equal("info", c.Indicator));
    }

    [Theory]
    [InlineData(29, null)]
    [InlineData(45, "**45 days before today: the risk is of then, not now**")]
    [InlineData(6 * 365 + 2, "**6 years before today: the risk is of then, not now**")]
    public void A_risk_estimated_at_a_long_past_last_event_says_how_old_it_is(int days, string? note)
    {
        // Walkthrough review s21 M2: a record last written in 2021 gave a card that read as current on 2026-12-07.
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var risk = Risk("hospital_mortality", 0.02);
        var now = new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
        var result = new PatientRiskResult([risk], "m", 1, []) { PredictionPoint = now.AddDays(-days), AnsweredAt = now };

        var detail = Assert.Single(factory.Build(result, [new RiskCardInput(risk, [])], [])).Detail;

        if (note is null)
            Assert.DoesNotContain("before today", detail, StringComparison.Ordinal);
        else
            Assert.Contains(note, detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_demo_models_incomplete_data_card_says_so_first_and_lists_only_the_datas_issues()
    {
        // Walkthrough review s21 L1: the card had no demo mark, and listed the model's own note as an issue of the data.
        var factory = new RiskCardFactory(new CdsHooksOptions());
        var risk = Risk("hospital_mortality", 0.02);
        var result = new PatientRiskResult([risk], "m", 1,
            [$"{FhirRisk.Server.Patients.TimelinePredictor.SimulatedModelCode} the model was trained on simulated patients only", "FHIR006 x2"])
        {
            TrainedOnSimulatedPatients = true,
            Gaps = new DataGaps(1, 0, 0, false),
        };

        var notice = factory.Build(result, [new RiskCardInput(risk, [])], []).Single(c => c.Summary.Contains(RiskCardFactory.IncompleteSummary, StringComparison.Ordinal));

        Assert.Equal("[DEMO, simulated data] " + RiskCardFactory.IncompleteSummary, notice.Summary);
        Assert.StartsWith(RiskCardFactory.SimulatedModelNote, notice.Detail, StringComparison.Ordinal);
        Assert.Contains("FHIR006 x2", notice.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(FhirRisk.Server.Patients.TimelinePredictor.SimulatedModelCode, notice.Detail, StringComparison.Ordinal);
    }

    private static TaskRisk Risk(string task, double risk, WilsonInterval? interval = null) =>
        new(task, risk, interval, RiskMethod.Rollouts, 100, TimeSpan.Zero);
}
