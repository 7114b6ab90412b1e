using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FhirRisk.Server.Tests.Infrastructure;

namespace FhirRisk.Server.Tests.FhirPush;

/// <summary><c>FhirPush:MaxEntries</c> (review s12 #7): a push or Ingest of more entries is refused before anything is
/// stored; one of exactly that many is served. The test patient bundle has 9 entries.</summary>
public sealed class PushEntryLimitTests : IAsyncLifetime
{
    private const int Limit = 9;

    private TestFhirRiskServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?> { ["FhirPush:MaxEntries"] = $"{Limit}" });
        await _server.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Over_the_limit_is_413_PUSH016_and_nothing_is_stored()
    {
        var bundle = TestBundles.Patient("cap1", type: "batch");
        bundle["entry"]!.AsArray().Add(bundle["entry"]![1]!.DeepClone());
        var ndjson = Ndjson("cap2") + "\n" + Ndjson("cap2").Split('\n')[1];

        using var pushed = await _server.PostAsync("/fhir", bundle.ToJsonString());
        using var imported = await _server.PostAsync("/fhir/$import", ndjson, "application/fhir+ndjson");

        foreach (var response in new[] { pushed, imported })
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("OperationOutcome", body["resourceType"]!.GetValue<string>());
            Assert.Equal("PUSH016", body["issue"]![0]!["details"]!["coding"]![0]!["code"]!.GetValue<string>());
        }
        Assert.Empty(await _server.Store.ReadPatientAsync("cap1"));
        Assert.Empty(await _server.Store.ReadPatientAsync("cap2"));
    }

    [Fact]
    public async Task At_the_limit_is_stored_blank_lines_not_counted()
    {
        using var pushed = await _server.PostAsync("/fhir", TestBundles.Patient("cap3").ToJsonString());
        using var imported = await _server.PostAsync("/fhir/$import", "\n" + Ndjson("cap4") + "\n\n \n", "application/fhir+ndjson");

        Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
        Assert.Equal(Limit, (await _server.Store.ReadPatientAsync("cap3")).Count);
        Assert.Equal(Limit, (await _server.Store.ReadPatientAsync("cap4")).Count);
    }

    [Fact]
    public async Task Ingest_over_the_limit_is_INVALID_ARGUMENT_naming_PUSH016_and_nothing_is_stored()
    {
        var ndjson = Ndjson("cap5") + "\n{}";

        var ingest = await GrpcJsClient.CallAsync(new JsonObject
        {
            ["address"] = _server.GrpcAddress, ["service"] = "fhirrisk.v1.RiskService", ["method"] = "Ingest", ["deadlineMs"] = 60000,
            ["request"] = new JsonObject { ["ndjson"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(ndjson)) },
        });

        Assert.Equal("INVALID_ARGUMENT", ingest.StatusName);
        Assert.Contains("PUSH016", ingest.Details, StringComparison.Ordinal);
        Assert.Contains("FhirPush:MaxEntries", ingest.Details, StringComparison.Ordinal);
        Assert.Empty(await _server.Store.ReadPatientAsync("cap5"));
    }

    private static string Ndjson(string patientId) =>
        string.Join('\n', TestBundles.Patient(patientId, type: "collection")["entry"]!.AsArray().Select(e => e!["resource"]!.ToJsonString()));
}
