using FhirRisk.Server.Security;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Timeline;
using FhirRisk.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FhirRisk.Server.Tests.Security;

/// <summary>The replay guard over the timeline store (SQLite here; the store's side runs on both backends in
/// <c>TimelineStoreContract</c>): per-issuer shares counted in memory, long jtis bounded, the sweep.</summary>
public sealed class TimelineJtiReplayGuardTests : IAsyncLifetime, IDisposable
{
    private const string IssuerA = "https://ehr-a.example.org";
    private const string IssuerB = "https://ehr-b.example.org";
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly TempDirectory _folder = new("fhirrisk-replay");
    private readonly ManualTimeProvider _time = new(Now);
    private readonly SqliteTimelineStore _sqlite;
    private readonly TimelineStoreState _state;

    public TimelineJtiReplayGuardTests()
    {
        _sqlite = new SqliteTimelineStore(_folder.File("timeline.db"), busyTimeoutSeconds: 30, _time);
        _state = new TimelineStoreState(_sqlite, Microsoft.Extensions.Options.Options.Create(new TimelineStoreOptions()),
            new TimelineStoreFailureLog(NullLogger<TimelineStoreFailureLog>.Instance, _time));
    }

    public async Task InitializeAsync()
    {
        await _sqlite.MigrateAsync();
        _state.MarkMigrated();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_jti_is_added_once_and_another_issuers_same_jti_is_its_own()
    {
        var guard = Guard(capacity: 100, issuers: 2);
        var expires = Now + TimeSpan.FromMinutes(6);

        Assert.Equal(ReplayCheck.Added, await guard.TryAddAsync(IssuerA, "nonce-1", expires, None));
        Assert.Equal(ReplayCheck.Replayed, await guard.TryAddAsync(IssuerA, "nonce-1", expires, None));
        Assert.Equal(ReplayCheck.Added, await guard.TryAddAsync(IssuerB, "nonce-1", expires, None));
        // Another replica (another guard) over the same store refuses it too.
        Assert.Equal(ReplayCheck.Replayed, await Guard(capacity: 100, issuers: 2).TryAddAsync(IssuerA, "nonce-1", expires, None));
    }

    [Fact]
    public async Task An_issuers_share_is_counted_per_replica_and_a_replay_or_an_outage_takes_none_of_it()
    {
        var guard = Guard(capacity: 4, issuers: 2); // two rows per issuer
        Assert.Equal(2, guard.QuotaPerIssuer);
        var soon = Now + TimeSpan.FromMinutes(2);

        Assert.Equal(ReplayCheck.Added, await guard.TryAddAsync(IssuerA, "a1", soon, None));
        for (var i = 0; i < 5; i++) // replays of a captured token do not use up the issuer's share
            Assert.Equal(ReplayCheck.Replayed, await guard.TryAddAsync(IssuerA, "a1", soon, None));
        var notReady = new TimelineStoreState(_sqlite, Microsoft.Extensions.Options.Options.Create(new TimelineStoreOptions()),
            new TimelineStoreFailureLog(NullLogger<TimelineStoreFailureLog>.Instance, _time));
        var outage = new TimelineJtiReplayGuard(notReady, _time, 4, 2, NullLogger.Instance);
        Assert.Equal(ReplayCheck.Unavailable, await outage.TryAddAsync(IssuerA, "a9", soon, None));
        Assert.Equal(ReplayCheck.Unavailable, await outage.TryAddAsync(IssuerA, "a10", soon, None));
        Assert.Equal(ReplayCheck.Unavailable, await outage.TryAddAsync(IssuerA, "a11", soon, None)); // not IssuerFull
        Assert.Equal(ReplayCheck.Added, await guard.TryAddAsync(IssuerA, "a2", Now + TimeSpan.FromMinutes(10), None));
        Assert.Equal(ReplayCheck.IssuerFull, await guard.TryAddAsync(IssuerA, "a3", soon, None));
        Assert.Equal(ReplayCheck.Added, await guard.TryAddAsync(IssuerB, "b1", soon, None));

        _time.Advance(TimeSpan.FromMinutes(3)); // a1's row has expired: a place is free again
        Assert.Equal(ReplayCheck.Added, await guard.TryAddAsync(IssuerA, "a3", Now + TimeSpan.FromMinutes(8), None));
        Assert.Equal(ReplayCheck.IssuerFull, await guard.TryAddAsync(IssuerA, "a4", Now + TimeSpan.FromMinutes(8), None));
    }

    [Fact]
    public async Task Concurrent_calls_never_take_more_than_the_share()
    {
        var guard = Guard(capacity: 5, issuers: 1);

        var checks = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Task.Run(async () => await guard.TryAddAsync(IssuerA, $"n{i}", Now + TimeSpan.FromMinutes(5), None))));

