using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds.Tasks;

namespace FhirRisk.Inference.Tests;

public sealed class RolloutSchedulerTests
{
    [Fact]
    public void Decoding_with_the_cache_equals_recomputing_without_it_token_for_token()
    {
        // Budgets past the 32-token context make windows jump (re-read) mid-rollout; two requests share the steps.
        using var session = TinyModel.Open();
        var requests = new[] { Requests.For(session, 3, Requests.Fixed(6, maxNewTokens: 60)), Requests.For(session, 8, Requests.Fixed(5, maxNewTokens: 60)) };

        var cached = Requests.Schedule(session, requests, slots: 4);

        var jumped = false;
        for (var i = 0; i < requests.Length; i++)
        {
            var reference = ReferenceRollouts.Run(session.GenerativeParameters, session.Meanings, session.Tokenizer.PrefixLength, requests[i], null, session.Backend);
            Requests.AssertSame(reference, cached[i]);
            jumped |= cached[i].Tokens.Any(t => requests[i].Prompt.Length + t.Length > TinyModel.ContextLength);
        }
        Assert.True(jumped, "no rollout outgrew the context, so no window jump was tested");
    }

    [Fact]
    public void Sampling_other_than_softmax_tracks_no_hazard()
    {
        using var session = TinyModel.Open();
        var settings = Requests.Fixed(3) with { Sampling = new FhirRisk.Model.Cpu.SamplingSettings(TopK: 5) };

        var result = Requests.Schedule(session, [Requests.For(session, 2, settings)], slots: 4)[0];

        Assert.All(result.Tasks, t => Assert.True(double.IsNaN(t.Hazard)));
    }

    [Fact]
    public void Results_do_not_depend_on_how_requests_were_packed()
    {
        using var session = TinyModel.Open();
        var requests = Enumerable.Range(1, 4).Select(id => Requests.For(session, id, Requests.Fixed(8))).ToArray();

        var alone = requests.Select(r => Requests.Schedule(session, [r], slots: 1)[0]).ToArray();
        var together = Requests.Schedule(session, requests, slots: 16);
        var staggered = Requests.Schedule(session, requests, slots: 3, stagger: 5);

        for (var i = 0; i < requests.Length; i++)
        {
            Requests.AssertSame(alone[i], together[i]);
            Requests.AssertSame(alone[i], staggered[i]);
        }
    }

    [Fact]
    public void Asking_for_more_tasks_never_changes_another_tasks_answer()
    {
        using var session = TinyModel.Open();
        var both = Requests.For(session, 5, Requests.Fixed(10), [TaskCatalog.HospitalMortality, TaskCatalog.Readmission30d]);
        var one = Requests.For(session, 5, Requests.Fixed(10), [TaskCatalog.HospitalMortality]);
        var results = Requests.Schedule(session, [both, one], slots: 8);
        Assert.Equal(results[1].Tasks[0], results[0].Tasks[0]);
    }

    [Fact]
    public void With_adaptive_counts_too_each_task_stops_on_its_own_and_its_answer_ignores_the_others()
    {
        // Each task has its own count; a request asking several runs until every one has it, and each answers over its own.
        using var session = TinyModel.Open();
        var settings = Requests.Fixed(4) with { MaxRollouts = 60, TargetHalfWidth = 0.12 };
        string[] tasks = [TaskCatalog.HospitalMortality, TaskCatalog.IcuAdmission, TaskCatalog.ProlongedLos];
        var countsDiffer = false;
        for (var id = 1; id <= 6; id++)
        {
            var all = Requests.For(session, id, settings, tasks);
            var alone = tasks.Select(t => Requests.For(session, id, settings, [t])).ToArray();
            var results = Requests.Schedule(session, [all, .. alone], slots: 16);
            for (var t = 0; t < tasks.Length; t++)
                Assert.Equal(results[1 + t].Tasks[0], results[0].Tasks[t]);
            var counts = results[0].Tasks.Select(e => e.Labelled + e.Excluded + e.Ambiguous).Distinct().Count();
            countsDiffer |= counts > 1;
        }
        Assert.True(countsDiffer, "every task stopped at the same count in every request: the case tests nothing");
    }

