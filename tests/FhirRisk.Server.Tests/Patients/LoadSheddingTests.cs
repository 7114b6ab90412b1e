using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FhirRisk.Inference.Prediction;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.CdsHooks;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Tests.Risk;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Tests.Patients;

/// <summary><see cref="RolloutAdmission"/> on its own: places, the queue timeout, the default capacity, the options.</summary>
public sealed class RolloutAdmissionTests
{
    [Fact]
    public async Task It_admits_up_to_its_capacity_and_a_lease_frees_its_place_once()
    {
        using var admission = Admission(concurrency: 2, wait: TimeSpan.Zero);

        using var first = await admission.TryEnterAsync(CancellationToken.None);
        var second = await admission.TryEnterAsync(CancellationToken.None);
        var third = await admission.TryEnterAsync(CancellationToken.None);

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(third);
        Assert.Equal(2, admission.InFlight);
        second!.Dispose();
        second.Dispose(); // a second dispose must not free another request's place
        Assert.Equal(1, admission.InFlight);
        using var again = await admission.TryEnterAsync(CancellationToken.None);
        Assert.NotNull(again);
        Assert.Null(await admission.TryEnterAsync(CancellationToken.None));
        Assert.Equal(3, admission.Admitted);
    }

    [Fact]
    public async Task A_request_waits_for_a_place_that_frees_within_the_queue_timeout()
    {
        using var admission = Admission(concurrency: 1, wait: TimeSpan.FromSeconds(30));
        var held = await admission.TryEnterAsync(CancellationToken.None);

        var waiting = admission.TryEnterAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        held!.Dispose();
        using var admitted = await waiting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(admitted);
        Assert.Equal(1, admission.InFlight);
    }

    [Fact]
    public async Task Rejecting_counts_and_says_when_to_retry_without_patient_data()
    {
        using var admission = Admission(concurrency: 1, wait: TimeSpan.Zero);
        using (await admission.TryEnterAsync(CancellationToken.None))
        {
            var busy = await Assert.ThrowsAsync<RiskModelBusyException>(() => admission.EnterOrRejectAsync(CancellationToken.None));
            Assert.True(busy.RetryAfter >= TimeSpan.FromSeconds(1));
            Assert.Contains("Model:RolloutConcurrency", busy.Message, StringComparison.Ordinal);
        }
        Assert.Equal(1, admission.Rejected);
        Assert.Equal(0, admission.FellBack);
    }

    [Fact]
    public void Capacity_defaults_to_one_per_compute_thread()
    {
        using var threads = new RolloutAdmission(Options.Create(new RiskModelOptions { Threads = 3 }));
        using var cores = new RolloutAdmission(Options.Create(new RiskModelOptions()));

        Assert.Equal(3, threads.Capacity);
        Assert.Equal(Environment.ProcessorCount, cores.Capacity);
    }

    [Theory]
    [InlineData(-1, "00:00:01", "heads", "Model:RolloutConcurrency")]
    [InlineData(0, "-00:00:01", "heads", "Model:RolloutQueueTimeout")]
    [InlineData(0, "00:00:01", "queue", "Model:RolloutOverload")]
    public void Bad_settings_fail_validation_naming_the_setting(int concurrency, string wait, string overload, string setting)
    {
        var options = new RiskModelOptions { RolloutConcurrency = concurrency, RolloutQueueTimeout = TimeSpan.Parse(wait, System.Globalization.CultureInfo.InvariantCulture), RolloutOverload = overload };

        var result = new RiskModelOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(setting, result.FailureMessage, StringComparison.Ordinal);
    }

    private static RolloutAdmission Admission(int concurrency, TimeSpan wait) =>
        new(Options.Create(new RiskModelOptions { RolloutConcurrency = concurrency, RolloutQueueTimeout = wait }));
}

/// <summary>
/// The whole server with the demo model (heads and rollouts), rollouts as the default method and one rollout place that
/// the test holds: what each surface answers while the rollout engine is at capacity (docs/operations.md "Load shedding").
/// </summary>
public sealed class LoadSheddingTests : IAsyncLifetime
{
    private const string PatientId = "shed-q4";
    private const string Risk = "fhirrisk.v1.RiskService";

