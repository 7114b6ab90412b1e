using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Grpc.Internal;
using FhirRisk.Server.Http;
using FhirRisk.Server.Security;
using FhirRisk.Server.Shutdown;

namespace FhirRisk.Server.FhirPush;

/// <summary>
/// Lets at most <c>FhirPush:MaxConcurrentPushes</c> calls that store patient data run at once — FHIR push, NDJSON
/// import and gRPC <c>Ingest</c>, the calls that need the <c>write</c> scope — and refuses one more that found no place
/// within <c>FhirPush:QueueTimeout</c>, before its body is read: 503 with <c>Retry-After</c> and an OperationOutcome
/// (PUSH018), or RESOURCE_EXHAUSTED (security review s12 #9). Runs after authentication, so only known clients wait
/// for a place, and after the drain, which refuses new work first.
/// </summary>
internal sealed class IngestLimitMiddleware(RequestDelegate next, IngestLimiter limiter)
{
    public async Task InvokeAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var endpoint = http.GetEndpoint();
        if (ServiceScopes.Required(endpoint) != ServiceScopes.Write)
        {
            await next(http);
            return;
        }
        IDisposable? place;
        try
        {
            place = await limiter.Pushes.TryEnterAsync(http.RequestAborted);
        }
        catch (OperationCanceledException) when (ServerCancellation.IsRequested(http))
        {
            // The drain timed out while the push waited: refused as the drain refuses new work, nothing read.
            ServerCancellation.RestoreClientToken(http);
            await DrainMiddleware.RefuseAsync(http);
            return;
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away while it waited
        }
        using (place)
        {
            if (place is not null)
            {
                await next(http);
                return;
            }
        }
        var limit = limiter.Pushes;
        if (endpoint?.Metadata.GetMetadata<GrpcMethodMetadata>() is { } method)
        {
            await GrpcServerCall.RefuseAsync(http, method.Path, new GrpcStatus(GrpcStatusCode.ResourceExhausted, limit.RefusalMessage));
            return;
        }
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = limit.RetryAfterSeconds;
        http.Response.ContentType = FhirPushEndpoints.FhirJson;
        await http.Response.WriteAsync(OperationOutcomeWriter.ToJson([Issue.Error(FhirPushIssueCodes.Busy, "", limit.RefusalMessage + " Nothing was stored.")]),
            http.RequestAborted);
    }
}

/// <summary>The one <see cref="WorkLimiter"/> of the calls that store patient data (<c>FhirPush:MaxConcurrentPushes</c>).</summary>
internal sealed class IngestLimiter(FhirPushOptions options, TimeProvider time, ILoggerFactory loggers) : IDisposable
{
    public WorkLimiter Pushes { get; } = new("pushes, imports and Ingest calls", "FhirPush:MaxConcurrentPushes", options.MaxConcurrentPushes,
        options.QueueTimeout, time, loggers.CreateLogger("FhirRisk.Server.FhirPush"));

    public void Dispose() => Pushes.Dispose();
}
