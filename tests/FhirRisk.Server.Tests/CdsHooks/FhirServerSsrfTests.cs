using System.Net;
using System.Text.Json;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Tests.Security;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>
/// SSRF through <c>fhirServer</c> (security review): with client JWTs on, a call may fetch only from servers its
/// issuer's <c>FhirServers</c> and <c>AllowedServers</c> allow, never connects to a private, loopback or link-local
/// address whose authority no list names (a loopback one only when a list names it by that IP literal), and cannot open
/// another issuer's circuit. The fake FHIR servers listen on 127.0.0.1, which is exactly such an address.
/// </summary>
public sealed class FhirServerSsrfTests
{
    private const string Base = "https://cds.example.org";
    private const string Service = "/cds-services/" + CdsServiceCatalog.PatientRiskId;
    private const string IssuerB = "https://ehr-b.example.org";
    private static readonly (Microsoft.IdentityModel.Tokens.SecurityKey Key, string Jwks) Keys = JwtTestKeys.NewEcKey();

    [Fact]
    public async Task An_issuer_held_to_its_FhirServers_cannot_point_the_service_at_another_server()
    {
        await using var own = await FakeFhirServer.StartAsync();
        await using var other = await FakeFhirServer.StartAsync();
        await using var server = await JwtServerAsync(new() { ["CdsHooks:Authentication:Issuers:0:FhirServers:0"] = own.BaseUrl });

        using (var response = await CallAsync(server, other.BaseUrl))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("fhirServer not on this service's allowlist", await NoticeAsync(response), StringComparison.Ordinal);
        }
        Assert.Equal(0, other.Hits);

