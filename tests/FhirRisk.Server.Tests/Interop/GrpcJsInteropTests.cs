using System.Text.Json.Nodes;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Tests.Protocol;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace FhirRisk.Server.Tests.Interop;

/// <summary>
/// Our server called by @grpc/grpc-js, a client we did not write (DESIGN §1), loading the same .proto files with
/// @grpc/proto-loader. Each test starts its own server (Kestrel on 127.0.0.1 and a free port).
/// </summary>
public sealed class GrpcJsInteropTests
{
    private const string Risk = "fhirrisk.v1.RiskService";
    private const string Health = "grpc.health.v1.Health";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task HealthCheckAndList_ServerAndRiskServiceServing_UnknownNotFound()
    {
        await using var server = await TestGrpcServer.StartAsync();
        var calls = new JsonArray(
            GrpcJsClient.Request(server, Health, "Check"),
            GrpcJsClient.Request(server, Health, "Check", new JsonObject { ["service"] = Risk }),
            GrpcJsClient.Request(server, Health, "Check", new JsonObject { ["service"] = "no.such.Service" }),
            GrpcJsClient.Request(server, Health, "List"));

        var results = (await GrpcJsClient.CallAsync(new JsonObject { ["calls"] = calls })).Root.GetProperty("results").EnumerateArray()
            .Select(r => new GrpcJsResult(r)).ToArray();

        Assert.Equal("SERVING", Assert.Single(results[0].Messages).GetProperty("status").GetString());
        Assert.Equal("SERVING", Assert.Single(results[1].Messages).GetProperty("status").GetString());
        Assert.Equal("NOT_FOUND", results[2].StatusName);
        var statuses = Assert.Single(results[3].Messages).GetProperty("statuses");
        Assert.Equal("SERVING", statuses.GetProperty(Risk).GetProperty("status").GetString());
        Assert.Empty(server.Logs.Errors);
    }

    [Fact]
    public async Task HealthWatch_CurrentStatusThenTheChange()
    {
        await using var server = await TestGrpcServer.StartAsync();
        var call = GrpcJsClient.Request(server, Health, "Watch", new JsonObject { ["service"] = Risk });
        call["cancelAfter"] = 2;
        call["deadlineMs"] = 20_000;

        var watching = GrpcJsClient.CallAsync(call);
        // Only the latest status matters to a watcher (a newer one replaces one not yet taken), so change the status
        // once the first has been taken for sending.
        await WaitUntil(() => server.Health.WatchersAreIdle(Risk) || watching.IsCompleted);
        server.Health.SetStatus(Risk, ServingStatus.NotServing);
        var result = await watching.WaitAsync(Timeout);

        Assert.Equal(["SERVING", "NOT_SERVING"], result.Messages.Select(m => m.GetProperty("status").GetString()));
        Assert.Equal("CANCELLED", result.StatusName);
        await WaitUntil(() => server.Health.WatcherCount(Risk) == 0);
    }

    [Fact]
    public async Task HealthWatch_ServerStops_NotServingThenUnavailable()
    {
        var server = await TestGrpcServer.StartAsync();
        Task<GrpcJsResult> watching;
        try
        {
            var call = GrpcJsClient.Request(server, Health, "Watch");
            call["deadlineMs"] = 20_000;
            watching = GrpcJsClient.CallAsync(call);
            await WaitUntil(() => server.Health.WatchersAreIdle("") || watching.IsCompleted);
        }
        finally
        {
            await server.DisposeAsync().AsTask().WaitAsync(Timeout);
        }
        var result = await watching.WaitAsync(Timeout);

        Assert.Equal(["SERVING", "NOT_SERVING"], result.Messages.Select(m => m.GetProperty("status").GetString()));
        Assert.Equal("UNAVAILABLE", result.StatusName);
        Assert.True(result.ElapsedMs < 15_000, result.ToString()); // ended by the shutdown, not by its deadline
    }