        Assert.Equal(5, checks.Count(c => c == ReplayCheck.Added));
        Assert.Equal(15, checks.Count(c => c == ReplayCheck.IssuerFull));
    }

    [Fact]
    public void A_short_plain_jti_is_stored_as_sent_and_any_other_as_its_hash()
    {
        var uuid = Guid.NewGuid().ToString();
        Assert.Equal(uuid, TimelineJtiReplayGuard.StoredJti(uuid));
        var longest = new string('x', TimelineJtiReplayGuard.MaxStoredJtiLength);
        Assert.Equal(longest, TimelineJtiReplayGuard.StoredJti(longest));

        var hashed = TimelineJtiReplayGuard.StoredJti(longest + "x");
        Assert.StartsWith("sha256:", hashed, StringComparison.Ordinal);
        Assert.Equal(71, hashed.Length); // a stored jti is never that long, so a hash never equals one
        Assert.Equal(71, TimelineJtiReplayGuard.StoredJti(new string('y', 20_000)).Length);
        Assert.Equal(hashed, TimelineJtiReplayGuard.StoredJti(longest + "x"));
        Assert.NotEqual(hashed, TimelineJtiReplayGuard.StoredJti(longest + "y"));
        // What PostgreSQL's text refuses (NUL), what UTF-8 cannot hold (half a surrogate pair), spaces and controls.
        foreach (var odd in new[] { "a\0b", "a\ud800b", "a b", "a\nb", "é" })
            Assert.StartsWith("sha256:", TimelineJtiReplayGuard.StoredJti(odd), StringComparison.Ordinal);
        Assert.NotEqual(TimelineJtiReplayGuard.StoredJti("a\ud800b"), TimelineJtiReplayGuard.StoredJti("a\ud801b"));
    }

    [Fact]
    public async Task A_long_jti_is_refused_when_replayed_like_any_other()
    {
        var guard = Guard(capacity: 100, issuers: 1);
        var jti = new string('z', 10_000) + "\0";

        Assert.Equal(ReplayCheck.Added, await guard.TryAddAsync(IssuerA, jti, Now + TimeSpan.FromMinutes(5), None));
        Assert.Equal(ReplayCheck.Replayed, await guard.TryAddAsync(IssuerA, jti, Now + TimeSpan.FromMinutes(5), None));
    }

    [Fact]
    public async Task The_sweep_removes_every_expired_row_in_batches_and_keeps_the_live_ones()
    {
        const int Expired = JtiReplaySweeper.BatchSize * 2 + 500;
        await InsertRowsAsync(Expired, Now + TimeSpan.FromMinutes(1));
        Assert.True(await _sqlite.RecordClientTokenAsync(IssuerA, "live", Now + TimeSpan.FromHours(1)));
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(Expired, await JtiReplaySweeper.SweepAsync(_state, NullLogger.Instance, None));
        Assert.Equal(0, await JtiReplaySweeper.SweepAsync(_state, NullLogger.Instance, None));
        Assert.False(await _sqlite.RecordClientTokenAsync(IssuerA, "live", Now + TimeSpan.FromHours(1)));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    /// <summary>Rows written in one transaction: one statement a row would sync the file thousands of times.</summary>
    private async Task InsertRowsAsync(int count, DateTimeOffset expiresAt)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_sqlite.Path}");
        await connection.OpenAsync();
        await using var transaction = connection.BeginTransaction();
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO cds_client_token_ids (issuer, jti, expires_at) VALUES ($issuer, $jti, $expires)";
        insert.Parameters.AddWithValue("$issuer", IssuerA);
        var jti = insert.Parameters.Add("$jti", Microsoft.Data.Sqlite.SqliteType.Text);
        insert.Parameters.AddWithValue("$expires", (expiresAt - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond);
        for (var i = 0; i < count; i++)
        {
            jti.Value = $"old-{i}";
            await insert.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
    }

    private TimelineJtiReplayGuard Guard(int capacity, int issuers) => new(_state, _time, capacity, issuers, NullLogger.Instance);
}
