using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Http;
using FhirRisk.Server.Tests.Infrastructure;

namespace FhirRisk.Server.Tests.Operations;

/// <summary>The bounds on work in flight (security review s12 #9): <see cref="WorkLimiter"/> (places, queue timeout,
/// throttled warning) and <see cref="BytesInFlight"/> with its per-call accounts.</summary>
public sealed class WorkLimitTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_full_limiter_refuses_after_its_queue_timeout_and_a_freed_place_is_taken_again()
    {
        var logs = new CapturingLoggerProvider();
        using var limiter = new WorkLimiter("test calls", "Test:Max", 2, TimeSpan.Zero, new ManualTimeProvider(Start), logs.CreateLogger("t"));

        var first = await limiter.TryEnterAsync(CancellationToken.None);
        var second = await limiter.TryEnterAsync(CancellationToken.None);
        var third = await limiter.TryEnterAsync(CancellationToken.None);

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(third);
        Assert.Equal((2, 2L, 1L), (limiter.InFlight, limiter.Admitted, limiter.Rejected));
        first!.Dispose();
        first.Dispose(); // once only: a second dispose must not free another caller's place
        Assert.Equal(1, limiter.InFlight);
        using var fourth = await limiter.TryEnterAsync(CancellationToken.None);
        Assert.NotNull(fourth);
        Assert.Null(await limiter.TryEnterAsync(CancellationToken.None));
        second!.Dispose();
        Assert.Equal("1", limiter.RetryAfterSeconds); // at least a second, even with no queue
        Assert.Contains("Test:Max", limiter.RefusalMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_waiting_request_gets_the_place_freed_within_its_queue_timeout()
    {
        using var limiter = new WorkLimiter("test calls", "Test:Max", 1, TimeSpan.FromSeconds(30), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var held = await limiter.TryEnterAsync(CancellationToken.None);

        var waiting = limiter.TryEnterAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        held!.Dispose();

        using var place = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(place);
        Assert.Equal(0, limiter.Rejected);
        Assert.Equal("30", limiter.RetryAfterSeconds);
    }

    [Fact]
    public async Task Refusals_are_logged_once_a_minute_with_their_count()
    {
        var logs = new CapturingLoggerProvider();
        var clock = new ManualTimeProvider(Start);
        using var limiter = new WorkLimiter("test calls", "Test:Max", 1, TimeSpan.Zero, clock, logs.CreateLogger("t"));
        using var held = await limiter.TryEnterAsync(CancellationToken.None);

        for (var i = 0; i < 5; i++)
            Assert.Null(await limiter.TryEnterAsync(CancellationToken.None));
        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Null(await limiter.TryEnterAsync(CancellationToken.None));

        var lines = logs.Entries.Where(e => e.EventId == 504).ToList();
        Assert.Equal(2, lines.Count);
        Assert.StartsWith("Refused 1 request(s)", lines[0].Message, StringComparison.Ordinal);
        Assert.StartsWith("Refused 5 request(s)", lines[1].Message, StringComparison.Ordinal); // the 4 held back and the new one
        Assert.Equal(6, limiter.Rejected);
    }

    [Fact]
    public void Calls_share_the_budget_and_give_their_bytes_back_when_they_end()
    {
        var logs = new CapturingLoggerProvider();
        var budget = new BytesInFlight(1000, new ManualTimeProvider(Start), logs.CreateLogger("t"));

        var first = budget.OpenCall(maxFetchedBytes: 10_000);
        first.TakeBody(600);
        Assert.True(first.TryTakeFetched(300));
        using (var second = budget.OpenCall(maxFetchedBytes: 10_000))
        {
            second.TakeBody(100);
            var refused = Assert.Throws<CallBytesExhaustedException>(() => second.TakeBody(1));
            Assert.Contains("CdsHooks:MaxBytesInFlight", refused.Message, StringComparison.Ordinal);
            Assert.Throws<CallBytesExhaustedException>(() => second.TryTakeFetched(1));
            Assert.Equal(100, second.Held); // nothing counted for the refused bytes
        }
        Assert.Equal(900, budget.InUse);
        Assert.Equal(1, budget.Refused); // one call refused, however many of its keys asked
        using (var third = budget.OpenCall(maxFetchedBytes: 10_000))
            Assert.Throws<CallBytesExhaustedException>(() => third.TakeBody(101));
        first.Dispose();
        first.Dispose();
        Assert.Equal(0, budget.InUse);
        Assert.Equal(2, budget.Refused);
        Assert.Single(logs.Entries, e => e.EventId == 505); // both calls' refusals within the minute: one line
    }

    [Fact]
    public void Bodies_arriving_together_each_counted_as_they_come_can_all_be_refused_and_declared_ones_cannot()
    {
        var budget = new BytesInFlight(1000, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        // Two 600-byte bodies whose pieces arrive in turn, counted as they come: each holds 500 when the next piece of
        // either would pass the budget, so both are refused, and neither is answered.
        using (var a = budget.OpenCall(0))
        using (var b = budget.OpenCall(0))
        {
            a.TakeBody(500);
            b.TakeBody(500);
            Assert.Throws<CallBytesExhaustedException>(() => a.TakeBody(100));
            Assert.Throws<CallBytesExhaustedException>(() => b.TakeBody(100));
        }
        Assert.Equal(0, budget.InUse);

        // Declared, each is taken whole before any piece is read: the first is read to its end, the second refused at once.
        using (var a = budget.OpenCall(0))
        using (var b = budget.OpenCall(0))
        {
            a.ReserveBody(600);
            Assert.Throws<CallBytesExhaustedException>(() => b.ReserveBody(600));
            for (var piece = 0; piece < 6; piece++)
                a.TakeBody(100);
            Assert.Equal(600, a.Held);
            Assert.Equal(600, budget.InUse);
            // Bytes beyond the declared length (the server ends such a body as HTTP anyway) are taken from the budget.
            a.TakeBody(300);
            Assert.Throws<CallBytesExhaustedException>(() => a.TakeBody(200));
            Assert.Equal(900, a.Held);
        }
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public void A_call_s_fetched_bytes_stop_at_its_own_cap_and_a_body_not_kept_is_given_back()
    {
        var budget = new BytesInFlight(1_000_000, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        using var call = budget.OpenCall(maxFetchedBytes: 1000);
        call.TakeBody(5000); // the body does not count against the fetch cap

        Assert.True(call.TryTakeFetched(700));
        Assert.False(call.TryTakeFetched(301));
        Assert.True(call.TryTakeFetched(300));
        Assert.False(call.TryTakeFetched(1));
        call.ReturnFetched(700); // a key that failed: its body is not kept
        Assert.True(call.TryTakeFetched(700));
        Assert.Equal(6000, call.Held);
        Assert.Equal(6000, budget.InUse);
    }

    [Fact]
    public void After_its_call_ends_an_account_takes_and_gives_back_nothing()
    {
        var budget = new BytesInFlight(1_000_000, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var call = budget.OpenCall(maxFetchedBytes: 10_000);
        Assert.True(call.TryTakeFetched(400));
        call.Dispose();

        // A fetch still running when its call ended: its late page is not counted, its late give-back not doubled.
        Assert.Throws<ObjectDisposedException>(() => call.TryTakeFetched(100));
        call.ReturnFetched(400);
        Assert.Equal(0, budget.InUse);
        Assert.Equal(0, call.Held);
    }

    [Fact]
    public void The_default_budget_follows_the_memory_limit_and_never_falls_below_one_body()
    {
        var options = new CdsHooksOptions();
        Assert.Equal(0, options.MaxBytesInFlight); // the default: from the memory limit

        Assert.Equal((768L << 20) / 20, options.EffectiveBytesInFlight(768L << 20)); // a 1 GiB container: .NET's heap limit is 75 %
        Assert.Equal(options.MaxBodyBytes, options.EffectiveBytesInFlight(256L << 20)); // too little for two: one at a time
        Assert.Equal((4L << 30) / CdsHooksOptions.PeakBytesPerRawByte, options.EffectiveBytesInFlight(0)); // not known
        Assert.True(options.AutoBytesInFlight >= options.MaxBodyBytes);
        options.MaxBytesInFlight = 100L << 20;
        Assert.Equal(100L << 20, options.EffectiveBytesInFlight(768L << 20)); // a set value stands
    }

    [Fact]
    public void Bytes_taken_from_many_threads_never_pass_the_budget()
    {
        var budget = new BytesInFlight(100_000, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var calls = Enumerable.Range(0, 8).Select(_ => budget.OpenCall(long.MaxValue)).ToList();
        long taken = 0;
        Parallel.ForEach(calls, call =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                try
                {
                    call.TakeBody(7);
                    Interlocked.Add(ref taken, 7);
                }
                catch (CallBytesExhaustedException)
                {
                }
            }
        });
        Assert.True(budget.InUse <= budget.Capacity);
        Assert.Equal(taken, budget.InUse);
        Assert.Equal(taken, calls.Sum(c => c.Held));
        calls.ForEach(c => c.Dispose());
        Assert.Equal(0, budget.InUse);
    }
}
