using System.Net;
using FhirRisk.Meds.Tasks;
using FhirRisk.Server.Security;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.CdsHooks;

/// <summary>The CDS Hooks 2.0 surface (docs/cds-hooks.md), bound from the <c>CdsHooks</c> section and validated at start.</summary>
internal sealed class CdsHooksOptions
{
    public const string Section = "CdsHooks";

    /// <summary>IP address of the HTTP/1.1 listener EHRs call (<c>127.0.0.1</c> by default; <c>0.0.0.0</c> in a container).</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port of a listener of its own; 0 picks a free one; null (the default) opens none: the endpoints are
    /// then served on the service's HTTP listener (the <c>Http</c> section, beside FHIR push and the health probes).</summary>
    public int? Port { get; set; }

    /// <summary>Tasks answered on <c>patient-view</c> (a risk summary), in card order.</summary>
    public List<string> PatientViewTasks { get; set; } = [];

    /// <summary>Tasks answered on <c>encounter-start</c> (admission risks).</summary>
    public List<string> EncounterStartTasks { get; set; } = [];

    /// <summary>Tasks answered on <c>encounter-discharge</c> (readmission risk).</summary>
    public List<string> EncounterDischargeTasks { get; set; } = [];

    /// <summary>Risk at or above which a card is <c>warning</c> / <c>critical</c>, per task; tasks not listed use <see cref="DefaultThreshold"/>.</summary>
    public Dictionary<string, RiskThreshold> Thresholds { get; set; } = new(StringComparer.Ordinal);

    public RiskThreshold DefaultThreshold { get; set; } = new();

    /// <summary>The card <c>source</c>: its label is followed by the model version.</summary>
    public CardSourceOptions Source { get; set; } = new();

    /// <summary>Absolute links put on every risk card (e.g. the model card, the method's documentation).</summary>
    public List<CardLinkOptions> Links { get; set; } = [];

    /// <summary>Fetching what the client did not prefetch from its <c>fhirServer</c>.</summary>
    public FhirFetchOptions Fhir { get; set; } = new();

    /// <summary>Append-only JSONL file for feedback; empty keeps feedback in memory only.</summary>
    public string FeedbackPath { get; set; } = "";

    /// <summary>The key (base64, at least 32 bytes) card uuids are signed with, so that feedback says whether its card was
    /// issued to the client sending it (<see cref="CardUuids"/>); empty draws one per process. A secret: set it through
    /// the environment (<c>FHIRRISK_CdsHooks__CardUuidKey</c>), the same on every replica.</summary>
    public string CardUuidKey { get; set; } = "";

    /// <summary>Origins allowed by CORS; <c>*</c> (default, as the spec's reference services) allows any.</summary>
    public List<string> CorsOrigins { get; set; } = [];

    /// <summary>Client JWT authentication (spec "Trusting CDS Clients").</summary>
    public CdsAuthenticationOptions Authentication { get; set; } = new();

    /// <summary>The largest body of a service call or of feedback, in bytes (default 32 MiB, FHIR push's limit); larger
    /// is answered 413 with an OperationOutcome.</summary>
    public long MaxBodyBytes { get; set; } = 32L << 20;

    /// <summary>Service calls answered at once (default 64); one more waits up to <see cref="CallQueueTimeout"/> for a
    /// place and is otherwise answered 503 with <c>Retry-After</c> (docs/cds-hooks.md "Limits").</summary>
    public int MaxConcurrentCalls { get; set; } = 64;

    /// <summary>How long a service call waits for a place when <see cref="MaxConcurrentCalls"/> are running (default
    /// 1 s; <c>00:00:00</c> refuses at once).</summary>
    public TimeSpan CallQueueTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The bytes that the service calls in flight may hold together, their bodies and the FHIR pages fetched for
    /// them; a call that would pass it is answered 503 with <c>Retry-After</c>. At least <see cref="MaxBodyBytes"/>, so
    /// that one call of the largest size can run alone. 0 (the default): <see cref="AutoBytesInFlight"/>.</summary>
    public long MaxBytesInFlight { get; set; }

