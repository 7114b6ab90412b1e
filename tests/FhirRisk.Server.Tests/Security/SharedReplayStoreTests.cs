using System.Net;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Testing;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace FhirRisk.Server.Tests.Security;

/// <summary>
/// Security review s12 #4: the <c>jti</c> replay cache lived in one process, so behind a load balancer a captured token
/// was accepted once by each replica. Two whole servers (replicas) share one SQLite store file here, as replicas share
/// PostgreSQL; with <c>CdsHooks:Authentication:ReplayStore = timeline-store</c> the second refuses what the first
/// accepted. Only settings and HTTP are used, so these tests build and fail without the shared store.
/// </summary>
public sealed class SharedReplayStoreTests : IDisposable
{
    private const string Base = "https://cds.example.org";
    private readonly TempDirectory _folder = new("fhirrisk-replicas");
    private readonly (SecurityKey Key, string Jwks) _ehr = JwtTestKeys.NewEcKey();

    [Fact]
    public async Task With_the_timeline_store_a_token_accepted_by_one_replica_is_refused_by_another()
    {
        await using var first = await ReplicaAsync("timeline-store");
        await using var second = await ReplicaAsync("timeline-store");
        var token = DiscoveryToken();

        Assert.Equal(HttpStatusCode.OK, await DiscoverAsync(first, token));
        Assert.Equal(HttpStatusCode.Unauthorized, await DiscoverAsync(second, token));
        Assert.Equal(HttpStatusCode.Unauthorized, await DiscoverAsync(first, token));
        Assert.Contains(second.Logs.Entries, e => e.EventId == 300 && e.Message.Contains("Replayed", StringComparison.Ordinal));
        // Another token is new to both.
        Assert.Equal(HttpStatusCode.OK, await DiscoverAsync(second, DiscoveryToken()));
    }

    [Fact]
    public async Task Concurrent_uses_of_one_token_on_two_replicas_are_accepted_once()
    {
        await using var first = await ReplicaAsync("timeline-store");
        await using var second = await ReplicaAsync("timeline-store");
        var token = DiscoveryToken();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => DiscoverAsync(i % 2 == 0 ? first : second, token)));

        Assert.Single(answers, a => a == HttpStatusCode.OK);
        Assert.Equal(7, answers.Count(a => a == HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task In_memory_each_replica_accepts_a_token_once_which_is_why_the_store_exists()
    {
        // The default, documented per replica (docs/cds-hooks.md "Replay protection").
        await using var first = await ReplicaAsync(null);
        await using var second = await ReplicaAsync("memory");
        var token = DiscoveryToken();

        Assert.Equal(HttpStatusCode.OK, await DiscoverAsync(first, token));
        Assert.Equal(HttpStatusCode.OK, await DiscoverAsync(second, token));
        Assert.Equal(HttpStatusCode.Unauthorized, await DiscoverAsync(first, token));
        Assert.Equal(HttpStatusCode.Unauthorized, await DiscoverAsync(second, token));
    }

    [Fact]
    public async Task An_issuer_over_its_share_is_refused_as_full_not_as_replayed()
    {
        await using var replica = await ReplicaAsync("timeline-store", capacity: 2);

        Assert.Equal(HttpStatusCode.OK, await DiscoverAsync(replica, DiscoveryToken()));
        Assert.Equal(HttpStatusCode.OK, await DiscoverAsync(replica, DiscoveryToken()));
        Assert.Equal(HttpStatusCode.Unauthorized, await DiscoverAsync(replica, DiscoveryToken()));

        Assert.Contains(replica.Logs.Entries, e => e.EventId == 300 && e.Message.Contains("ReplayCacheFull", StringComparison.Ordinal));
        Assert.Single(replica.Logs.Entries, e => e.EventId == 309);
    }

    [UnixFact]
    public async Task A_store_that_cannot_record_the_jti_fails_the_call_closed_with_503_and_Retry_After()
    {
        await using var replica = await ReplicaAsync("timeline-store");
        Assert.Equal(HttpStatusCode.OK, await DiscoverAsync(replica, DiscoveryToken()));
        foreach (var file in new[] { StorePath, StorePath + "-wal", StorePath + "-shm" })
            File.Delete(file);

        using var request = DiscoveryRequest(DiscoveryToken());
        using var refused = await replica.Http.SendAsync(request).WaitAsync(TestFhirRiskServer.Timeout);
        using var again = DiscoveryRequest(DiscoveryToken());
        using var second = await replica.Http.SendAsync(again).WaitAsync(TestFhirRiskServer.Timeout);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("\"transient\"", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        // Warned once (at most one line a minute), with the store's description of the failure.
        Assert.Single(replica.Logs.Entries, e => e.EventId == 320 && e.Message.Contains("was removed while the server ran", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_replay_store_that_is_not_memory_or_timeline_store_stops_the_start_naming_the_key()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => ReplicaAsync("redis"));
        Assert.Contains("CdsHooks:Authentication:ReplayStore 'redis'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Memory_with_a_PostgreSQL_store_is_warned_about_at_start()
    {
        // The store need not answer for the warning: it is about the settings. The migrator retries in the background.
        await using var replica = await ReplicaAsync("memory", extra: new Dictionary<string, string?>
        {
            ["TimelineStore:Provider"] = "postgresql",
            ["TimelineStore:ConnectionString"] = "Host=127.0.0.1;Port=1;Database=none;Username=none;Timeout=1",
        });
        Assert.True(replica.Logs.Has(321), "memory replay protection with a PostgreSQL store (replicas) should warn (event 321)");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    private string StorePath => _folder.File("shared", "timeline.db");

    /// <summary>One replica: the whole server, its CDS Hooks in Jwt mode on 127.0.0.1, its store the shared file.</summary>
    private async Task<TestFhirRiskServer> ReplicaAsync(string? replayStore, int? capacity = null, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["TimelineStore:SqlitePath"] = StorePath,
            ["CdsHooks:Authentication:Mode"] = "Jwt",
            ["CdsHooks:Authentication:Audience"] = Base,
            ["CdsHooks:Authentication:Issuers:0:Issuer"] = JwtTestKeys.Issuer,
            ["CdsHooks:Authentication:Issuers:0:Jwks"] = _ehr.Jwks,
            ["CdsHooks:Authentication:Issuers:0:FhirServers:0"] = "https://ehr.example.org/fhir",
        };
        if (replayStore is not null)
            settings["CdsHooks:Authentication:ReplayStore"] = replayStore;
        if (capacity is { } c)
            settings["CdsHooks:Authentication:ReplayCacheCapacity"] = c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        var server = await TestFhirRiskServer.StartAsync(settings, cdsHooks: true);
        if (extra is null)
            await server.WaitUntilReadyAsync(); // migrated: the table of token ids exists
        return server;
    }

    private string DiscoveryToken() =>
        JwtTestKeys.Token(_ehr.Key, "ES384", DateTimeOffset.UtcNow, audience: Base + "/cds-services");

    private static HttpRequestMessage DiscoveryRequest(string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/cds-services");
        request.Headers.Authorization = new("Bearer", token);
        return request;
    }

    private static async Task<HttpStatusCode> DiscoverAsync(TestFhirRiskServer server, string token)
    {
        using var request = DiscoveryRequest(token);
        using var response = await server.Http.SendAsync(request).WaitAsync(TestFhirRiskServer.Timeout);
        return response.StatusCode;
    }
}
