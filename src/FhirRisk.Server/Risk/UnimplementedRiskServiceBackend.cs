using FhirRisk.Grpc.V1;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Health;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace FhirRisk.Server.Risk;

/// <summary>
/// The backend until the predictor adapter exists: every method answers UNIMPLEMENTED, and the service's health is
/// NOT_SERVING so that probes and load balancers do not send it traffic.
/// </summary>
internal sealed class UnimplementedRiskServiceBackend : IRiskServiceBackend
{
    private const string Message = "No risk model is wired into this server yet.";

    public UnimplementedRiskServiceBackend(HealthStatusRegistry health)
    {
        ArgumentNullException.ThrowIfNull(health);
        health.SetStatus(RiskGrpcService.ServiceName, ServingStatus.NotServing);
    }

    public Task<PredictResponse> PredictAsync(PredictRequest request, CancellationToken cancellationToken) => throw Unimplemented();

    public IAsyncEnumerable<PredictStreamResponse> PredictStreamAsync(PredictStreamRequest request, CancellationToken cancellationToken) =>
        throw Unimplemented();

    public Task<ExplainResponse> ExplainAsync(ExplainRequest request, CancellationToken cancellationToken) => throw Unimplemented();

    public Task<EmbedResponse> EmbedAsync(EmbedRequest request, CancellationToken cancellationToken) => throw Unimplemented();

    public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken) => throw Unimplemented();

    public Task<IngestResponse> IngestAsync(IngestRequest request, CancellationToken cancellationToken) => throw Unimplemented();

    private static GrpcStatusException Unimplemented() => new(GrpcStatusCode.Unimplemented, Message);
}
