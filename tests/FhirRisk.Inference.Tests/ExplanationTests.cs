using FhirRisk.Inference.Explanations;
using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Tokenizer;
using static FhirRisk.Inference.Tests.LiveStays;

namespace FhirRisk.Inference.Tests;

/// <summary>ARES explanations (ethos.md §3.4) by heads (trajectory + occlusion) and by rollouts (trajectory with common random numbers).</summary>
public sealed class ExplanationTests
{

    [Fact]
    public async Task Heads_trajectory_and_occlusion_equal_one_context_at_a_time_predictions()
    {
        using var session = InferenceSession.Open(FinetunedTinyModel.Value.Directory, new InferenceOptions { Threads = 1 });
        using var heads = session.CreateHeadsPredictor();
        var timeline = TinyModel.Encode(3, stays: 2);
        var index = timeline.Count - 1;

        var explanation = await heads.ExplainAsync(new ExplanationQuery(timeline, index, TaskCatalog.HospitalMortality));

        var k = heads.Tasks.ToList().IndexOf(TaskCatalog.HospitalMortality);
        double Single(int[] context) => heads.Predict([context])[k];
        foreach (var point in explanation.Trajectory)
            Assert.Equal(Single(session.HeadsContext(timeline, point.Index)), point.Risk, 6);
        Assert.Equal(index, explanation.Trajectory[^1].Index);
        var risk = (await heads.PredictAsync(new RiskQuery(timeline, index, [TaskCatalog.HospitalMortality])))[0].Risk;
        Assert.Equal(risk, explanation.Risk, 6);

        var fact = explanation.Facts[^2].Fact;
        int[] kept = [.. timeline.Tokens[..fact.EventStart], .. timeline.Tokens[fact.End..(index + 1)]];
        long[] times = [.. timeline.Times[..fact.EventStart], .. timeline.Times[fact.End..(index + 1)]];
        var occluded = PromptedContext.Build(session.Tokenizer, kept, times, timeline.Statics, kept.Length - 1, TinyModel.ContextLength - heads.Tasks.Count);
        Assert.Equal(Single(occluded), explanation.Facts[^2].Without!.Value, 6);
        Assert.All(explanation.Facts, c => Assert.Equal(explanation.Risk - c.Without!.Value, c.OcclusionDelta!.Value, 12));
        Assert.Equal(explanation.Trajectory.Count + explanation.Facts.Count, explanation.Cost.Evaluations);
    }

    [Fact]
    public async Task Explaining_several_tasks_at_once_shares_the_occlusion_pass_and_equals_one_at_a_time()
    {
        using var session = InferenceSession.Open(FinetunedTinyModel.Value.Directory, new InferenceOptions { Threads = 1 });
        using var heads = session.CreateHeadsPredictor();
        var timeline = Stay(["LAB//B", "LAB//A", "LAB//B", "LAB//A"]);
        var index = timeline.Count - 1;
        ExplanationQuery[] queries =
        [
            new(timeline, index, TaskCatalog.HospitalMortality),
            new(timeline, index, TaskCatalog.IcuAdmission),
            new(timeline, index, TaskCatalog.HospitalMortality) { From = 0, TopContributors = 1 },
        ];

        var together = await heads.ExplainManyAsync(queries);

        Assert.Equal(queries.Select(q => q.Task), together.Select(e => e.Task));
        for (var i = 0; i < queries.Length; i++)
        {
            var alone = await heads.ExplainAsync(queries[i]);
            Assert.Equal(alone.Risk, together[i].Risk, 12);
            Assert.Equal(alone.Trajectory.Select(p => p.Risk), together[i].Trajectory.Select(p => p.Risk));
            Assert.Equal(alone.Facts.Select(f => f.Without), together[i].Facts.Select(f => f.Without));
            Assert.Equal(alone.TopContributors.Select(c => (c.Label, c.Delta)), together[i].TopContributors.Select(c => (c.Label, c.Delta)));
        }
        // The stay is the whole timeline here, so all three have the same facts and share one set of contexts (one cost
        // record); the third still lists its own single contributor.
        Assert.Same(together[0].Cost, together[1].Cost);
        Assert.Same(together[0].Cost, together[2].Cost);
        Assert.Single(together[2].TopContributors);
        var unknown = await Assert.ThrowsAsync<InferenceException>(() => heads.ExplainManyAsync([queries[0], new ExplanationQuery(timeline, index, TaskCatalog.ProlongedLos)]));
        Assert.Equal(InferenceErrorCodes.UnknownTask, unknown.Code);
    }

