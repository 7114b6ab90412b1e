using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FhirRisk.Server.FhirPush;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.FhirPush;

/// <summary><c>FhirPush:MaxConcurrentPushes</c> (security review s12 #9): pushes, imports and gRPC Ingest share the
/// places; one more is refused before its body is read — 503 PUSH018 with <c>Retry-After</c>, RESOURCE_EXHAUSTED — and
/// nothing of it is stored. A push is held open by sending part of its body and stalling.</summary>
public sealed class PushConcurrencyLimitTests : IAsyncLifetime
{
    private TestFhirRiskServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["FhirPush:MaxConcurrentPushes"] = "1",
            ["FhirPush:QueueTimeout"] = "00:00:00",
        });
        await _server.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_push_import_or_Ingest_beyond_the_limit_is_refused_and_stores_nothing_until_the_place_frees()
    {
        var limiter = _server.Services.GetRequiredService<IngestLimiter>().Pushes;
        var release = new TaskCompletionSource();
        var held = TestBundles.Patient("held").ToJsonString();
        var holding = _server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri("/fhir", UriKind.Relative))
        {
            Content = new StalledBody(held[..10], held[10..], release.Task, FhirPushEndpoints.FhirJson),
        });
        await StalledBody.WaitUntil(() => limiter.InFlight == 1);

        using var pushed = await _server.PostAsync("/fhir", TestBundles.Patient("busy1").ToJsonString());
        using var imported = await _server.PostAsync("/fhir/$import", Ndjson("busy2"), FhirPushEndpoints.FhirNdjson);
        var ingest = await GrpcJsClient.CallAsync(new JsonObject
        {
            ["address"] = _server.GrpcAddress, ["service"] = "fhirrisk.v1.RiskService", ["method"] = "Ingest", ["deadlineMs"] = 60000,
            ["request"] = new JsonObject { ["ndjson"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(Ndjson("busy3"))) },
        });
        using var health = await _server.Http.GetAsync(new Uri("/health/ready", UriKind.Relative)); // not limited

        foreach (var response in new[] { pushed, imported })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("PUSH018", body["issue"]![0]!["details"]!["coding"]![0]!["code"]!.GetValue<string>());
            Assert.Contains("FhirPush:MaxConcurrentPushes", body["issue"]![0]!["diagnostics"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        Assert.Equal("RESOURCE_EXHAUSTED", ingest.StatusName);
        Assert.Contains("FhirPush:MaxConcurrentPushes", ingest.Details, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        foreach (var id in new[] { "busy1", "busy2", "busy3" })
            Assert.Empty(await _server.Store.ReadPatientAsync(id));

        release.SetResult();
        using (var first = await holding.WaitAsync(TimeSpan.FromSeconds(60)))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var after = await _server.PostAsync("/fhir", TestBundles.Patient("busy1").ToJsonString());
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotEmpty(await _server.Store.ReadPatientAsync("held"));
        Assert.NotEmpty(await _server.Store.ReadPatientAsync("busy1"));
        Assert.Equal(3, limiter.Rejected);
        Assert.True(_server.Logs.Has(504));
        using var metrics = await _server.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        var scrape = Operations.PrometheusScrape.Parse(await metrics.Content.ReadAsStringAsync());
        Assert.Equal(3, scrape.Value("fhirrisk_pushes_rejected_total"));
        Assert.Equal(1, scrape.Value("fhirrisk_pushes_capacity"));
        Assert.Equal(0, scrape.Value("fhirrisk_pushes_in_flight"));
    }

    [Theory]
    [InlineData("FhirPush:MaxConcurrentPushes", "0")]
    [InlineData("FhirPush:QueueTimeout", "-00:00:01")]
    [InlineData("FhirPush:QueueTimeout", "00:10:01")]
    public async Task A_limit_that_cannot_work_stops_the_start_naming_its_key(string key, string value)
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => TestFhirRiskServer.StartAsync(new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    private static string Ndjson(string patientId) =>
        string.Join('\n', TestBundles.Patient(patientId, type: "collection")["entry"]!.AsArray().Select(e => e!["resource"]!.ToJsonString()));
}