    /// <summary>The memory the garbage collector may use, divided by this, is the default budget. Beyond what the idle
    /// server holds (about 100 MB), a call needs a heap of 7–9 times its raw bytes, and its process's RSS grows by 11–12
    /// times at the peak (a 29.7 MB prefetch of 73,525 Observations, parsed, mapped and explained: least heap 352 MiB,
    /// peak RSS about 440 MB against 97 MB idle; docs/cds-hooks.md "Limits"), so calls at the default budget need a
    /// third to a half of the heap (about 60 % at the RSS peak), and the rest is left to pushes (two at the body limit
    /// peak at about 250 MB), the model and the runtime.</summary>
    internal const int PeakBytesPerRawByte = 20;

    /// <summary>The budget when none is set: the memory the garbage collector may use (the container's limit, or the
    /// machine's) divided by <see cref="PeakBytesPerRawByte"/>, and never below <see cref="MaxBodyBytes"/>. In a 1 GiB
    /// container .NET allows its heap 768 MiB: 38 MiB of calls in flight.</summary>
    internal long EffectiveBytesInFlight(long availableMemoryBytes) => MaxBytesInFlight > 0
        ? MaxBytesInFlight
        : Math.Max(MaxBodyBytes, (availableMemoryBytes > 0 ? availableMemoryBytes : 4L << 30) / PeakBytesPerRawByte);

    /// <summary><see cref="EffectiveBytesInFlight(long)"/> for this process.</summary>
    internal long AutoBytesInFlight => EffectiveBytesInFlight(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    /// <summary>The longest a service call's or feedback's body may take to arrive, from when its place is taken (default
    /// 30 s; 1 s to 10 min); past it the call is answered 408 and gives its place and bytes back. It bounds how long a
    /// client may hold a place, or the budget its declared length takes (<see cref="MaxBytesInFlight"/>), by sending its
    /// body slowly: Kestrel's own minimum rate (240 bytes/s) would let a 32 MiB body take a day and a half.</summary>
    public TimeSpan BodyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest one card waits for its top contributing events (heads occlusion); past it the card goes
    /// out without them. Default 2 s.</summary>
    public TimeSpan ContributorTimeout { get; set; } = TimeSpan.FromSeconds(2);

    internal IReadOnlyList<string> EffectiveCorsOrigins => CorsOrigins.Count == 0 ? ["*"] : CorsOrigins;

    internal IReadOnlyList<string> TasksFor(string hook) => hook switch
    {
        CdsHookNames.PatientView => PatientViewTasks.Count > 0 ? PatientViewTasks : ["hospital_mortality", "icu_admission", "readmission_30d"],
        CdsHookNames.EncounterStart => EncounterStartTasks.Count > 0 ? EncounterStartTasks : ["hospital_mortality", "icu_admission", "prolonged_los"],
        CdsHookNames.EncounterDischarge => EncounterDischargeTasks.Count > 0 ? EncounterDischargeTasks : ["readmission_30d"],
        _ => [],
    };

    internal RiskThreshold ThresholdFor(string task) => Thresholds.TryGetValue(task, out var t) ? t : DefaultThreshold;
}

/// <summary>Probability bounds (0–1) of the <c>warning</c> and <c>critical</c> indicators; below <see cref="Warning"/> is <c>info</c>.</summary>
internal sealed class RiskThreshold
{
    public double Warning { get; set; } = 0.10;

    public double Critical { get; set; } = 0.30;
}

internal sealed class CardSourceOptions
{
    public string Label { get; set; } = "FhirRisk";

    /// <summary>Absolute URL of the service's home page (optional).</summary>
    public string? Url { get; set; }

    /// <summary>Absolute URL of a 100×100 PNG (optional).</summary>
    public string? Icon { get; set; }
}

internal sealed class CardLinkOptions
{
    public string Label { get; set; } = "";