    [Fact]
    public async Task Occlusion_puts_the_fact_the_head_reads_on_top()
    {
        using var session = InferenceSession.Open(FinetunedTinyModel.Value.Directory, new InferenceOptions { Threads = 1 });
        using var heads = session.CreateHeadsPredictor();
        var timeline = Stay(["LAB//B", "LAB//B", "LAB//A", "LAB//B", "LAB//B"]);

        var explanation = await heads.ExplainAsync(new ExplanationQuery(timeline, timeline.Count - 1, TaskCatalog.HospitalMortality));

        var top = explanation.TopContributors[0];
        Assert.Equal(AttributionMethod.Occlusion, top.Method);
        Assert.Null(top.HalfWidth); // occlusion is deterministic
        Assert.Equal(["LAB//A"], top.Codes);
        Assert.Equal("LAB A", top.Label);
        Assert.True(top.Delta > 0, $"removing LAB//A should lower the risk the head learnt from it (Δ {top.Delta})");
        Assert.Equal(Admitted.AddHours(3), top.Time);
        Assert.StartsWith("+", top.Display, StringComparison.Ordinal);
        Assert.Contains("LAB A · 2021-05-03 12:00 UTC", top.Display, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_default_span_starts_at_the_admission_and_the_budget_keeps_the_last_facts()
    {
        var options = new InferenceOptions { Threads = 1, Explanations = new ExplanationSettings { MaxFacts = 3 } };
        using var session = InferenceSession.Open(FinetunedTinyModel.Value.Directory, options);
        using var heads = session.CreateHeadsPredictor();
        var timeline = Stay(["LAB//B", "LAB//A", "LAB//B", "LAB//B", "LAB//A", "LAB//B"]);

        var explanation = await heads.ExplainAsync(new ExplanationQuery(timeline, timeline.Count - 1, TaskCatalog.HospitalMortality));

        // Facts of the stay: the admission (the anchor), then six labs; the budget keeps the last three.
        Assert.Equal(3, explanation.OmittedFacts);
        Assert.Equal(3, explanation.Facts.Count);
        Assert.Equal(4, explanation.Trajectory.Count);
        Assert.Equal(explanation.Facts[0].Fact.Start - 1, explanation.Trajectory[0].Index);
        Assert.All(explanation.Facts, c => Assert.Equal(c.Before.Index + 1, c.Fact.Start));
        Assert.All(explanation.Facts, c => Assert.True(c.Fact.Start < c.Fact.EventStart, "each lab came an hour after the one before: its interval token is part of the fact"));
        Assert.Equal(7, explanation.Cost.Evaluations);

        var whole = await heads.ExplainAsync(new ExplanationQuery(timeline, timeline.Count - 1, TaskCatalog.HospitalMortality) { From = 0 });
        Assert.Equal(6, whole.OmittedFacts + whole.Facts.Count); // the stay is the whole timeline: the same six labs after the admission
    }

    [Theory]
    [InlineData(FactGrouping.Event)]
    [InlineData(FactGrouping.TimeAndVocabulary)]
    public void The_explained_facts_are_the_last_of_every_fact_after_the_first_built_alone(FactGrouping grouping)
    {
        using var session = TinyModel.Open(new InferenceOptions { Threads = 1 });
        var settings = new ExplanationSettings { Grouping = grouping };
        var timeline = TinyModel.Encode(5, stays: 3);
        foreach (var from in new[] { 0, 1, timeline.Count / 3, timeline.Count - 2, timeline.Count - 1 })
        {
            var all = ClinicalFacts.Of(session.Tokenizer, timeline, from, timeline.Count - 1, settings);
            foreach (var max in new[] { 0, 1, 3, 16, all.Count + 5 })
            {
                var (facts, omitted) = ClinicalFacts.Explained(session.Tokenizer, timeline, from, timeline.Count - 1, settings, max);
                var candidates = all.Skip(1).ToArray();
                var expected = candidates[Math.Max(0, candidates.Length - max)..];
                Assert.Equal(candidates.Length - expected.Length, omitted);
                Assert.Equal(expected.Length, facts.Count);
                for (var f = 0; f < facts.Count; f++)
                {
                    Assert.Equal(expected[f] with { Codes = [] }, facts[f] with { Codes = [] });
                    Assert.Equal(expected[f].Codes, facts[f].Codes);
                }
            }
        }
    }

    [Fact]
    public async Task Grouping_by_time_and_vocabulary_merges_a_panel_into_one_fact()
    {
        var options = new InferenceOptions { Threads = 1, Explanations = new ExplanationSettings { Grouping = FactGrouping.TimeAndVocabulary } };
        using var session = InferenceSession.Open(FinetunedTinyModel.Value.Directory, options);
        using var heads = session.CreateHeadsPredictor();
        var timeline = Encode([
            new(1, Admitted, "HOSPITAL_ADMISSION//IMP"),
            new(1, Admitted.AddHours(2), "LAB//A"), new(1, Admitted.AddHours(2), "LAB//B"),
            new(1, Admitted.AddHours(2), "ICU_ADMISSION//MICU"),
        ]);

        // Mortality, still open at the index (ICU admission is already observed there, and an observed task has no facts).
        var explanation = await heads.ExplainAsync(new ExplanationQuery(timeline, timeline.Count - 1, TaskCatalog.HospitalMortality));

        Assert.Equal(["LAB A; LAB B", "ICU admission (MICU)"], explanation.Facts.Select(c => c.Fact.Label));
        Assert.Equal(["LAB//A", "LAB//B"], explanation.Facts[0].Fact.Codes);
    }

    [Theory]
    [InlineData(FactGrouping.Event)]
    [InlineData(FactGrouping.TimeAndVocabulary)]
    public async Task An_admission_from_the_ED_is_one_fact_that_anchors_the_span(FactGrouping grouping)
    {
        // The canonical order writes an ED admission "HOSPITAL_ADMISSION//IMP ED_OUT": apart, ED_OUT was explained as a fact
        // of the stay and the trajectory's first point ended inside the admission's timestamp (review s24 L1).
        var options = new InferenceOptions { Threads = 1, Explanations = new ExplanationSettings { Grouping = grouping } };
        using var session = InferenceSession.Open(FinetunedTinyModel.Value.Directory, options);
        using var heads = session.CreateHeadsPredictor();
        var timeline = Encode([
            new(1, Admitted.AddHours(-3), "ED_REGISTRATION"),
            new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, Admitted, "ED_OUT"),
            new(1, Admitted.AddHours(2), "LAB//A"), new(1, Admitted.AddHours(3), "LAB//B"),
        ]);

        var explanation = await heads.ExplainAsync(new ExplanationQuery(timeline, timeline.Count - 1, TaskCatalog.HospitalMortality));

        Assert.Equal(["LAB A", "LAB B"], explanation.Facts.Select(c => c.Fact.Label));
        Assert.Equal(timeline.Times[explanation.Trajectory[0].Index], timeline.Times[explanation.Facts[0].Fact.Start - 1]);
        Assert.Equal("ED_OUT", session.Meanings.CodeOf(timeline.Tokens[explanation.Trajectory[0].Index]));
        var all = ClinicalFacts.Of(session.Tokenizer, timeline, 0, timeline.Count - 1, options.Explanations);
        Assert.Equal(["ED registration", "Hospital admission (IMP); Left the ED", "LAB A", "LAB B"], all.Select(f => f.Label));
    }

    [Fact]
    public async Task The_names_a_models_tokenizer_carries_label_facts_the_record_does_not_name()
    {
        // A model directory whose tokenizer was fitted on named codes (codes.tsv): events given as MEDS, which name nothing,
        // are labelled by those names.
        using var temp = new FhirRisk.Testing.TempDirectory();
        foreach (var file in Directory.EnumerateFiles(FinetunedTinyModel.Value.Directory))
            File.Copy(file, Path.Combine(temp.Path, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(temp.Path, "codes.tsv"), "# fhirrisk-code-names 1\ncode\tdescription\nLAB//A\tLactate\n");
        using var session = InferenceSession.Open(temp.Path, new InferenceOptions { Threads = 1 });
        using var heads = session.CreateHeadsPredictor();
        var timeline = Encode([
            new(1, Admitted, "HOSPITAL_ADMISSION//IMP"),
            new(1, Admitted.AddHours(1), "LAB//A"), new(1, Admitted.AddHours(2), "LAB//B"),
        ]);
        var query = new ExplanationQuery(timeline, timeline.Count - 1, TaskCatalog.HospitalMortality);

        var byModel = await heads.ExplainAsync(query);
        var byRecord = await heads.ExplainAsync(query with { CodeDescriptions = new Dictionary<string, string> { ["LAB//A"] = "Lactate, arterial" } });

        Assert.Equal(["Lactate", "LAB B"], byModel.Facts.Select(c => c.Fact.Label));
        Assert.Equal(["Lactate, arterial", "LAB B"], byRecord.Facts.Select(c => c.Fact.Label));
    }

    [Fact]
    public async Task A_querys_names_of_codes_label_its_facts_over_the_settings_names()
    {
        var options = new InferenceOptions
        {
            Threads = 1,
            Explanations = new ExplanationSettings { CodeDescriptions = new Dictionary<string, string> { ["LAB//A"] = "Host A", ["LAB//B"] = "Host B" } },
        };
        using var session = InferenceSession.Open(FinetunedTinyModel.Value.Directory, options);
        using var heads = session.CreateHeadsPredictor();
        var timeline = Encode([
            new(1, Admitted, "HOSPITAL_ADMISSION//IMP"),
            new(1, Admitted.AddHours(1), "LAB//A"), new(1, Admitted.AddHours(2), "LAB//B"),
        ]);
        var query = new ExplanationQuery(timeline, timeline.Count - 1, TaskCatalog.HospitalMortality)
        {
            CodeDescriptions = new Dictionary<string, string> { ["LAB//A"] = "Lactate" },
        };

        var named = await heads.ExplainAsync(query);
        var plain = await heads.ExplainAsync(query with { CodeDescriptions = null });

        // The record's name wins where it has one; the host's fills in the rest; the risks are the same.
        Assert.Equal(["Lactate", "Host B"], named.Facts.Select(c => c.Fact.Label));
        Assert.Equal(["Host A", "Host B"], plain.Facts.Select(c => c.Fact.Label));
        Assert.Equal(plain.Facts.Select(c => c.OcclusionDelta), named.Facts.Select(c => c.OcclusionDelta));
    }

    [Fact]
    public async Task Facts_that_read_alike_are_one_contributor_whose_delta_is_their_sum()
    {
        // Service review s11 #2: a result charted twice at one time gave two identical rows (cards and gRPC Explain).
        using var session = InferenceSession.Open(FinetunedTinyModel.Value.Directory, new InferenceOptions { Threads = 1 });
        using var heads = session.CreateHeadsPredictor();
        var timeline = Encode([
            new(1, Admitted, "HOSPITAL_ADMISSION//IMP"),
            new(1, Admitted.AddHours(1), "LAB//B"),
            new(1, Admitted.AddHours(2), "LAB//A"), new(1, Admitted.AddHours(2), "LAB//A"),
            new(1, Admitted.AddHours(3), "LAB//B"),
        ]);

        var explanation = await heads.ExplainAsync(new ExplanationQuery(timeline, timeline.Count - 1, TaskCatalog.HospitalMortality) { TopContributors = 10 });

        var twice = explanation.Facts.Where(c => c.Fact.Label == "LAB A").ToArray();
        Assert.Equal(2, twice.Length);
        Assert.Equal(twice[0].Fact.Time, twice[1].Fact.Time);
        var rows = explanation.TopContributors.Select(c => (c.Label, c.Time)).ToArray();
        Assert.Equal(rows.Distinct(), rows);
        var merged = Assert.Single(explanation.TopContributors, c => c.Label == "LAB A");
        Assert.Equal(2, merged.Facts);
        Assert.Equal(twice.Sum(c => c.OcclusionDelta!.Value), merged.Delta, 12);
        Assert.Contains("LAB A (×2) · 2021-05-03 11:00 UTC", merged.Display, StringComparison.Ordinal);
        // The same label at two times is two facts and two rows here: what tells them apart (the time) is on the row.
        Assert.All(explanation.TopContributors.Where(c => c.Label == "LAB B"), c => Assert.Equal(1, c.Facts));
    }

    [Fact]
    public async Task Rollout_trajectory_points_are_the_rollouts_of_each_prefix_asked_at_its_time_with_one_shared_key()
    {
        var options = new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(8), Explanations = new ExplanationSettings { MaxFacts = 4, RolloutsPerPoint = 8 } };
        using var session = TinyModel.Open(options);
        await using var predictor = session.CreateRolloutPredictor();
        var timeline = TinyModel.Encode(4, stays: 2);
        var index = Math.Min(timeline.Count - 1, 14);

        var explanation = await predictor.ExplainAsync(new ExplanationQuery(timeline, index, TaskCatalog.ProlongedLos));

        Assert.Equal(RiskMethod.Rollouts, explanation.Method);
        Assert.Equal(explanation.Facts.Count + 1, explanation.Trajectory.Count);
        var task = session.Task(TaskCatalog.ProlongedLos);
        var predicted = explanation.Trajectory.Count(p => p.Observed is null);
        Assert.Equal(8 * predicted + explanation.Answer!.N, explanation.Cost.Evaluations); // the points', then the served answer's
        Assert.Equal(explanation.Answer.Risk, explanation.Risk);
        var settings = options.Rollouts with { MinRollouts = 8, MaxRollouts = 8, KeepTokens = false };
        var key = new RolloutRequest(session.RolloutPrompt(timeline, index), [task], settings).Key;
        Assert.Contains(explanation.Trajectory, p => StayClock.Spent(session.Meanings, timeline, p.Index, task) > TimeSpan.Zero);
        foreach (var point in explanation.Trajectory)
        {
            var asked = StayClock.Ask(session.Meanings, timeline, point.Index, task);
            Assert.Equal(asked.Observed, point.Observed);
            if (asked.Observed is not null)
                continue; // the record already settles it there (StayClock): no rollouts
            var alone = await predictor.RunAsync(new RolloutRequest(session.RolloutPrompt(timeline, point.Index), [asked.Task], settings)
            {
                Key = key,
                Starts = [asked.Start],
            });
            Assert.Equal(alone.Tasks[0].Answer, point.Risk);
            Assert.Equal(alone.Tasks[0].Labelled, point.N);
        }
        Assert.All(explanation.Facts, c => Assert.Null(c.Without));
        Assert.All(explanation.TopContributors, c => Assert.Equal(AttributionMethod.Trajectory, c.Method));
        // Each Δ carries the noise of its two points (review s22 explain H1): the half-width their intervals give.
        Assert.NotEmpty(explanation.TopContributors);
        foreach (var contributor in explanation.TopContributors)
        {
            var fact = explanation.Facts.First(f => f.Fact.Time == contributor.Time && f.Fact.Label == contributor.Label);
            double Width(RiskPoint p) => p.Observed is not null ? 0 : p.Interval!.Value.HalfWidth;
            if (contributor.Facts == 1)
                Assert.Equal(Math.Sqrt(Math.Pow(Width(fact.Before), 2) + Math.Pow(Width(fact.After), 2)), contributor.HalfWidth!.Value, 12);
            Assert.True(contributor.HalfWidth > 0 || (fact.Before.Observed is not null && fact.After.Observed is not null));
        }
    }

    [Fact]
    public async Task A_rollout_explanations_risk_is_the_served_answer_beside_its_fixed_count_trajectory()
    {
        // The service's adaptive counts for answers, four fixed rollouts per trajectory point.
        var options = new InferenceOptions
        {
            Threads = 1,
            Rollouts = RolloutSettings.Default with { MaxNewTokens = 48 },
            Explanations = new ExplanationSettings { MaxFacts = 2, RolloutsPerPoint = 4 },
        };
        using var session = TinyModel.Open(options);
        await using var predictor = session.CreateRolloutPredictor();
        var timeline = Stay(["LAB//B", "LAB//A"]);
        var index = timeline.Count - 1;

        var explanation = await predictor.ExplainAsync(new ExplanationQuery(timeline, index, TaskCatalog.HospitalMortality) { Seed = 5 });
        var served = (await predictor.PredictAsync(new RiskQuery(timeline, index, [TaskCatalog.HospitalMortality]) { Seed = 5 }))[0];

        Assert.Equal(served with { Latency = TimeSpan.Zero }, explanation.Answer! with { Latency = TimeSpan.Zero });
        Assert.Equal(served.Risk, explanation.Risk);
        Assert.True(served.N > 4, $"the served answer's n {served.N}"); // adaptive: at least 20 rollouts
        Assert.InRange(explanation.Trajectory[^1].N, 1, 4);
    }

    [Fact]
    public async Task An_ed_task_explained_mid_visit_spans_the_visit_and_asks_each_point_with_the_time_left()
    {
        var options = new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(8), Explanations = new ExplanationSettings { MaxFacts = 8, RolloutsPerPoint = 8 } };
        using var session = TinyModel.Open(options);
        await using var predictor = session.CreateRolloutPredictor();
        var registered = Admitted.AddDays(30);
        var timeline = Encode([
            new(1, Admitted, "HOSPITAL_ADMISSION//IMP"), new(1, Admitted.AddHours(5), "LAB//B"),
            new(1, Admitted.AddDays(2), "HOSPITAL_DISCHARGE//HOME"),
            new(1, registered, "ED_REGISTRATION"),
            new(1, registered.AddHours(1), "LAB//A"), new(1, registered.AddHours(2), "LAB//B"), new(1, registered.AddHours(3), "LAB//A"),
        ]);
        var index = timeline.Count - 1; // three hours into the visit, before ED_OUT

        var explanation = await predictor.ExplainAsync(new ExplanationQuery(timeline, index, TaskCatalog.EdCriticalOutcome));

        // The span is the open ED visit: its registration anchors it, the earlier hospital stay is not explained.
        Assert.Equal(["LAB//A", "LAB//B", "LAB//A"], explanation.Facts.SelectMany(c => c.Fact.Codes));
        Assert.Equal(0, explanation.OmittedFacts);
        Assert.Equal("ED_REGISTRATION", session.Meanings.CodeOf(timeline.Tokens[explanation.Trajectory[0].Index]));
        Assert.Equal(index, explanation.Trajectory[^1].Index);

        // Each point asks the visit's own 12-hour question with the hours already spent taken off.
        var task = session.Task(TaskCatalog.EdCriticalOutcome);
        var settings = options.Rollouts with { MinRollouts = 8, MaxRollouts = 8, KeepTokens = false };
        var key = new RolloutRequest(session.RolloutPrompt(timeline, index), [task], settings).Key;
        Assert.Equal([0.0, 1, 2, 3], explanation.Trajectory.Select(p => StayClock.Spent(session.Meanings, timeline, p.Index, task).TotalHours));
        Assert.Equal(task.TimeLimit - TimeSpan.FromHours(3), StayClock.At(session.Meanings, timeline, index, task).TimeLimit);
        foreach (var point in explanation.Trajectory)
        {
            var asked = StayClock.Ask(session.Meanings, timeline, point.Index, task);
            Assert.Equal(asked.Task, StayClock.At(session.Meanings, timeline, point.Index, task));
            var request = new RolloutRequest(session.RolloutPrompt(timeline, point.Index), [asked.Task], settings) { Key = key, Starts = [asked.Start] };
            var alone = await predictor.RunAsync(request);
            Assert.Equal(alone.Tasks[0].Answer, point.Risk);
            Assert.Equal(alone.Tasks[0].Labelled, point.N);
        }
    }

