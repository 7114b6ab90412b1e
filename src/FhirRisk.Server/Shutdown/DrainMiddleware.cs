using FhirRisk.Server.Grpc;
using FhirRisk.Server.Grpc.Internal;
using FhirRisk.Server.Http;

namespace FhirRisk.Server.Shutdown;

/// <summary>
/// Admits work through the <see cref="RequestDrain"/>: while the server drains, new work is refused
/// (<see cref="ShutdownAnswer"/>: HTTP 503 with <c>Retry-After</c> and the surface's error body; gRPC UNAVAILABLE,
/// trailers-only, which clients retry elsewhere); admitted work runs with its request token also cancelled when the
/// drain times out (<see cref="ServerCancellation"/>), and its handler then answers the same way.
/// </summary>
internal sealed class DrainMiddleware(RequestDelegate next, RequestDrain drain)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (!RequestKind.Of(http).IsWork)
        {
            await next(http);
            return;
        }
        if (!drain.TryEnter())
        {
            await RefuseAsync(http);
            return;
        }
        try
        {
            using (ServerCancellation.Link(http, drain.DrainTimedOut))
                await next(http);
        }
        finally
        {
            drain.Exit();
        }
    }

    /// <summary>Refuses work because the server is shutting down, in the surface's own terms (also for work still
    /// waiting for a place when the drain times out: <see cref="FhirPush.IngestLimitMiddleware"/>).</summary>
    internal static async Task RefuseAsync(HttpContext http)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is { } method && GrpcProtocol.IsGrpcContentType(http.Request.ContentType))
        {
            await GrpcServerCall.RefuseAsync(http, method.Path, ShutdownAnswer.GrpcRefusal);
            return;
        }
        await ShutdownAnswer.WriteHttpAsync(http, cancelled: false);
    }
}
