using FhirRisk.Server.Grpc.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Grpc;

internal static class GrpcEndpointRouteBuilderExtensions
{
    /// <summary>Maps each bound method of <typeparamref name="TService"/> (a DI singleton) to <c>POST /{service}/{method}</c>.</summary>
    public static IEndpointRouteBuilder MapGrpcService<TService>(this IEndpointRouteBuilder endpoints)
        where TService : IGrpcService
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var service = endpoints.ServiceProvider.GetRequiredService<TService>();
        var binder = new GrpcServiceBinder(service.Descriptor, endpoints.ServiceProvider.GetRequiredService<GrpcCallEnvironment>());
        service.Bind(binder);
        endpoints.ServiceProvider.GetRequiredService<GrpcServiceTable>().Add(service.Descriptor.FullName);
        var environment = endpoints.ServiceProvider.GetRequiredService<GrpcCallEnvironment>();
        var services = endpoints.ServiceProvider.GetRequiredService<GrpcServiceTable>();
        foreach (var handler in binder.Handlers)
        {
            // Routing matches paths without regard to case; gRPC's are case-sensitive (PROTOCOL-HTTP2.md), so another
            // spelling of a method is a method no service implements (review s21-grpc L2).
            endpoints.MapPost(handler.Path, http => string.Equals(http.Request.Path.Value, handler.Path, StringComparison.Ordinal)
                    ? handler.HandleAsync(http)
                    : UnimplementedAsync(http, environment, services))
                .WithDisplayName("gRPC " + handler.Path).WithMetadata(new GrpcMethodMetadata(handler.Path));
        }
        return endpoints;
    }

    /// <summary>
    /// Answers gRPC calls to any other <c>/{service}/{method}</c> with UNIMPLEMENTED (trailers-only), as gRPC
    /// requires; literal routes (the bound methods, other endpoints) take precedence over this pattern.
    /// </summary>
    public static IEndpointRouteBuilder MapGrpcUnimplemented(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var environment = endpoints.ServiceProvider.GetRequiredService<GrpcCallEnvironment>();
        var services = endpoints.ServiceProvider.GetRequiredService<GrpcServiceTable>();
        endpoints.MapPost("/{service}/{method}", http => UnimplementedAsync(http, environment, services))
            .WithDisplayName("gRPC unimplemented").WithMetadata(new GrpcMethodMetadata(GrpcMethodMetadata.Unimplemented));
        return endpoints;
    }

    private static async Task UnimplementedAsync(HttpContext http, GrpcCallEnvironment environment, GrpcServiceTable services)
    {
        if (!await GrpcHttpChecks.AcceptAsync(http, environment.Logger, unknownPath: true))
            return;
        var path = http.Request.Path.Value ?? "";
        GrpcLog.Unimplemented(environment.Logger, LogText.Of(path));
        // A bound method's route spelled otherwise has no route values: the service is the path's first segment.
        var service = (string?)http.GetRouteValue("service") ?? path.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        var message = services.Contains(service) ? "Method is unimplemented." : "Service is unimplemented.";
        using var call = new GrpcServerCall(http, path, environment.Options, timeout: null, environment.Time);
        await call.CompleteAsync(new GrpcStatus(GrpcStatusCode.Unimplemented, message));
    }
}

/// <summary>Marks a gRPC endpoint with its method path (or <see cref="Unimplemented"/> for the catch-all route), so
/// request metrics and the shutdown drain can tell gRPC calls from other requests without parsing paths.</summary>
internal sealed record GrpcMethodMetadata(string Path)
{
    /// <summary>The label of calls to methods no service implements (their paths are the callers' choice).</summary>
    public const string Unimplemented = "unimplemented";
}

/// <summary>The fully qualified names of the services mapped so far.</summary>
internal sealed class GrpcServiceTable
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public void Add(string service)
    {
        lock (_names)
            _names.Add(service);
    }

    public bool Contains(string service)
    {
        lock (_names)
            return _names.Contains(service);
    }
}
