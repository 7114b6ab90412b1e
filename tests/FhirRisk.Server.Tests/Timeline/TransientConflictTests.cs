using System.Data.Common;
using FhirRisk.Server.Timeline;

namespace FhirRisk.Server.Tests.Timeline;

/// <summary>The store's write order and its retry of transactions aborted for a conflict (ops review s11 #2), at a
/// level that needs no PostgreSQL server; <see cref="TimelineStoreContract"/> runs the concurrent writers on both.</summary>
public sealed class TransientConflictTests
{
    [Fact]
    public void Every_transaction_writes_its_resources_in_one_key_order_keeping_repeats_in_request_order()
    {
        TimelineResource[] resources =
        [
            TimelineStoreContract.Observation("o2", "p1", 1), TimelineStoreContract.Patient("p1"), TimelineStoreContract.Observation("o10", "p1", 2),
            TimelineStoreContract.Observation("o2", "p1", 3), TimelineStoreContract.Unlinked("Medication", "m1", """{"status":"active"}"""),
        ];

        var order = SqlTimelineStore.WriteOrder(resources);

        Assert.Equal([4, 2, 0, 3, 1], order); // Medication/m1, Observation/o10, o2 (first), o2 (second), Patient/p1
        TimelineResource[] reversed = [.. resources.Reverse()];
        Assert.Equal(order.Select(i => Key(resources[i])), SqlTimelineStore.WriteOrder(reversed).Select(i => Key(reversed[i])));

        static string Key(TimelineResource r) => $"{r.ResourceType}/{r.Id}";
    }

    [Theory]
    [InlineData("40P01")]
    [InlineData("40001")]
    public async Task A_deadlock_victim_or_serialization_failure_is_run_again_a_bounded_number_of_times(string sqlState)
    {
        var attempts = 0;

        var result = await TransientConflict.RunAsync(_ => ++attempts < 3 ? throw new FakeDbException(sqlState) : Task.FromResult("done"), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));
        var persistent = 0;
        var failure = await Assert.ThrowsAsync<FakeDbException>(() =>
            TransientConflict.RunAsync<string>(_ => { persistent++; throw new FakeDbException(sqlState); }, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(("done", 3), (result, attempts));
        Assert.Equal(TransientConflict.MaxAttempts, persistent);
        Assert.Equal(sqlState, failure.SqlState);
    }

    [Fact]
    public async Task Other_database_errors_are_not_retried()
    {
        var attempts = 0;

        await Assert.ThrowsAsync<FakeDbException>(() =>
            TransientConflict.RunAsync<int>(_ => { attempts++; throw new FakeDbException("53100"); }, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(1, attempts); // disk full (53100) is not a conflict: answered at once
    }

    private sealed class FakeDbException(string sqlState) : DbException("conflict")
    {
        public override string SqlState { get; } = sqlState;
    }
}
