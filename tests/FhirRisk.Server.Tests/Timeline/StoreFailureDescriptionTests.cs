using System.Net;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Timeline;
using FhirRisk.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.Timeline;

/// <summary>Ops review s11 #4: every bad store logged the same "error code -2147467259" (the HResult E_FAIL), and a
/// corrupt file was reported to callers as migrations not yet applied.</summary>
public sealed class StoreFailureDescriptionTests : IDisposable
{
    private const string EFail = "-2147467259";
    private readonly TempDirectory _folder = new("fhirrisk-badstore");

    [Theory]
    [InlineData(11, 11, "SQLite error 11 SQLITE_CORRUPT (extended 11): database disk image is malformed; the file is damaged: restore it from a backup")]
    [InlineData(26, 26, "SQLite error 26 SQLITE_NOTADB (extended 26)")]
    [InlineData(8, 1544, "SQLite error 8 SQLITE_READONLY (extended 1544): attempt to write a readonly database; the file or its folder is not writable")]
    [InlineData(13, 13, "SQLite error 13 SQLITE_FULL")]
    public void A_SQLite_error_is_described_by_its_result_codes_and_what_to_do(int code, int extended, string expected)
    {
        var described = TimelineStoreFailure.Describe(new TimelineStoreUnavailableException("outer", new SqliteException("driver text", code, extended)));

        Assert.StartsWith("SqliteException, " + expected, described, StringComparison.Ordinal);
        Assert.DoesNotContain(EFail, described, StringComparison.Ordinal);
        Assert.DoesNotContain("driver text", described, StringComparison.Ordinal);
    }

    [UnixFact]
    public void An_error_about_the_file_adds_the_file_and_folder_state_the_operating_system_reports()
    {
        var path = _folder.File("timeline.db");
        File.WriteAllBytes(path, []);
        var store = new SqliteTimelineStore(path, busyTimeoutSeconds: 1, TimeProvider.System);

        var readOnly = store.DescribeFailure(new SqliteException("x", 8, 1544));
        var corrupt = store.DescribeFailure(new SqliteException("x", 11, 11));

        Assert.Contains($"file {path}: read-write; folder {_folder.Path}: writable; ", readOnly, StringComparison.Ordinal);
        Assert.Contains(" bytes free on its volume", readOnly, StringComparison.Ordinal);
        Assert.DoesNotContain("folder", corrupt, StringComparison.Ordinal); // not a file-system matter
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_is_logged_as_such_and_callers_are_not_told_migrations_are_pending()
    {
        var path = _folder.File("timeline.db");
        File.WriteAllBytes(path, [.. Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7919 % 251))]);
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?> { ["TimelineStore:SqlitePath"] = path });
        using var timeout = new CancellationTokenSource(TestFhirRiskServer.Timeout);
        while (!server.Logs.Has(301))
            await Task.Delay(50, timeout.Token);

        var failure = server.Logs.Entries.First(e => e.EventId == 301).Message;
        var unavailable = Assert.Throws<TimelineStoreUnavailableException>(() => server.Services.GetRequiredService<TimelineStoreState>().EnsureReady());
        using var push = await server.PostAsync("/fhir", TestBundles.Patient("badstore-p").ToJsonString());

        Assert.Contains("SQLite error 26 SQLITE_NOTADB", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(EFail, failure, StringComparison.Ordinal);
        Assert.Contains("could not be opened or migrated", unavailable.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("migrations have not been applied", unavailable.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, push.StatusCode);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