    [Fact]
    public async Task Predict_AgainstTheTestDouble_RoundTripsTheContract()
    {
        await using var server = await TestGrpcServer.StartAsync();
        var request = new JsonObject
        {
            ["patient"] = new JsonObject
            {
                ["reference"] = "ref-1",
                ["prediction_time"] = new JsonObject { ["seconds"] = "1700000000" },
                ["events"] = new JsonObject
                {
                    ["events"] = new JsonArray(
                        new JsonObject { ["code"] = "MEDS_BIRTH", ["time"] = new JsonObject { ["seconds"] = "0" } },
                        new JsonObject { ["code"] = "LOINC//2160-0//mg/dL", ["numeric_value"] = 1.5, ["time"] = new JsonObject { ["seconds"] = "1600000000" } }),
                },
            },
            ["options"] = new JsonObject { ["tasks"] = new JsonArray("hospital_mortality", "icu_admission"), ["method"] = "METHOD_ROLLOUTS", ["rollouts"] = 64 },
        };

        var result = await GrpcJsClient.CallAsync(GrpcJsClient.Request(server, Risk, "Predict", request));

        Assert.True(result.StatusName == "OK", result.ToString());
        var sent = server.Backend.LastPredictRequest!;
        Assert.Equal("ref-1", sent.Patient.Reference);
        Assert.Equal(1_700_000_000, sent.Patient.PredictionTime.Seconds);
        Assert.Equal(1.5, sent.Patient.Events.Events[1].NumericValue);
        Assert.False(sent.Patient.Events.Events[0].HasNumericValue);
        Assert.Equal(FhirRisk.Grpc.V1.Method.Rollouts, sent.Options.Method);
        var response = Assert.Single(result.Messages);
        Assert.Equal("ref-1", response.GetProperty("reference").GetString());
        var risks = response.GetProperty("risks").EnumerateArray().ToArray();
        Assert.Equal(["hospital_mortality", "icu_admission"], risks.Select(r => r.GetProperty("task").GetString()));
        Assert.Equal(0.25, risks[0].GetProperty("probability").GetDouble());
        Assert.Equal(0.3, risks[0].GetProperty("interval").GetProperty("upper").GetDouble());
        Assert.Equal("METHOD_ROLLOUTS", risks[0].GetProperty("method").GetString());
        Assert.Equal(64, risks[0].GetProperty("n").GetInt32());
        Assert.Equal(3_000_000, risks[0].GetProperty("latency").GetProperty("nanos").GetInt32());
        Assert.Empty(server.Logs.Errors);
    }

    [Fact]
    public async Task PredictStream_OneMessagePerPatient()
    {
        await using var server = await TestGrpcServer.StartAsync();
        var patients = new JsonArray(Enumerable.Range(0, 3).Select(i => (JsonNode)new JsonObject
        {
            ["reference"] = $"p{i}",
            ["stored"] = new JsonObject { ["patient_id"] = $"id-{i}" },
        }).ToArray());

        var result = await GrpcJsClient.CallAsync(GrpcJsClient.Request(server, Risk, "PredictStream", new JsonObject { ["patients"] = patients }));

        Assert.True(result.StatusName == "OK", result.ToString());
        Assert.Equal(["p0", "p1", "p2"], result.Messages.Select(m => m.GetProperty("reference").GetString()));
        Assert.All(result.Messages, m => Assert.Equal("prediction", m.GetProperty("result").GetString()));
    }

    [Fact]
    public async Task Deadline_Exceeded_ClientSeesDeadlineExceeded_HandlerSeesCancellation()
    {
        await using var server = await TestGrpcServer.StartAsync();
        // A first call warms the server's gRPC path (JIT of the HTTP/2 and message code), so the timed call below reaches
        // its handler well inside its deadline on a loaded machine: a cold first call once took the whole 2 s in CI.
        var warm = await GrpcJsClient.CallAsync(GrpcJsClient.Request(server, Risk, "Predict"));
        Assert.True(warm.StatusName == "OK", warm.ToString());
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Backend.OnPredict = async (_, token) =>
        {
            reached.TrySetResult();
            await Task.Delay(System.Threading.Timeout.Infinite, token);
            throw new InvalidOperationException("unreachable");
        };
        var call = GrpcJsClient.Request(server, Risk, "Predict");
        // Long enough that the handler is reached before the deadline even on a loaded machine: a deadline that expires
        // while the server still reads the request ends the call before any handler runs (correctly, but then there is
        // no handler to see the cancellation; CI saw that once with 300 ms). The client connects before the call
        // starts: grpc-js counts a deadline from the call's start, and a fresh Node process's first connection on a
        // loaded machine once took the whole 2 s, so the request never left the client.
        call["deadlineMs"] = 2000;
        call["connectFirst"] = true;

        var result = await GrpcJsClient.CallAsync(call);

        Assert.Equal("DEADLINE_EXCEEDED", result.StatusName);
        Assert.True(reached.Task.IsCompleted, $"The deadline passed before the handler was reached: {result}");
        await server.Backend.Cancelled.WaitAsync(Timeout);
        Assert.Empty(server.Logs.Errors);
    }

    [Fact]
    public async Task ClientCancelsMidStream_HandlerTokenCancelled()
    {
        await using var server = await TestGrpcServer.StartAsync();
        server.Backend.StreamItemDelay = TimeSpan.FromMilliseconds(50);
        var patients = new JsonArray(Enumerable.Range(0, 400).Select(i => (JsonNode)new JsonObject { ["reference"] = $"p{i}" }).ToArray());
        var call = GrpcJsClient.Request(server, Risk, "PredictStream", new JsonObject { ["patients"] = patients });
        call["cancelAfter"] = 2;

        var result = await GrpcJsClient.CallAsync(call);

        Assert.Equal("CANCELLED", result.StatusName);
        Assert.InRange(result.Messages.Count, 2, 50); // messages already in flight may still arrive; not all 400
        await server.Backend.Cancelled.WaitAsync(Timeout);
        await WaitUntil(() => server.Logs.Has(103));
        Assert.Empty(server.Logs.Errors);
    }

