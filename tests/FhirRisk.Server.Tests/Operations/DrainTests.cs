using System.Net;
using System.Text.Json;
using FhirRisk.Grpc.V1;
using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.CdsHooks;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Timeline;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.Operations;

/// <summary>Graceful shutdown on the whole server: readiness goes false, new work is refused, in-flight work finishes
/// within the drain timeout or is cancelled after it.</summary>
public sealed class DrainTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly PredictRequest Predict = new() { Patient = new PatientInput { Stored = new StoredPatient { PatientId = "d1" } }, Options = new PredictOptions { Tasks = { "hospital_mortality" } } };

    [Fact]
    public async Task A_slow_prediction_finishes_while_shutdown_waits_and_new_work_is_refused_meanwhile()
    {
        var gate = new GatedPatientRiskService();
        await using var server = await StartAsync(gate, drainTimeout: "00:00:30");
        using var grpc = new RawGrpcClient(new Uri($"http://127.0.0.1:{server.GrpcPort}"));
        var inFlight = grpc.PostAsync("/fhirrisk.v1.RiskService/Predict", RawGrpcClient.Frame(Predict));
        await gate.Entered.WaitAsync(Timeout);

        var stopping = server.StopAsync();
        await WaitUntilNotReadyAsync(server);
        using var newGrpc = new RawGrpcClient(new Uri($"http://127.0.0.1:{server.GrpcPort}"));
        var refused = await newGrpc.PostAsync("/fhirrisk.v1.RiskService/Predict", RawGrpcClient.Frame(Predict));
        using var refusedPush = await server.PostAsync("/fhir", TestBundles.Patient("d2").ToJsonString());
        var health = await newGrpc.PostAsync("/grpc.health.v1.Health/Check", RawGrpcClient.Frame(new global::Grpc.Health.V1.HealthCheckRequest()));

        Assert.Equal(14, refused.GrpcStatus); // UNAVAILABLE
        Assert.True(refused.IsTrailersOnly);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refusedPush.StatusCode);
        Assert.Equal(0, health.GrpcStatus); // the health service still answers (NOT_SERVING) while draining
        Assert.False(stopping.IsCompleted, "shutdown did not wait for the in-flight prediction");
        Assert.False(inFlight.IsCompleted);

        gate.Release();
        var finished = await inFlight.WaitAsync(Timeout);
        await stopping.WaitAsync(Timeout);

        Assert.Equal(0, finished.GrpcStatus);
        Assert.False(gate.WasCancelled);
        Assert.True(server.Logs.Has(500) && server.Logs.Has(501));
    }

    [Fact]
    public async Task Work_still_running_at_the_drain_timeout_is_cancelled_and_shutdown_completes()
    {
        var gate = new GatedPatientRiskService();
        await using var server = await StartAsync(gate, drainTimeout: "00:00:00.300");
        using var grpc = new RawGrpcClient(new Uri($"http://127.0.0.1:{server.GrpcPort}"));
        var inFlight = grpc.PostAsync("/fhirrisk.v1.RiskService/Predict", RawGrpcClient.Frame(Predict));
        await gate.Entered.WaitAsync(Timeout);

        await server.StopAsync().WaitAsync(Timeout);

        Assert.True(gate.WasCancelled);
        Assert.True(server.Logs.Has(502));
        // The client still waits: UNAVAILABLE (retry elsewhere) with a real status, not a bare end of the stream or
        // CANCELLED, as if the client had gone (review s11-ops #1).
        var cancelled = await inFlight.WaitAsync(Timeout);
        Assert.Equal(14, cancelled.GrpcStatus);
    }

    [Fact]
    public async Task A_push_cut_off_at_the_drain_timeout_is_answered_503_with_an_OperationOutcome_not_an_empty_200()
    {
        // Review s11-ops #1: the push got "200 OK" with an empty body, and nothing was stored: a sender that checks
        // the status marks the bundle delivered and never resends it.
        var store = new GatedWriteStore();
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?> { ["Shutdown:DrainTimeout"] = "00:00:00.300" },
            services => services.AddSingleton<ITimelineStore>(store));
        await server.WaitUntilReadyAsync();
        var push = server.PostAsync("/fhir", TestBundles.Patient("d3").ToJsonString());
        await store.Entered.WaitAsync(Timeout);

        await server.StopAsync().WaitAsync(Timeout);
        using var response = await push.WaitAsync(Timeout);

        Assert.True(store.WasCancelled);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["PUSH014"], OutcomeCodes(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task A_push_still_waiting_for_a_place_at_the_drain_timeout_is_answered_503_not_500()
    {
        // Review s13 L3: the limiter's wait ended in an OperationCanceledException nobody caught, answered 500. The push
        // holding the place ignores the drain, so the waiting one can only leave by its cancelled wait.
        var store = new UncancellableWriteStore();
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["Shutdown:DrainTimeout"] = "00:00:00.300",
            ["FhirPush:MaxConcurrentPushes"] = "1",
            ["FhirPush:QueueTimeout"] = "00:01:00",
        }, services => services.AddSingleton<ITimelineStore>(store));
        await server.WaitUntilReadyAsync();
        var holding = server.PostAsync("/fhir", TestBundles.Patient("d5").ToJsonString());
        await store.Entered.WaitAsync(Timeout);
        var waiting = server.PostAsync("/fhir", TestBundles.Patient("d6").ToJsonString());
        var drain = server.Services.GetRequiredService<Shutdown.RequestDrain>();
        await StalledBody.WaitUntil(() => drain.InFlight == 2);

        var stopping = server.StopAsync();
        using var queued = await waiting.WaitAsync(Timeout);
        store.Release();
        await stopping.WaitAsync(Timeout);
        using var held = await holding.WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, queued.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), queued.Headers.RetryAfter?.Delta);
        Assert.Equal(["PUSH014"], OutcomeCodes(await queued.Content.ReadAsStringAsync()));
        Assert.Equal(1, store.Writes); // the waiting push stored nothing
    }

    [Fact]
    public async Task A_cds_hooks_call_cut_off_at_the_drain_timeout_is_answered_503_with_an_OperationOutcome_not_an_empty_200()
    {
        var gate = new GatedPatientRiskService();
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["Shutdown:DrainTimeout"] = "00:00:00.300",
            ["CdsHooks:Authentication:Mode"] = "LocalDemo",
        }, services => services.AddSingleton<IPatientRiskService>(gate), cdsHooks: true);
        await server.WaitUntilReadyAsync();
        var call = server.PostAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch), "application/json");
        await gate.Entered.WaitAsync(Timeout);

        await server.StopAsync().WaitAsync(Timeout);
        using var response = await call.WaitAsync(Timeout);

        Assert.True(gate.WasCancelled);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("OperationOutcome", body.RootElement.GetProperty("resourceType").GetString());
        Assert.Equal("transient", body.RootElement.GetProperty("issue")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task Pushes_and_cds_hooks_calls_refused_while_draining_get_their_surfaces_error_body_and_Retry_After()
    {
        // Review s11-ops #13: the refusal was text/plain without Retry-After, where docs/fhir-push.md promises an
        // OperationOutcome for every error.
        var gate = new GatedPatientRiskService();
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["Shutdown:DrainTimeout"] = "00:00:30",
            ["CdsHooks:Authentication:Mode"] = "LocalDemo",
        }, services => services.AddSingleton<IPatientRiskService>(gate), cdsHooks: true);
        await server.WaitUntilReadyAsync();
        using var grpc = new RawGrpcClient(new Uri($"http://127.0.0.1:{server.GrpcPort}"));
        var inFlight = grpc.PostAsync("/fhirrisk.v1.RiskService/Predict", RawGrpcClient.Frame(Predict));
        await gate.Entered.WaitAsync(Timeout);
        var stopping = server.StopAsync();
        await WaitUntilNotReadyAsync(server);

        using var push = await server.PostAsync("/fhir", TestBundles.Patient("d4").ToJsonString());
        using var hook = await server.PostAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch), "application/json");
        gate.Release();
        await inFlight.WaitAsync(Timeout);
        await stopping.WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, push.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), push.Headers.RetryAfter?.Delta);
        Assert.True(push.Headers.ConnectionClose);
        Assert.Equal("application/fhir+json", push.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["PUSH014"], OutcomeCodes(await push.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, hook.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), hook.Headers.RetryAfter?.Delta);
        Assert.Equal("application/json", hook.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await hook.Content.ReadAsStringAsync());
        Assert.Equal("transient", body.RootElement.GetProperty("issue")[0].GetProperty("code").GetString());
    }

    private static List<string> OutcomeCodes(string json)
    {
        using var body = JsonDocument.Parse(json);
        Assert.Equal("OperationOutcome", body.RootElement.GetProperty("resourceType").GetString());
        return [.. body.RootElement.GetProperty("issue").EnumerateArray()
            .Select(i => i.GetProperty("details").GetProperty("coding")[0].GetProperty("code").GetString()!)];
    }

    private static async Task<TestFhirRiskServer> StartAsync(GatedPatientRiskService gate, string drainTimeout)
    {
        var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?> { ["Shutdown:DrainTimeout"] = drainTimeout },
            services => services.AddSingleton<IPatientRiskService>(gate));
        await server.WaitUntilReadyAsync();
        return server;
    }

    private static async Task WaitUntilNotReadyAsync(TestFhirRiskServer server)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            using var response = await server.Http.GetAsync(new Uri("/health/ready", UriKind.Relative), timeout.Token);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                return;
            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>A store whose writes wait until their token is cancelled (the drain timing out); everything else as an
    /// empty, healthy store.</summary>
    private sealed class GatedWriteStore : EmptyTimelineStore
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public bool WasCancelled { get; private set; }

        public override async Task<IReadOnlyList<TimelineWriteResult>> WriteAsync(IReadOnlyList<TimelineResource> resources, CancellationToken cancellationToken = default)
        {
            _entered.TrySetResult();
            try
            {
                await Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                WasCancelled = true;
                throw;
            }
            throw new InvalidOperationException("unreachable");
        }
    }

    /// <summary>A store whose first write waits for <see cref="Release"/>, whatever its token says, then stores
    /// nothing; it counts writes.</summary>
    private sealed class UncancellableWriteStore : EmptyTimelineStore
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _writes;

        public Task Entered => _entered.Task;

        public int Writes => Volatile.Read(ref _writes);

        public void Release() => _released.TrySetResult();

        public override async Task<IReadOnlyList<TimelineWriteResult>> WriteAsync(IReadOnlyList<TimelineResource> resources, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _writes);
            _entered.TrySetResult();
            await _released.Task.WaitAsync(Timeout, CancellationToken.None);
            throw new TimelineStoreUnavailableException("released");
        }
    }

    /// <summary>Answers only when released; records whether its token was cancelled first.</summary>
    private sealed class GatedPatientRiskService : IPatientRiskService
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public bool WasCancelled { get; private set; }

        public void Release() => _released.TrySetResult();

        public async Task<PatientRiskResult> PredictAsync(PatientRiskRequest request, CancellationToken cancellationToken = default)
        {
            _entered.TrySetResult();
            try
            {
                await _released.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                WasCancelled = true;
                throw;
            }
            return new PatientRiskResult([new TaskRisk("hospital_mortality", 0.1, WilsonInterval.Of(1, 10), RiskMethod.Rollouts, 10, TimeSpan.Zero)], "gated", 1, []);
        }
    }
}
