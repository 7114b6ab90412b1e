using System.Net;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Security;
using FhirRisk.Server.Tests.CdsHooks;
using FhirRisk.Server.Tests.Infrastructure;

namespace FhirRisk.Server.Tests.Security;

/// <summary>
/// CDS Hooks reads what FHIR push stored only for issuers configured with <c>UseStoredHistory</c>: the store is keyed by
/// patient id alone, so any other client would get another EHR's patient of the same id (review phi.md #2).
/// </summary>
public sealed class CdsStoredHistoryTests
{
    private const string Base = "https://cds.example.org";
    private const string TrustedIssuer = "https://ehr.store-domain.example";
    private const string PatientId = "zqx-pat-4471";

    [Fact]
    public void Stored_history_is_off_for_an_issuer_unless_configured()
    {
        Assert.False(new TrustedIssuerOptions().UseStoredHistory);
    }

    [Fact]
    public async Task Only_an_issuer_configured_for_it_reads_stored_history()
    {
        var (key, jwks) = JwtTestKeys.NewEcKey();
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:Authentication:Mode"] = "Jwt",
            ["CdsHooks:Authentication:Audience"] = Base,
            ["CdsHooks:Authentication:Issuers:0:Issuer"] = JwtTestKeys.Issuer,
            ["CdsHooks:Authentication:Issuers:0:Jwks"] = jwks,
            ["CdsHooks:Authentication:Issuers:1:Issuer"] = TrustedIssuer,
            ["CdsHooks:Authentication:Issuers:1:Jwks"] = jwks,
            ["CdsHooks:Authentication:Issuers:1:UseStoredHistory"] = "true",
        }, cdsHooks: true);
        await server.WaitUntilReadyAsync();
        using (var push = await server.PostAsync("/fhir", TestBundles.Patient(PatientId).ToJsonString()))
            Assert.Equal(HttpStatusCode.OK, push.StatusCode);
        var service = $"/cds-services/{CdsServiceCatalog.PatientRiskId}";
        var call = CdsRequests.Hook("patient-view", patientId: PatientId); // no prefetch, no FHIR server: only the store has data

        using var other = await SendAsync(server, service, call, JwtTestKeys.Token(key, "ES384", DateTimeOffset.UtcNow, audience: Base + service));
        using var trusted = await SendAsync(server, service, call,
            JwtTestKeys.Token(key, "ES384", DateTimeOffset.UtcNow, audience: Base + service, issuer: TrustedIssuer));

        Assert.Equal(HttpStatusCode.PreconditionFailed, other.StatusCode);
        Assert.Equal(HttpStatusCode.OK, trusted.StatusCode);
        Assert.Contains("\"cards\"", await trusted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> SendAsync(TestFhirRiskServer server, string path, string json, string bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", bearer);
        return await server.Http.SendAsync(request).WaitAsync(TestFhirRiskServer.Timeout);
    }
}
