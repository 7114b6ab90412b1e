using System.Globalization;
using System.Diagnostics;
using System.Text.Json;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// The HTTP edge of CDS Hooks 2.0: discovery, the service calls and feedback under <c>/cds-services</c>, behind CORS
/// and client authentication. The one place where errors become statuses: 400 (malformed call), 404 (unknown
/// service), 412 (no data for the patient, spec §"HTTP Status Codes"), 503 (no risk service), 500 — each with an
/// OperationOutcome body, as the CI build of the spec suggests.
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
        group.MapPost("/{id}", CallAsync).WithDisplayName("CDS Hooks service");
        group.MapPost("/{id}/feedback", FeedbackAsync).WithDisplayName("CDS Hooks feedback");
        return group;
    }

    internal static CdsDiscoveryResponse DiscoveryDocument() =>
        new([.. CdsServiceCatalog.Services.Select(s => new CdsServiceDescriptor(s.Hook, s.Title, s.Description, s.Id, s.Prefetch, null))]);

    private static JsonHttpResult<CdsDiscoveryResponse> Discovery() =>
        TypedResults.Json(DiscoveryDocument(), CdsHooksJsonContext.Default.CdsDiscoveryResponse);

    private static async Task<IResult> CallAsync(string id, HttpContext http, CdsHookHandler handler, FhirFetchOptions fetch, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(LoggerCategory);
        if (CdsServiceCatalog.Find(id) is not { } service)
            return Outcome(StatusCodes.Status404NotFound, "not-found", $"No CDS Service '{id}' here; GET /cds-services lists them.");
        var clock = Stopwatch.StartNew();
        GatheredData? gathered = null;
        try
        {
            var request = await ReadAsync(http, CdsHooksJsonContext.Default.CdsHookRequest)
                ?? throw new CdsRequestException("the body must be a JSON object.");
            var (response, data) = await handler.HandleAsync(service, request, http.RequestAborted);
            gathered = data;
            if (data.Missing.Count(m => m.Reason == FetchFailure.PageLimitReached) is > 0 and var cut)
                CdsHooksLog.PagesCut(logger, id, cut, fetch.MaxPages);
            CdsHooksLog.Answered(logger, id, response.Cards.Count, data.Missing.Count, clock.Elapsed.TotalMilliseconds);
            return TypedResults.Json(response, CdsHooksJsonContext.Default.CdsCardsResponse);
        }
        catch (CdsRequestException e)
        {
            CdsHooksLog.BadRequest(logger, id, e.Message);
            return Outcome(StatusCodes.Status400BadRequest, "invalid", "The CDS Hooks request is not valid for this service.", e.Message);
        }
        catch (PatientDataUnavailableException)
        {
            CdsHooksLog.PreconditionFailed(logger, id, gathered?.Missing.Count ?? -1);
            return Outcome(StatusCodes.Status412PreconditionFailed, "processing",
                "Cannot estimate risks: no data for this patient could be obtained from the prefetch, the FHIR server or the service's store.",
                "Send the prefetch keys listed by GET /cds-services, or a reachable fhirServer with fhirAuthorization.");
        }
        catch (ArgumentException e)
        {
            // IPatientRiskService's contract: the message names a resource or task, never patient data.
            CdsHooksLog.BadRequest(logger, id, e.Message);
            return Outcome(StatusCodes.Status400BadRequest, "invalid", "The supplied FHIR data or the requested tasks could not be used.", e.Message);
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
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty; // the client went away
        }
        catch (Exception e)
        {
            CdsHooksLog.Failed(logger, id, e.GetType().Name, http.TraceIdentifier, e.StackTrace);
            return Outcome(StatusCodes.Status500InternalServerError, "exception", $"Internal error (trace {http.TraceIdentifier}).");
        }
    }

    private static async Task<IResult> FeedbackAsync(string id, HttpContext http, IFeedbackStore store, TimeProvider time, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(LoggerCategory);
        if (CdsServiceCatalog.Find(id) is null)
            return Outcome(StatusCodes.Status404NotFound, "not-found", $"No CDS Service '{id}' here; GET /cds-services lists them.");
        try
        {
            var body = await ReadAsync(http, CdsHooksJsonContext.Default.CdsFeedbackRequest);
            var feedback = FeedbackReader.Read(id, body, time.GetUtcNow());
            var added = await store.AddAsync(feedback, http.RequestAborted);
            CdsHooksLog.FeedbackStored(logger, id, added, feedback.Count);
            return Results.Ok();
        }
        catch (CdsRequestException e)
        {
            CdsHooksLog.BadRequest(logger, id, e.Message);
            return Outcome(StatusCodes.Status400BadRequest, "invalid", "The feedback is not valid.", e.Message);
        }
    }

    private static async Task<T?> ReadAsync<T>(HttpContext http, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(http.Request.Body, type, http.RequestAborted);
        }
        catch (JsonException e)
        {
            throw new CdsRequestException($"the body is not valid JSON for this endpoint (at {e.Path ?? "$"}).");
        }
    }

    private static JsonHttpResult<OperationOutcome> Outcome(int status, string code, string text, string? diagnostics = null) =>
        TypedResults.Json(OperationOutcome.Error(code, text, diagnostics), CdsHooksJsonContext.Default.OperationOutcome, statusCode: status);
}
