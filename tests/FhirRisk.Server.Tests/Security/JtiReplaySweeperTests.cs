using System.Collections.Concurrent;
using FhirRisk.Server.Security;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Timeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FhirRisk.Server.Tests.Security;

/// <summary>The sweeper's loop (the sweep itself: <see cref="TimelineJtiReplayGuardTests"/>).</summary>
public sealed class JtiReplaySweeperTests
{
    // Security review s13 L12: an exception the sweep does not expect ended the loop unseen, and nothing was swept again
    // until a restart.
    [Fact]
    public async Task A_sweep_that_throws_unexpectedly_is_logged_and_the_loop_sweeps_again()
    {
        var store = new ThrowingStore();
        var state = new TimelineStoreState(store, Microsoft.Extensions.Options.Options.Create(new TimelineStoreOptions()),
            new TimelineStoreFailureLog(NullLogger<TimelineStoreFailureLog>.Instance, TimeProvider.System));
        state.MarkMigrated();
        var time = new ShortTimers();
        using var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        using var sweeper = new JtiReplaySweeper(new TimelineJtiReplayGuard(state, time, 10, 1, NullLogger.Instance), time,
            loggers.CreateLogger<JtiReplaySweeper>());

        await sweeper.StartAsync(CancellationToken.None);
        try
        {
            await store.ThirdSweep.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await sweeper.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        }

        var failures = logs.Entries.Where(e => e.EventId == 322).ToList();
        Assert.True(failures.Count >= 2, $"each failed sweep should log event 322; logged {failures.Count}");
        Assert.All(failures, f => Assert.Equal(LogLevel.Warning, f.Level));
        Assert.Contains("(sqlite: NotSupportedException)", failures[0].Message, StringComparison.Ordinal);
        Assert.Empty(logs.Errors);
    }

    /// <summary>A store whose sweep throws what no store's sweep is expected to: not a store or database failure.</summary>
    private sealed class ThrowingStore : EmptyTimelineStore
    {
        private int _sweeps;

        public TaskCompletionSource ThirdSweep { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Task<IReadOnlyList<TimelineWriteResult>> WriteAsync(IReadOnlyList<TimelineResource> resources, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public override Task<int> RemoveExpiredClientTokensAsync(int maxRows, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _sweeps) == 3)
                ThirdSweep.TrySetResult();
            throw new NotSupportedException("a bug");
        }
    }

    /// <summary>The system clock, whose timers fire after at most 10 ms: the sweeper's minute between sweeps passes at
    /// once.</summary>
    private sealed class ShortTimers : TimeProvider
    {
        private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(10);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            base.CreateTimer(callback, state, dueTime > Short ? Short : dueTime, period > Short ? Short : period);
    }
}
