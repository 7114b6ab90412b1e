using FhirRisk.Grpc.V1;
using FhirRisk.Server.Grpc;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace FhirRisk.Server.Risk;

/// <summary><c>fhirrisk.v1.RiskService</c>: each method handed to the <see cref="IRiskServiceBackend"/>.</summary>
internal sealed class RiskGrpcService(IRiskServiceBackend backend) : IGrpcService
{
    public const string ServiceName = "fhirrisk.v1.RiskService";

    public ServiceDescriptor Descriptor => RiskServiceReflection.Descriptor.Services[0];

    public void Bind(GrpcServiceBinder binder)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.Unary<PredictRequest, PredictResponse>("Predict", (r, c) => backend.PredictAsync(r, c.CancellationToken));
        binder.ServerStreaming<PredictStreamRequest, PredictStreamResponse>("PredictStream", PredictStreamAsync);
        binder.Unary<ExplainRequest, ExplainResponse>("Explain", (r, c) => backend.ExplainAsync(r, c.CancellationToken));
        binder.Unary<EmbedRequest, EmbedResponse>("Embed", (r, c) => backend.EmbedAsync(r, c.CancellationToken));
        binder.Unary<GenerateRequest, GenerateResponse>("Generate", (r, c) => backend.GenerateAsync(r, c.CancellationToken));
        binder.Unary<IngestRequest, IngestResponse>("Ingest", (r, c) => backend.IngestAsync(r, c.CancellationToken));
    }

    private async Task PredictStreamAsync(
        PredictStreamRequest request, IGrpcStreamWriter<PredictStreamResponse> responses, GrpcCallContext context)
    {
        await foreach (var item in backend.PredictStreamAsync(request, context.CancellationToken).WithCancellation(context.CancellationToken))
            await responses.WriteAsync(item, context.CancellationToken);
    }
}