    [Fact]
    public void The_pool_stays_under_its_memory_cap_and_the_answers_do_not_change()
    {
        using var session = TinyModel.Open();
        var perSlot = KvCachePool.BytesPerSlot(session.GenerativeParameters.Config);
        var cap = 3 * perSlot + perSlot / 2;
        var requests = Enumerable.Range(1, 3).Select(id => Requests.For(session, id, Requests.Fixed(6))).ToArray();

        using var scheduler = session.CreateScheduler(new RolloutSchedulerOptions(MemoryCapBytes: cap, MaxSlots: 64));
        var tickets = requests.Select(r => scheduler.Enqueue(r)).ToArray();
        scheduler.RunUntilIdle();

        Assert.Equal(3, scheduler.Pool.Slots);
        Assert.True(scheduler.Pool.ReservedBytes <= cap);
        Assert.Equal(3, scheduler.Pool.PeakInUse);
        var unconstrained = Requests.Schedule(session, requests, slots: 32);
        for (var i = 0; i < requests.Length; i++)
            Requests.AssertSame(unconstrained[i], tickets[i].Result!);

        var error = Assert.Throws<InferenceException>(() => session.CreateScheduler(new RolloutSchedulerOptions(MemoryCapBytes: perSlot - 1)));
        Assert.Equal(InferenceErrorCodes.MemoryCap, error.Code);
        Assert.Contains("Hint:", error.Message);
    }

    [Fact]
    public void A_small_request_takes_its_turn_beside_a_large_one_and_both_answer_as_alone()
    {
        // Review s22 rollout L2: every freed slot went to the oldest request, so with one slot a request of two rollouts
        // waited for all sixty of the one before it. Requests now take turns; what each generates does not change.
        using var session = TinyModel.Open();
        var (large, small) = (Requests.For(session, 3, Requests.Fixed(60)), Requests.For(session, 8, Requests.Fixed(2)));
        using var scheduler = session.CreateScheduler(new RolloutSchedulerOptions(MaxSlots: 1));
        var first = scheduler.Enqueue(large);
        var second = scheduler.Enqueue(small);
        var (smallDone, largeDone) = (-1, -1);
        for (var step = 1; scheduler.Step(); step++)
        {
            if (second.Result is not null && smallDone < 0)
                smallDone = step;
            if (first.Result is not null && largeDone < 0)
                largeDone = step;
        }

        Assert.True(smallDone > 0 && largeDone > 0);
        Assert.True(smallDone < largeDone / 4, $"the small request finished at step {smallDone}, the large at {largeDone}");
        using var alone = session.CreateScheduler(new RolloutSchedulerOptions(MaxSlots: 1));
        var again = alone.Enqueue(small);
        alone.RunUntilIdle();
        Assert.Equal(again.Result!.Tasks.Select(t => t.Answer), second.Result!.Tasks.Select(t => t.Answer));
    }

    [Fact]
    public void Counters_report_steps_rows_finished_rollouts_and_slots_in_use()
    {
        using var session = TinyModel.Open();
        var requests = Enumerable.Range(1, 2).Select(id => Requests.For(session, id, Requests.Fixed(5))).ToArray();
        using var scheduler = session.CreateScheduler(new RolloutSchedulerOptions(MaxSlots: 4));
        var tickets = requests.Select(r => scheduler.Enqueue(r)).ToArray();

        Assert.True(scheduler.Step());
        Assert.Equal(4, scheduler.Counters.SlotsInUse);
        scheduler.RunUntilIdle();

        var counters = scheduler.Counters;
        Assert.Equal(tickets.Sum(t => t.Result!.Rollouts), counters.RolloutsFinished);
        Assert.Equal(0, counters.SlotsInUse);
        Assert.Equal(scheduler.Steps, counters.Steps);
        Assert.InRange(counters.RowsFed, counters.Steps, counters.Steps * scheduler.Pool.RowsPerStep);
    }

