namespace FhirRisk.Server.Security;

/// <summary>How CDS clients (EHRs) prove who they are (CDS Hooks 2.0 "Trusting CDS Clients").</summary>
internal enum CdsAuthenticationMode
{
    /// <summary>Every call carries a client JWT that must pass <see cref="CdsJwtValidator"/> (the default everywhere).</summary>
    Jwt,

    /// <summary>No authentication: only for a demo on this machine. Must be set explicitly; logs a warning at start
    /// and is refused unless the CDS Hooks listener is bound to a loopback address.</summary>
    LocalDemo,
}

/// <summary>The <c>CdsHooks:Authentication</c> section.</summary>
internal sealed class CdsAuthenticationOptions
{
    public CdsAuthenticationMode Mode { get; set; } = CdsAuthenticationMode.Jwt;

    /// <summary>The public base URL EHRs call (e.g. <c>https://cds.example.org</c>); a token's <c>aud</c> must be this
    /// plus the path being invoked. Required in <see cref="CdsAuthenticationMode.Jwt"/> mode: the request's own
    /// <c>Host</c> is the caller's text, so an audience taken from it would accept a token minted for another service.</summary>
    public string Audience { get; set; } = "";

    /// <summary>The trusted clients: the <c>iss</c> allowlist with each client's keys.</summary>
    public List<TrustedIssuerOptions> Issuers { get; set; } = [];

    /// <summary>Signature algorithms accepted. The spec recommends ES384 and RS384; <c>none</c> and symmetric (HS*) ones are refused.</summary>
    public List<string> Algorithms { get; set; } = [];

    /// <summary>Leeway on <c>exp</c> and <c>iat</c> for clock differences.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest a token may live (<c>exp</c> − now); the spec's best practices say "no more than an hour",
    /// which also bounds how long a <c>jti</c> is remembered.</summary>
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long keys fetched from a <c>jku</c> are kept before they are fetched again.</summary>
    public TimeSpan JwksCacheDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The most <c>jti</c> values remembered, shared equally by the configured issuers: an issuer whose share is
    /// full of unexpired tokens has its new ones refused until old ones expire; the others are not affected. With the
    /// <c>timeline-store</c> replay store, the most rows each replica records.</summary>
    public int ReplayCacheCapacity { get; set; } = 100_000;

    /// <summary>Where the <c>jti</c> of accepted tokens are remembered: <c>memory</c> (the default: this process, so each
    /// replica accepts a captured token once) or <c>timeline-store</c> (rows of the timeline store, so every replica
    /// sharing it refuses a replay; a store that cannot answer refuses the call with 503). docs/cds-hooks.md "Replay
    /// protection".</summary>
    public string ReplayStore { get; set; } = ReplayStores.Memory;

