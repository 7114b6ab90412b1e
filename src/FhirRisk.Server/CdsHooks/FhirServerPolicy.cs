using System.Globalization;
using FhirRisk.Server.Security;

namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// Which <c>fhirServer</c>s the service fetches from (security review: SSRF through <c>fhirServer</c>). A call may
/// fetch from a server that <c>CdsHooks:Fhir:AllowedServers</c> allows and, when its issuer lists any, one of that
/// issuer's <c>FhirServers</c>: both lists must allow, and an empty list allows any. Separately, the authorities
/// (scheme, host, port) those lists name are the ones whose private addresses the connect step lets through
/// (<see cref="FhirAddressGuard"/>): the operator named them, so a hospital's FHIR server on its own network works.
/// </summary>
internal sealed class FhirServerPolicy
{
    private readonly string[] _allowed;
    private readonly Dictionary<string, string[]> _byIssuer;
    private readonly HashSet<string> _namedAuthorities;

    public FhirServerPolicy(CdsHooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _allowed = [.. options.Fhir.AllowedServers.Select(Prefix)];
        // Each issuer once: CdsAuthenticationOptionsValidator refuses a repeated Issuer at start, as CdsJwtValidator needs.
        _byIssuer = options.Authentication.Issuers.ToDictionary(i => i.Issuer, i => i.FhirServers.Select(Prefix).ToArray(), StringComparer.Ordinal);
        _namedAuthorities = new HashSet<string>(
            options.Fhir.AllowedServers.Concat(options.Authentication.Issuers.SelectMany(i => i.FhirServers)).Select(s => AuthorityOf(new Uri(s))),
            StringComparer.OrdinalIgnoreCase);
        ChecksAddresses = options.Authentication.Mode != CdsAuthenticationMode.LocalDemo && !options.Fhir.AllowPrivateAddresses;
    }

    /// <summary>Whether connections are held to public addresses (outside the named authorities): off in LocalDemo (one
    /// machine, whose fake or local FHIR server is on loopback) and with <c>CdsHooks:Fhir:AllowPrivateAddresses</c>.</summary>
    public bool ChecksAddresses { get; }

    /// <summary>Whether a call of <paramref name="issuer"/> ("" without an authenticated client) may fetch from
    /// <paramref name="server"/>: the global list and the issuer's own both allow it.</summary>
    public bool Allows(Uri server, string issuer)
    {
        ArgumentNullException.ThrowIfNull(server);
        return Allows(_allowed, server) && (!_byIssuer.TryGetValue(issuer, out var own) || Allows(own, server));
    }

    /// <summary>Whether a prefix in <c>AllowedServers</c> or in any issuer's <c>FhirServers</c> names the authority of
    /// <paramref name="url"/>. It depends on the authority alone: HttpClient pools connections per authority, so one
    /// call's connection serves the next calls, whoever makes them.</summary>
    public bool NamesAuthority(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return _namedAuthorities.Contains(AuthorityOf(url));
    }

    /// <summary>A base URL prefix as compared: its canonical form (scheme and host lower case, default port left out),
    /// ending in one '/' so that <c>https://fhir.example.org/r4</c> does not allow <c>…/r4-other</c>.</summary>
    private static string Prefix(string url) => new Uri(url).AbsoluteUri.TrimEnd('/') + "/";

    private static bool Allows(string[] prefixes, Uri server) =>
        prefixes.Length == 0 || prefixes.Any(prefix => (server.AbsoluteUri.TrimEnd('/') + "/").StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

    /// <summary>Scheme, host and port (always written) — never user info, which may hold a password, and never the path
    /// or query, which hold patient ids — with the host in its IDN (punycode) form, as connected to. The circuit and the
    /// logs name a server by it too.</summary>
    internal static string AuthorityOf(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var host = url.HostNameType == UriHostNameType.IPv6 ? $"[{url.IdnHost}]" : url.IdnHost;
        return string.Create(CultureInfo.InvariantCulture, $"{url.Scheme}://{host.ToLowerInvariant()}:{url.Port}");
    }
}