    [Fact]
    public async Task Icu_mortality_explained_mid_icu_stay_spans_the_icu_stay_and_hospital_tasks_the_admission()
    {
        var options = new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(8), Explanations = new ExplanationSettings { MaxFacts = 8, RolloutsPerPoint = 8 } };
        using var session = TinyModel.Open(options);
        await using var predictor = session.CreateRolloutPredictor();
        var timeline = Stay(["LAB//B", "ICU_ADMISSION//MICU", "LAB//A", "LAB//A"]);
        var index = timeline.Count - 1; // two hours into the ICU stay

        var icu = await predictor.ExplainAsync(new ExplanationQuery(timeline, index, TaskCatalog.IcuMortality));
        var hospital = await predictor.ExplainAsync(new ExplanationQuery(timeline, index, TaskCatalog.HospitalMortality));

        Assert.Equal(["LAB//A", "LAB//A"], icu.Facts.SelectMany(c => c.Fact.Codes));
        Assert.Equal("ICU_ADMISSION//MICU", session.Meanings.CodeOf(timeline.Tokens[icu.Trajectory[0].Index]));
        Assert.Equal(["LAB//B", "ICU_ADMISSION//MICU", "LAB//A", "LAB//A"], hospital.Facts.SelectMany(c => c.Fact.Codes));
        var task = session.Task(TaskCatalog.IcuMortality);
        Assert.Equal([0.0, 1, 2], icu.Trajectory.Select(p => StayClock.Spent(session.Meanings, timeline, p.Index, task).TotalHours));
        Assert.All(icu.Trajectory.Concat(hospital.Trajectory), p => Assert.InRange(p.N, 1, 8));

