using System.Net;
using System.Text.Json.Nodes;
using FhirRisk.Server.FhirPush;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Timeline;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.FhirPush;

/// <summary>How a batch or NDJSON import reaches the store: its valid entries in a few transactions, not one each.</summary>
public sealed class BatchWriteTests
{
    [Fact]
    public async Task A_batch_writes_its_valid_entries_in_one_transaction_and_a_repeated_resource_in_the_next()
    {
        // With the store syncing every commit (synchronous = FULL), one transaction an entry cost an import about 0.6 ms an
        // entry. A resource the batch holds twice is written after its first version, in a transaction of its own.
        var store = new RecordingStore();
        await using var server = await TestFhirRiskServer.StartAsync(configure: services => services.AddSingleton<ITimelineStore>(store));
        await server.WaitUntilReadyAsync();
        var bundle = TestBundles.Patient("bw", type: "batch");
        var entries = bundle["entry"]!.AsArray();
        var count = entries.Count;
        entries.Insert(1, new JsonObject { ["resource"] = new JsonObject { ["resourceType"] = "Observation" } }); // rejected
        entries.Add(entries[0]!.DeepClone()); // the Patient again

        using var response = await server.PostAsync("/fhir", bundle.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([count, 1], store.Writes.Select(w => w.Count));
        Assert.Equal(("Patient", "bw"), (store.Writes[1][0].ResourceType, store.Writes[1][0].Id));
        var statuses = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["entry"]!.AsArray()
            .Select(e => e!["response"]!["status"]!.GetValue<string>()).ToArray();
        Assert.Equal("400 Bad Request", statuses[1]);
        Assert.Equal(count + 1, statuses.Count(s => s == "201 Created"));
    }

    [Fact]
    public async Task A_large_import_is_written_in_transactions_of_at_most_MaxEntriesPerWrite()
    {
        var store = new RecordingStore();
        await using var server = await TestFhirRiskServer.StartAsync(configure: services => services.AddSingleton<ITimelineStore>(store));
        await server.WaitUntilReadyAsync();
        var lines = Enumerable.Range(0, FhirPushService.MaxEntriesPerWrite + 7)
            .Select(i => $$"""{"resourceType":"Patient","id":"bw{{i}}","gender":"female","birthDate":"1970-01-01"}""");

        using var response = await server.PostAsync("/fhir/$import", string.Join('\n', lines) + "\n", "application/fhir+ndjson");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([FhirPushService.MaxEntriesPerWrite, 7], store.Writes.Select(w => w.Count));
    }

    /// <summary>Records each write (one transaction) and answers every resource as created.</summary>
    private sealed class RecordingStore : EmptyTimelineStore
    {
        public List<IReadOnlyList<TimelineResource>> Writes { get; } = [];

        public override Task<IReadOnlyList<TimelineWriteResult>> WriteAsync(IReadOnlyList<TimelineResource> resources, CancellationToken cancellationToken = default)
        {
            lock (Writes)
                Writes.Add(resources);
            return Task.FromResult<IReadOnlyList<TimelineWriteResult>>(
                [.. resources.Select(r => new TimelineWriteResult(r.ResourceType, r.Id, TimelineWriteKind.Created, 1))]);
        }
    }
}
