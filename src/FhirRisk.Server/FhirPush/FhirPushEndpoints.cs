using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Server.Http;
using FhirRisk.Server.Shutdown;
using FhirRisk.Server.Timeline;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.FhirPush;

/// <summary><c>POST /fhir</c> (a Bundle, <c>application/fhir+json</c>) and <c>POST /fhir/$import</c> (NDJSON,
/// <c>application/fhir+ndjson</c>); every error answer is an OperationOutcome (docs/fhir-push.md).</summary>
internal static class FhirPushEndpoints
{
    public const string FhirJson = "application/fhir+json";
    public const string FhirNdjson = "application/fhir+ndjson";

    private static readonly string[] JsonTypes = [FhirJson, "application/json"];
    private static readonly string[] NdjsonTypes = [FhirNdjson, "application/ndjson", "application/x-ndjson"];

    public static IEndpointRouteBuilder MapFhirPush(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPost("/fhir", (HttpContext http, FhirPushService push, FhirPushOptions options) =>
            HandleAsync(http, options, JsonTypes, push.PushBundleAsync)).WithDisplayName("FHIR push").WithMetadata(Security.ServiceTokenRequired.ToWrite);
        endpoints.MapPost("/fhir/$import", (HttpContext http, FhirPushService push, FhirPushOptions options) =>
            HandleAsync(http, options, NdjsonTypes, push.ImportNdjsonAsync)).WithDisplayName("FHIR NDJSON import").WithMetadata(Security.ServiceTokenRequired.ToWrite);
        // Erasure (docs/fhir-push.md "Erasure"): the same clients and the same token as push.
        endpoints.MapDelete("/fhir/Patient/{id}", (HttpContext http, string id, FhirPushService push) =>
            AnswerAsync(http, token => push.PurgePatientAsync(id, token), erasure: true)).WithDisplayName("FHIR patient erasure").WithMetadata(Security.ServiceTokenRequired.ToErase);
        return endpoints;
    }

    private static async Task HandleAsync(HttpContext http, FhirPushOptions options, string[] mediaTypes,
        Func<ReadOnlyMemory<byte>, CancellationToken, Task<FhirPushResult>> push)
    {
        var mediaType = (http.Request.ContentType ?? "").Split(';')[0].Trim();
        if (!mediaTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase))
        {
            await WriteOutcomeAsync(http, StatusCodes.Status415UnsupportedMediaType, FhirPushIssueCodes.UnsupportedMediaType,
                $"send {string.Join(" or ", mediaTypes)}");
            return;
        }
        ReadOnlyMemory<byte> body;
        (int Status, string Code, string Message)? refusal;
        try
        {
            (body, refusal) = await PushRequestBody.ReadAsync(http, options.MaxBodyBytes);
        }
        catch (OperationCanceledException) when (ServerCancellation.IsRequested(http))
        {
            await AnswerServerCancelledAsync(http, erasure: false);
            return;
        }
        if (refusal is var (status, code, message))
        {
            await WriteOutcomeAsync(http, status, code, message);
            return;
        }
        await AnswerAsync(http, token => push(body, token));
    }

    /// <summary>Runs a store operation and answers its result, or an OperationOutcome for a store outage or a fault.</summary>
    private static async Task AnswerAsync(HttpContext http, Func<CancellationToken, Task<FhirPushResult>> operation, bool erasure = false)
    {
        FhirPushResult result;
        try
        {
            result = await operation(http.RequestAborted);
        }
        catch (TimelineStoreUnavailableException)
        {
            http.Response.Headers.RetryAfter = TimelineStoreUnavailableException.RetryAfterSeconds;
            await WriteOutcomeAsync(http, StatusCodes.Status503ServiceUnavailable, FhirPushIssueCodes.StoreUnavailable,
                erasure
                    ? "the timeline store is not available; nothing was removed; retry later"
                    : "the timeline store is not available; nothing of this request was stored unless its response said so; retry later");
            return;
        }
        catch (OperationCanceledException) when (ServerCancellation.IsRequested(http))
        {
            await AnswerServerCancelledAsync(http, erasure);
            return;
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away
        }
        catch (Exception e)
        {
            // Not Kestrel's log of the exception: its message may quote pushed data (STYLE 8). As CdsHooksLog.Failed.
            FhirPushService.Failed(http.RequestServices.GetRequiredService<ILogger<FhirPushService>>(), e.GetType().Name, http.TraceIdentifier, e.StackTrace);
            await WriteOutcomeAsync(http, StatusCodes.Status500InternalServerError, FhirPushIssueCodes.InternalError,
                erasure
                    ? $"internal error (trace {http.TraceIdentifier}); the erasure is one transaction: nothing was removed; retry"
                    : $"internal error (trace {http.TraceIdentifier}); a transaction stored nothing, a batch or import may have stored the entries before the fault (re-pushing them is a no-op)");
            return;
        }
        http.Response.StatusCode = result.StatusCode;
        http.Response.ContentType = FhirJson;
        // The work is done (and stored): its answer goes out even if the drain times out meanwhile.
        if (result.ResponseBundleType is { } type)
            await PushResponseWriter.WriteAsync(http.Response.BodyWriter, type, result.Outcomes, ServerCancellation.ClientAborted(http));
        else
            await http.Response.WriteAsync(result.Json ?? "", ServerCancellation.ClientAborted(http));
    }

    /// <summary>
    /// The drain cancelled the work at its timeout while the client still waits: 503 with <c>Retry-After</c> and an
    /// OperationOutcome (PUSH014), never the empty 200 of returning quietly, which a sender reads as delivered and does
    /// not resend (review s11-ops #1).
    /// </summary>
    private static Task AnswerServerCancelledAsync(HttpContext http, bool erasure)
    {
        ServerCancellation.RestoreClientToken(http);
        return ShutdownAnswer.WriteHttpAsync(http, cancelled: true, erasure
            ? "The erasure is one transaction: nothing was removed."
            : "A transaction stored nothing; a batch or import may have stored entries before the cancellation (re-pushing them is a no-op).");
    }

    private static async Task WriteOutcomeAsync(HttpContext http, int status, string code, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = FhirJson;
        await http.Response.WriteAsync(OperationOutcomeWriter.ToJson([Issue.Error(code, "", message)]), ServerCancellation.ClientAborted(http));
    }
}

