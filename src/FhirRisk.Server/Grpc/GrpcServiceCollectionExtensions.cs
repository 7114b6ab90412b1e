using FhirRisk.Server.Grpc.Internal;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Grpc;

internal static class GrpcServiceCollectionExtensions
{
    /// <summary>The gRPC protocol on Kestrel: options from the <c>Grpc</c> section (validated at start), the
    /// listener, and what the call handlers share.</summary>
    public static IServiceCollection AddGrpcProtocol(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<GrpcServerOptions>().Bind(configuration.GetSection(GrpcServerOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GrpcServerOptions>, GrpcServerOptionsValidator>();
        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<GrpcServerOptions>>((kestrel, grpc) => GrpcEndpointSetup.Configure(kestrel, grpc.Value));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<GrpcServiceTable>();
        services.AddSingleton(provider => new GrpcCallEnvironment(
            provider.GetRequiredService<IOptions<GrpcServerOptions>>().Value,
            provider.GetRequiredService<ILoggerFactory>().CreateLogger("FhirRisk.Server.Grpc"),
            provider.GetRequiredService<TimeProvider>()));
        return services;
    }
}