    internal bool UsesTimelineStore => string.Equals(ReplayStore, ReplayStores.TimelineStore, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a call of <paramref name="client"/> may read the timeline store: in LocalDemo (one machine, one
    /// trust domain) always; otherwise only for an issuer configured with <see cref="TrustedIssuerOptions.UseStoredHistory"/>.</summary>
    internal bool MayUseStoredHistory(CdsClientIdentity? client) =>
        Mode == CdsAuthenticationMode.LocalDemo
        || (client is not null && Issuers.Any(i => i.UseStoredHistory && string.Equals(i.Issuer, client.Issuer, StringComparison.Ordinal)));

    internal IReadOnlyList<string> EffectiveAlgorithms => Algorithms.Count > 0 ? Algorithms : ["ES384", "RS384"];
}

/// <summary>One trusted CDS client.</summary>
internal sealed class TrustedIssuerOptions
{
    /// <summary>The exact <c>iss</c> value.</summary>
    public string Issuer { get; set; } = "";

    /// <summary>The client's JWK Set as JSON text (keys agreed out of band).</summary>
    public string? Jwks { get; set; }

    /// <summary>A file holding the client's JWK Set.</summary>
    public string? JwksPath { get; set; }

    /// <summary><c>jku</c> URLs this client may point at; a token naming any other <c>jku</c> is refused without a fetch.</summary>
    public List<string> JkuAllowlist { get; set; } = [];

    /// <summary>If not empty, the token's <c>tenant</c> must be one of these.</summary>
    public List<string> Tenants { get; set; } = [];

    /// <summary>Whether this client's calls may read the timeline store (what FHIR push stored), default false: the
    /// store is keyed by patient id alone, not by client or tenant, so another EHR's patient with the same id would be
    /// read (docs/cds-hooks.md "Stored history"). Set it only for clients of the store's trust domain.</summary>
    public bool UseStoredHistory { get; set; }

    /// <summary>FHIR server base URLs (prefixes, matched as <c>CdsHooks:Fhir:AllowedServers</c>) this client's calls may
    /// name as <c>fhirServer</c>; empty (the default) allows any that the global list allows. Without either list a
    /// client may make the service fetch from any public server it names (warning 319 at start).</summary>
    public List<string> FhirServers { get; set; } = [];
}

/// <summary>The authenticated CDS client of a call (an HTTP feature set by <see cref="CdsClientAuthenticationFilter"/>).</summary>
internal sealed record CdsClientIdentity(string Issuer, string? Tenant);

internal static class CdsAuthenticationOptionsValidator
{
    private static readonly HashSet<string> Asymmetric = new(StringComparer.Ordinal)
    {
        "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
    };

    /// <param name="hostSetting">The setting that binds the listener CDS Hooks is served on: <c>Http:Host</c>, or
    /// <c>CdsHooks:Host</c> where CDS Hooks has a port of its own.</param>
    public static void Validate(CdsAuthenticationOptions options, bool loopbackListener, string hostSetting, List<string> failures)
    {
        if (options.Mode == CdsAuthenticationMode.LocalDemo && !loopbackListener)
            failures.Add($"CdsHooks:Authentication:Mode LocalDemo serves without authentication; bind {hostSetting} to 127.0.0.1 or use Mode Jwt.");
        foreach (var alg in options.EffectiveAlgorithms.Where(a => !Asymmetric.Contains(a)))
            failures.Add($"CdsHooks:Authentication:Algorithms '{alg}' is not allowed (the spec forbids none and symmetric algorithms).");
        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(5))
            failures.Add("CdsHooks:Authentication:ClockSkew must be 0-5 minutes.");
        if (options.MaxTokenLifetime <= TimeSpan.Zero || options.MaxTokenLifetime > TimeSpan.FromDays(1))
            failures.Add("CdsHooks:Authentication:MaxTokenLifetime must be positive and at most a day.");
        if (options.JwksCacheDuration <= TimeSpan.Zero)
            failures.Add("CdsHooks:Authentication:JwksCacheDuration must be positive.");
        if (!options.UsesTimelineStore && !string.Equals(options.ReplayStore, ReplayStores.Memory, StringComparison.OrdinalIgnoreCase))
            failures.Add($"CdsHooks:Authentication:ReplayStore '{options.ReplayStore}' is not '{ReplayStores.Memory}' or '{ReplayStores.TimelineStore}'.");
        if (options.ReplayCacheCapacity < Math.Max(1, options.Issuers.Count))
            failures.Add("CdsHooks:Authentication:ReplayCacheCapacity must be positive and at least the number of issuers (each gets an equal share).");
        // With no trusted issuer every token is refused anyway, so a bare image (gRPC and FHIR push only) still starts.
        if (options.Mode == CdsAuthenticationMode.Jwt && options.Issuers.Count > 0 && options.Audience.Length == 0)
            failures.Add("CdsHooks:Authentication:Audience must be set when Mode is Jwt and an issuer is trusted: the public base URL EHRs call, such as https://cds.example.org (a token's aud must name it; it is never taken from the request's Host), or use Mode LocalDemo on 127.0.0.1 for a demo.");
        else if (options.Audience.Length > 0 && !Uri.TryCreate(options.Audience, UriKind.Absolute, out _))
            failures.Add("CdsHooks:Authentication:Audience must be an absolute base URL such as https://cds.example.org.");
        for (var i = 0; i < options.Issuers.Count; i++)
            ValidateIssuer($"CdsHooks:Authentication:Issuers:{i}", options.Issuers[i], failures);
        // CdsJwtValidator and FhirServerPolicy look issuers up by Issuer (ordinal, as a token's iss is compared): a
        // repeat would stop the start with a bare ArgumentException, or hold one issuer to two entries' settings.
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < options.Issuers.Count; i++)
        {
            var issuer = options.Issuers[i].Issuer;
            if (issuer.Length > 0 && !first.TryAdd(issuer, i))
                failures.Add($"CdsHooks:Authentication:Issuers:{i}:Issuer '{issuer}' repeats Issuers:{first[issuer]}:Issuer; list each issuer once, with all its keys and FhirServers.");
        }
    }

    private static bool JwksFileParses(string path)
    {
        try
        {
            return JwksParser.TryParse(File.ReadAllText(path), out _);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void ValidateIssuer(string key, TrustedIssuerOptions issuer, List<string> failures)
    {
        if (issuer.Issuer.Length == 0)
            failures.Add($"{key}:Issuer must not be empty.");
        if (string.IsNullOrEmpty(issuer.Jwks) && string.IsNullOrEmpty(issuer.JwksPath) && issuer.JkuAllowlist.Count == 0)
            failures.Add($"{key} needs keys: Jwks, JwksPath or a JkuAllowlist.");
        if (!string.IsNullOrEmpty(issuer.JwksPath) && !File.Exists(issuer.JwksPath))
            failures.Add($"{key}:JwksPath '{issuer.JwksPath}' does not exist.");
        else if (!string.IsNullOrEmpty(issuer.JwksPath) && !JwksFileParses(issuer.JwksPath))
            // Read at start as the inline Jwks is: unreadable, every token of the issuer was a silent 401 (review s24-cds L4).
            failures.Add($"{key}:JwksPath '{issuer.JwksPath}' is not a readable JWK Set with at least one key.");
        if (!string.IsNullOrEmpty(issuer.Jwks) && !JwksParser.TryParse(issuer.Jwks, out _))
            failures.Add($"{key}:Jwks is not a JWK Set with at least one key.");
        foreach (var jku in issuer.JkuAllowlist.Where(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || (uri.Scheme != "https" && uri.Scheme != "http")))
            failures.Add($"{key}:JkuAllowlist '{jku}' is not an absolute URL.");
        // A key set fetched in cleartext can be swapped on the way for one that signs any token for this issuer (review
        // s24-cds L2; CDS Hooks 2.0 requires TLS between EHR and service). Loopback only, for a key server on the host.
        foreach (var jku in issuer.JkuAllowlist.Where(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme == "http" && !uri.IsLoopback))
            failures.Add($"{key}:JkuAllowlist '{jku}' must be https: a key set fetched over http can be replaced in transit by one that signs tokens for this issuer (http is allowed for a loopback address only).");
        for (var i = 0; i < issuer.FhirServers.Count; i++)
        {
            if (!Uri.TryCreate(issuer.FhirServers[i], UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
                failures.Add($"{key}:FhirServers:{i} '{issuer.FhirServers[i]}' is not an absolute http(s) base URL such as https://fhir.example.org/r4.");
        }
    }
}
