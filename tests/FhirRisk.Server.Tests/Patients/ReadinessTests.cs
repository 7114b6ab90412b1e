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
    public async Task A_store_locked_past_its_busy_timeout_answers_a_push_503_and_stores_nothing()
    {
        using var folder = new FhirRisk.Testing.TempDirectory("locked-store");
        var database = folder.File("timeline.db");
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["TimelineStore:SqlitePath"] = database,
            ["TimelineStore:BusyTimeoutSeconds"] = "1",
        });
        await server.WaitUntilReadyAsync();

        // Another process holds the write lock (a backup, a manual fix) for longer than the store waits.
        await using (var holder = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=False"))
        {
            await holder.OpenAsync();
            await using (var exclusive = holder.CreateCommand())
            {
                exclusive.CommandText = "BEGIN EXCLUSIVE";
                await exclusive.ExecuteNonQueryAsync();
            }
            using var push = await server.PostAsync("/fhir", TestBundles.Patient("locked-p").ToJsonString()).WaitAsync(TestFhirRiskServer.Timeout);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, push.StatusCode);
            Assert.Equal("5", push.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var outcome = JsonNode.Parse(await push.Content.ReadAsStringAsync())!;
            Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
            Assert.Contains("PUSH010", outcome.ToJsonString(), StringComparison.Ordinal);
        }
        Assert.Empty(await server.Store.ReadPatientAsync("locked-p"));
        Assert.Empty(server.Logs.Errors);
    }

    [Fact]
    public async Task A_CDS_call_without_prefetch_while_the_store_is_down_is_503_to_retry_not_500()
    {
        var blocker = Path.GetTempFileName();
        try
        {
            await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
            {
                ["TimelineStore:SqlitePath"] = Path.Combine(blocker, "timeline.db"),
                ["CdsHooks:Authentication:Mode"] = "LocalDemo",
            }, cdsHooks: true);

            using var call = await server.PostAsync($"/cds-services/{FhirRisk.Server.CdsHooks.CdsServiceCatalog.PatientRiskId}",
                FhirRisk.Server.Tests.CdsHooks.CdsRequests.Hook("patient-view", patientId: "p1"), "application/json").WaitAsync(TestFhirRiskServer.Timeout);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, call.StatusCode);
            Assert.NotNull(call.Headers.RetryAfter);
            var outcome = JsonNode.Parse(await call.Content.ReadAsStringAsync())!;
            Assert.Equal("transient", outcome["issue"]![0]!["code"]!.GetValue<string>());
            Assert.DoesNotContain(server.Logs.Entries, e => e.EventId == 206); // not logged as an unexpected failure
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
