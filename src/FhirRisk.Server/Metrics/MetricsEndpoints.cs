namespace FhirRisk.Server.Metrics;

/// <summary>
/// <c>GET /metrics</c>: every metric in the Prometheus text exposition format, on the HTTP listener only. The gRPC
/// listener and a CDS Hooks listener of its own (<c>CdsHooks:Port</c>) answer 404: a port opened to EHRs or analytics
/// clients should not show request rates, load shedding and memory to whoever reaches it (security review s12 #13).
/// </summary>
internal static class MetricsEndpoints
{
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/metrics", (MetricRegistry registry) => Results.Text(registry.Scrape(), PrometheusText.ContentType))
            .WithDisplayName("Prometheus metrics")
            .WithMetadata(new Http.ServedOn(Http.ListenerKind.Http));
        return endpoints;
    }
}