    private TestFhirRiskServer _server = null!;

    private RolloutAdmission Admission => _server.Services.GetRequiredService<RolloutAdmission>();

    public async Task InitializeAsync()
    {
        var settings = DemoModel.Settings;
        settings["Model:DefaultMethod"] = "rollouts";
        settings["Model:RolloutConcurrency"] = "1";
        settings["Model:RolloutQueueTimeout"] = "00:00:00";
        settings["CdsHooks:Authentication:Mode"] = "LocalDemo";
        _server = await TestFhirRiskServer.StartAsync(settings, cdsHooks: true);
        await _server.WaitUntilReadyAsync();
        using var pushed = await _server.PostAsync("/fhir", TestBundles.Patient(PatientId).ToJsonString());
        Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task At_capacity_a_prediction_that_left_the_method_to_the_service_is_answered_by_the_heads_and_says_so()
    {
        var request = new PatientRiskRequest(PatientId, [], ["hospital_mortality", "icu_admission"]);
        PatientRiskResult shed;
        using (await HoldTheOnlyPlaceAsync())
        {
            shed = await _server.Patients.PredictAsync(request).WaitAsync(TestFhirRiskServer.Timeout);
            await Assert.ThrowsAsync<RiskModelBusyException>(() =>
                _server.Patients.PredictAsync(request with { Method = RiskMethod.Rollouts }).WaitAsync(TestFhirRiskServer.Timeout));
        }
        var admitted = await _server.Patients.PredictAsync(request).WaitAsync(TestFhirRiskServer.Timeout);

        Assert.True(shed.AnsweredByHeadsWhenBusy);
        Assert.All(shed.Risks, r => Assert.Equal(RiskMethod.Heads, r.Method));
        Assert.Contains(shed.Warnings, w => w.StartsWith(TimelinePredictor.RolloutsBusyCode + " ", StringComparison.Ordinal));
        Assert.False(admitted.AnsweredByHeadsWhenBusy);
        Assert.All(admitted.Risks, r => Assert.Equal(RiskMethod.Rollouts, r.Method));
        Assert.Equal((1, 1), (Admission.FellBack, Admission.Rejected));
        Assert.Equal(0, Admission.InFlight);

        var metrics = await _server.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("fhirrisk_rollout_requests_fell_back_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fhirrisk_rollout_requests_rejected_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fhirrisk_rollout_requests_capacity 1\n", metrics, StringComparison.Ordinal);
        Assert.Empty(_server.Logs.Errors);
    }

    [Fact]
    public async Task A_card_answered_by_the_heads_at_capacity_tells_the_clinician()
    {
        string body;
        using (await HoldTheOnlyPlaceAsync())
        {
            using var response = await _server.PostAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
                CdsRequests.Hook("patient-view", patientId: PatientId), "application/json");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            body = await response.Content.ReadAsStringAsync();
        }

        using var cards = JsonDocument.Parse(body);
        // Without a prefetch the service also adds an info card on the data it could not fetch; the risk cards name a method.
        var details = cards.RootElement.GetProperty("cards").EnumerateArray().Select(c => c.GetProperty("detail").GetString()!)
            .Where(d => d.Contains("Method: ", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(details);
        Assert.All(details, d => Assert.Contains(RiskCardFactory.BusyNote, d, StringComparison.Ordinal));
        Assert.All(details, d => Assert.Contains("calibrated task head", d, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Over_gRPC_calls_that_must_sample_are_RESOURCE_EXHAUSTED_and_the_rest_are_answered()
    {
        GrpcJsResult[] results;
        using (await HoldTheOnlyPlaceAsync())
        {
            var output = await GrpcJsClient.CallAsync(new JsonObject
            {
                ["calls"] = new JsonArray(
                    Call("Predict", new JsonObject { ["patient"] = Stored(), ["options"] = Tasks("METHOD_ROLLOUTS") }),
                    Call("Generate", new JsonObject { ["patient"] = Stored(), ["trajectories"] = 1, ["max_tokens"] = 8 }),
                    Call("Explain", new JsonObject { ["patient"] = Stored(), ["task"] = "hospital_mortality", ["method"] = "METHOD_ROLLOUTS" }),
                    Call("Predict", new JsonObject { ["patient"] = Stored(), ["options"] = Tasks("METHOD_UNSPECIFIED") }),
                    Call("Explain", new JsonObject { ["patient"] = Stored(), ["task"] = "hospital_mortality", ["method"] = "METHOD_HEADS" }),
                    Call("Embed", new JsonObject { ["patient"] = Stored() })),
            });
            results = [.. output.Root.GetProperty("results").EnumerateArray().Select(r => new GrpcJsResult(r))];
        }

        Assert.Equal(["RESOURCE_EXHAUSTED", "RESOURCE_EXHAUSTED", "RESOURCE_EXHAUSTED", "OK", "OK", "OK"], results.Select(r => r.StatusName));
        Assert.All(results[..3], r => Assert.Contains("Model:RolloutConcurrency", r.Details, StringComparison.Ordinal));
        Assert.All(results, r => Assert.DoesNotContain(PatientId, r.Details, StringComparison.Ordinal));
        var fellBack = results[3].Messages.Single();
        Assert.Equal("METHOD_HEADS", fellBack.GetProperty("risks")[0].GetProperty("method").GetString());
        Assert.Contains(fellBack.GetProperty("issues").EnumerateArray(), i => i.GetProperty("code").GetString() == TimelinePredictor.RolloutsBusyCode);
        Assert.Empty(_server.Logs.Errors);
    }

    [Fact]
    public async Task PredictStream_patients_wait_for_a_place_and_get_the_rollouts_they_asked_for()
    {
        var held = await HoldTheOnlyPlaceAsync();
        var admittedBefore = Admission.Admitted;
        var call = GrpcJsClient.CallAsync(new JsonObject
        {
            ["address"] = _server.GrpcAddress, ["service"] = Risk, ["method"] = "PredictStream", ["deadlineMs"] = 60000,
            ["request"] = new JsonObject
            {
                ["patients"] = new JsonArray(Stored(), Stored()),
                ["options"] = Tasks("METHOD_ROLLOUTS"),
            },
        });
        // Release only once the stream's patients are queued at the full gate: shed, they would be RESOURCE_EXHAUSTED.
        using (var timeout = new CancellationTokenSource(TestFhirRiskServer.Timeout))
        {
            while (!call.IsCompleted && !await StreamIsWaitingAsync())
                await Task.Delay(50, timeout.Token);
        }
        held.Dispose();
        var result = await call;

        Assert.True(result.StatusName == "OK", result.ToString());
        Assert.Equal(2, result.Messages.Count);
        Assert.All(result.Messages, m => Assert.Equal("METHOD_ROLLOUTS", m.GetProperty("prediction").GetProperty("risks")[0].GetProperty("method").GetString()));
        Assert.Equal(admittedBefore + 2, Admission.Admitted);
        Assert.Equal((0, 0), (Admission.FellBack, Admission.Rejected));
    }

    [Fact]
    public async Task PredictStream_starts_no_more_patients_than_a_client_that_stopped_reading_can_be_owed()
    {
        // Review s21-grpc H1: every patient was started at once and every answer queued without bound, so a client that
        // sent many patients and read nothing made the server hold all their answers.
        var backend = _server.Services.GetRequiredService<FhirRisk.Server.Risk.IRiskServiceBackend>();
        var places = _server.Services.GetRequiredService<IOptions<RiskModelOptions>>().Value.StreamConcurrency;
        var request = new FhirRisk.Grpc.V1.PredictStreamRequest
        {
            Options = new FhirRisk.Grpc.V1.PredictOptions { Tasks = { "hospital_mortality" }, Method = FhirRisk.Grpc.V1.Method.Rollouts, Rollouts = 1 },
        };
        for (var i = 0; i < 40; i++)
            request.Patients.Add(new FhirRisk.Grpc.V1.PatientInput { Stored = new FhirRisk.Grpc.V1.StoredPatient { PatientId = PatientId } });
        var before = Admission.Admitted;

        await using (var answers = backend.PredictStreamAsync(request, CancellationToken.None).GetAsyncEnumerator())
        {
            Assert.True(await answers.MoveNextAsync().AsTask().WaitAsync(TestFhirRiskServer.Timeout));
            var started = await SettledAsync(() => Admission.Admitted - before);
            // One answer read, a queue of `places` answers, and `places` patients holding their places to queue theirs.
            Assert.InRange(started, 1, 1 + 2 * places);
            Assert.True(started < request.Patients.Count);
        }
        var stopped = Admission.Admitted - before;
        Assert.Equal(stopped, await SettledAsync(() => Admission.Admitted - before));
        Assert.True(stopped < request.Patients.Count, "the call's work outlived it");
    }

    [Fact]
    public async Task PredictStream_refuses_more_patients_than_the_server_takes_in_one_call()
    {
        var limit = _server.Services.GetRequiredService<IOptions<RiskModelOptions>>().Value.MaxStreamPatients;
        var patients = new JsonArray();
        for (var i = 0; i <= limit; i++)
            patients.Add(new JsonObject { ["reference"] = "p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var admittedBefore = Admission.Admitted;

        var result = await GrpcJsClient.CallAsync(Call("PredictStream", new JsonObject { ["patients"] = patients, ["options"] = Tasks("METHOD_HEADS") }));

        Assert.Equal("INVALID_ARGUMENT", result.StatusName);
        Assert.Contains("Model:MaxStreamPatients", result.Details, StringComparison.Ordinal);
        Assert.Empty(result.Messages);
        Assert.Equal(admittedBefore, Admission.Admitted);
    }

    /// <summary>The value once it has not changed for a second (at most the test timeout).</summary>
    private static async Task<long> SettledAsync(Func<long> read)
    {
        using var timeout = new CancellationTokenSource(TestFhirRiskServer.Timeout);
        var value = read();
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token);
            var next = read();
            if (next == value)
                return value;
            value = next;
        }
    }

    /// <summary>True while a work request is in flight on the server (the stream, waiting at the held gate).</summary>
    private async Task<bool> StreamIsWaitingAsync()
    {
        var metrics = await _server.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var line = metrics.Split('\n').Single(l => l.StartsWith("fhirrisk_requests_in_flight ", StringComparison.Ordinal));
        return int.Parse(line["fhirrisk_requests_in_flight ".Length..], System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private async Task<IDisposable> HoldTheOnlyPlaceAsync() =>
        await Admission.TryEnterAsync(CancellationToken.None) ?? throw new InvalidOperationException("The rollout place is taken.");

    private JsonObject Call(string method, JsonObject request) => new()
    {
        ["address"] = _server.GrpcAddress, ["service"] = Risk, ["method"] = method, ["deadlineMs"] = 60000, ["request"] = request,
    };

    private static JsonObject Stored() => new() { ["stored"] = new JsonObject { ["patient_id"] = PatientId } };

    private static JsonObject Tasks(string method) => new() { ["tasks"] = new JsonArray("hospital_mortality"), ["method"] = method };
}

/// <summary>The CDS Hooks surface's answer to a rejected rollout request: 503, Retry-After and a FHIR OperationOutcome.</summary>
public sealed class BusyCdsHooksTests
{
    [Fact]
    public async Task A_rejected_request_is_503_with_Retry_After_and_a_throttled_OperationOutcome()
    {
        await using var server = await TestCdsServer.StartAsync();
        server.Risks.Behavior = _ => throw new RiskModelBusyException(TimeSpan.FromSeconds(7));

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch));
        using var outcome = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        var issue = outcome.RootElement.GetProperty("issue")[0];
        Assert.Equal("OperationOutcome", outcome.RootElement.GetProperty("resourceType").GetString());
        Assert.Equal("throttled", issue.GetProperty("code").GetString());
        Assert.Contains(server.Logs.Entries, e => e.EventId == 209);
        Assert.Empty(server.Logs.Errors);
    }
}