    [Fact]
    public async Task OversizedRequest_ResourceExhaustedFromTheServer()
    {
        await using var server = await TestGrpcServer.StartAsync(new Dictionary<string, string?> { ["Grpc:MaxReceiveMessageSize"] = "65536" });
        var bundle = Convert.ToBase64String(new byte[100_000]);
        var request = new JsonObject { ["patient"] = new JsonObject { ["bundle"] = new JsonObject { ["json"] = bundle } } };

        var result = await GrpcJsClient.CallAsync(GrpcJsClient.Request(server, Risk, "Predict", request));

        Assert.Equal("RESOURCE_EXHAUSTED", result.StatusName);
        Assert.StartsWith("Received message larger than max (", result.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizedResponse_ResourceExhausted()
    {
        await using var server = await TestGrpcServer.StartAsync(new Dictionary<string, string?> { ["Grpc:MaxSendMessageSize"] = "65536" });
        server.Backend.OnGenerate = (_, _) => Task.FromResult(ServerProtocolTests.BigGenerateResponse());

        var result = await GrpcJsClient.CallAsync(GrpcJsClient.Request(server, Risk, "Generate"));

        Assert.Equal("RESOURCE_EXHAUSTED", result.StatusName);
        Assert.StartsWith("Sending message larger than max (", result.Details, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public async Task CompressedBothWays_RoundTrips(string encoding)
    {
        await using var server = await TestGrpcServer.StartAsync(new Dictionary<string, string?> { ["Grpc:ResponseCompression"] = encoding });
        var request = new JsonObject
        {
            ["patient"] = new JsonObject { ["reference"] = new string('r', 2000) },
            ["options"] = new JsonObject { ["tasks"] = new JsonArray("readmission_30d") },
        };
        var call = GrpcJsClient.Request(server, Risk, "Predict", request);
        call["compression"] = encoding;

        var result = await GrpcJsClient.CallAsync(call);

        Assert.True(result.StatusName == "OK", result.ToString());
        Assert.Equal(new string('r', 2000), Assert.Single(result.Messages).GetProperty("reference").GetString());
        Assert.Contains(server.Logs.Entries, e => e.EventId == 106 && e.Message.Contains(encoding, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/fhirrisk.v1.RiskService/Forecast", "Method is unimplemented.")]
    [InlineData("/no.such.Service/Predict", "Service is unimplemented.")]
    [InlineData("/fhirrisk.v1.riskservice/predict", "Service is unimplemented.")] // paths are case-sensitive (review s21-grpc L2)
    [InlineData("/fhirrisk.v1.RiskService/predict", "Method is unimplemented.")]
    public async Task UnknownMethod_Unimplemented(string path, string details)
    {
        await using var server = await TestGrpcServer.StartAsync();

        var result = await GrpcJsClient.CallAsync(new JsonObject { ["address"] = server.Address, ["path"] = path });

        Assert.Equal("UNIMPLEMENTED", result.StatusName);
        Assert.Equal(details, result.Details);
    }

    [Fact]
    public async Task A_status_message_of_any_length_reaches_grpc_js_cut_to_a_bound()
    {
        // Review s21-grpc M1: a message quoting a 70,000-character caller string made trailers grpc-js could not read; the
        // call then never ended for it (or ended DEADLINE_EXCEEDED at its deadline).
        await using var server = await TestGrpcServer.StartAsync();
        var huge = "x" + new string('é', 99_998) + "y";
        server.Backend.OnPredict = (_, _) => throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, huge);

        var result = await GrpcJsClient.CallAsync(GrpcJsClient.Request(server, Risk, "Predict", new JsonObject { ["patient"] = new JsonObject() }));

        Assert.Equal("INVALID_ARGUMENT", result.StatusName);
        Assert.Equal(FhirRisk.Server.Grpc.Internal.GrpcServerCall.MaxStatusMessageLength, result.Details.Length);
        Assert.StartsWith("xéé", result.Details, StringComparison.Ordinal);
        Assert.EndsWith("é…", result.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BackendErrors_MappedByTheFunnel()
    {
        await using var server = await TestGrpcServer.StartAsync();
        server.Backend.OnPredict = (request, _) => request.Patient.Reference switch
        {
            "bad" => throw new ArgumentException("Jane Doe", "tasks"),
            "missing" => throw new GrpcStatusException(GrpcStatusCode.NotFound, "Patient not found."),
            _ => throw new InvalidOperationException("Jane Doe"),
        };
        JsonObject Call(string reference) => GrpcJsClient.Request(server, Risk, "Predict", new JsonObject { ["patient"] = new JsonObject { ["reference"] = reference } });

        var results = (await GrpcJsClient.CallAsync(new JsonObject { ["calls"] = new JsonArray(Call("bad"), Call("missing"), Call("other")) }))
            .Root.GetProperty("results").EnumerateArray().Select(r => new GrpcJsResult(r)).ToArray();

        Assert.Equal(("INVALID_ARGUMENT", "Invalid argument 'tasks'."), (results[0].StatusName, results[0].Details));
        Assert.Equal(("NOT_FOUND", "Patient not found."), (results[1].StatusName, results[1].Details));
        Assert.Equal("INTERNAL", results[2].StatusName);
        Assert.DoesNotContain("Jane", results[2].Details, StringComparison.Ordinal);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
