namespace FhirRisk.Server.FhirPush;

/// <summary>Stable codes of push problems (docs/fhir-push.md), in OperationOutcome <c>details.coding</c> beside the
/// reader's FHIR0xx codes. Tests assert codes, never messages.</summary>
internal static class FhirPushIssueCodes
{
    /// <summary><c>POST /fhir</c> with a resource that is not a Bundle.</summary>
    public const string NotABundle = "PUSH001";

    /// <summary>A Bundle type other than transaction, batch or collection.</summary>
    public const string BundleTypeNotAccepted = "PUSH002";

    /// <summary>A transaction or batch entry without <c>request.method</c> (R4 bdl-3).</summary>
    public const string MissingRequest = "PUSH003";

    /// <summary>A Bundle entry's request method other than POST or PUT (GET, DELETE, PATCH… are not served in Bundles;
    /// a patient is erased with <c>DELETE /fhir/Patient/{id}</c>).</summary>
    public const string MethodNotSupported = "PUSH004";

    /// <summary>A PUT whose <c>request.url</c> is not <c>Type/id</c> of the entry's resource.</summary>
    public const string UrlMismatch = "PUSH005";

    /// <summary>A resource id that is not a FHIR id (<c>[A-Za-z0-9\-\.]{1,64}</c>).</summary>
    public const string InvalidId = "PUSH006";

    /// <summary>Two entries of one transaction with the same type and id.</summary>
    public const string DuplicateEntry = "PUSH007";

    /// <summary>A request body over <c>FhirPush:MaxBodyBytes</c>.</summary>
    public const string BodyTooLarge = "PUSH008";

    /// <summary>A content type the endpoint does not read.</summary>
    public const string UnsupportedMediaType = "PUSH009";

    /// <summary>The timeline store cannot take the write now.</summary>
    public const string StoreUnavailable = "PUSH010";

    /// <summary>The transaction was not applied because an entry failed (added to each failing transaction's outcome).</summary>
    public const string TransactionRolledBack = "PUSH011";

    /// <summary>No bearer token of a configured client (ServiceAuthentication): 401.</summary>
    public const string Unauthenticated = "PUSH012";

    /// <summary>An unexpected fault of the server: answered 500 with a trace id only; the log has the exception type and
    /// stack, never its message (which may quote the pushed data).</summary>
    public const string InternalError = "PUSH013";

    /// <summary>The server is shutting down: the request was refused, or its work cancelled at the drain timeout (503 with
    /// <c>Retry-After</c>; retry on another instance).</summary>
    public const string ShuttingDown = "PUSH014";

    /// <summary>A body sent with <c>Content-Encoding: gzip</c> that is not valid gzip data: 400.</summary>
    public const string BadContentCoding = "PUSH015";

    /// <summary>A body of more than <c>FhirPush:MaxEntries</c> entries (Bundle entries, NDJSON lines): 413, nothing
    /// stored; gRPC Ingest: INVALID_ARGUMENT.</summary>
    public const string TooManyEntries = "PUSH016";

    /// <summary>A known client without the scope the call needs (403; ServiceAuthentication:Clients:&lt;i&gt;:Scopes).</summary>
    public const string Forbidden = "PUSH017";

    /// <summary>The server is at <c>FhirPush:MaxConcurrentPushes</c>: the push was refused before its body was read (503
    /// with <c>Retry-After</c>; nothing stored; retry). gRPC Ingest: RESOURCE_EXHAUSTED.</summary>
    public const string Busy = "PUSH018";

    /// <summary>An entry whose <c>resourceType</c> is not a FHIR type name (<c>[A-Z][A-Za-z]{0,63}</c>) or whose
    /// <c>fullUrl</c> holds a control character: the store keeps neither (PostgreSQL refuses U+0000 in text, which read as
    /// a store outage and a retry forever). That entry is rejected (400 in a transaction).</summary>
    public const string InvalidEntryText = "PUSH019";

    /// <summary>Information: <c>DELETE /fhir/Patient/{id}</c> removed the patient; the message gives the counts.</summary>
    public const string Purged = "PUSH101";

    /// <summary>Information: a re-pushed resource whose content equals the stored version; nothing was written.</summary>
    public const string Unchanged = "PUSH100";

    /// <summary>Warning: the stored version is newer than the pushed one by their <c>meta.lastUpdated</c> or
    /// <c>meta.versionId</c> (a late or retried delivery); the stored one was kept and nothing was written.</summary>
    public const string OutdatedVersion = "PUSH102";

    /// <summary>Warning: the resource names no patient the store can link it to (a conditional, Group or identifier-only
    /// reference, or none); it is stored, but no prediction reads it and an erasure may not reach it.</summary>
    public const string NoPatient = "PUSH103";

    /// <summary>A prediction read the newest part of the patient's stored history only: the rest was over
    /// <c>TimelineStore:MaxPatientReadBytes</c> (docs/timeline-store.md "Reads").</summary>
    public const string StoredHistoryCut = "PUSH104";

    /// <summary>The FHIR IssueType of the codes whose type is not <c>processing</c> (the reader's codes map themselves,
    /// <see cref="FhirIssueCodes.IssueType"/>); null for the others.</summary>
    public static string? IssueType(string code) => code switch
    {
        Unauthenticated => "login",
        Forbidden => "forbidden",
        MethodNotSupported => "not-supported",
        _ => null,
    };
}
