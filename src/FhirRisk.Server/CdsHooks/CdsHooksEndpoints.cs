using System.Globalization;
using System.Diagnostics;
using System.Text.Json;
using FhirRisk.Server.Http;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Security;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// The HTTP edge of CDS Hooks 2.0: discovery, the service calls and feedback under <c>/cds-services</c>, behind CORS
/// and client authentication. The one place where errors become statuses: 400 (malformed call), 404 (unknown
/// service), 412 (no data for the patient, spec §"HTTP Status Codes"), 413 (body over <c>CdsHooks:MaxBodyBytes</c>),
/// 503 (no risk service; at capacity, with <c>Retry-After</c>), 500 — each with an OperationOutcome body, as the CI build of the spec suggests.
/// </summary>
internal static class CdsHooksEndpoints
{
    public const string CorsPolicy = "CdsHooks";

    private const string LoggerCategory = "FhirRisk.Server.CdsHooks";

    public static RouteGroupBuilder MapCdsHooksEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/cds-services")
            .RequireCors(CorsPolicy)
            .AddEndpointFilter<CdsClientAuthenticationFilter>();
        group.MapGet("", Discovery).WithDisplayName("CDS Hooks discovery");
        group.MapPost("/{id}", CallAsync).WithDisplayName("CDS Hooks service").WithMetadata(CdsCallPlace.Metadata);
        group.MapPost("/{id}/feedback", FeedbackAsync).WithDisplayName("CDS Hooks feedback").WithMetadata(CdsCallPlace.Metadata);
        // Services and feedback are POSTed (spec); any other method gets 405 with Allow and an OperationOutcome, as every
        // other error here does, instead of the router's empty 405.
        group.MapMethods("/{id}", ["GET", "PUT", "DELETE", "PATCH"], WrongMethod).WithDisplayName("CDS Hooks service, wrong method");
        group.MapMethods("/{id}/feedback", ["GET", "PUT", "DELETE", "PATCH"], WrongMethod).WithDisplayName("CDS Hooks feedback, wrong method");
        return group;
    }

    private static IResult WrongMethod(HttpContext http)
    {
        http.Response.Headers.Allow = "POST";
        return Outcome(StatusCodes.Status405MethodNotAllowed, "not-supported",
            $"{http.Request.Method} is not supported here: CDS Hooks services and their feedback are called with POST; GET /cds-services lists the services.");
    }

    internal static CdsDiscoveryResponse DiscoveryDocument() =>
        new([.. CdsServiceCatalog.Services.Select(s => new CdsServiceDescriptor(s.Hook, s.Title, s.Description, s.Id, s.Prefetch, null))]);

    private static JsonHttpResult<CdsDiscoveryResponse> Discovery() =>
        TypedResults.Json(DiscoveryDocument(), CdsHooksJsonContext.Default.CdsDiscoveryResponse);

    private static async Task<IResult> CallAsync(string id, HttpContext http, CdsHookHandler handler, CdsHooksOptions options, CdsCallLimits limits,
        ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(LoggerCategory);
        if (CdsServiceCatalog.Find(id) is not { } service)
            return Outcome(StatusCodes.Status404NotFound, "not-found", $"No CDS Service '{id}' here; GET /cds-services lists them.");
        if (NotJson(http) is { } refused)
            return refused;
        var clock = Stopwatch.StartNew();
        GatheredData? gathered = null;
        try
        {
            // A place before the body is read (docs/cds-hooks.md "Limits"): a call waiting for one holds no bytes yet. With
            // authentication on, the filter took it before the token's jti was recorded (CdsCallPlace).
            using var place = CdsCallPlace.Take(http) ?? await limits.Calls.TryEnterAsync(http.RequestAborted);
            if (place is null)
                return AtCapacity(http, limits.Calls.RetryAfterSeconds, limits.Calls.RefusalMessage);
            using var bytes = limits.Bytes.OpenCall(options.Fhir.MaxBytesPerCall);
            var request = await ReadAsync(http, options.MaxBodyBytes, options.BodyTimeout, CdsHookRequest.Read, bytes)
                ?? throw new CdsRequestException("the body must be a JSON object.");
            var client = http.Features.Get<CdsClientIdentity>();
            gathered = await handler.GatherAsync(service, request, client?.Issuer ?? "", bytes, http.RequestAborted);
            if (gathered.Missing.Count(m => m.Reason == FetchFailure.PageLimitReached) is > 0 and var cut)
                CdsHooksLog.PagesCut(logger, id, cut, options.Fhir.MaxPages);
            if (gathered.NotOffered.Count > 0 && logger.IsEnabled(LogLevel.Debug)) // the keys joined only when logged
                CdsHooksLog.NotOffered(logger, id, string.Join(", ", gathered.NotOffered));
            if (gathered.Missing.Count(m => m.Reason == FetchFailure.AddressNotAllowed) is > 0 and var notCalled)
                LogAddressRefused(logger, id, request.FhirServer, client, notCalled);
            var useStore = options.Authentication.MayUseStoredHistory(client);
            var response = await handler.AnswerAsync(service, request, gathered, useStore, client, http.RequestAborted);
            CdsHooksLog.Answered(logger, id, response.Cards.Count, gathered.Missing.Count, clock.Elapsed.TotalMilliseconds);
            return TypedResults.Json(response, CdsHooksJsonContext.Default.CdsCardsResponse);
        }
        catch (CdsRequestException e)
        {
            return Refused(logger, id, e, "The CDS Hooks request is not valid for this service.");
        }
        catch (PatientDataUnavailableException e)
        {
            var missing = gathered?.Missing ?? [];
            CdsHooksLog.PreconditionFailed(logger, id, missing.Count);
            return Outcome(StatusCodes.Status412PreconditionFailed, "processing",
                "Cannot estimate risks: no dated clinical data for this patient could be obtained from the prefetch, the FHIR server or the service's store.",
                UnavailableDiagnostics(e.OtherPatientResources, missing, options.Fhir.MaxPages));
        }
        catch (Patients.PatientInputException e) when (e.InnerException is FhirRisk.Inference.InferenceException { Code: FhirRisk.Inference.InferenceErrorCodes.UnknownTask })
        {
            // A hook's tasks are the service's configuration, not the request's: a task the model lacks is the operator's
            // to fix, not a malformed call (review s24-cds L9: every call was a 400 and only an information event).
            CdsHooksLog.TaskNotInModel(logger, id, LogText.Of(e.Curated));
            return Outcome(StatusCodes.Status500InternalServerError, "exception",
                "The service is configured for a task the loaded model does not answer; its operator must change the configured tasks or the model.", e.Curated);
        }
        catch (Patients.PatientInputException e)
        {
            // Curated text: it names a document, a code or a task, never patient data.
            CdsHooksLog.BadRequest(logger, id, LogText.Of(e.Curated));
            return Outcome(StatusCodes.Status400BadRequest, "invalid", "The supplied FHIR data or the requested tasks could not be used.", e.Curated);
        }
        catch (ArgumentException e)
        {
            // Any other argument error may quote a value of the record in its message (review phi.md #9): its type only.
            CdsHooksLog.BadRequest(logger, id, e.GetType().Name);
            return Outcome(StatusCodes.Status400BadRequest, "invalid", "The supplied FHIR data or the requested tasks could not be used.");
        }
        catch (CallBytesExhaustedException e)
        {
            return AtCapacity(http, CallBytesExhaustedException.RetryAfterSeconds, e.Message);
        }
        catch (Patients.RiskModelBusyException e)
        {
            CdsHooksLog.Busy(logger, id, e.RetryAfter.TotalSeconds);
            http.Response.Headers.RetryAfter = ((long)e.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return Outcome(StatusCodes.Status503ServiceUnavailable, "throttled", "The risk model is at capacity; retry after the Retry-After seconds.",
                e.Message);
        }
        catch (Exception e) when (e is RiskServiceUnavailableException or Patients.RiskModelUnavailableException)
        {
            return Outcome(StatusCodes.Status503ServiceUnavailable, "transient", "The risk model is not available on this server.");
        }
        catch (Timeline.TimelineStoreUnavailableException)
        {
            // Nothing was prefetched and the stored history cannot be read: an outage to retry, not a server fault.
            http.Response.Headers.RetryAfter = Timeline.TimelineStoreUnavailableException.RetryAfterSeconds;
            return Outcome(StatusCodes.Status503ServiceUnavailable, "transient",
                "The patient timeline store is not available and the call brought no data of its own; retry, or send the prefetch keys listed by GET /cds-services.");
        }
        catch (OperationCanceledException) when (Http.ServerCancellation.IsRequested(http))
        {
            return await ServerCancelledAsync(http);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty; // the client went away
        }
        catch (Exception e)
        {
            return Failed(logger, id, http, e);
        }
    }

    /// <summary>Event 212, once per call: the server's authority (scheme, host, port) and the issuer, never the path or
    /// query, which hold patient ids.</summary>
    private static void LogAddressRefused(ILogger logger, string serviceId, string? fhirServer, CdsClientIdentity? client, int keyCount)
    {
        var authority = Uri.TryCreate(fhirServer, UriKind.Absolute, out var server) ? FhirServerPolicy.AuthorityOf(server) : "";
        CdsHooksLog.AddressRefused(logger, serviceId, LogText.Of(authority), client is null ? "(none)" : LogText.Of(client.Issuer), keyCount);
    }

    /// <summary>The largest feedback body (or <c>CdsHooks:MaxBodyBytes</c>, if smaller): 100 items with comments of
    /// 8,192 characters and every other member at its length limit fit (<see cref="FeedbackReader"/>); a hook call's
    /// 32 MiB would let a few feedback calls undo the limits on memory.</summary>
    internal const long MaxFeedbackBytes = 4L << 20;

    private static async Task<IResult> FeedbackAsync(string id, HttpContext http, IFeedbackStore store, CdsHooksOptions options, CdsCallLimits limits,
        CardUuids cardUuids, TimeProvider time, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(LoggerCategory);
        if (CdsServiceCatalog.Find(id) is null)
            return Outcome(StatusCodes.Status404NotFound, "not-found", $"No CDS Service '{id}' here; GET /cds-services lists them.");
        if (NotJson(http) is { } refused)
            return refused;
        try
        {
            // Feedback takes a place and counts its body as a service call does (docs/cds-hooks.md "Limits").
            using var place = CdsCallPlace.Take(http) ?? await limits.Calls.TryEnterAsync(http.RequestAborted);
            if (place is null)
                return AtCapacity(http, limits.Calls.RetryAfterSeconds, limits.Calls.RefusalMessage);
            using var bytes = limits.Bytes.OpenCall(0);
            var body = await ReadAsync(http, Math.Min(options.MaxBodyBytes, MaxFeedbackBytes), options.BodyTimeout,
                json => JsonSerializer.Deserialize(Fhir.Utf8Bom.Skip(json).Span, CdsHooksJsonContext.Default.CdsFeedbackRequest), bytes,
                options.MaxBodyBytes < MaxFeedbackBytes ? "CdsHooks:MaxBodyBytes" : "feedback bodies");
            var feedback = FeedbackReader.Read(id, body, time.GetUtcNow(), http.Features.Get<CdsClientIdentity>(), cardUuids);
            var added = await store.AddAsync(feedback, http.RequestAborted);
            CdsHooksLog.FeedbackStored(logger, id, added, feedback.Count, feedback.Count(f => f.Issued == false));
            return Results.Ok();
        }
        catch (CallBytesExhaustedException e)
        {
            return AtCapacity(http, CallBytesExhaustedException.RetryAfterSeconds, e.Message);
        }
        catch (CdsRequestException e)
        {
            return Refused(logger, id, e, "The feedback is not valid.");
        }
        catch (OperationCanceledException) when (Http.ServerCancellation.IsRequested(http))
        {
            return await ServerCancelledAsync(http);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty; // the client went away
        }
        catch (Exception e)
        {
            return Failed(logger, id, http, e);
        }
    }

    /// <summary>The drain cancelled the call at its timeout while the client still waits: 503 with <c>Retry-After</c> and
    /// an OperationOutcome, never the empty 200 of a client gone (review s11-ops #1).</summary>
    internal static async Task<IResult> ServerCancelledAsync(HttpContext http)
    {
        Http.ServerCancellation.RestoreClientToken(http);
        await Shutdown.ShutdownAnswer.WriteHttpAsync(http, cancelled: true);
        return Results.Empty;
    }

    /// <summary>The body, read no further than <paramref name="maxBytes"/> (<c>CdsHooks:MaxBodyBytes</c>), then deserialized
    /// by <paramref name="read"/> from memory in one pass. A hook call's prefetch values are slices of that memory, so each
    /// is parsed once, by the FHIR reader (<see cref="PrefetchValue"/>), where deserializing them as documents from the
    /// stream had read each several times over. The body is counted against the call's <paramref name="bytes"/>: its
    /// declared length before it is read, else as it arrives.</summary>
    /// <exception cref="CdsRequestException">Not JSON of the expected shape (400), too long (413), or unreadable as HTTP.</exception>
    /// <exception cref="CallBytesExhaustedException">The calls in flight hold the whole budget (503).</exception>
    /// <param name="limit">What sets <paramref name="maxBytes"/>, named in a 413.</param>
    private static async Task<T?> ReadAsync<T>(HttpContext http, long maxBytes, TimeSpan timeout, Func<ReadOnlyMemory<byte>, T?> read,
        CallBytes? bytes = null, string limit = "CdsHooks:MaxBodyBytes")
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        deadline.CancelAfter(timeout);
        // Kestrel's own limit would answer 413 with an empty body; ours is enforced by Kestrel while reading, and its
        // BadHttpRequestException is answered below with an OperationOutcome.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = maxBytes;
        try
        {
            if (http.Request.ContentLength > maxBytes)
                throw new CdsRequestException(TooLarge(maxBytes, limit), StatusCodes.Status413PayloadTooLarge);
            if (http.Request.ContentLength is { } declared)
                bytes?.ReserveBody(declared);
            return read(await BodyAsync(http.Request, bytes, deadline.Token));
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            // The rest of the body may still be on its way: the connection cannot carry another request (RFC 9110 §15.5.9).
            http.Response.Headers.Connection = "close";
            throw new CdsRequestException(string.Create(CultureInfo.InvariantCulture,
                $"the body did not arrive within {timeout.TotalSeconds:0.###} s (CdsHooks:BodyTimeout)."), StatusCodes.Status408RequestTimeout);
        }
        catch (JsonException e)
        {
            throw new CdsRequestException($"the body is not JSON of the shape this endpoint takes: malformed, or a member of the wrong type (at {e.Path ?? "$"}).");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new CdsRequestException(TooLarge(maxBytes, limit), StatusCodes.Status413PayloadTooLarge);
        }
        catch (BadHttpRequestException e)
        {
            // Malformed framing (a bad chunk, a body shorter than its Content-Length): Kestrel's status, our outcome.
            throw new CdsRequestException("the request body could not be read as HTTP.", e.StatusCode);
        }
    }

    /// <summary>The whole body. Kestrel ends it at <c>MaxRequestBodySize</c> (set above) with a 413
    /// <see cref="BadHttpRequestException"/>; a declared length over the limit was refused before.</summary>
    private static async Task<ReadOnlyMemory<byte>> BodyAsync(HttpRequest request, CallBytes? bytes, CancellationToken cancellationToken)
    {
        // Grown by what arrives, not by the declared length: a length is a claim, not bytes received; so are bytes counted.
        var buffer = new ChunkedBody();
        int read;
        while ((read = await buffer.ReadAsync(request.Body, cancellationToken)) > 0)
        {
            bytes?.TakeBody(read);
            buffer.Keep(read);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// A 412's diagnostics: every reason the data could not be had, in words — supplied resources of another patient
    /// (a prefetch rendered for the wrong patient, the likeliest integration error: service review s10 #8), and each key
    /// not retrieved with its cause (the first failed attempt's too). Key names, counts and HTTP statuses only.
    /// </summary>
    internal static string UnavailableDiagnostics(int otherPatientResources, IReadOnlyList<MissingPrefetch> missing, int maxPages)
    {
        var parts = new List<string>();
        if (otherPatientResources > 0)
            parts.Add($"{otherPatientResources} supplied resources are about another patient than context.patientId, and nothing supplied or stored gave an event of this one. Check that the prefetch is rendered for the context's patient.");
        if (missing.Count > 0)
            parts.Add($"Prefetch keys not retrieved: {string.Join("; ", missing.Select(m => $"{m.Key} ({m.Problem.Describe(maxPages)})"))}. Send them as prefetch, or a reachable fhirServer with fhirAuthorization.");
        if (parts.Count == 0)
            parts.Add("The record read holds no dated clinical event of this patient: a Patient resource alone (demographics) gives none. Send the patient's encounters, observations, conditions and medications as the prefetch keys listed by GET /cds-services, or a reachable fhirServer with fhirAuthorization.");
        return string.Join(" ", parts);
    }

    private static string TooLarge(long maxBytes, string limit) =>
        string.Create(CultureInfo.InvariantCulture, $"the body is over the {maxBytes}-byte limit ({limit}).");

    private static JsonHttpResult<OperationOutcome> Refused(ILogger logger, string id, CdsRequestException e, string text)
    {
        // The reason may quote what the caller sent (a hook name, a JSON path): one capped, escaped line.
        CdsHooksLog.BadRequest(logger, id, LogText.Of(e.Message));
        return e.Status switch
        {
            StatusCodes.Status413PayloadTooLarge => Outcome(e.Status, "too-long", "The request body is too large.", e.Message),
            StatusCodes.Status408RequestTimeout => Outcome(e.Status, "timeout", "The request body arrived too slowly.", e.Message),
            _ => Outcome(e.Status, "invalid", text, e.Message),
        };
    }

    /// <summary>503 for a call or feedback refused at one of the limits on calls in flight (docs/cds-hooks.md "Limits"):
    /// <c>Retry-After</c>, issue code <c>throttled</c>, the setting named in the diagnostics.</summary>
    internal static JsonHttpResult<OperationOutcome> AtCapacity(HttpContext http, string retryAfterSeconds, string diagnostics)
    {
        http.Response.Headers.RetryAfter = retryAfterSeconds;
        return Outcome(StatusCodes.Status503ServiceUnavailable, "throttled", "The service is at capacity; retry after the Retry-After seconds.", diagnostics);
    }

    private static JsonHttpResult<OperationOutcome> Failed(ILogger logger, string id, HttpContext http, Exception e)
    {
        CdsHooksLog.Failed(logger, id, e.GetType().Name, http.TraceIdentifier, e.StackTrace);
        return Outcome(StatusCodes.Status500InternalServerError, "exception", $"Internal error (trace {http.TraceIdentifier}).");
    }

    /// <summary>
    /// 415 unless the body is declared JSON (<c>application/json</c> or a <c>+json</c> type, with any parameters), as
    /// the spec has clients send it and as FHIR push refuses other types. A form or text body would also make the call
    /// a CORS "simple request", which skips the preflight (service review s10 #9).
    /// </summary>
    private static JsonHttpResult<OperationOutcome>? NotJson(HttpContext http) =>
        !http.Request.HasJsonContentType()
            ? Outcome(StatusCodes.Status415UnsupportedMediaType, "not-supported",
                $"A CDS Hooks call or feedback is a JSON body: send it with Content-Type: application/json (got {(string.IsNullOrEmpty(http.Request.ContentType) ? "none" : LogText.Of(http.Request.ContentType, 64))}).")
            // A compressed body would read as "not valid JSON" (walkthrough review s21 L3): say what is refused.
            : http.Request.Headers.ContentEncoding is { Count: > 0 } encoding && !string.Equals(encoding.ToString().Trim(), "identity", StringComparison.OrdinalIgnoreCase)
                ? Outcome(StatusCodes.Status415UnsupportedMediaType, "not-supported",
                    $"A CDS Hooks call or feedback is read uncompressed: send it without Content-Encoding (got {LogText.Of(encoding.ToString(), 64)}).")
                : null;

    private static JsonHttpResult<OperationOutcome> Outcome(int status, string code, string text, string? diagnostics = null) =>
        TypedResults.Json(OperationOutcome.Error(code, text, diagnostics), CdsHooksJsonContext.Default.OperationOutcome, statusCode: status);
}
