using System.Globalization;

namespace FhirRisk.Server.CdsHooks;

/// <summary>Why a prefetch key could not be had, or had only in part; <see cref="None"/> when it was had in full.</summary>
internal enum FetchFailure
{
    None,
    NoFhirServer,
    ServerNotAllowed,

    /// <summary>The <c>fhirServer</c>'s host resolves only to addresses the service does not call (private, loopback,
    /// link-local: <see cref="FhirAddressGuard"/>); not retried, not counted by the circuit breaker. Worded as
    /// <see cref="Unreachable"/> to the caller (security review s13 L9: a distinct wording told a caller which
    /// internal names exist); the log says which (event 212).</summary>
    AddressNotAllowed,
    TemplateUnrenderable,
    Unauthorized,
    Unreachable,
    TimedOut,
    ServerError,
    CircuitOpen,
    UnreadableResponse,

    /// <summary>The key's responses together were over <c>MaxBytesPerKey</c>; nothing of the key is used.</summary>
    ResponseTooLarge,

    /// <summary>The responses of every key of the call together were over <c>MaxBytesPerCall</c>; nothing of this key
    /// is used.</summary>
    CallResponsesTooLarge,

    /// <summary>The search still had a <c>next</c> page after <c>MaxPages</c>: the pages read are used, the rest is not.</summary>
    PageLimitReached,

    /// <summary>The search went on where the service does not follow it: a <c>next</c> link to another host or none a URL
    /// can be made of, or a later page gone (404, 410: an expired paging snapshot). The pages read are used, the rest is
    /// not.</summary>
    SearchCutShort,

    /// <summary>The client prefetched the key with part of its search: a Bundle with a <c>next</c> page, or one holding an
    /// OperationOutcome. What it sent is used; the rest is not read.</summary>
    PrefetchedInPart,
}

/// <summary>
/// How a fetch failed: the kind, the HTTP status when the FHIR server answered one, and — when an earlier attempt of the
/// same key failed otherwise (a 503, retried, then the circuit opened) — that first failure, so the cause is not lost to
/// whatever the retries ended on. Words for the caller come from <see cref="Describe"/>; no patient data in either.
/// </summary>
/// <param name="Kind">The failure.</param>
/// <param name="HttpStatus">The status the FHIR server answered (401, 403, 5xx …), when it answered.</param>
internal sealed record FetchProblem(FetchFailure Kind, int? HttpStatus = null)
{
    /// <summary>The key's first failed attempt, when it failed otherwise than the key finally did; else null.</summary>
    public FetchProblem? FirstAttempt { get; init; }

    /// <summary>The page (0: the first) a server's status answered, when it answered one.</summary>
    public int Page { get; init; }

    /// <summary>What happened, in words for a card or an OperationOutcome: "FHIR server calls paused after repeated
    /// failures; first attempt: HTTP 503".</summary>
    /// <param name="maxPages"><c>CdsHooks:Fhir:MaxPages</c>, which a cut search names.</param>
    public string Describe(int maxPages)
    {
        var words = Kind switch
        {
            FetchFailure.NoFhirServer => "not prefetched and no fhirServer given",
            FetchFailure.ServerNotAllowed => "fhirServer not on this service's allowlist",
            FetchFailure.TemplateUnrenderable => "the context lacks a value its prefetch template needs",
            FetchFailure.Unauthorized => $"FHIR server refused the access token{Status()}",
            FetchFailure.Unreachable or FetchFailure.AddressNotAllowed => "FHIR server unreachable",
            FetchFailure.TimedOut => "FHIR server timed out",
            FetchFailure.ServerError => $"FHIR server error{Status()}",
            FetchFailure.CircuitOpen => "FHIR server calls paused after repeated failures",
            FetchFailure.UnreadableResponse => "FHIR server sent no FHIR JSON",
            FetchFailure.ResponseTooLarge => "FHIR server response too large",
            FetchFailure.CallResponsesTooLarge => "FHIR server responses of this call too large together",
            FetchFailure.PageLimitReached => string.Create(CultureInfo.InvariantCulture, $"search cut after {maxPages} pages; the rest not read"),
            FetchFailure.SearchCutShort => HttpStatus is { } gone
                ? string.Create(CultureInfo.InvariantCulture, $"search page {Page + 1} gone (HTTP {gone}); the rest not read")
                : "search continued on another server, not followed; the rest not read",
            FetchFailure.PrefetchedInPart => "prefetched in part (a next page, or an OperationOutcome in the Bundle); the rest not read",
            _ => "not retrieved",
        };
        return FirstAttempt is { } first && (Shown(first.Kind), first.HttpStatus) != (Shown(Kind), HttpStatus)
            ? $"{words}; first attempt: {first.Cause()}"
            : words;
    }

    /// <summary>The failure as the caller is told it: a refused address as an unreachable server.</summary>
    private static FetchFailure Shown(FetchFailure kind) => kind == FetchFailure.AddressNotAllowed ? FetchFailure.Unreachable : kind;

    /// <summary>An attempt's failure in a few words: "HTTP 503", "timed out", "unreachable".</summary>
    private string Cause() => HttpStatus is { } status
        ? string.Create(CultureInfo.InvariantCulture, $"HTTP {status}")
        : Kind switch
        {
            FetchFailure.TimedOut => "timed out",
            FetchFailure.Unreachable or FetchFailure.AddressNotAllowed => "unreachable",
            FetchFailure.CircuitOpen => "calls paused",
            _ => Describe(0),
        };

    private string Status() => HttpStatus is { } status ? string.Create(CultureInfo.InvariantCulture, $": HTTP {status}") : "";
}
