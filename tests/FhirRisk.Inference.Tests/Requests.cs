using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds.Tasks;

namespace FhirRisk.Inference.Tests;

/// <summary>Rollout requests over the tiny model's subjects, and helpers to compare results exactly.</summary>
internal static class Requests
{
    public static readonly string[] StayTasks = [TaskCatalog.HospitalMortality, TaskCatalog.IcuAdmission, TaskCatalog.ProlongedLos, TaskCatalog.Readmission30d];

    public static RolloutSettings Fixed(int rollouts, int maxNewTokens = 48) => new()
    {
        MinRollouts = rollouts,
        MaxRollouts = rollouts,
        MaxNewTokens = maxNewTokens,
        KeepTokens = true,
    };

    /// <summary>The prompt at the first admission-time token (or the whole history) of generator subject <paramref name="id"/>.</summary>
    public static RolloutRequest For(InferenceSession session, long id, RolloutSettings settings, string[]? tasks = null)
    {
        var timeline = TinyModel.Encode(id, stays: 2);
        var index = Math.Min(timeline.Count - 1, 4 + (int)(id % 7));
        // With the labels' edge rules on (asked at the point), so the cache = recomputation and packing tests cover them.
        var asked = (tasks ?? StayTasks).Select(session.Task).ToArray();
        return new RolloutRequest(session.RolloutPrompt(timeline, index), asked, settings) { Starts = [.. asked.Select(_ => QuestionStart.AtPoint)] };
    }

    /// <summary>Asserts two results are the same rollouts: tokens, outcomes and estimates.</summary>
    public static void AssertSame(RolloutResult expected, RolloutResult actual)
    {
        Assert.Equal(expected.Rollouts, actual.Rollouts);
        Assert.Equal(expected.GeneratedTokens, actual.GeneratedTokens);
        Assert.Equal(expected.Tokens.Count, actual.Tokens.Count);
        for (var r = 0; r < expected.Tokens.Count; r++)
            Assert.Equal(expected.Tokens[r], actual.Tokens[r]);
        for (var r = 0; r < expected.Outcomes.Count; r++)
            Assert.Equal(expected.Outcomes[r], actual.Outcomes[r]);
        Assert.Equal(expected.Tasks, actual.Tasks);
    }

    /// <summary>Runs requests through one scheduler with the given slots, optionally enqueuing request i after i·<paramref name="stagger"/> steps.</summary>
    public static RolloutResult[] Schedule(InferenceSession session, IReadOnlyList<RolloutRequest> requests, int slots, int stagger = 0) =>
        Schedule(session, requests, new RolloutSchedulerOptions(MaxSlots: slots), stagger).Results;

    /// <summary>Runs requests through one scheduler with the given options; also returns its counters.</summary>
    public static (RolloutResult[] Results, RolloutSchedulerCounters Counters) Schedule(
        InferenceSession session, IReadOnlyList<RolloutRequest> requests, RolloutSchedulerOptions options, int stagger = 0)
    {
        var slots = options.MaxSlots;
        using var scheduler = session.CreateScheduler(options);
        var tickets = new RolloutTicket?[requests.Count];
        var step = 0;
        while (tickets.Any(t => t is null) || scheduler.HasWork)
        {
            for (var i = 0; i < requests.Count; i++)
            {
                if (tickets[i] is null && step >= i * stagger)
                    tickets[i] = scheduler.Enqueue(requests[i]);
            }
            scheduler.Step();
            step++;
        }
        Assert.True(scheduler.Pool.PeakInUse <= slots);
        return ([.. tickets.Select(t => t!.Result!)], scheduler.Counters);
    }
}
