using FhirRisk.Server.Http;
using FhirRisk.Server.Metrics;

namespace FhirRisk.Server;

/// <summary>What operators see (docs/operations.md): <c>/metrics</c> with the request metrics around every request, and
/// in local-demo mode a ready-to-paste CDS Hooks call once started. One Add and one Map (STYLE: eShop).</summary>
internal static class FhirRiskOperationsExtensions
{
    public static WebApplicationBuilder AddFhirRiskMetrics(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(_ =>
        {
            var registry = new MetricRegistry();
            RuntimeMetrics.AddTo(registry);
            return registry;
        });
        builder.Services.AddSingleton<ServiceMetrics>();
        return builder;
    }

    /// <summary>Call first among the Map calls: the request metrics then time every request, refusals included.</summary>
    public static WebApplication MapFhirRiskOperations(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.MapMetrics();
        LocalDemoCurl.LogWhenStarted(app);
        return app;
    }
}
