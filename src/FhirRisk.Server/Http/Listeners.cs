using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FhirRisk.Server.Http;

/// <summary>The service's listeners: the HTTP one (<c>Http</c>), gRPC's (<c>Grpc</c>) and CDS Hooks' own when
/// <c>CdsHooks:Port</c> is set.</summary>
internal enum ListenerKind
{
    Http,
    Grpc,
    CdsHooks,
}

/// <summary>Set on each connection by the listener that accepted it (<see cref="Listeners.Tag"/>).</summary>
internal sealed record ListenerFeature(ListenerKind Kind);

/// <summary>Endpoint metadata: the listeners an endpoint answers on. Endpoints without it (<c>/metrics</c>) answer on all.</summary>
internal sealed record ServedOn(ListenerKind Kind);

/// <summary>
/// Keeps each surface on its own listener. Every listener runs the same endpoints, so without this the gRPC port also
/// answered CDS Hooks calls and FHIR pushes over h2c, and the HTTP port gRPC calls: an operator who secures one port
/// (TLS, a network policy) left patient data and bearer tokens open on the other (service review s10 #3). A request
/// for an endpoint of another listener is answered 404, as if the path did not exist there.
/// </summary>
internal static class Listeners
{
    /// <summary>Marks the connections <paramref name="listen"/> accepts as <paramref name="kind"/>'s.</summary>
    public static void Tag(ListenOptions listen, ListenerKind kind)
    {
        ArgumentNullException.ThrowIfNull(listen);
        var feature = new ListenerFeature(kind);
        listen.Use(next => connection =>
        {
            connection.Features.Set(feature);
            return next(connection);
        });
    }

    /// <summary>Answers 404 to a request for an endpoint served on another listener (<see cref="ServedOn"/>). A request
    /// whose connection carries no tag (an in-memory test host) is let through.</summary>
    public static IApplicationBuilder UseListenerBoundaries(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<ServedOn>() is { } servedOn
                && context.Features.Get<ListenerFeature>() is { } listener && listener.Kind != servedOn.Kind)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            await next(context).ConfigureAwait(false);
        });
    }
}
