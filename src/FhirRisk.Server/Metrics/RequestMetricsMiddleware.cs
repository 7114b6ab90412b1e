using System.Diagnostics;
using System.Globalization;
using System.Text;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Grpc.Internal;
using FhirRisk.Server.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FhirRisk.Server.Metrics;

/// <summary>Counts and times every request by <see cref="RequestKind"/> and status: the HTTP status, or for gRPC calls
/// the status code of the trailers (or of a trailers-only response), <c>CANCELLED</c> when the client went away.</summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, ServiceMetrics metrics)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await next(http);
        }
        finally
        {
            var kind = RequestKind.Of(http);
            var status = kind.Surface == RequestKind.Grpc ? GrpcStatusOf(http) : http.Response.StatusCode.ToString(CultureInfo.InvariantCulture);
            metrics.Requests.Increment(kind.Surface, kind.Endpoint, status);
            metrics.Durations.Observe(clock.Elapsed.TotalSeconds, kind.Surface, kind.Endpoint, status);
        }
    }

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
