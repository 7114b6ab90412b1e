using System.Net;
using System.Text.Json.Nodes;
using FhirRisk.Server.Tests.Infrastructure;

namespace FhirRisk.Server.Tests.Patients;

/// <summary>/health/live and /health/ready: ready only with the model loaded and the store reachable.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task With_model_and_store_the_server_becomes_ready_and_RiskService_serving()
    {
        await using var server = await TestFhirRiskServer.StartAsync();

        await server.WaitUntilReadyAsync();

        using var live = await server.Http.GetAsync(new Uri("/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var health = await GrpcJsClient.CallAsync(new JsonObject
        {
            ["address"] = server.GrpcAddress, ["service"] = "grpc.health.v1.Health", ["method"] = "Check",
            ["request"] = new JsonObject { ["service"] = "fhirrisk.v1.RiskService" },
        });
        Assert.Equal("SERVING", health.Messages.Single().GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_unavailable_store_makes_ready_false_and_pushes_503()
    {
        // The SQLite file's folder would have to be a file: the store can never be opened.
        var blocker = Path.GetTempFileName();
        try
        {
            await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
            {
                ["TimelineStore:SqlitePath"] = Path.Combine(blocker, "timeline.db"),
            });

            using var ready = await server.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
            using var live = await server.Http.GetAsync(new Uri("/health/live", UriKind.Relative));
            using var push = await server.PostAsync("/fhir", TestBundles.Patient("p1").ToJsonString());

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
            Assert.False(body["ready"]!.GetValue<bool>());
            Assert.False(body["store"]!.GetValue<bool>());
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, push.StatusCode);
            Assert.Contains("PUSH010", await push.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Contains(server.Logs.Entries, e => e.EventId == 301);
        }
        finally
        {
            File.Delete(blocker);
        }
    }

    [Fact]
    public async Task A_PostgreSQL_store_that_cannot_be_reached_makes_ready_false()
    {
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["TimelineStore:Provider"] = "postgresql",
            ["TimelineStore:ConnectionString"] = "Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=1",
        });

        using var ready = await server.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.False(JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["store"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_missing_model_makes_ready_false_and_predictions_unavailable()
    {
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Directory"] = Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N")),
        });

        using var ready = await server.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var predict = await GrpcJsClient.CallAsync(new JsonObject
        {
            ["address"] = server.GrpcAddress, ["service"] = "fhirrisk.v1.RiskService", ["method"] = "Predict", ["deadlineMs"] = 30000,
            ["request"] = new JsonObject { ["patient"] = new JsonObject { ["stored"] = new JsonObject { ["patient_id"] = "p1" } } },
        });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.False(JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["model"]!.GetValue<bool>());
        Assert.Equal("UNAVAILABLE", predict.StatusName);
    }
}
