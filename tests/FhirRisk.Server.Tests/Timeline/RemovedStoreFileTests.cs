using System.Net;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Timeline;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.Timeline;

/// <summary>Ops review s11 #15: with the SQLite file removed under the running server, pushes were still answered 201
/// (written to the unlinked file, lost at the next start) and readiness stayed true. The same for a file replaced under
/// the same name (the operations review after it), which is refused until the server restarts.</summary>
public sealed class RemovedStoreFileTests
{
    [Testing.UnixFact]
    public async Task A_store_file_removed_under_the_server_makes_pushes_503_and_the_server_not_ready()
    {
        await using var server = await TestFhirRiskServer.StartAsync();
        await server.WaitUntilReadyAsync();
        using (var before = await server.PostAsync("/fhir", TestBundles.Patient("removed-p1").ToJsonString()))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        var path = ((SqliteTimelineStore)server.Services.GetRequiredService<ITimelineStore>()).Path;

        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            File.Delete(file);
        using var push = await server.PostAsync("/fhir", TestBundles.Patient("removed-p2").ToJsonString());
        using var ready = await server.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, push.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("\"store\":false", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(server.Logs.Entries, e => e.EventId == 315 && e.Message.Contains("was removed while the server ran", StringComparison.Ordinal));
    }

    [Testing.LinuxFact]
    public async Task A_store_file_replaced_under_the_server_makes_pushes_503_and_the_server_not_ready_until_it_restarts()
    {
        await using var server = await TestFhirRiskServer.StartAsync();
        await server.WaitUntilReadyAsync();
        using (var before = await server.PostAsync("/fhir", TestBundles.Patient("replaced-p1").ToJsonString()))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        var path = ((SqliteTimelineStore)server.Services.GetRequiredService<ITimelineStore>()).Path;

        // A backup of this very store, moved over it as `mv` restores one: the same content, another file.
        var backup = path + ".backup";
        BackUp(path, backup);
        File.Move(backup, path, overwrite: true);
        using var push = await server.PostAsync("/fhir", TestBundles.Patient("replaced-p2").ToJsonString());
        using var ready = await server.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        using var again = await server.PostAsync("/fhir", TestBundles.Patient("replaced-p3").ToJsonString());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, push.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("\"store\":false", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(server.Logs.Entries, e => e.EventId == 315 && e.Message.Contains("was replaced by another file while the server ran", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode); // not taken silently at the next open
    }

    [Testing.UnixFact]
    public async Task A_store_file_restored_after_its_removal_was_noticed_is_used_again()
    {
        await using var server = await TestFhirRiskServer.StartAsync();
        await server.WaitUntilReadyAsync();
        using (var before = await server.PostAsync("/fhir", TestBundles.Patient("restored-p1").ToJsonString()))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        var path = ((SqliteTimelineStore)server.Services.GetRequiredService<ITimelineStore>()).Path;
        var backup = path + ".backup";
        BackUp(path, backup);

        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            File.Delete(file);
        using (var removed = await server.PostAsync("/fhir", TestBundles.Patient("restored-p2").ToJsonString()))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, removed.StatusCode);
        File.Move(backup, path);
        using var restored = await server.PostAsync("/fhir", TestBundles.Patient("restored-p3").ToJsonString());

        Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        await server.WaitUntilReadyAsync();
        Assert.NotNull(await server.Store.ReadAsync("Patient", "restored-p1"));
    }

    /// <summary>A consistent copy of the store, write-ahead log included, as an operator's backup would be.</summary>
    private static void BackUp(string path, string backup)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "VACUUM INTO $backup";
        command.Parameters.AddWithValue("$backup", backup);
        command.ExecuteNonQuery();
    }
}
