using FhirRisk.Server.Grpc;
using Microsoft.AspNetCore.Routing;

namespace FhirRisk.Server.Http;

/// <summary>
/// What a request is, for metrics labels and the shutdown drain: its surface and its endpoint as routed (a route
/// pattern or a gRPC method path, never the request's own path, which may hold patient ids).
/// </summary>
internal readonly record struct RequestKind(string Surface, string Endpoint)
{
    public const string CdsHooks = "cds_hooks";
    public const string FhirPush = "fhir_push";
    public const string Grpc = "grpc";
    public const string Health = "health";
    public const string Metrics = "metrics";
    public const string Other = "other";

    /// <summary>The endpoint label of requests that matched no endpoint.</summary>
    public const string Unmatched = "unmatched";

    private const string GrpcHealthPrefix = "/grpc.health.v1.Health/";

    /// <summary>Work the drain waits for and refuses once shutdown begins: CDS Hooks, FHIR push and gRPC calls other
    /// than the health service (which keeps answering NOT_SERVING while the server drains).</summary>
    public bool IsWork => Surface is CdsHooks or FhirPush
        || (Surface == Grpc && !Endpoint.StartsWith(GrpcHealthPrefix, StringComparison.Ordinal));

    /// <summary>Classifies the endpoint routing chose for <paramref name="http"/> (call after routing).</summary>
    public static RequestKind Of(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var endpoint = http.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<GrpcMethodMetadata>() is { } grpc)
            return new RequestKind(Grpc, grpc.Path);
        if (endpoint is not RouteEndpoint { RoutePattern.RawText: { } pattern })
            return new RequestKind(Other, Unmatched);
        var path = pattern.StartsWith('/') ? pattern : "/" + pattern;
        var surface = path switch
        {
            _ when path.StartsWith("/cds-services", StringComparison.Ordinal) => CdsHooks,
            _ when path.StartsWith("/fhir", StringComparison.Ordinal) => FhirPush,
            _ when path.StartsWith("/health/", StringComparison.Ordinal) => Health,
            "/metrics" => Metrics,
            _ => Other,
        };
        return new RequestKind(surface, path);
    }
}
