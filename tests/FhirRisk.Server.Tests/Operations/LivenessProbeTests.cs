using System.Net;
using FhirRisk.Server.Health;
using FhirRisk.Server.Http;
using FhirRisk.Server.Tests.Infrastructure;

namespace FhirRisk.Server.Tests.Operations;

/// <summary>
/// <c>probe-live</c>, the image's HEALTHCHECK (review s11-ops #10: the bash probe spoke cleartext only, so a container with
/// <c>Http:Tls</c> reported unhealthy), and the HTTP listener's protocols (#17: HTTP/2 only through TLS, and no Kestrel
/// warning at every start).
/// </summary>
public sealed class LivenessProbeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task The_probe_passes_against_a_cleartext_listener_and_probes_loopback_for_every_interface()
    {
        await using var server = await TestFhirRiskServer.StartAsync();
        using var error = new StringWriter();

        Assert.Equal(0, await LivenessProbe.ProbeAsync(new HttpListenerOptions { Host = "127.0.0.1", Port = server.HttpPort }, Timeout, error));
        Assert.Equal(0, await LivenessProbe.ProbeAsync(new HttpListenerOptions { Host = "0.0.0.0", Port = server.HttpPort }, Timeout, error));
        Assert.Equal("", error.ToString());
    }

    [Fact]
    public async Task The_probe_passes_against_a_tls_listener_trusting_exactly_the_configured_certificate()
    {
        using var certificate = new TestCertificate();
        using var other = new TestCertificate();
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["Http:Tls:CertificatePath"] = certificate.PfxPath,
            ["Http:Tls:Password"] = TestCertificate.Password,
        });
        using var served = new StringWriter();
        using var cleartext = new StringWriter();
        using var mismatch = new StringWriter();

        var withTls = await LivenessProbe.ProbeAsync(Options(server.HttpPort, certificate.PfxPath), Timeout, served);
        var withoutTls = await LivenessProbe.ProbeAsync(new HttpListenerOptions { Port = server.HttpPort }, Timeout, cleartext);
        var otherCertificate = await LivenessProbe.ProbeAsync(Options(server.HttpPort, other.PfxPath), Timeout, mismatch);

        Assert.Equal(0, withTls);
        Assert.Equal("", served.ToString());
        Assert.Equal(1, withoutTls); // what the old HEALTHCHECK did
        Assert.StartsWith("fhirrisk probe-live: GET http://127.0.0.1:", cleartext.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, otherCertificate);
        Assert.Single(mismatch.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task The_probe_fails_with_one_line_when_nothing_listens_or_the_port_is_not_fixed()
    {
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var refused = new StringWriter();
        using var zero = new StringWriter();

        Assert.Equal(1, await LivenessProbe.ProbeAsync(new HttpListenerOptions { Port = port }, Timeout, refused));
        Assert.Equal(1, await LivenessProbe.ProbeAsync(new HttpListenerOptions { Port = 0 }, Timeout, zero));
        Assert.Contains($"GET http://127.0.0.1:{port}/health/live failed", refused.ToString(), StringComparison.Ordinal);
        Assert.Contains("Http:Port 0", zero.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cleartext_listener_serves_http1_without_a_kestrel_warning_and_tls_still_offers_http2()
    {
        await using (var cleartext = await TestFhirRiskServer.StartAsync())
        {
            using var live = await cleartext.Http.GetAsync(new Uri("/health/live", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.DoesNotContain(cleartext.Logs.Entries, e => e.Category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal) && e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
        }

        using var certificate = new TestCertificate();
        await using var tls = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["Http:Tls:CertificatePath"] = certificate.PfxPath,
            ["Http:Tls:Password"] = TestCertificate.Password,
        });
        using var handler = certificate.TrustingHandler();
        using var https = new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var h2 = await https.GetAsync(new Uri($"https://127.0.0.1:{tls.HttpPort}/health/live"));

        Assert.Equal(HttpStatusCode.OK, h2.StatusCode);
        Assert.Equal(HttpVersion.Version20, h2.Version);
    }

    private static HttpListenerOptions Options(int port, string pfxPath) => new()
    {
        Port = port,
        Tls = new TlsCertificateOptions { CertificatePath = pfxPath, Password = TestCertificate.Password },
    };
}
