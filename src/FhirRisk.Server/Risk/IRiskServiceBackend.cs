using FhirRisk.Grpc.V1;

namespace FhirRisk.Server.Risk;

/// <summary>
/// What <c>fhirrisk.v1.RiskService</c> needs from the rest of the server. It speaks the wire messages, so the
/// protocol layer stays a thin binding and one adapter (over FhirRisk.Inference's predictor and the timeline store)
/// owns the translation. Implementations throw <see cref="Grpc.GrpcStatusException"/> for a status they choose
/// (NOT_FOUND for an unknown stored patient, UNAVAILABLE while no model is loaded) and argument/format exceptions for
/// unusable input; anything else is answered INTERNAL. They set the service's health
/// (<see cref="Health.HealthStatusRegistry"/>, name <see cref="RiskGrpcService.ServiceName"/>).
/// </summary>
internal interface IRiskServiceBackend
{
    Task<PredictResponse> PredictAsync(PredictRequest request, CancellationToken cancellationToken);

    /// <summary>One item per patient, in completion order; a patient that fails yields an item with an Error and
    /// the stream goes on. Items are written as they come, so the enumeration may run long.</summary>
    IAsyncEnumerable<PredictStreamResponse> PredictStreamAsync(PredictStreamRequest request, CancellationToken cancellationToken);

    Task<ExplainResponse> ExplainAsync(ExplainRequest request, CancellationToken cancellationToken);

    Task<EmbedResponse> EmbedAsync(EmbedRequest request, CancellationToken cancellationToken);

    Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken);

    Task<IngestResponse> IngestAsync(IngestRequest request, CancellationToken cancellationToken);
}
