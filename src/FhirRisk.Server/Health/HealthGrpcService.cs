using FhirRisk.Server.Grpc;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Grpc.Health.V1;

namespace FhirRisk.Server.Health;

/// <summary><c>grpc.health.v1.Health</c> over the <see cref="HealthStatusRegistry"/>.</summary>
internal sealed class HealthGrpcService(HealthStatusRegistry registry) : IGrpcService
{
    /// <summary>gRFC A90: List may refuse past this many services.</summary>
    public const int MaxListedServices = 100;

    public ServiceDescriptor Descriptor => HealthReflection.Descriptor.Services[0];

    public void Bind(GrpcServiceBinder binder)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.Unary<HealthCheckRequest, HealthCheckResponse>("Check", CheckAsync);
        binder.Unary<HealthListRequest, HealthListResponse>("List", ListAsync);
        binder.ServerStreaming<HealthCheckRequest, HealthCheckResponse>("Watch", WatchAsync);
    }

    private Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, GrpcCallContext context) =>
        registry.TryGetStatus(request.Service, out var status)
            ? Task.FromResult(new HealthCheckResponse { Status = status })
            : throw new GrpcStatusException(GrpcStatusCode.NotFound, "Unknown service.");

    private Task<HealthListResponse> ListAsync(HealthListRequest request, GrpcCallContext context)
    {
        var statuses = registry.Snapshot();
        if (statuses.Count > MaxListedServices)
            throw new GrpcStatusException(GrpcStatusCode.ResourceExhausted, $"More than {MaxListedServices} services.");
        var response = new HealthListResponse();
        foreach (var (service, status) in statuses)
            response.Statuses.Add(service, new HealthCheckResponse { Status = status });
        return Task.FromResult(response);
    }

    private async Task WatchAsync(HealthCheckRequest request, IGrpcStreamWriter<HealthCheckResponse> responses, GrpcCallContext context)
    {
        using var watch = registry.Watch(request.Service);
        await foreach (var status in watch.Statuses.ReadAllAsync(context.CancellationToken))
            await responses.WriteAsync(new HealthCheckResponse { Status = status }, context.CancellationToken);
        // The registry ended the watch: the server is stopping. Clients retry on any status but UNIMPLEMENTED.
        throw new GrpcStatusException(GrpcStatusCode.Unavailable, "The server is shutting down.");
    }
}