/// <summary>The <c>FhirPush</c> configuration section; validated at start.</summary>
internal sealed class FhirPushOptions
{
    public const string Section = "FhirPush";

    /// <summary>The largest request body read, in bytes (default 32 MiB; a Synthea patient bundle is 0.3-3 MiB).
    /// Larger: 413 with an OperationOutcome. At most <see cref="Array.MaxLength"/>: the body is held in one array.</summary>
    public long MaxBodyBytes { get; set; } = 32L << 20;

    /// <summary>The most entries (Bundle entries, NDJSON lines) of one push or gRPC Ingest (default 50 000: a full
    /// body of ~1 KB resources is about 33 000). More: 413 with an OperationOutcome, nothing stored.</summary>
    public int MaxEntries { get; set; } = 50_000;

    /// <summary>Pushes, imports and gRPC <c>Ingest</c> calls run at once (default 4): each may parse and store a body of
    /// <see cref="MaxBodyBytes"/>. One more waits up to <see cref="QueueTimeout"/> for a place and is otherwise answered
    /// 503 with <c>Retry-After</c> (PUSH018) or RESOURCE_EXHAUSTED, before its body is read.</summary>
    public int MaxConcurrentPushes { get; set; } = 4;

    /// <summary>How long a push waits for a place (default 10 s: pushes are batch work, their senders retry).</summary>
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

internal sealed class FhirPushOptionsValidator : IValidateOptions<FhirPushOptions>
{
    public ValidateOptionsResult Validate(string? name, FhirPushOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        // A value below 1 refused every push with 413 (review s11-ops #9); one above the array limit failed on a large body.
        if (options.MaxBodyBytes < 1 || options.MaxBodyBytes > Array.MaxLength)
            failures.Add($"FhirPush:MaxBodyBytes {options.MaxBodyBytes} is outside 1-{Array.MaxLength} (bytes).");
        if (options.MaxEntries < 1)
            failures.Add($"FhirPush:MaxEntries {options.MaxEntries} must be at least 1.");
        if (options.MaxConcurrentPushes < 1)
            failures.Add($"FhirPush:MaxConcurrentPushes {options.MaxConcurrentPushes} must be at least 1.");
        if (options.QueueTimeout < TimeSpan.Zero || options.QueueTimeout > TimeSpan.FromMinutes(10))
            failures.Add("FhirPush:QueueTimeout must be between 00:00:00 and 00:10:00.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
