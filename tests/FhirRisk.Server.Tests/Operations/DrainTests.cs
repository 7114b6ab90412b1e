using System.Net;
using FhirRisk.Grpc.V1;
using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.Infrastructure;
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
        // The cancelled call ends without an OK: an error status, or its stream reset as the server closes.
        try
        {
            Assert.NotEqual(0, (await inFlight.WaitAsync(Timeout)).GrpcStatus);
        }
        catch (HttpRequestException)
        {
        }
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
