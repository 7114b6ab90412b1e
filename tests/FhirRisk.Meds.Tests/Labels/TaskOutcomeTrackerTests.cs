using FhirRisk.Meds.Tasks;

namespace FhirRisk.Meds.Tests.Labels;

public sealed class TaskOutcomeTrackerTests
{
    private static readonly TaskDefinition s_task = new(
        "test", "test", new PredictionPoint("admission", StayKind.Hospital, StayBoundary.Start),
        new CodeSet("STOP", "OTHER_STOP", "WIN"), new CodeSet("WIN"), TimeSpan.FromDays(5), TimeSpan.FromDays(3), UnresolvedOutcome.Excluded);

    [Fact]
    public void Observe_StopThenLaterEvent_DecidesAtTheStop()
    {
        var tracker = new TaskOutcomeTracker(s_task);

        Assert.Null(tracker.Observe(TimeSpan.FromHours(1), "LAB//x"));
        Assert.Null(tracker.Observe(TimeSpan.FromHours(2), "STOP//HOME"));
        var outcome = tracker.Observe(TimeSpan.FromHours(3), "LAB//x");

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, false, TimeSpan.FromHours(2), "STOP//HOME"), outcome);
    }

    [Fact]
    public void Observe_PositiveAfterStopAtTheSameTime_PositiveWins()
    {
        var tracker = new TaskOutcomeTracker(s_task);
        tracker.Observe(TimeSpan.FromHours(2), "STOP");
        tracker.Observe(TimeSpan.FromHours(2), "WIN");

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.FromHours(2), "WIN"), tracker.Finish());
    }

    [Fact]
    public void Observe_TwoStopsAtOneTime_NamesTheOneListedFirst()
    {
        var tracker = new TaskOutcomeTracker(s_task);
        tracker.Observe(TimeSpan.FromHours(2), "OTHER_STOP");
        tracker.Observe(TimeSpan.FromHours(2), "STOP//X");

        Assert.Equal("STOP//X", tracker.Finish().Code);
    }

    [Fact]
    public void Observe_ReachingPositiveAfterExactly_IsPositive()
    {
        var tracker = new TaskOutcomeTracker(s_task);

        var outcome = tracker.Observe(TimeSpan.FromDays(3), "STOP");

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Duration, true, TimeSpan.FromDays(3)), outcome);
    }

    [Fact]
    public void Observe_StopJustBeforePositiveAfter_IsNegative()
    {
        var tracker = new TaskOutcomeTracker(s_task);
        tracker.Observe(TimeSpan.FromDays(3) - TimeSpan.FromTicks(10), "STOP");

        Assert.Equal(false, tracker.Observe(TimeSpan.FromDays(4), "LAB")!.Label);
    }

    [Fact]
    public void Observe_StopExactlyAtTheLimitCounts_OneMicrosecondLaterDoesNot()
    {
        var noDuration = s_task with { PositiveAfter = null };
        var atLimit = new TaskOutcomeTracker(noDuration);
        var pastLimit = new TaskOutcomeTracker(noDuration);

        atLimit.Observe(TimeSpan.FromDays(5), "WIN");
        var late = pastLimit.Observe(TimeSpan.FromDays(5) + TimeSpan.FromTicks(10), "WIN");

        Assert.Equal(true, atLimit.Finish().Label);
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.TimeLimit, null, TimeSpan.FromDays(5)), late);
    }

    [Theory]
    [InlineData(UnresolvedOutcome.Excluded, null)]
    [InlineData(UnresolvedOutcome.Negative, false)]
    public void Finish_NoStop_CensoredLabelFollowsTheTask(UnresolvedOutcome unresolved, bool? label)
    {
        var tracker = new TaskOutcomeTracker(s_task with { WhenUnresolved = unresolved });
        tracker.Observe(TimeSpan.FromHours(1), "LAB");

        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Censored, label), tracker.Finish());
    }

    [Fact]
    public void CodeSet_MatchesWholeSegmentsOnly()
    {
        var codes = new CodeSet("HOSPITAL_DISCHARGE", "HOSPITAL_DISCHARGE//DIED");

        Assert.True(codes.Contains("HOSPITAL_DISCHARGE"));
        Assert.True(codes.Contains("HOSPITAL_DISCHARGE//HOME"));
        Assert.False(codes.Contains("HOSPITAL_DISCHARGES"));
        Assert.False(codes.Contains("hospital_discharge//HOME"));
        Assert.Equal(1, new CodeSet("MEDS_DEATH", "HOSPITAL_DISCHARGE//DIED").RankOf("HOSPITAL_DISCHARGE//DIED"));
        Assert.Throws<ArgumentException>(() => new CodeSet("HOSPITAL_DISCHARGE//"));
    }

    [Fact]
    public void After_ShrinksTheClockByTheTimeSpent_AndAReachedThresholdIsPositiveAtOnce()
    {
        Assert.Same(s_task, s_task.After(TimeSpan.Zero));
        var day2 = s_task.After(TimeSpan.FromDays(2));
        Assert.Equal((TimeSpan.FromDays(3), TimeSpan.FromDays(1)), (day2.TimeLimit, day2.PositiveAfter!.Value));
        Assert.Null(new TaskOutcomeTracker(day2).Observe(TimeSpan.FromHours(23), "LAB//x"));

        var day4 = s_task.After(TimeSpan.FromDays(4));
        Assert.Equal(TimeSpan.Zero, day4.PositiveAfter);
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Duration, true, TimeSpan.Zero), new TaskOutcomeTracker(day4).Observe(TimeSpan.Zero, "LAB//x"));
        Assert.Equal(TimeSpan.Zero, s_task.After(TimeSpan.FromDays(9)).TimeLimit);
        Assert.Null((s_task with { PositiveAfter = null }).After(TimeSpan.FromDays(1)).PositiveAfter);
        Assert.Throws<ArgumentOutOfRangeException>(() => s_task.After(TimeSpan.FromTicks(-1)));
    }
}
