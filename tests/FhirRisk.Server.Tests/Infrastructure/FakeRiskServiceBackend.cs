using System.Runtime.CompilerServices;
using FhirRisk.Grpc.V1;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Health;
using FhirRisk.Server.Risk;
using Google.Protobuf.WellKnownTypes;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>
/// A backend whose behaviour each test sets. By default Predict answers one fixed risk per task; PredictStream
/// answers each patient after <see cref="StreamItemDelay"/>. <see cref="Cancelled"/> completes when a call's
/// token is cancelled, so tests can see deadlines and client cancellation reach the handler.
/// </summary>
internal sealed class FakeRiskServiceBackend : IRiskServiceBackend
{
    private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeRiskServiceBackend(HealthStatusRegistry health)
    {
        health.SetStatus(RiskGrpcService.ServiceName, ServingStatus.Serving);
    }

    public Func<PredictRequest, CancellationToken, Task<PredictResponse>>? OnPredict { get; set; }

    public Func<GenerateRequest, CancellationToken, Task<GenerateResponse>>? OnGenerate { get; set; }

    public TimeSpan StreamItemDelay { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>When set, PredictStream fails (ABORTED) after this many items.</summary>
    public int? FailStreamAfter { get; set; }

    /// <summary>Completes the first time a handler sees its cancellation token cancelled.</summary>
    public Task Cancelled => _cancelled.Task;

    public PredictRequest? LastPredictRequest { get; private set; }

    public async Task<PredictResponse> PredictAsync(PredictRequest request, CancellationToken cancellationToken)
    {
        LastPredictRequest = request;
        using var registration = Watch(cancellationToken);
        return OnPredict is null ? Answer(request.Patient, request.Options) : await OnPredict(request, cancellationToken);
    }

    public async IAsyncEnumerable<PredictStreamResponse> PredictStreamAsync(
        PredictStreamRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var registration = Watch(cancellationToken);
        for (var i = 0; i < request.Patients.Count; i++)
        {
            if (i == FailStreamAfter)
                throw new GrpcStatusException(GrpcStatusCode.Aborted, "The stream failed as the test asked.");
            await Task.Delay(StreamItemDelay, cancellationToken);
            var patient = request.Patients[i];
            yield return new PredictStreamResponse
            {
                Index = (uint)i,
                Reference = patient.Reference,
                Prediction = Answer(patient, request.Options),
            };
        }
    }

    public Task<ExplainResponse> ExplainAsync(ExplainRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(new ExplainResponse { Reference = request.Patient?.Reference ?? "" });

    public Task<EmbedResponse> EmbedAsync(EmbedRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(new EmbedResponse { Dimension = 2, Embedding = { 0.5f, -0.25f } });

    public async Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken)
    {
        using var registration = Watch(cancellationToken);
        return OnGenerate is null ? new GenerateResponse() : await OnGenerate(request, cancellationToken);
    }

    public Task<IngestResponse> IngestAsync(IngestRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(new IngestResponse { Accepted = 1 });

    /// <summary>A fixed answer: risk 0.25 in [0.2, 0.3] for each task asked (or hospital_mortality).</summary>
    public static PredictResponse Answer(PatientInput? patient, PredictOptions? options)
    {
        var response = new PredictResponse
        {
            Reference = patient?.Reference ?? "",
            Model = new ModelInfo { Name = "fake", Version = "1" },
            Latency = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(12)),
        };
        var tasks = options?.Tasks.Count > 0 ? options.Tasks.ToArray() : ["hospital_mortality"];
        foreach (var task in tasks)
        {
            response.Risks.Add(new FhirRisk.Grpc.V1.Risk
            {
                Task = task,
                Probability = 0.25,
                Interval = new Interval { Lower = 0.2, Upper = 0.3, Level = 0.95 },
                Method = FhirRisk.Grpc.V1.Method.Rollouts,
                N = 64,
                Latency = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(3)),
            });
        }
        return response;
    }

    private CancellationTokenRegistration Watch(CancellationToken cancellationToken) =>
        cancellationToken.Register(() => _cancelled.TrySetResult());
}