    public string Url { get; set; } = "";
}

/// <summary>Outbound FHIR reads (HttpClientFactory + Polly): each attempt times out, transient failures are retried
/// with jittered exponential back-off, and a circuit per FHIR server opens after repeated failures.</summary>
internal sealed class FhirFetchOptions
{
    /// <summary>Time limit of one HTTP attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Time limit of one prefetch key: its read, or every page of its search, retries and bodies included.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public int MaxRetries { get; set; } = 2;

    /// <summary>Base delay of the exponential back-off (jittered).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest <c>Retry-After</c> of a 429 or 503 a retry waits for; an answer asking more is not retried
    /// (the key fails at once, as the server asked, rather than after the key's budget).</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The most prefetch keys of one calling issuer fetched at once from one FHIR server authority (scheme, host,
    /// port), over every call and tenant of that issuer (<see cref="FhirServerSlots"/>); a key waits for a slot within its
    /// <see cref="TotalTimeout"/> and holds it through its pages and retries.</summary>
    public int MaxRequestsPerServer { get; set; } = 32;

    /// <summary>Failure ratio over <see cref="SamplingDuration"/> that opens the circuit.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Fewest calls in the sampling window before the circuit may open.</summary>
    public int MinimumThroughput { get; set; } = 5;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit refuses calls before one trial call.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Searchset pages followed (<c>link[next]</c>) per prefetch key; a search with more is read that far and
    /// marked incomplete on the cards.</summary>
    public int MaxPages { get; set; } = 5;

    /// <summary>The page size the service asks for (<c>_count</c>) when it searches a FHIR server itself and the template
    /// names none; 0 leaves it to the server. Servers' defaults are small (often 20 per page), so with
    /// <see cref="MaxPages"/> a patient's record was cut at about a hundred resources per type, and the part kept was
    /// usually the oldest; a server may answer fewer per page than asked, and one that answers the sized search 400 is
    /// asked again without it. 100: within the documented maximum of the servers we know of.</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>Whether a search the service runs itself asks for the most recently updated resources first
    /// (<c>_sort=-_lastUpdated</c>) when its template names no <c>_sort</c>. A search cut at <see cref="MaxPages"/> then
    /// keeps the newest pages, which a model reading the last part of a record needs, where a server's default order
    /// (usually that of creation) kept the oldest. <c>_lastUpdated</c> because every stored resource has it: a sort on a
    /// clinical date leaves out, on some servers, the resources that lack one. A server that answers the sorted search 400
    /// is asked again without the sort.</summary>
    public bool NewestFirst { get; set; } = true;

    /// <summary>The most bytes of response bodies read for one prefetch key, all pages together (default 16 MiB); a
    /// larger answer fails the key ("FHIR server response too large").</summary>
    public long MaxBytesPerKey { get; set; } = 16L << 20;

    /// <summary>The most bytes of response bodies read for one service call, all its keys together (default 32 MiB); the
    /// key whose page would pass it fails as too large.</summary>
    public long MaxBytesPerCall { get; set; } = 32L << 20;

    /// <summary>FHIR server base URLs (prefixes) the service may call; empty allows any the (authenticated) client names,
    /// within its issuer's own <c>FhirServers</c>. The authorities named here (and in any issuer's <c>FhirServers</c>)
    /// may be on private networks (RFC 1918, carrier-grade NAT, unique-local); one named by an IP literal may be on that
    /// address, loopback included (<see cref="FhirServerPolicy.ReachOf"/>).</summary>
    public List<string> AllowedServers { get; set; } = [];