        // Once the ICU stay has ended, the span still starts at its admission (the last ICU stay), and a point after its
        // discharge asks the question afresh: no ICU time is spent.
        var after = Stay(["LAB//B", "ICU_ADMISSION//MICU", "LAB//A", "ICU_DISCHARGE", "LAB//B"]);
        var closed = await predictor.ExplainAsync(new ExplanationQuery(after, after.Count - 1, TaskCatalog.IcuMortality));
        Assert.Equal(["LAB//A", "ICU_DISCHARGE", "LAB//B"], closed.Facts.SelectMany(c => c.Fact.Codes));
        Assert.Equal(TimeSpan.Zero, StayClock.Spent(session.Meanings, after, after.Count - 1, task));
    }

    [Fact]
    public async Task Common_random_numbers_and_the_hazard_estimate_each_make_neighbouring_points_differ_less()
    {
        var timeline = TinyModel.Encode(6, stays: 2);
        var index = Math.Min(timeline.Count - 1, 16);
        async Task<double> MeanAbsoluteDelta(bool common, RolloutEstimator estimator)
        {
            var sum = 0.0;
            var count = 0;
            for (ulong seed = 1; seed <= 6; seed++)
            {
                var options = new InferenceOptions
                {
                    Threads = 1,
                    Rollouts = Requests.Fixed(16) with { Seed = seed, Estimator = estimator },
                    Explanations = new ExplanationSettings { MaxFacts = 6, RolloutsPerPoint = 16, CommonRandomNumbers = common },
                };
                using var session = TinyModel.Open(options);
                await using var predictor = session.CreateRolloutPredictor();
                var explanation = await predictor.ExplainAsync(new ExplanationQuery(timeline, index, TaskCatalog.ProlongedLos) { From = 0 });
                Assert.All(explanation.Trajectory, p => Assert.Equal(estimator, p.Estimator));
                foreach (var c in explanation.Facts.Where(c => double.IsFinite(c.TrajectoryDelta)))
                {
                    sum += Math.Abs(c.TrajectoryDelta);
                    count++;
                }
            }
            return sum / count;
        }

        var counted = await MeanAbsoluteDelta(common: false, RolloutEstimator.Count);
        var countedCommon = await MeanAbsoluteDelta(common: true, RolloutEstimator.Count);
        var hazard = await MeanAbsoluteDelta(common: false, RolloutEstimator.Hazard);

        // Both remove sampling noise from the Δs: common streams by drawing the same futures at every point, the hazard
        // by not jumping from 0 to 1 on one draw.
        Assert.True(countedCommon < counted, $"mean |Δ| of k / n with common random numbers {countedCommon:F4} should be below independent streams' {counted:F4}");
        Assert.True(hazard < counted, $"mean |Δ| of the hazard estimate {hazard:F4} should be below k / n's {counted:F4} (independent streams)");
    }

    [Fact]
    public async Task A_task_the_predictor_cannot_answer_is_refused()
    {
        using var session = InferenceSession.Open(FinetunedTinyModel.Value.Directory, new InferenceOptions { Threads = 1 });
        using var heads = session.CreateHeadsPredictor();
        await using var rollouts = session.CreateRolloutPredictor();
        var timeline = TinyModel.Encode(3, stays: 1);

        var noHead = await Assert.ThrowsAsync<InferenceException>(() => heads.ExplainAsync(new ExplanationQuery(timeline, 5, TaskCatalog.ProlongedLos)));
        var noTask = await Assert.ThrowsAsync<InferenceException>(() => rollouts.ExplainAsync(new ExplanationQuery(timeline, 5, "no_such_task")));
        var noTaskForHeads = await Assert.ThrowsAsync<InferenceException>(() => heads.ExplainAsync(new ExplanationQuery(timeline, 5, "no_such_task")));

        Assert.Equal(InferenceErrorCodes.UnknownTask, noHead.Code);
        Assert.Contains("predict it by rollouts", noHead.Message, StringComparison.Ordinal);
        Assert.Equal(InferenceErrorCodes.UnknownTask, noTask.Code);
        // A name that is no task at all is not sent to the rollouts, which could not answer it either.
        Assert.Contains("no task has this name", noTaskForHeads.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("rollouts", noTaskForHeads.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => heads.ExplainAsync(new ExplanationQuery(timeline, timeline.Count, TaskCatalog.HospitalMortality)));
    }

    [Theory]
    [InlineData("HOSPITAL_ADMISSION//EMER", null, null, "Hospital admission (EMER)")]
    [InlineData("MEDS_DEATH", null, null, "Death")]
    [InlineData("ICU_DISCHARGE", null, null, "ICU discharge")]
    [InlineData("LOINC//2524-7//mmol/L", 9, 4.25f, "LOINC 2524-7: ≈4.25 mmol/L, decile 9 of 10")]
    [InlineData("ICD10CM//I50.9", null, null, "ICD-10-CM I50.9")]
    [InlineData("UNK//RXNORM", null, null, "A RxNorm code unknown to the model")]
    [InlineData("LOINC//718-7//g/dL", 2, null, "LOINC 718-7: decile 2 of 10")]
    [InlineData("LOINC//30934-4//pg/mL", 10, 1500f, "LOINC 30934-4: ≈1,500 pg/mL, decile 10 of 10")]
    [InlineData("LOINC//30934-4//pg/mL", 10, 999.7f, "LOINC 30934-4: ≈1,000 pg/mL, decile 10 of 10")]
    [InlineData("LOINC//1//x", 1, 0.00001f, "LOINC 1: ≈0.00001 x, decile 1 of 10")]
    // Third parts that are no unit stay in the label, or every allergy would read alike (review s22 explain M2).
    [InlineData("ALLERGY//SNOMED//91936005", null, null, "ALLERGY SNOMED 91936005")]
    [InlineData("DIAGNOSIS//ICD//10//I509", null, null, "DIAGNOSIS ICD 10 I509")]
    public void Labels_read_codes_and_deciles_in_words(string code, int? bin, float? value, string expected)
    {
        Assert.Equal(expected, FactLabels.ForEvent(code, bin, value));
    }

    [Theory]
    [InlineData("LOINC//8310-5//Cel", 10, 37.4f, null, "LOINC 8310-5: > 37.4 °C, decile 10 of 10")]
    [InlineData("LOINC//8480-6//mm[Hg]", 1, null, 111f, "LOINC 8480-6: ≤ 111 mmHg, decile 1 of 10")]
    [InlineData("LOINC//8480-6//mm[Hg]", 1, null, 111.3f, "LOINC 8480-6: ≤ 111.3 mmHg, decile 1 of 10")]
    [InlineData("LOINC//2160-0//mg/dL", 8, 1.51f, 1.84f, "LOINC 2160-0: 1.51–1.84 mg/dL, decile 8 of 10")]
    public void Labels_of_a_decile_give_the_range_its_value_lay_in_not_its_median(string code, int bin, float? lower, float? upper, string expected)
    {
        // Review s22 explain M1: a fever of 38.5 °C in the top decile read "≈37.6 Cel", the decile's median.
        Assert.Equal(expected, FactLabels.ForEvent(code, bin, 37.6f, lower, upper));
    }

    [Fact]
    public void Facts_beside_a_point_no_rollout_answered_are_counted_as_unscored()
    {
        // Review s22 explain L1: a NaN point (every rollout excluded) dropped both facts beside it without a word.
        var at = new DateTime(2024, 1, 1, 8, 0, 0, DateTimeKind.Utc);
        ClinicalFact Fact(int start) => new(start, start, start + 1, at.AddHours(start), ["LAB//A"], "LAB A");
        RiskPoint Point(int index, double risk) => new(index, at.AddHours(index), risk, null, 20);
        RiskPoint[] trajectory = [Point(0, 0.2), Point(1, double.NaN), Point(2, 0.3), Point(3, 0.35)];
        FactContribution[] facts = [.. Enumerable.Range(0, 3).Select(f => new FactContribution(Fact(f + 1), trajectory[f], trajectory[f + 1], null, null))];

        var explanation = new RiskExplanation("hospital_mortality", RiskMethod.Rollouts, 0.35, trajectory, facts, [], 0, new ExplanationCost(0, 0, TimeSpan.Zero));

        Assert.Equal(2, explanation.UnscoredFacts);
    }

    [Theory]
    [InlineData("Cel", "°C")]
    [InlineData("[degF]", "°F")]
    [InlineData("mm[Hg]", "mmHg")]
    [InlineData("10*3/uL", "10³/µL")]
    [InlineData("10*9/L", "10⁹/L")]
    [InlineData("/min", "/min")]
    [InlineData("{beats}/min", "/min")]
    [InlineData("10*3{cells}/uL", "10³/µL")]
    [InlineData("mL/min/{1.73_m2}", "mL/min/1.73 m²")]
    [InlineData("kg/m2", "kg/m²")]
    [InlineData("[IU]/L", "IU/L")]
    [InlineData("ug/kg/min", "µg/kg/min")]
    [InlineData("meq/L", "mEq/L")]
    [InlineData("mg/dL", "mg/dL")]
    [InlineData("%", "%")]
    [InlineData("{score}", "")]
    [InlineData("1", "")]
    [InlineData("xyz", "xyz")]
    // Review s23 L2: a decimal point is no multiplication; unknown bracketed units lose their brackets; an acronym
    // annotation after a unit is what the unit is of.
    [InlineData("mL/min/1.73m2", "mL/min/1.73m2")]
    [InlineData("g.m", "g·m")]
    [InlineData("/[HPF]", "/HPF")]
    [InlineData("m[IU]/L", "mIU/L")]
    [InlineData("mg{FEU}/L", "mg FEU/L")]
    public void Units_read_as_clinicians_write_them(string ucum, string shown)
    {
        // A card printed UCUM's machine codes: "> 37.4 Cel", "≤ 111 mm[Hg]".
        Assert.Equal(shown, UcumDisplay.Of(ucum));
    }

    [Fact]
    public void A_unit_of_no_dimension_leaves_the_value_bare()
    {
        Assert.Equal("LOINC 9269-2: > 13, decile 10 of 10", FactLabels.ForEvent("LOINC//9269-2//{score}", 10, 14f, 13f, null));
    }

    [Theory]
    // The record's name for the concept, whatever unit the result came in; a unit that starts with a slash too.
    [InlineData("LOINC//8867-4///min", 10, "Heart rate: > 110 /min, decile 10 of 10")]
    [InlineData("LOINC//8310-5//Cel", 10, "Body temperature: > 110 °C, decile 10 of 10")]
    // Decoding writes ICD codes with their family's separator; the record may not (MIMIC-IV's I509).
    [InlineData("ICD10CM//I50.9", null, "Heart failure, unspecified")]
    [InlineData("ICD10CM//J96.01", null, "Acute respiratory failure with hypoxia")]
    [InlineData("ALLERGY//SNOMED//91936005", null, "Allergy: Penicillin")]
    // No name: the code, as before.
    [InlineData("ICD10CM//I50", null, "ICD-10-CM I50")]
    [InlineData("LOINC//2160-0//mg/dL", 3, "LOINC 2160-0: > 110 mg/dL, decile 3 of 10")]
    public void Labels_take_the_records_names_of_codes(string code, int? bin, string expected)
    {
        var names = new Dictionary<string, string>
        {
            ["LOINC//8867-4"] = "Heart rate",
            ["LOINC//8310-5"] = "Body temperature",
            ["ICD10CM//I50.9"] = "Heart failure, unspecified",
            ["ICD10CM//J9601"] = "Acute respiratory failure with hypoxia",
            ["ALLERGY//SNOMED//91936005"] = "Allergy: Penicillin",
        };

        Assert.Equal(expected, FactLabels.ForEvent(code, bin, null, 110f, null, names));
    }

    [Fact]
    public void A_group_of_long_names_keeps_a_share_of_each_and_says_how_many_more()
    {
        // Review s23 M1: with record names a lab label runs 76-90 characters, and a panel's label was its first lab's,
        // cut, without "+N more": two panels read alike, and a card merges rows by label.
        string[] labels = [.. Enumerable.Range(1, 5).Select(i => $"Lab number {i} with a long record name [Mass/volume] in Serum or Plasma: 1.5–1.8 mg/dL, decile 8 of 10")];

        var label = FactLabels.ForGroup(labels);

        Assert.True(label.Length <= FactLabels.MaxLength, label);
        Assert.EndsWith("; +2 more", label, StringComparison.Ordinal);
        Assert.Contains("Lab number 1", label, StringComparison.Ordinal);
        Assert.Contains("Lab number 3", label, StringComparison.Ordinal);
        Assert.Equal("a; b; c", FactLabels.ForGroup(["a", "b", "c"]));
    }

    [Fact]
    public void The_records_name_of_a_concept_beats_the_models_name_of_its_code_with_a_unit()
    {
        // Review s23 M4: merged into one dictionary, the tokenizer's exact LOINC//8867-4///min beat the record's concept name.
        var names = new CodeNames(
            new Dictionary<string, string> { ["LOINC//8867-4"] = "Pulse rate" },
            new Dictionary<string, string> { ["LOINC//8867-4///min"] = "Heart rate", ["LOINC//9279-1///min"] = "Respiratory rate" });

        Assert.Equal("Pulse rate", names.Of("LOINC//8867-4///min"));
        Assert.Equal("Respiratory rate", names.Of("LOINC//9279-1///min"));
        Assert.Null(names.Of("LOINC//2160-0//mg/dL"));
        Assert.Null(new CodeNames(null, null).Of("LOINC//8867-4"));
    }

    [Theory]
    [InlineData("Creatinine [Mass/volume] in Serum or Plasma", "Creatinine")]
    [InlineData("Platelets [#/volume] in Blood by Automated count", "Platelets")]
    [InlineData("Hemoglobin [Mass/volume] in Blood", "Hemoglobin")]
    [InlineData("Body mass index (BMI) [Ratio]", "Body mass index (BMI)")]
    [InlineData("Heart rate", "Heart rate")]
    [InlineData("Hemoglobin A1c/Hemoglobin.total in Blood", "Hemoglobin A1c/Hemoglobin.total")]
    // Other specimens and methods tell two tests apart, and stay.
    [InlineData("Oxygen saturation in Arterial blood by Pulse oximetry", "Oxygen saturation in Arterial blood by Pulse oximetry")]
    [InlineData("Glucose [Mass/volume] in Urine by Test strip", "Glucose in Urine by Test strip")]
    [InlineData("Leukocytes [#/volume] in Blood by Manual count", "Leukocytes by Manual count")]
    [InlineData("Troponin I.cardiac [Mass/volume] in Serum or Plasma by High sensitivity method", "Troponin I.cardiac by High sensitivity method")]
    // "in" inside a component is not the system.
    [InlineData("Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation", "Cholesterol in LDL by calculation")]
    [InlineData("Protein [Mass/time] in 24 hour Urine", "Protein in 24 hour Urine")]
    // Nothing left: the name stays whole.
    [InlineData("[Mass/volume]", "[Mass/volume]")]
    public void A_LOINC_long_common_name_reads_short_on_a_card(string name, string expected)
    {
        Assert.Equal(expected, LoincNames.Short(name));
    }

    [Fact]
    public void Only_LOINC_names_are_shortened_and_the_label_keeps_the_unit()
    {
        var names = new Dictionary<string, string>
        {
            ["LOINC//2160-0"] = "Creatinine [Mass/volume] in Serum or Plasma",
            ["SNOMED//1"] = "Something [qualifier] in Blood",
        };

        Assert.Equal("Creatinine: 1.51–1.84 mg/dL, decile 8 of 10", FactLabels.ForEvent("LOINC//2160-0//mg/dL", 8, 1.6f, 1.51f, 1.84f, names));
        Assert.Equal("Something [qualifier] in Blood", FactLabels.ForEvent("SNOMED//1", null, null, names));
    }

    [Fact]
    public void A_cut_label_never_splits_a_surrogate_pair()
    {
        var label = FactLabels.ForEvent("X//" + new string('y', FactLabels.MaxLength - 6) + "😀😀😀", null, null);

        Assert.True(label.Length <= FactLabels.MaxLength);
        Assert.False(char.IsHighSurrogate(label[^2]), label);
    }

    [Fact]
    public void Labels_prefer_the_hosts_descriptions_and_stay_short()
    {
        var descriptions = new Dictionary<string, string> { ["LOINC//2524-7//mmol/L"] = "Lactate" };

        Assert.Equal("Lactate: ≈4.25 mmol/L, decile 9 of 10", FactLabels.ForEvent("LOINC//2524-7//mmol/L", 9, 4.25f, descriptions));
        Assert.Equal("a; b; c; +2 more", FactLabels.ForGroup(["a", "b", "c", "d", "e"]));
        Assert.Equal(FactLabels.MaxLength, FactLabels.ForEvent("X//" + new string('y', 200), null, null).Length);
        Assert.Equal("Time passed (1d-2d)", FactLabels.ForTime(["1d-2d"]));
    }
}
