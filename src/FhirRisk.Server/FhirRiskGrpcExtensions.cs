using FhirRisk.Server.Grpc;
using FhirRisk.Server.Health;
using FhirRisk.Server.Risk;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server;

/// <summary>The gRPC surface of the service (DESIGN §7): one Add and one Map for Program.cs and the tests.</summary>
internal static class FhirRiskGrpcExtensions
{
    /// <summary>Protocol, health registry and services. A backend registered before this call replaces the
    /// UNIMPLEMENTED placeholder.</summary>
    public static WebApplicationBuilder AddFhirRiskGrpc(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddGrpcProtocol(builder.Configuration);
        builder.Services.AddSingleton(provider => new HealthStatusRegistry(
            provider.GetRequiredService<ILogger<HealthStatusRegistry>>(),
            provider.GetRequiredService<IOptions<GrpcServerOptions>>().Value.MaxHealthWatches));
        builder.Services.AddSingleton(provider => new HealthGrpcService(
            provider.GetRequiredService<HealthStatusRegistry>(),
            provider.GetRequiredService<IOptions<GrpcServerOptions>>().Value.HealthWatchLifetime));
        builder.Services.TryAddSingleton<IRiskServiceBackend, UnimplementedRiskServiceBackend>();
        builder.Services.AddSingleton<RiskGrpcService>();
        return builder;
    }

    public static WebApplication MapFhirRiskGrpc(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var health = app.Services.GetRequiredService<HealthStatusRegistry>();
        app.Lifetime.ApplicationStopping.Register(health.EnterShutdown);
        var grpc = app.MapGroup("").WithMetadata(new Http.ServedOn(Http.ListenerKind.Grpc));
        grpc.MapGrpcService<HealthGrpcService>();
        grpc.MapGrpcService<RiskGrpcService>();
        grpc.MapGrpcUnimplemented();
        // The backend sets the service's health when it is created; create it now rather than on the first call.
        _ = app.Services.GetRequiredService<IRiskServiceBackend>();
        return app;
    }
}
