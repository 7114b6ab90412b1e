using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Grpc.Internal;

/// <summary>
/// The HTTP-level checks before a request is treated as a gRPC call. Failures are answered with an HTTP status, not a
/// gRPC one, as gRPC doc/PROTOCOL-HTTP2.md asks: a non-gRPC client must not read a gRPC error (HTTP 200) as success.
/// </summary>
internal static class GrpcHttpChecks
{
    /// <summary>True when the request may proceed; otherwise the HTTP answer is written.</summary>
    /// <param name="unknownPath">For the catch-all route: a request that is not gRPC there is simply not found.</param>
    public static async ValueTask<bool> AcceptAsync(HttpContext http, ILogger logger, bool unknownPath)
    {
        var request = http.Request;
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            var status = unknownPath ? StatusCodes.Status404NotFound : StatusCodes.Status415UnsupportedMediaType;
            await RefuseAsync(http, logger, status, $"Content-Type must be {GrpcProtocol.ContentType}.");
            return false;
        }
        if (!HttpProtocol.IsHttp2(request.Protocol) && !HttpProtocol.IsHttp3(request.Protocol))
        {
            http.Response.Headers.Upgrade = "h2c";
            await RefuseAsync(http, logger, StatusCodes.Status426UpgradeRequired, "gRPC requires HTTP/2.");
            return false;
        }
        return true;
    }

    private static Task RefuseAsync(HttpContext http, ILogger logger, int status, string reason)
    {
        GrpcLog.HttpRefused(logger, LogText.Of(http.Request.Path.Value), status, reason);
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        return http.Response.WriteAsync(reason + "\n", http.RequestAborted);
    }
}
