namespace FhirRisk.Server.Metrics;

/// <summary><c>GET /metrics</c>: every metric in the Prometheus text exposition format.</summary>
internal static class MetricsEndpoints
{
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/metrics", (MetricRegistry registry) => Results.Text(registry.Scrape(), PrometheusText.ContentType))
            .WithDisplayName("Prometheus metrics");
        return endpoints;
    }
}
