using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.FhirPush;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Http;
using Microsoft.Net.Http.Headers;

namespace FhirRisk.Server.Shutdown;

/// <summary>
/// The one place where "the server is shutting down" becomes each surface's error (docs/operations.md "Graceful
/// shutdown"): for work refused once the drain has begun, and for admitted work the drain cancelled at its timeout.
/// Both are 503 with <c>Retry-After</c> and the surface's own error body — an OperationOutcome with PUSH014 on FHIR push
/// (docs/fhir-push.md: every error body is one), a CDS Hooks OperationOutcome with code <c>transient</c> — and gRPC
/// UNAVAILABLE, which clients retry on another replica (a cancelled call's status comes from
/// <see cref="Grpc.Internal.GrpcErrorFunnel"/>, like every other status of a call that ran).
/// </summary>
internal static class ShutdownAnswer
{
    public const string RefusedMessage = "The server is shutting down; retry on another instance.";

    public const string CancelledMessage = "The server is shutting down and cancelled this request before it completed; retry on another instance.";

    /// <summary>Seconds a client should wait before it retries here; another replica can be tried at once.</summary>
    public const string RetryAfterSeconds = "5";

    /// <summary>The status of a gRPC call refused while the server drains (trailers-only).</summary>
    public static GrpcStatus GrpcRefusal => new(GrpcStatusCode.Unavailable, RefusedMessage);

    /// <summary>Writes the 503 of an HTTP work request. <paramref name="detail"/> says what became of the request's data
    /// (a push that stored nothing, or some of its entries).</summary>
    public static async Task WriteHttpAsync(HttpContext http, bool cancelled, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        var message = cancelled ? CancelledMessage : RefusedMessage;
        var response = http.Response;
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = RetryAfterSeconds;
        // HTTP/1.1 only: the connection goes with the server. HTTP/2 has no Connection header (RFC 9113 §8.2.2).
        if (HttpProtocol.IsHttp11(http.Request.Protocol) || HttpProtocol.IsHttp10(http.Request.Protocol))
            response.Headers[HeaderNames.Connection] = "close";
        switch (RequestKind.Of(http).Surface)
        {
            case RequestKind.FhirPush:
                response.ContentType = FhirPushEndpoints.FhirJson;
                var text = detail is null ? message : $"{message} {detail}";
                await response.WriteAsync(OperationOutcomeWriter.ToJson([Issue.Error(FhirPushIssueCodes.ShuttingDown, "", text)]), http.RequestAborted);
                break;
            case RequestKind.CdsHooks:
                response.ContentType = "application/json; charset=utf-8";
                await JsonSerializer.SerializeAsync(response.Body, OperationOutcome.Error("transient", message, detail),
                    CdsHooksJsonContext.Default.OperationOutcome, http.RequestAborted);
                break;
            default: // a gRPC path called without gRPC's content type
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync(message + "\n", http.RequestAborted);
                break;
        }
    }
}