    [Fact]
    public void Reading_windows_in_one_pass_takes_fewer_steps_and_changes_no_token()
    {
        // Rollouts that outgrow the tiny model's 32-token context, so windows jump and are re-read, from prompts of
        // three requests staggered over the first steps. One token per slot and step (rows = slots) against the
        // default ragged steps: the same rows are fed and the same tokens come out, in fewer steps (here 47 against 63:
        // the tiny model's windows are short; `bench rollout` measures the demo model's).
        using var session = TinyModel.Open();
        var requests = new[] { 3, 8, 5 }.Select(id => Requests.For(session, id, Requests.Fixed(6, maxNewTokens: 60))).ToArray();

        var (oneByOne, slow) = Requests.Schedule(session, requests, new RolloutSchedulerOptions(MaxSlots: 8, MaxRowsPerStep: 8), stagger: 3);
        var (together, fast) = Requests.Schedule(session, requests, new RolloutSchedulerOptions(MaxSlots: 8), stagger: 3);

        for (var i = 0; i < requests.Length; i++)
            Requests.AssertSame(oneByOne[i], together[i]);
        Assert.Contains(requests.Zip(together), p => p.Second.Tokens.Any(t => p.First.Prompt.Length + t.Length > TinyModel.ContextLength));
        Assert.Equal(slow.RowsFed, fast.RowsFed);
        Assert.True(fast.Steps < slow.Steps, $"{fast.Steps} ragged steps against {slow.Steps} one-token steps");
    }

    [Fact]
    public void The_row_budget_is_what_the_cap_leaves_after_the_slots()
    {
        using var session = TinyModel.Open();
        var config = session.GenerativeParameters.Config;
        var (perSlot, perRow) = (KvCachePool.BytesPerSlot(config), KvCachePool.BytesPerRow(config));

        using var roomy = session.CreateScheduler(new RolloutSchedulerOptions(MaxSlots: 4, MaxRowsPerStep: 100));
        using var tight = session.CreateScheduler(new RolloutSchedulerOptions(MemoryCapBytes: 4 * perSlot + 10 * perRow, MaxSlots: 4, MaxRowsPerStep: 100));
        using var none = session.CreateScheduler(new RolloutSchedulerOptions(MemoryCapBytes: 4 * perSlot, MaxSlots: 4, MaxRowsPerStep: 100));

        Assert.Equal(100, roomy.Pool.RowsPerStep);
        Assert.Equal(14, tight.Pool.RowsPerStep);
        Assert.True(tight.Pool.ReservedBytes <= 4 * perSlot + 10 * perRow);
        Assert.Equal(4, none.Pool.RowsPerStep); // one row per slot: windows are read a token per step
    }

    [Fact]
    public void Sequential_adaptive_rollouts_stop_at_the_first_count_whose_intervals_are_narrow_enough()
    {
        using var session = TinyModel.Open();
        string[] tasks = [TaskCatalog.Readmission30d];
        RolloutSettings Adaptive(double target) => new()
        {
            MinRollouts = 10, MaxRollouts = 60, TargetHalfWidth = target, MaxNewTokens = 48, KeepTokens = true, Estimator = RolloutEstimator.Count,
            PilotRollouts = 0,
        };
        var loose = Requests.For(session, 2, Adaptive(0.5), tasks);
        var tight = Requests.For(session, 2, Adaptive(0.0), tasks);
        var middle = Requests.For(session, 2, Adaptive(0.14), tasks);

        var results = Requests.Schedule(session, [loose, tight, middle], slots: 8);

        Assert.Equal(10, results[0].Rollouts);
        Assert.Equal(60, results[1].Rollouts);
        var n = results[2].Rollouts;
        Assert.InRange(n, 11, 59);
        Assert.True(results[2].Tasks[0].Interval.HalfWidth <= 0.14);
        // One rollout fewer was not yet narrow enough; and the first n rollouts are the fixed run's first n.
        var labels = results[2].Outcomes.Select(o => o[0]!.Label!.Value).ToArray();
        Assert.True(WilsonInterval.Of(labels[..^1].Count(l => l), n - 1).HalfWidth > 0.14);
        Assert.Equal(results[1].Tokens.Take(n), results[2].Tokens);
    }

