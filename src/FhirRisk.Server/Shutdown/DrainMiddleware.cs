using FhirRisk.Server.Grpc;
using FhirRisk.Server.Grpc.Internal;
using FhirRisk.Server.Http;
using Microsoft.Net.Http.Headers;

namespace FhirRisk.Server.Shutdown;

/// <summary>
/// Admits work through the <see cref="RequestDrain"/>: while the server drains, new work is refused (HTTP 503 and
/// <c>Connection: close</c>; gRPC UNAVAILABLE, trailers-only, which clients retry elsewhere); admitted work runs with
/// its request token also cancelled when the drain times out.
/// </summary>
internal sealed class DrainMiddleware(RequestDelegate next, RequestDrain drain)
{
    public const string RefusalMessage = "The server is shutting down; retry on another instance.";

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
        var aborted = http.RequestAborted;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, drain.DrainTimedOut);
        http.RequestAborted = linked.Token;
        try
        {
            await next(http);
        }
        finally
        {
            http.RequestAborted = aborted;
            drain.Exit();
        }
    }

    private static async Task RefuseAsync(HttpContext http)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is { } method && GrpcProtocol.IsGrpcContentType(http.Request.ContentType))
        {
            var environment = http.RequestServices.GetRequiredService<GrpcCallEnvironment>();
            using var call = new GrpcServerCall(http, method.Path, environment.Options, timeout: null, environment.Time);
            await call.CompleteAsync(new GrpcStatus(GrpcStatusCode.Unavailable, RefusalMessage));
            return;
        }
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers[HeaderNames.Connection] = "close";
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync(RefusalMessage + "\n", http.RequestAborted);
    }
}
