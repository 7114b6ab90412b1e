using System.Diagnostics;
using System.Globalization;
using System.Text;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Grpc.Internal;
using FhirRisk.Server.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FhirRisk.Server.Metrics;

/// <summary>Counts and times every request by <see cref="RequestKind"/> and status: the HTTP status sent, or for gRPC
/// calls the status code of the trailers (or of a trailers-only response), <c>CANCELLED</c> when the client went away.
/// A request that ends in an exception is counted with the status Kestrel sends for it (<see cref="StatusAfter"/>), not
/// with the 200 the response still holds while the exception unwinds.</summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, ServiceMetrics metrics)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var clock = Stopwatch.StartNew();
        int? failedStatus = null;
        try
        {
            await next(http);
        }
        catch (Exception e)
        {
            failedStatus = StatusAfter(e, http);
            throw;
        }
        finally
        {
            var kind = RequestKind.Of(http);
            var status = kind.Surface == RequestKind.Grpc && failedStatus is null
                ? GrpcStatusOf(http)
                : (failedStatus ?? http.Response.StatusCode).ToString(CultureInfo.InvariantCulture);
            metrics.Requests.Increment(kind.Surface, kind.Endpoint, status);
            metrics.Durations.Observe(clock.Elapsed.TotalSeconds, kind.Surface, kind.Endpoint, status);
        }
    }

    /// <summary>What Kestrel answers a request whose handler threw: the status already sent once the response has
    /// started (the connection is then cut); nothing, counted as 499 (client closed request), when the client went away;
    /// a bad request's own status (413 body too large, 400 malformed framing); else 500.</summary>
    internal static int StatusAfter(Exception exception, HttpContext http) => exception switch
    {
        _ when http.Response.HasStarted => http.Response.StatusCode,
        _ when ServerCancellation.ClientAborted(http).IsCancellationRequested => StatusCodes.Status499ClientClosedRequest,
        BadHttpRequestException bad when IsBodyCutShort(bad) => StatusCodes.Status499ClientClosedRequest,
        BadHttpRequestException bad => bad.StatusCode,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>
    /// Kestrel's 400 for a body that ended before its <c>Content-Length</c> or its last chunk: the connection's input
    /// ended, i.e. the client closed it mid-upload (a sender's timeout). The exception reaches us before Kestrel cancels
    /// the request's token for the closed connection, so without this a burst of client timeouts counted as a burst of
    /// malformed requests (review s11-ops #11). Kestrel's reason is internal: its two messages are matched
    /// (MetricsTests checks them against the running Kestrel).
    /// </summary>
    private static bool IsBodyCutShort(BadHttpRequestException bad) =>
        bad.StatusCode == StatusCodes.Status400BadRequest
        && bad.Message is "Unexpected end of request content." or "Chunked request incomplete.";

    private static string GrpcStatusOf(HttpContext http)
    {
        var value = http.Features.Get<IHttpResponseTrailersFeature>()?.Trailers[GrpcProtocol.StatusHeader].ToString() is { Length: > 0 } trailer
            ? trailer
            : http.Response.Headers[GrpcProtocol.StatusHeader].ToString();
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && Enum.IsDefined((GrpcStatusCode)code))
            return CodeName((GrpcStatusCode)code);
        if (http.RequestAborted.IsCancellationRequested)
            return CodeName(GrpcStatusCode.Cancelled);
        // No gRPC status: the call was refused at the HTTP level (wrong content type, HTTP/1.1).
        return http.Response.StatusCode.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The code as gRPC spells it (DeadlineExceeded → DEADLINE_EXCEEDED).</summary>
    internal static string CodeName(GrpcStatusCode code)
    {
        var name = code.ToString();
        var upper = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
                upper.Append('_');
            upper.Append(char.ToUpperInvariant(name[i]));
        }
        return upper.ToString();
    }
}