    [Fact]
    public void Sequential_adaptive_rollouts_answered_by_their_hazards_stop_when_the_hazard_interval_is_narrow_enough()
    {
        using var session = TinyModel.Open();
        string[] tasks = [TaskCatalog.Readmission30d];
        RolloutSettings Adaptive(double target) => new()
        {
            MinRollouts = 10, MaxRollouts = 60, TargetHalfWidth = target, MaxNewTokens = 48, KeepTokens = true, PilotRollouts = 0,
        };
        var tight = Requests.For(session, 2, Adaptive(0.0), tasks);
        var middle = Requests.For(session, 2, Adaptive(0.14), tasks);

        var results = Requests.Schedule(session, [tight, middle], slots: 8);

        var estimate = results[1].Tasks[0];
        var n = results[1].Rollouts;
        Assert.Equal(RolloutEstimator.Hazard, estimate.Estimator);
        Assert.InRange(n, 11, 59);
        Assert.Equal(estimate.Hazard, estimate.Answer);
        Assert.Equal(estimate.HazardInterval, estimate.AnswerInterval);
        Assert.True(estimate.HazardInterval.HalfWidth <= 0.14);
        // The same interval from the result's per-rollout hazards; one rollout fewer was not yet narrow enough.
        var hazards = results[1].Hazards.Select(h => h![0]).ToArray();
        var labels = results[1].Outcomes.Select(o => o[0]?.Label).ToArray();
        Assert.Equal((estimate.Hazard, estimate.HazardInterval), HazardEstimate.Of(hazards, [.. labels.Select(l => l is not null)]));
        Assert.True(HazardEstimate.Of(hazards[..^1], [.. labels[..^1].Select(l => l is not null)]).Interval.HalfWidth > 0.14);
        Assert.Equal(results[0].Tokens.Take(n), results[1].Tokens);
    }

    [Fact]
    public void Adaptive_rollouts_after_a_pilot_answer_with_the_rollouts_after_it()
    {
        // The default rule: rollouts 0 … 9 decide the count n from their spread, rollouts 10 … 10 + n − 1 answer. A fixed
        // run of 70 draws the same streams, so its rollouts 10 … are the answer's and its first ten are the pilot.
        using var session = TinyModel.Open();
        string[] tasks = [TaskCatalog.Readmission30d];
        var adaptive = new RolloutSettings { MinRollouts = 10, MaxRollouts = 60, TargetHalfWidth = 0.14, MaxNewTokens = 48, KeepTokens = true };
        var fixedRun = Requests.For(session, 2, Requests.Fixed(70) with { KeepTokens = true }, tasks);
        var request = Requests.For(session, 2, adaptive, tasks);

        var results = Requests.Schedule(session, [fixedRun, request], slots: 8);

        var (all, answer) = (results[0], results[1]);
        var n = answer.Rollouts;
        Assert.InRange(n, 10, 60);
        Assert.Equal(all.Tokens.Skip(10).Take(n), answer.Tokens);
        var hazards = all.Hazards.Select(h => h![0]).ToArray();
        var labelled = all.Outcomes.Select(o => o[0]?.Label is not null).ToArray();
        // The count is the pilot's: the least n whose projected interval (the pilot's estimate at its effective size
        // scaled by n / 10) is narrow enough.
        Assert.Contains(true, labelled[..10]);
        var (pilotRisk, size) = HazardEstimate.Sized(hazards[..10], labelled[..10]);
        var planned = Enumerable.Range(10, 51).First(k => k == 60 || WilsonInterval.OfProportion(pilotRisk, size * k / 10).HalfWidth <= 0.14);
        Assert.Equal(planned, n);
        // The answer is over the rollouts after the pilot only.
        var estimate = answer.Tasks[0];
        Assert.Equal(RolloutEstimator.Hazard, estimate.Estimator);
        Assert.Equal((estimate.Hazard, estimate.HazardInterval), HazardEstimate.Of(hazards[10..(10 + n)], labelled[10..(10 + n)]));
        Assert.Equal(all.Tokens.Take(10 + n).Sum(t => (long)t.Length), answer.GeneratedTokens); // the pilot's tokens are part of the cost
        Assert.Equal((10, 10 + n), (answer.Pilot, answer.RolloutsRun));
    }

