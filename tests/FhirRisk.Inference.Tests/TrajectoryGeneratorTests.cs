using FhirRisk.Inference.Generation;

namespace FhirRisk.Inference.Tests;

/// <summary>Sampled futures: rollouts on the shared scheduler, ended by stop codes, the horizon or the budget, decoded to events.</summary>
public sealed class TrajectoryGeneratorTests
{
    [Fact]
    public async Task The_same_seed_gives_the_same_trajectories_within_the_budget()
    {
        using var session = TinyModel.Open();
        await using var rollouts = session.CreateRolloutPredictor();
        var generator = new TrajectoryGenerator(session, rollouts);
        var (prompt, origin) = Prompt(session);
        var settings = new TrajectorySettings { Count = 3, MaxNewTokens = 20, Seed = 9 };

        var first = await generator.GenerateAsync(prompt, origin, settings);
        var again = await generator.GenerateAsync(prompt, origin, settings);
        var other = await generator.GenerateAsync(prompt, origin, settings with { Seed = 10 });

        Assert.Equal(3, first.Count);
        Assert.All(first, t => Assert.InRange(t.Tokens, 1, 20));
        Assert.All(first.Where(t => t.End == TrajectoryEnd.MaxTokens), t => Assert.Equal(20, t.Tokens));
        Assert.Equal(first.Select(t => (t.Tokens, t.End, string.Join(";", t.Events))), again.Select(t => (t.Tokens, t.End, string.Join(";", t.Events))));
        Assert.NotEqual(first.Select(t => string.Join(";", t.Events)), other.Select(t => string.Join(";", t.Events)));
        Assert.All(first.SelectMany(t => t.Events), e => Assert.True(e.Time >= origin));
    }

    [Fact]
    public async Task A_stop_code_ends_a_trajectory_at_its_first_match_and_the_horizon_bounds_the_clock()
    {
        using var session = TinyModel.Open();
        await using var rollouts = session.CreateRolloutPredictor();
        var generator = new TrajectoryGenerator(session, rollouts);
        var (prompt, origin) = Prompt(session);

        var stopped = await generator.GenerateAsync(prompt, origin, new TrajectorySettings { Count = 8, MaxNewTokens = 64, StopCodes = ["LAB"] });
        var bounded = await generator.GenerateAsync(prompt, origin, new TrajectorySettings { Count = 8, MaxNewTokens = 64, Horizon = TimeSpan.FromHours(6) });

        var byStop = stopped.Where(t => t.End == TrajectoryEnd.StopCode).ToArray();
        Assert.NotEmpty(byStop);
        Assert.All(byStop, t => Assert.StartsWith("LAB//", t.Events[^1].Code, StringComparison.Ordinal));
        Assert.All(byStop, t => Assert.Single(t.Events, e => e.Code.StartsWith("LAB//", StringComparison.Ordinal)));
        Assert.All(stopped.Where(t => t.End != TrajectoryEnd.StopCode), t => Assert.DoesNotContain(t.Events, e => e.Code.StartsWith("LAB//", StringComparison.Ordinal)));
        Assert.All(bounded.SelectMany(t => t.Events), e => Assert.True(e.Time <= origin.AddHours(6), $"{e.Time:O} is past the horizon"));
        Assert.Contains(bounded, t => t.End == TrajectoryEnd.Horizon);
    }

    [Fact]
    public async Task Invalid_settings_are_refused()
    {
        using var session = TinyModel.Open();
        await using var rollouts = session.CreateRolloutPredictor();
        var generator = new TrajectoryGenerator(session, rollouts);
        var (prompt, origin) = Prompt(session);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => generator.GenerateAsync(prompt, origin, new TrajectorySettings { Count = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => generator.GenerateAsync(prompt, origin, new TrajectorySettings { Temperature = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => generator.GenerateAsync(prompt, origin, new TrajectorySettings { StopCodes = [""] }));
    }

    private static (int[] Prompt, DateTime Origin) Prompt(InferenceSession session)
    {
        var timeline = TinyModel.Encode(6, stays: 1);
        var index = Math.Min(timeline.Count - 1, 8);
        return (session.RolloutPrompt(timeline, index), DateTime.UnixEpoch.AddTicks(timeline.Times[index] * TimeSpan.TicksPerMicrosecond));
    }
}
