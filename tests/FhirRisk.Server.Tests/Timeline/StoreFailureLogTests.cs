using System.Net;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Timeline;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Tests.Timeline;

/// <summary>Ops review s11 #3: a full disk answered every push 503 and logged nothing; now each store failure that
/// answers 503 is a warning (event 315) with what went wrong, one line per minute per operation.</summary>
public sealed class StoreFailureLogTests
{
    private const string PatientId = "disk-full-p7";

    [Fact]
    public async Task Write_failures_are_warnings_with_their_cause_rate_limited_per_minute()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        await using var server = await TestFhirRiskServer.StartAsync(configure: s =>
        {
            s.AddSingleton<ITimelineStore, FullDiskStore>();
            s.AddSingleton<TimeProvider>(clock);
        });
        await server.WaitUntilReadyAsync();

        var first = await PushAsync(server, times: 5);
        clock.Advance(TimelineStoreFailureLog.Interval + TimeSpan.FromSeconds(1));
        var later = await PushAsync(server, times: 1);

        Assert.All([.. first, .. later], s => Assert.Equal(HttpStatusCode.ServiceUnavailable, s));
        var warnings = server.Logs.Entries.Where(e => e.EventId == 315).ToArray();
        Assert.Equal(2, warnings.Length);
        Assert.All(warnings, w => Assert.Equal(LogLevel.Warning, w.Level));
        Assert.Contains("write failed (SqliteException, SQLite error 13 SQLITE_FULL", warnings[0].Message, StringComparison.Ordinal);
        Assert.Contains("0 more such failures", warnings[0].Message, StringComparison.Ordinal);
        Assert.Contains("4 more such failures", warnings[1].Message, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains(PatientId, StringComparison.Ordinal));
    }

    private static async Task<HttpStatusCode[]> PushAsync(TestFhirRiskServer server, int times)
    {
        var statuses = new HttpStatusCode[times];
        for (var i = 0; i < times; i++)
        {
            using var response = await server.PostAsync("/fhir", TestBundles.Patient(PatientId).ToJsonString());
            statuses[i] = response.StatusCode;
        }
        return statuses;
    }

    /// <summary>Reads nothing and refuses every write as SQLite does when its disk is full (SQLITE_FULL, 13).</summary>
    private sealed class FullDiskStore : EmptyTimelineStore
    {
        public override Task<IReadOnlyList<TimelineWriteResult>> WriteAsync(IReadOnlyList<TimelineResource> resources, CancellationToken cancellationToken = default) =>
            throw new TimelineStoreUnavailableException("The sqlite timeline store could not complete the write.",
                new SqliteException("SQLite Error 13: 'database or disk is full'.", 13, 13));
    }
}