    /// <summary>Whether a <c>fhirServer</c> may resolve to any address, private, loopback and link-local included
    /// (default false: such a connection is refused unless an allowlist names its authority,
    /// <see cref="FhirAddressGuard"/>). True restores the behaviour before the check, for a network whose FHIR servers
    /// cannot all be listed.</summary>
    public bool AllowPrivateAddresses { get; set; }
}

/// <summary>Rejects settings the surface could not serve with, naming the configuration key to fix.</summary>
/// <param name="configuration">The host's configuration: without a port of its own the surface is served on the
/// <c>Http</c> listener, whose address then decides whether local-demo mode (no authentication) is allowed.</param>
internal sealed class CdsHooksOptionsValidator(IConfiguration? configuration = null) : IValidateOptions<CdsHooksOptions>
{
    public ValidateOptionsResult Validate(string? name, CdsHooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!IPAddress.TryParse(options.Host, out var address) && options.Host != "localhost")
            failures.Add($"CdsHooks:Host '{options.Host}' is not an IP address or 'localhost'.");
        if (options.Port is < 0 or > 65535)
            failures.Add($"CdsHooks:Port {options.Port} is outside 0-65535.");
        ValidateThreshold("CdsHooks:DefaultThreshold", options.DefaultThreshold, failures);
        foreach (var (task, threshold) in options.Thresholds)
            ValidateThreshold($"CdsHooks:Thresholds:{task}", threshold, failures);
        if (options.Source.Label.Length == 0)
            failures.Add("CdsHooks:Source:Label must not be empty.");
        ValidateOptionalUrl("CdsHooks:Source:Url", options.Source.Url, failures);
        ValidateOptionalUrl("CdsHooks:Source:Icon", options.Source.Icon, failures);
        foreach (var (link, i) in options.Links.Select((l, i) => (l, i)))
        {
            if (link.Label.Length == 0)
                failures.Add($"CdsHooks:Links:{i}:Label must not be empty.");
            if (!IsAbsoluteHttpUrl(link.Url))
                failures.Add($"CdsHooks:Links:{i}:Url must be an absolute http(s) URL.");
        }
        // encounter-discharge asks at the discharge it makes (DischargeNow): a question that starts at a stay's start
        // would then be asked afresh after a discharge written for the call, not about the stay.
        var atStayStart = TaskCatalog.Create().Where(t => t.Point.At == StayBoundary.Start).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var task in options.EncounterDischargeTasks.Where(atStayStart.Contains))
            failures.Add($"CdsHooks:EncounterDischargeTasks: '{task}' is predicted at a stay's start, but encounter-discharge asks at the discharge being made; configure it in EncounterStartTasks or PatientViewTasks.");
        ValidateFetch(options.Fhir, failures);
        ValidateCardUuidKey(options.CardUuidKey, failures);
        if (options.MaxBodyBytes < 1)
            failures.Add("CdsHooks:MaxBodyBytes must be at least 1.");
        if (options.MaxConcurrentCalls < 1)
            failures.Add("CdsHooks:MaxConcurrentCalls must be at least 1.");
        if (options.CallQueueTimeout < TimeSpan.Zero || options.CallQueueTimeout > TimeSpan.FromMinutes(10))
            failures.Add("CdsHooks:CallQueueTimeout must be between 00:00:00 and 00:10:00.");
        if (options.BodyTimeout < TimeSpan.FromSeconds(1) || options.BodyTimeout > TimeSpan.FromMinutes(10))
            failures.Add("CdsHooks:BodyTimeout must be between 00:00:01 and 00:10:00.");
        if (options.MaxBytesInFlight != 0 && options.MaxBytesInFlight < options.MaxBodyBytes)
            failures.Add("CdsHooks:MaxBytesInFlight must be 0 (from the memory limit) or at least CdsHooks:MaxBodyBytes: a call of the largest size could never run.");
        if (options.ContributorTimeout <= TimeSpan.Zero)
            failures.Add("CdsHooks:ContributorTimeout must be positive.");
        if (options.EffectiveCorsOrigins.Any(o => o != "*" && !IsAbsoluteHttpUrl(o)))
            failures.Add("CdsHooks:CorsOrigins must be '*' or absolute origins such as https://ehr.example.org.");
        var loopback = options.Port is null ? Http.HttpListenerOptions.IsLoopback(configuration?["Http:Host"] ?? "127.0.0.1") : Http.HttpListenerOptions.IsLoopback(options.Host);
        // Without a port of its own CDS Hooks is served on the HTTP listener, whose host is the one to bind (walkthrough
        // review s21 M4: the message named CdsHooks:Host, which changes nothing then).
        CdsAuthenticationOptionsValidator.Validate(options.Authentication, loopback, options.Port is null ? "Http:Host" : "CdsHooks:Host", failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }


    private static void ValidateThreshold(string key, RiskThreshold threshold, List<string> failures)
    {
        if (threshold.Warning is not (>= 0 and <= 1) || threshold.Critical is not (>= 0 and <= 1) || threshold.Warning > threshold.Critical)
            failures.Add($"{key} needs 0 <= Warning <= Critical <= 1 (probabilities).");
    }

    private static void ValidateCardUuidKey(string key, List<string> failures)
    {
        try
        {
            if (CardUuids.KeyOf(key) is { Length: < CardUuids.MinKeyBytes })
                failures.Add($"CdsHooks:CardUuidKey must hold at least {CardUuids.MinKeyBytes} bytes (e.g. 'openssl rand -base64 32').");
        }
        catch (FormatException)
        {
            failures.Add("CdsHooks:CardUuidKey is not base64 (e.g. 'openssl rand -base64 32').");
        }
    }

    private static void ValidateFetch(FhirFetchOptions fetch, List<string> failures)
    {
        if (fetch.AttemptTimeout <= TimeSpan.Zero || fetch.TotalTimeout < fetch.AttemptTimeout)
            failures.Add("CdsHooks:Fhir needs 0 < AttemptTimeout <= TotalTimeout.");
        if (fetch.MaxRetries is < 0 or > 10)
            failures.Add("CdsHooks:Fhir:MaxRetries must be 0-10.");
        if (fetch.RetryDelay < TimeSpan.Zero)
            failures.Add("CdsHooks:Fhir:RetryDelay must not be negative.");
        if (fetch.MaxRetryAfter < TimeSpan.Zero)
            failures.Add("CdsHooks:Fhir:MaxRetryAfter must not be negative.");
        if (fetch.MaxRequestsPerServer is < 1 or > 10_000)
            failures.Add("CdsHooks:Fhir:MaxRequestsPerServer must be 1-10000.");
        if (fetch.FailureRatio is not (> 0 and <= 1))
            failures.Add("CdsHooks:Fhir:FailureRatio must be in (0, 1].");
        if (fetch.MinimumThroughput < 2)
            failures.Add("CdsHooks:Fhir:MinimumThroughput must be at least 2 (Polly's minimum).");
        if (fetch.SamplingDuration < TimeSpan.FromMilliseconds(500) || fetch.BreakDuration < TimeSpan.FromMilliseconds(500))
            failures.Add("CdsHooks:Fhir:SamplingDuration and BreakDuration must be at least 0.5 s (Polly's minimum).");
        if (fetch.MaxPages < 1)
            failures.Add("CdsHooks:Fhir:MaxPages must be at least 1.");
        if (fetch.PageSize is < 0 or > 10_000)
            failures.Add("CdsHooks:Fhir:PageSize must be 0 (the server's) to 10000.");
        if (fetch.MaxBytesPerKey < 1)
            failures.Add("CdsHooks:Fhir:MaxBytesPerKey must be at least 1.");
        if (fetch.MaxBytesPerCall < 1)
            failures.Add("CdsHooks:Fhir:MaxBytesPerCall must be at least 1.");
        for (var i = 0; i < fetch.AllowedServers.Count; i++)
        {
            if (!IsAbsoluteHttpUrl(fetch.AllowedServers[i]))
                failures.Add($"CdsHooks:Fhir:AllowedServers:{i} '{fetch.AllowedServers[i]}' is not an absolute http(s) base URL such as https://fhir.example.org/r4.");
        }
    }

    private static void ValidateOptionalUrl(string key, string? url, List<string> failures)
    {
        if (!string.IsNullOrEmpty(url) && !IsAbsoluteHttpUrl(url))
            failures.Add($"{key} must be an absolute http(s) URL.");
    }

    internal static bool IsAbsoluteHttpUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
}
