namespace FhirRisk.Server.Health;

/// <summary>Kubernetes-style probes on the HTTP listener: <c>/health/live</c> (the process answers) and
/// <c>/health/ready</c> (model loaded, store reachable, not shutting down: 200, else 503), both with a small JSON body.</summary>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthProbes(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/health/live", () => Results.Json(new LiveBody("live"))).WithDisplayName("Liveness probe");
        endpoints.MapGet("/health/ready", async (ReadinessCheck readiness, CancellationToken cancellationToken) =>
        {
            var state = await readiness.CheckAsync(cancellationToken);
            return Results.Json(new ReadyBody(state.IsReady, state.ModelLoaded, state.StoreReachable, state.Draining),
                statusCode: state.IsReady ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).WithDisplayName("Readiness probe");
        return endpoints;
    }

    private sealed record LiveBody(string Status);

    private sealed record ReadyBody(bool Ready, bool Model, bool Store, bool Draining);
}