    [Fact]
    public void Adaptive_rollouts_after_a_pilot_do_not_depend_on_how_they_were_packed()
    {
        // One slot runs the rollouts one by one in index order; twelve run many at once, so later rollouts finish before
        // earlier ones and rollouts may be started past the count the pilot then decides (and dropped). The answers agree.
        using var session = TinyModel.Open();
        string[] tasks = [TaskCatalog.Readmission30d, TaskCatalog.HospitalMortality];
        var adaptive = new RolloutSettings { MinRollouts = 10, MaxRollouts = 60, TargetHalfWidth = 0.14, MaxNewTokens = 48, KeepTokens = true };
        RolloutRequest[] Three() => [.. Enumerable.Range(0, 3).Select(i => Requests.For(session, 5 + i, adaptive, tasks))];

        var alone = Requests.Schedule(session, Three(), slots: 1);
        var packed = Requests.Schedule(session, Three(), slots: 12);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(alone[i].Rollouts, packed[i].Rollouts);
            Assert.Equal(alone[i].Tokens, packed[i].Tokens);
            Assert.Equal(alone[i].Tasks, packed[i].Tasks);
            Assert.Equal(alone[i].GeneratedTokens, packed[i].GeneratedTokens);
        }
    }

    [Fact]
    public void Time_limits_stop_rollouts_at_the_interval_that_crosses_them()
    {
        using var session = TinyModel.Open();
        var result = Requests.Schedule(session, [Requests.For(session, 4, Requests.Fixed(30, maxNewTokens: 200), [TaskCatalog.Readmission30d])], slots: 8)[0];
        var limit = TimeSpan.FromDays(30);
        var timeLimited = 0;
        for (var r = 0; r < result.Rollouts; r++)
        {
            var outcome = result.Outcomes[r][0]!;
            var tokens = result.Tokens[r];
            if (outcome.Kind != TaskOutcomeKind.TimeLimit)
                continue;
            timeLimited++;
            Assert.Equal(false, outcome.Label);
            Assert.Equal(TokenRole.Interval, session.Meanings.RoleOf(tokens[^1]));
            Assert.True(Elapsed(session, tokens) > limit);
            Assert.True(Elapsed(session, tokens[..^1]) <= limit);
        }
        Assert.True(timeLimited > 0, "no rollout reached the 30-day limit");
    }

    [Fact]
    public void Rollouts_that_spend_their_budget_unsettled_are_counted_as_ambiguous_not_as_answers()
    {
        using var session = TinyModel.Open();
        var result = Requests.Schedule(session, [Requests.For(session, 6, Requests.Fixed(20, maxNewTokens: 2), [TaskCatalog.HospitalMortality])], slots: 8)[0];
        var estimate = result.Tasks[0];
        Assert.True(estimate.Ambiguous > 0);
        Assert.Equal(20, estimate.Labelled + estimate.Excluded + estimate.Ambiguous);
        Assert.Equal(result.Outcomes.Count(o => o[0] is null), estimate.Ambiguous);
        Assert.All(result.Tokens, t => Assert.InRange(t.Length, 1, 2));
    }

    private static TimeSpan Elapsed(InferenceSession session, int[] tokens) =>
        TimeSpan.FromTicks(tokens.Sum(t => session.Meanings.MicrosOf(t)) * 10);
}
