using System.Globalization;
using FhirRisk.Server.Security;

namespace FhirRisk.Server.CdsHooks;

/// <summary>What the connect step (<see cref="FhirAddressGuard"/>) lets a connection to one authority reach.</summary>
internal enum AddressReach
{
    /// <summary>Public addresses only: no allowlist names the authority.</summary>
    Public,

    /// <summary>Public addresses and the private networks (<see cref="AddressClassifier.IsPrivateNetwork"/>): an
    /// allowlist names the authority by a host name, whose DNS the operator does not control, so loopback,
    /// link-local (the metadata service) and the other special addresses stay refused (security review s13 M3).</summary>
    PrivateNetworks,

    /// <summary>Its one address, whatever its kind: an allowlist names the authority by an IP address literal
    /// (<c>http://127.0.0.1:8080</c>), so the operator named the very address connected to.</summary>
    NamedAddress,
}

/// <summary>
/// Which <c>fhirServer</c>s the service fetches from (security review: SSRF through <c>fhirServer</c>). A call may
/// fetch from a server that <c>CdsHooks:Fhir:AllowedServers</c> allows and, when its issuer lists any, one of that
/// issuer's <c>FhirServers</c>: both lists must allow, and an empty list allows any. Separately, the authorities
/// (scheme, host, port) those lists name are the ones the connect step lets reach more than public addresses
/// (<see cref="ReachOf"/>, <see cref="FhirAddressGuard"/>): the operator named them, so a hospital's FHIR server on its
/// own network works.
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

    /// <summary>Whether connections are held to public addresses (outside the named authorities, <see cref="ReachOf"/>): off
    /// in LocalDemo (one machine, whose fake or local FHIR server is on loopback) and with
    /// <c>CdsHooks:Fhir:AllowPrivateAddresses</c>.</summary>
    public bool ChecksAddresses { get; }

    /// <summary>Whether a call of <paramref name="issuer"/> ("" without an authenticated client) may fetch from
    /// <paramref name="server"/>: the global list and the issuer's own both allow it.</summary>
    public bool Allows(Uri server, string issuer)
    {
        ArgumentNullException.ThrowIfNull(server);
        return Allows(_allowed, server) && (!_byIssuer.TryGetValue(issuer, out var own) || Allows(own, server));
    }

    /// <summary>Which addresses a connection to the authority of <paramref name="url"/> may reach: more than public ones
    /// only when a prefix in <c>AllowedServers</c> or in any issuer's <c>FhirServers</c> names that authority — its
    /// private networks when named by a host name, its one address when named by an IP literal. It depends on the
    /// authority alone: HttpClient pools connections per authority, so one call's connection serves the next calls,
    /// whoever makes them.</summary>
    public AddressReach ReachOf(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!_namedAuthorities.Contains(AuthorityOf(url)))
            return AddressReach.Public;
        // The authority holds the host, so a named literal's authority is matched only by that literal (Uri writes
        // 2130706433 and 0x7f.1 as 127.0.0.1 for both sides).
        return url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 ? AddressReach.NamedAddress : AddressReach.PrivateNetworks;
    }

    /// <summary>A base URL prefix as compared: its canonical form (scheme and host lower case, default port left out),
    /// ending in one '/' so that <c>https://fhir.example.org/r4</c> does not allow <c>…/r4-other</c>.</summary>
    private static string Prefix(string url) => new Uri(url).AbsoluteUri.TrimEnd('/') + "/";

    private static bool Allows(string[] prefixes, Uri server) =>
        prefixes.Length == 0
        || (!HasDotSegment(server) && prefixes.Any(prefix => (server.AbsoluteUri.TrimEnd('/') + "/").StartsWith(prefix, StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// Whether the path, decoded, has a "." or ".." segment, which a FHIR server or a proxy in front of it may resolve
    /// to climb out of an allowed prefix. <see cref="Uri"/> already removes plain and single-encoded ones
    /// (<c>/tenant-a/%2e%2e/tenant-b</c> is <c>/tenant-b</c> before the prefix is compared); what it keeps are the ones
    /// behind an encoded slash (<c>/tenant-a/x%2f..%2ftenant-b</c>) or encoded twice (<c>%252e%252e</c>), which only a
    /// server decoding more than once would resolve. Such a path is not allowed under a prefix.
    /// </summary>
    internal static bool HasDotSegment(Uri server)
    {
        var path = server.AbsolutePath;
        for (var round = 0; round < 4; round++)
        {
            if (path.Split('/', '\\').Any(segment => segment is "." or ".."))
                return true;
            var decoded = Uri.UnescapeDataString(path);
            if (decoded == path)
                return false;
            path = decoded;
        }
        return true; // still encoded after four rounds: no FHIR base URL looks so
    }

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
