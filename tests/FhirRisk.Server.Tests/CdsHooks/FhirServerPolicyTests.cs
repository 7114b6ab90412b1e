using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Security;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>Which <c>fhirServer</c> a call may name (the global list and its issuer's <c>FhirServers</c>, both), and
/// what an authority either list names may reach: the private networks when named by a host name, its address when
/// named by an IP literal.</summary>
public sealed class FhirServerPolicyTests
{
    private const string IssuerA = "https://ehr-a.example";
    private const string IssuerB = "https://ehr-b.example";
    private static readonly string Jwks = Security.JwtTestKeys.NewEcKey().Jwks;

    [Fact]
    public void Without_lists_any_server_is_allowed_and_addresses_are_checked()
    {
        var policy = new FhirServerPolicy(Options());

        Assert.True(policy.Allows(new Uri("https://fhir.anywhere.example/r4"), IssuerA));
        Assert.True(policy.Allows(new Uri("https://fhir.anywhere.example/r4"), ""));
        Assert.Equal(AddressReach.Public, policy.ReachOf(new Uri("http://10.0.0.5/fhir")));
        Assert.True(policy.ChecksAddresses);
    }

    [Fact]
    public void An_issuers_FhirServers_hold_its_calls_only()
    {
        var policy = new FhirServerPolicy(Options(issuerA: ["https://fhir-a.example.org/r4"]));

        Assert.True(policy.Allows(new Uri("https://fhir-a.example.org/r4"), IssuerA));
        Assert.True(policy.Allows(new Uri("https://FHIR-A.example.org:443/r4/"), IssuerA));
        Assert.False(policy.Allows(new Uri("https://fhir-a.example.org/r4-other"), IssuerA)); // a prefix ends at a '/'
        Assert.False(policy.Allows(new Uri("https://fhir-b.example.org/r4"), IssuerA));
        Assert.True(policy.Allows(new Uri("https://fhir-b.example.org/r4"), IssuerB)); // B lists none
        Assert.True(policy.Allows(new Uri("https://fhir-b.example.org/r4"), "")); // LocalDemo: no issuer
    }

    [Fact]
    public void The_global_list_and_the_issuers_list_must_both_allow()
    {
        var policy = new FhirServerPolicy(Options(
            allowed: ["https://fhir-a.example.org/", "https://fhir-b.example.org/"], issuerA: ["https://fhir-a.example.org/tenant-a"]));

        Assert.True(policy.Allows(new Uri("https://fhir-a.example.org/tenant-a"), IssuerA));
        Assert.False(policy.Allows(new Uri("https://fhir-a.example.org/tenant-b"), IssuerA)); // global yes, issuer no
        Assert.False(policy.Allows(new Uri("https://fhir-c.example.org/tenant-a"), IssuerA)); // neither
        Assert.True(policy.Allows(new Uri("https://fhir-b.example.org/x"), IssuerB));
        Assert.False(policy.Allows(new Uri("https://fhir-c.example.org/x"), IssuerB)); // issuer lists none, global no
    }

    [Fact]
    public void An_authority_named_by_either_list_may_reach_more_than_public_addresses_whatever_its_path()
    {
        var policy = new FhirServerPolicy(Options(allowed: ["http://10.0.0.5:8080/fhir", "http://[::1]:8080/fhir"], issuerA: ["https://fhir.hospital.internal/r4"]));

        // Named by an IP literal: that address, whatever its kind.
        Assert.Equal(AddressReach.NamedAddress, policy.ReachOf(new Uri("http://10.0.0.5:8080/other")));
        Assert.Equal(AddressReach.NamedAddress, policy.ReachOf(new Uri("http://user:pw@10.0.0.5:8080/fhir"))); // user info is not the authority
        Assert.Equal(AddressReach.NamedAddress, policy.ReachOf(new Uri("http://[0:0::1]:8080/fhir")));
        Assert.Equal(AddressReach.Public, policy.ReachOf(new Uri("http://10.0.0.5:8081/fhir")));
        Assert.Equal(AddressReach.Public, policy.ReachOf(new Uri("https://10.0.0.5:8080/fhir")));
        // Named by a host name (security review s13 M3): its private networks, not loopback or link-local.
        Assert.Equal(AddressReach.PrivateNetworks, policy.ReachOf(new Uri("https://FHIR.hospital.internal:443/x")));
        Assert.Equal(AddressReach.Public, policy.ReachOf(new Uri("https://fhir.hospital.internal:8443/r4")));
    }

    [Fact]
    public void A_named_literal_is_matched_by_its_other_spellings_only()
    {
        var policy = new FhirServerPolicy(Options(allowed: ["http://127.0.0.1:8080/fhir"]));

        Assert.Equal(AddressReach.NamedAddress, policy.ReachOf(new Uri("http://2130706433:8080/fhir"))); // Uri writes 127.0.0.1
        Assert.Equal(AddressReach.Public, policy.ReachOf(new Uri("http://127.0.0.2:8080/fhir")));
        Assert.Equal(AddressReach.Public, policy.ReachOf(new Uri("http://localhost:8080/fhir"))); // a name: resolved, checked
    }

    // Security review s13, tests: a dot-segment must not climb out of an issuer's prefix.
    [Theory]
    [InlineData("https://fhir.example.org/r4/tenant-a/%2e%2e/tenant-b")] // Uri removes it: …/r4/tenant-b
    [InlineData("https://fhir.example.org/r4/tenant-a/%2E%2E/tenant-b")]
    [InlineData("https://fhir.example.org/r4/tenant-a/.%2e/tenant-b")]
    [InlineData("https://fhir.example.org/r4/tenant-a/x%2f..%2f..%2ftenant-b")] // kept by Uri: a decoding server resolves it
    [InlineData("https://fhir.example.org/r4/tenant-a/x%2F%2E%2E%2F..%2Ftenant-b")]
    [InlineData("https://fhir.example.org/r4/tenant-a/%252e%252e/tenant-b")] // encoded twice
    [InlineData("https://fhir.example.org/r4/tenant-a/x%5c..%5c..%5ctenant-b")] // a backslash
    public void An_encoded_dot_segment_does_not_leave_an_allowed_prefix(string fhirServer)
    {
        var policy = new FhirServerPolicy(Options(issuerA: ["https://fhir.example.org/r4/tenant-a"]));

        Assert.False(policy.Allows(new Uri(fhirServer), IssuerA));
        Assert.True(policy.Allows(new Uri("https://fhir.example.org/r4/tenant-a/sub%2dtenant"), IssuerA)); // other escapes are fine
        Assert.True(policy.Allows(new Uri("https://fhir.example.org/r4/tenant-a/v1.2"), IssuerA));
        Assert.True(policy.Allows(new Uri(fhirServer), IssuerB)); // no list: nothing to leave
    }

    [Theory]
    [InlineData("LocalDemo", false, false)]
    [InlineData("Jwt", true, false)]
    [InlineData("Jwt", false, true)]
    public void Addresses_are_checked_unless_LocalDemo_or_AllowPrivateAddresses(string mode, bool allowPrivate, bool checks)
    {
        var options = Options();
        options.Authentication.Mode = Enum.Parse<CdsAuthenticationMode>(mode);
        options.Fhir.AllowPrivateAddresses = allowPrivate;
        Assert.Equal(checks, new FhirServerPolicy(options).ChecksAddresses);
        Assert.False(new FhirFetchOptions().AllowPrivateAddresses);
    }

    [Fact]
    public void With_the_address_check_on_the_handler_connects_itself_and_never_through_a_proxy()
    {
        using (var checking = FhirAddressGuard.CreateHandler(new FhirServerPolicy(Options())))
        {
            Assert.False(checking.AllowAutoRedirect);
            Assert.False(checking.UseProxy); // a proxy would be all the check sees
            Assert.NotNull(checking.ConnectCallback);
        }
        var demo = Options();
        demo.Authentication.Mode = CdsAuthenticationMode.LocalDemo;
        using var local = FhirAddressGuard.CreateHandler(new FhirServerPolicy(demo));
        Assert.False(local.AllowAutoRedirect);
        Assert.True(local.UseProxy);
        Assert.Null(local.ConnectCallback);
    }

    [Fact]
    public void A_FhirServers_entry_that_is_not_an_absolute_http_url_stops_the_start_naming_its_key()
    {
        var options = Options(issuerA: ["https://fhir-a.example.org/r4", "fhir-a.example.org/r4"], allowed: ["ftp://fhir.example.org"]);
        options.Authentication.Audience = "https://cds.example.org";

        var result = new CdsHooksOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("CdsHooks:Authentication:Issuers:0:FhirServers:1 'fhir-a.example.org/r4' is not an absolute http(s) base URL", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("CdsHooks:Fhir:AllowedServers:0 'ftp://fhir.example.org' is not an absolute http(s) base URL", StringComparison.Ordinal));
        Assert.Equal(2, failures.Count);
    }

    // Security review s13: a repeated Issuer stopped a Jwt start with CdsJwtValidator's bare ArgumentException.
    [Fact]
    public void An_issuer_listed_twice_stops_the_start_naming_both_entries()
    {
        var options = Options();
        options.Authentication.Audience = "https://cds.example.org";
        options.Authentication.Issuers.Add(new TrustedIssuerOptions { Issuer = IssuerB, Jwks = Jwks });
        options.Authentication.Issuers.Add(new TrustedIssuerOptions { Issuer = IssuerA.ToUpperInvariant(), Jwks = Jwks }); // iss is compared exactly

        var result = new CdsHooksOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(
            $"CdsHooks:Authentication:Issuers:2:Issuer '{IssuerB}' repeats Issuers:1:Issuer; list each issuer once, with all its keys and FhirServers.",
            Assert.Single(result.Failures!));
    }

    private static CdsHooksOptions Options(string[]? allowed = null, string[]? issuerA = null)
    {
        var options = new CdsHooksOptions();
        options.Fhir.AllowedServers.AddRange(allowed ?? []);
        options.Authentication.Issuers.Add(new TrustedIssuerOptions { Issuer = IssuerA, Jwks = Jwks, FhirServers = [.. issuerA ?? []] });
        options.Authentication.Issuers.Add(new TrustedIssuerOptions { Issuer = IssuerB, Jwks = Jwks });
        return options;
    }
}
