using System.Net;
using FhirRisk.Server.Tests.Infrastructure;

namespace FhirRisk.Server.Tests.Operations;

/// <summary>Http:Tls: the HTTP listener serves HTTPS with the configured certificate, on 127.0.0.1.</summary>
public sealed class HttpTlsTests
{
    [Fact]
    public async Task A_configured_certificate_serves_https_to_a_client_that_trusts_it()
    {
        using var certificate = new TestCertificate();
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["Http:Tls:CertificatePath"] = certificate.PfxPath,
            ["Http:Tls:Password"] = TestCertificate.Password,
        });
        using var handler = certificate.TrustingHandler();
        using var https = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{server.HttpPort}"), Timeout = TestFhirRiskServer.Timeout };

        using var live = await https.GetAsync(new Uri("/health/live", UriKind.Relative));
        using var metrics = await https.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        await Assert.ThrowsAsync<HttpRequestException>(() => server.Http.GetAsync(new Uri("/health/live", UriKind.Relative)));
    }

    [Fact]
    public async Task A_missing_certificate_fails_the_start_naming_the_key()
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => TestFhirRiskServer.StartAsync(
            new Dictionary<string, string?> { ["Http:Tls:CertificatePath"] = "/nonexistent/server.pfx" }));

        Assert.Contains("Http:Tls:CertificatePath '/nonexistent/server.pfx' does not exist.", error.Message, StringComparison.Ordinal);
    }
}