        // Its own server, on 127.0.0.1 too, is fetched: FhirServers names it by that address (an IP literal).
        using (var response = await CallAsync(server, own.BaseUrl))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(CdsServiceCatalog.PrefetchTemplates.Count, own.Hits); // the Patient read and the searches
        Assert.Equal(0, other.Hits);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")] // resolved by DNS, in the connect step
    [InlineData("[::ffff:127.0.0.1]")]
    public async Task A_fhirServer_on_loopback_is_not_connected_to_when_no_list_names_it(string host)
    {
        await using var fhir = await FakeFhirServer.StartAsync();
        // A circuit that would open on two failures: the refusals must not count as failures.
        await using var server = await JwtServerAsync(new()
        {
            ["CdsHooks:Fhir:MaxRetries"] = "2",
            ["CdsHooks:Fhir:MinimumThroughput"] = "2",
            ["CdsHooks:Fhir:FailureRatio"] = "0.5",
        });
        var url = $"http://{host}:{fhir.Port}/fhir";

        for (var call = 0; call < 2; call++)
        {
            using var response = await CallAsync(server, url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var notice = await NoticeAsync(response);
            // Worded as a server that does not answer (security review s13 L9): the caller cannot tell an internal name
            // that resolves from one that does not. The log below says which.
            Assert.Contains("FHIR server unreachable", notice, StringComparison.Ordinal);
            Assert.DoesNotContain("address", notice, StringComparison.Ordinal);
            Assert.DoesNotContain("calls paused", notice, StringComparison.Ordinal);
        }

        Assert.Equal(0, fhir.Hits);
        Assert.False(server.Logs.Has(203), "a refused address must not open the circuit");
        var refused = server.Logs.Entries.Where(e => e.EventId == 212).ToList();
        Assert.Equal(2, refused.Count); // once per call, not once per key
        Assert.Contains($":{fhir.Port}", refused[0].Message, StringComparison.Ordinal);
        Assert.Contains(JwtTestKeys.Issuer, refused[0].Message, StringComparison.Ordinal);
        Assert.DoesNotContain("/fhir", refused[0].Message, StringComparison.Ordinal); // no path: it holds patient ids
        Assert.DoesNotContain("p1", refused[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CdsHooks:Fhir:AllowedServers:0")]
    [InlineData("CdsHooks:Fhir:AllowPrivateAddresses")]
    public async Task A_fhirServer_on_loopback_is_fetched_when_the_operator_allows_it(string setting)
    {
        await using var fhir = await FakeFhirServer.StartAsync();
        await using var server = await JwtServerAsync(new() { [setting] = setting.EndsWith("AllowPrivateAddresses", StringComparison.Ordinal) ? "true" : fhir.BaseUrl });

        using var response = await CallAsync(server, fhir.BaseUrl);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(CdsServiceCatalog.PrefetchTemplates.Count, fhir.Hits);
        Assert.DoesNotContain("may be incomplete", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(server.Logs.Has(212));
    }

    [Fact]
    public async Task One_issuers_failures_open_its_own_circuit_and_not_another_issuers()
    {
        await using var fhir = await FakeFhirServer.StartAsync(FakeFhirMode.Error500);
        await using var server = await JwtServerAsync(new()
        {
            ["CdsHooks:Fhir:AllowedServers:0"] = fhir.BaseUrl,
            ["CdsHooks:Fhir:AttemptTimeout"] = "00:00:05",
            ["CdsHooks:Fhir:TotalTimeout"] = "00:00:30",
            ["CdsHooks:Fhir:MaxRetries"] = "2",
            ["CdsHooks:Fhir:MinimumThroughput"] = "4",
            ["CdsHooks:Fhir:FailureRatio"] = "0.5",
            ["CdsHooks:Fhir:BreakDuration"] = "00:01:00",
        });

        using (var first = await CallAsync(server, fhir.BaseUrl))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(server.Logs.Has(203), "issuer A's circuit should have opened (event 203)");
        var hitsWhenOpen = fhir.Hits;
        using (var again = await CallAsync(server, fhir.BaseUrl))
            Assert.Contains("calls paused", await NoticeAsync(again), StringComparison.Ordinal);
        Assert.Equal(hitsWhenOpen, fhir.Hits);

        using (var other = await CallAsync(server, fhir.BaseUrl, IssuerB))
            Assert.Contains("HTTP 500", await NoticeAsync(other), StringComparison.Ordinal);
        Assert.True(fhir.Hits > hitsWhenOpen, "issuer B's call should have reached the server");
    }

    [Fact]
    public async Task The_start_warns_about_each_issuer_that_may_name_any_fhirServer()
    {
        await using (var server = await JwtServerAsync(new() { ["CdsHooks:Authentication:Issuers:1:FhirServers:0"] = "https://fhir-b.example.org/r4" }))
        {
            var warning = Assert.Single(server.Logs.Entries, e => e.EventId == 319);
            Assert.Contains(JwtTestKeys.Issuer, warning.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(IssuerB, warning.Message, StringComparison.Ordinal);
        }
        await using (var server = await JwtServerAsync(new() { ["CdsHooks:Fhir:AllowedServers:0"] = "https://fhir.example.org/r4" }))
            Assert.False(server.Logs.Has(319));
    }

    /// <summary>Jwt mode with two issuers sharing one key: <see cref="JwtTestKeys.Issuer"/> (issuer 0) and
    /// <see cref="IssuerB"/> (issuer 1).</summary>
    private static Task<TestCdsServer> JwtServerAsync(Dictionary<string, string?> settings) =>
        TestCdsServer.StartAsync(new Dictionary<string, string?>(settings)
        {
            ["CdsHooks:Authentication:Mode"] = "Jwt",
            ["CdsHooks:Authentication:Audience"] = Base,
            ["CdsHooks:Authentication:Issuers:0:Issuer"] = JwtTestKeys.Issuer,
            ["CdsHooks:Authentication:Issuers:0:Jwks"] = Keys.Jwks,
            ["CdsHooks:Authentication:Issuers:1:Issuer"] = IssuerB,
            ["CdsHooks:Authentication:Issuers:1:Jwks"] = Keys.Jwks,
        });

    private static Task<HttpResponseMessage> CallAsync(TestCdsServer server, string fhirServer, string issuer = JwtTestKeys.Issuer) =>
        server.PostJsonAsync(Service, CdsRequests.Hook("patient-view", fhirServer: fhirServer),
            JwtTestKeys.Token(Keys.Key, "ES384", DateTimeOffset.UtcNow, audience: Base + Service, issuer: issuer)).WaitAsync(TimeSpan.FromSeconds(60));

    /// <summary>The detail of the last card: the "may be incomplete" notice, which names each key's cause.</summary>
    private static async Task<string> NoticeAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var cards = document.RootElement.GetProperty("cards");
        return cards[cards.GetArrayLength() - 1].GetProperty("detail").GetString()!;
    }
}
