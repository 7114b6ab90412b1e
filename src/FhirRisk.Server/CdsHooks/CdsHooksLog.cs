using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.CdsHooks;

/// <summary>CDS Hooks log lines (event ids 2xx): service ids, hooks, counts, status codes and reason codes; never
/// patient ids, FHIR content, access tokens or exception messages (which may quote data).</summary>
internal static partial class CdsHooksLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "CDS service {ServiceId} answered {CardCount} cards ({MissingCount} prefetch keys missing) in {ElapsedMs:0.0} ms")]
    public static partial void Answered(ILogger logger, string serviceId, int cardCount, int missingCount, double elapsedMs);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "CDS service {ServiceId} answered 412: no data for the patient could be had ({MissingCount} prefetch keys missing)")]
    public static partial void PreconditionFailed(ILogger logger, string serviceId, int missingCount);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "CDS service {ServiceId} refused a request: {Reason}")]
    public static partial void BadRequest(ILogger logger, string serviceId, string reason);

    [LoggerMessage(EventId = 216, Level = LogLevel.Warning, Message = "CdsHooks:CardUuidKey is not set: card uuids are signed with a key drawn for this process, so feedback on cards issued before a restart or by another replica is stored as not issued (issued: false). Set one base64 key of 32 bytes or more on every replica")]
    public static partial void CardUuidKeyPerProcess(ILogger logger);

    [LoggerMessage(EventId = 215, Level = LogLevel.Error, Message = "CDS service {ServiceId} is configured for a task the loaded model does not answer ({Reason}); every call fails until CdsHooks:*Tasks or the model is changed")]
    public static partial void TaskNotInModel(ILogger logger, string serviceId, string reason);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "FHIR server {Authority}, calls of issuer {Issuer}: circuit opened for {BreakSeconds:0.#} s after repeated failures")]
    public static partial void CircuitOpened(ILogger logger, string authority, string issuer, double breakSeconds);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "FHIR server {Authority}, calls of issuer {Issuer}: circuit closed")]
    public static partial void CircuitClosed(ILogger logger, string authority, string issuer);

    [LoggerMessage(EventId = 205, Level = LogLevel.Information, Message = "CDS service {ServiceId} stored {NewCount} of {Count} feedback items ({NotIssued} on card uuids not issued to this client)")]
    public static partial void FeedbackStored(ILogger logger, string serviceId, int newCount, int count, int notIssued);

    [LoggerMessage(EventId = 206, Level = LogLevel.Error, Message = "CDS service {ServiceId} failed with {ExceptionType} (trace {TraceIdentifier})\n{StackTrace}")]
    public static partial void Failed(ILogger logger, string serviceId, string exceptionType, string traceIdentifier, string? stackTrace);

    [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "Contributors of {Task} took longer than {TimeoutMs:0} ms; the card goes out without them")]
    public static partial void ContributorsTimedOut(ILogger logger, string task, double timeoutMs);

    [LoggerMessage(EventId = 208, Level = LogLevel.Warning, Message = "Contributors of {Task} could not be computed ({ExceptionType}); the card goes out without them")]
    public static partial void ContributorsFailed(ILogger logger, string task, string exceptionType);

    [LoggerMessage(EventId = 209, Level = LogLevel.Warning, Message = "CDS service {ServiceId} answered 503: the rollout engine is at capacity (Retry-After {RetryAfterSeconds:0} s)")]
    public static partial void Busy(ILogger logger, string serviceId, double retryAfterSeconds);

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "CDS service {ServiceId}: {KeyCount} FHIR searches stopped at {MaxPages} pages with more pending; the cards say the data is incomplete")]
    public static partial void PagesCut(ILogger logger, string serviceId, int keyCount, int maxPages);

    [LoggerMessage(EventId = 211, Level = LogLevel.Warning, Message = "CDS service {ServiceId}: supplied resources not used: {RejectedCount} refused by the FHIR reader, {OtherPatientCount} of another patient; stored history unavailable: {StoreUnavailable}, cut at the read limit: {StoredHistoryCut}; the cards say the data is incomplete")]
    public static partial void DataLeftOut(ILogger logger, string serviceId, int rejectedCount, int otherPatientCount, bool storeUnavailable, bool storedHistoryCut);

    [LoggerMessage(EventId = 212, Level = LogLevel.Warning, Message = "CDS service {ServiceId}: fhirServer {Authority} (issuer {Issuer}) resolves to an address this service does not call (private, loopback or link-local); {KeyCount} prefetch keys not fetched. Name it in CdsHooks:Fhir:AllowedServers if it is a FHIR server of yours")]
    public static partial void AddressRefused(ILogger logger, string serviceId, string authority, string issuer, int keyCount);

    [LoggerMessage(EventId = 213, Level = LogLevel.Debug, Message = "CDS service {ServiceId}: supplementary prefetch keys not offered by the client or its FHIR server, read without: {Keys}")]
    public static partial void NotOffered(ILogger logger, string serviceId, string keys);

    [LoggerMessage(EventId = 214, Level = LogLevel.Debug, Message = "CDS service {ServiceId}: none of its tasks applies to the call's encounter (kind {EncounterKind}); answered with no cards")]
    public static partial void NoTaskApplies(ILogger logger, string serviceId, string encounterKind);
}
