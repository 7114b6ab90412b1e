using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.CdsHooks;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Tests.Risk;
using FhirRisk.Server.Timeline;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.Patients;

/// <summary>A hook call builds its patient's events once for its risks and their contributors (service review s11 #4:
/// the store was read, and what the call supplied parsed and mapped, twice per call).</summary>
public sealed class SharedTimelineTests
{
    private const string PatientId = "shared-q7";

    [Fact]
    public async Task A_hook_call_reads_the_store_once_for_its_risks_and_their_contributors()
    {
        var store = new CountingStore();
        var settings = DemoModel.Settings;
        settings["CdsHooks:Authentication:Mode"] = "LocalDemo";
        await using var server = await TestFhirRiskServer.StartAsync(settings, s => s.AddSingleton<ITimelineStore>(store), cdsHooks: true);
        await server.WaitUntilReadyAsync();
        using (var pushed = await server.PostAsync("/fhir", TestBundles.Patient(PatientId).ToJsonString()))
            Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);

        using var response = await server.PostAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", patientId: PatientId), "application/json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("Top contributing events", body, StringComparison.Ordinal);
        Assert.Equal(1, store.PatientReads);
        // The demo model's cards say it was trained on simulated patients only (security review s12 #12).
        Assert.Contains("[DEMO, simulated data]", body, StringComparison.Ordinal);
    }

    // Security review s12 #15: a future-dated event became the prediction point with no word of it.
    [Fact]
    public async Task A_record_dated_after_the_service_clock_is_flagged_on_the_card()
    {
        var settings = DemoModel.Settings;
        settings["CdsHooks:Authentication:Mode"] = "LocalDemo";
        await using var server = await TestFhirRiskServer.StartAsync(settings, cdsHooks: true);
        await server.WaitUntilReadyAsync();
        var bundle = TestBundles.Patient("future-q15");
        var lab = TestBundles.Lab("future-q15-lab", "future-q15", "future-q15-enc", new DateTime(2099, 1, 1, 0, 0, 0, DateTimeKind.Utc), 3.0);
        bundle["entry"]!.AsArray().Add(new JsonObject
        {
            ["fullUrl"] = "urn:uuid:future-q15-lab", ["resource"] = lab,
            ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Observation" },
        });
        using (var pushed = await server.PostAsync("/fhir", bundle.ToJsonString()))
            Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        using (var pushed = await server.PostAsync("/fhir", TestBundles.Patient("present-q15").ToJsonString()))
            Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);

        using var future = await server.PostAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", patientId: "future-q15"), "application/json");
        using var present = await server.PostAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", patientId: "present-q15"), "application/json");

        Assert.Equal(HttpStatusCode.OK, future.StatusCode);
        Assert.Contains("dated after today", await future.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, present.StatusCode);
        Assert.DoesNotContain("dated after today", await present.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_request_is_built_once_and_a_copy_of_it_afresh()
    {
        await using var server = await TestFhirRiskServer.StartAsync();
        await server.WaitUntilReadyAsync();
        var builder = server.Services.GetRequiredService<PatientTimelineBuilder>();
        var request = new PatientRiskRequest(null, [System.Text.Encoding.UTF8.GetBytes(TestBundles.Patient("shared-b1").ToJsonString())], []);

        var first = await builder.BuildAsync(request, CancellationToken.None);
        var again = await builder.BuildAsync(request, CancellationToken.None);
        var copy = await builder.BuildAsync(request with { }, CancellationToken.None);

        Assert.Same(first, again);
        Assert.NotSame(first, copy);
        Assert.Equal(first.Events, copy.Events);
        Assert.Equal(first.Warnings, copy.Warnings);
    }

    /// <summary>An in-memory store that counts the patient reads.</summary>
    private sealed class CountingStore : ITimelineStore
    {
        private readonly ConcurrentDictionary<(string, string), TimelineResource> _resources = new();
        private int _patientReads;

        public int PatientReads => Volatile.Read(ref _patientReads);

        public string Provider => "sqlite";

        public Task MigrateAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task PingAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<IReadOnlyList<TimelineWriteResult>> WriteAsync(IReadOnlyList<TimelineResource> resources, CancellationToken cancellationToken = default)
        {
            foreach (var r in resources)
                _resources[(r.ResourceType, r.Id)] = r with { Version = 1 };
            return Task.FromResult<IReadOnlyList<TimelineWriteResult>>([.. resources.Select(r => new TimelineWriteResult(r.ResourceType, r.Id, TimelineWriteKind.Created, 1))]);
        }

        public Task<IReadOnlyList<TimelineResource>> ReadPatientAsync(string patientId, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _patientReads);
            return Task.FromResult<IReadOnlyList<TimelineResource>>([.. _resources.Values.Where(r => r.PatientId == patientId)
                .OrderBy(r => r.ResourceType, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal)]);
        }

        public Task<IReadOnlyList<TimelineResource>> ReadReferencedAsync(string resourceType, IReadOnlyCollection<string> ids,
            IReadOnlyCollection<string> fullUrls, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<TimelineResource>>([.. _resources.Values.Where(r => r.ResourceType == resourceType
                && (ids.Contains(r.Id) || (r.FullUrl is { } url && fullUrls.Contains(url))))]);

        public Task<TimelineResource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken = default) =>
            Task.FromResult(_resources.GetValueOrDefault((resourceType, id)));

        public Task<TimelinePurgeResult> PurgePatientAsync(string patientId, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<TimelineRetentionResult> PurgeInactiveAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<bool> RecordClientTokenAsync(string issuer, string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<int> RemoveExpiredClientTokensAsync(int maxRows, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
