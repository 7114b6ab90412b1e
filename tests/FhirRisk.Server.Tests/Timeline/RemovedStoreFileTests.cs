using System.Net;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Timeline;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.Timeline;

/// <summary>Ops review s11 #15: with the SQLite file removed under the running server, pushes were still answered 201
/// (written to the unlinked file, lost at the next start) and readiness stayed true.</summary>
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
}
