using FhirRisk.Server.Grpc;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Grpc.Health.V1;

namespace FhirRisk.Server.Health;

/// <summary><c>grpc.health.v1.Health</c> over the <see cref="HealthStatusRegistry"/>. It needs no credentials (probes
/// call it), so a watch keeps only its service name, is refused past the registry's cap, and ends after
/// <paramref name="watchLifetime"/> (review s12 #1).</summary>
internal sealed class HealthGrpcService(HealthStatusRegistry registry, TimeSpan? watchLifetime = null) : IGrpcService
{
    /// <summary>gRFC A90: List may refuse past this many services.</summary>
    public const int MaxListedServices = 100;

    /// <summary>The largest request of a health method: a service name of at most
    /// <see cref="HealthStatusRegistry.MaxServiceNameBytes"/> with its framing fits with room to spare. Anyone may call
    /// these methods, so a larger request is refused (RESOURCE_EXHAUSTED) as it is read, not parsed first up to
    /// <c>Grpc:MaxReceiveMessageSize</c> (review s12 #1).</summary>
    public const int MaxRequestBytes = 1024;

    /// <summary>How long a watch lasts unless the host sets another lifetime (<c>Grpc:HealthWatchLifetime</c>).</summary>
    public static readonly TimeSpan DefaultWatchLifetime = TimeSpan.FromMinutes(30);

    private readonly TimeSpan _watchLifetime = watchLifetime ?? DefaultWatchLifetime;

    public ServiceDescriptor Descriptor => HealthReflection.Descriptor.Services[0];

    public void Bind(GrpcServiceBinder binder)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.Unary<HealthCheckRequest, HealthCheckResponse>("Check", CheckAsync, MaxRequestBytes);
        binder.Unary<HealthListRequest, HealthListResponse>("List", ListAsync, MaxRequestBytes);
        binder.ServerStreaming<HealthCheckRequest, HealthCheckResponse>("Watch", WatchAsync, MaxRequestBytes);
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

    /// <summary>Not async: the request message (up to <see cref="MaxRequestBytes"/>) is not kept for the watch's
    /// lifetime, only its name once checked.</summary>
    private Task WatchAsync(HealthCheckRequest request, IGrpcStreamWriter<HealthCheckResponse> responses, GrpcCallContext context)
    {
        var service = request.Service;
        if (!HealthStatusRegistry.IsAcceptableName(service))
        {
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument,
                $"A service name has at most {HealthStatusRegistry.MaxServiceNameBytes} UTF-8 bytes.");
        }
        if (!registry.TryWatch(service, out var watch))
        {
            throw new GrpcStatusException(GrpcStatusCode.ResourceExhausted,
                $"{registry.MaxWatchers} health watches are open (Grpc:MaxHealthWatches); use Check, or retry later.");
        }
        return SendStatusesAsync(watch, responses, context.CancellationToken);
    }

    private async Task SendStatusesAsync(HealthWatch watch, IGrpcStreamWriter<HealthCheckResponse> responses, CancellationToken callEnded)
    {
        using var _ = watch;
        using var expired = new CancellationTokenSource(_watchLifetime);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(callEnded, expired.Token);
        try
        {
            await foreach (var status in watch.Statuses.ReadAllAsync(either.Token))
                await responses.WriteAsync(new HealthCheckResponse { Status = status }, callEnded); // never cut a message
        }
        catch (OperationCanceledException) when (expired.IsCancellationRequested && !callEnded.IsCancellationRequested)
        {
            // End with OK after the lifetime: the client has had the current status, and gRPC's client-side health
            // checking starts a new watch at once when one ends after a response (doc/health-checking.md).
            return;
        }
        // The registry ended the watch: the server is stopping. Clients retry on any status but UNIMPLEMENTED.
        throw new GrpcStatusException(GrpcStatusCode.Unavailable, "The server is shutting down.");
    }
}
