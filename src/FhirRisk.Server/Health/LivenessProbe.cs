using System.Net;
using System.Net.Security;
using FhirRisk.Server.Http;

namespace FhirRisk.Server.Health;

/// <summary>
/// <c>dotnet FhirRisk.Server.dll probe-live</c>, the image's HEALTHCHECK (Dockerfile): <c>GET /health/live</c> on this
/// machine's HTTP listener, exit 0 on 200, else exit 1 with one line on stderr. It reads the server's own settings (the
/// same sources: <see cref="FhirRiskOperationsExtensions.AddFhirRiskConfiguration"/>), so it follows <c>Http:Port</c>
/// and speaks HTTPS when <c>Http:Tls</c> is set. The bash <c>/dev/tcp</c> probe it replaces spoke cleartext only, and
/// every container configured for TLS reported unhealthy (review s11-ops #10); the runtime image has no curl, wget or
/// openssl, but it has .NET.
/// </summary>
internal static class LivenessProbe
{
    public const string Verb = "probe-live";

    /// <summary>Below the HEALTHCHECK's own 5 s timeout, so the probe reports why rather than being killed.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(4);

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.AddFhirRiskConfiguration(args);
        var options = new HttpListenerOptions();
        builder.Configuration.GetSection(HttpListenerOptions.Section).Bind(options);
        return await ProbeAsync(options, Timeout, Console.Error);
    }

    /// <summary>
    /// Probes the listener <paramref name="options"/> describe. A listener on every interface is probed on loopback.
    /// Over TLS the probe trusts exactly the configured certificate: it calls 127.0.0.1, which a certificate issued for
    /// the service's DNS name does not cover, and a self-signed one chains to nothing the image trusts.
    /// </summary>
    internal static async Task<int> ProbeAsync(HttpListenerOptions options, TimeSpan timeout, TextWriter error)
    {
        if (!options.Enabled)
            return Fail(error, "Http:Enabled is false: there is no HTTP listener to probe.");
        if (new HttpListenerOptionsValidator().Validate(null, options) is { Failed: true } invalid)
            return Fail(error, $"invalid settings: {invalid.FailureMessage}");
        if (options.Port is <= 0 or > 65535)
            return Fail(error, $"Http:Port {options.Port} cannot be probed (0 picks a free port at start).");
        var uri = new UriBuilder(options.Tls is null ? Uri.UriSchemeHttp : Uri.UriSchemeHttps, ProbeHost(options.Host), options.Port, "/health/live").Uri;
        try
        {
            using var handler = new SocketsHttpHandler { ConnectTimeout = timeout };
            if (options.Tls is { } tls)
            {
                using var served = tls.LoadCertificate();
                var expected = served.RawData;
                handler.SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(expected),
                };
            }
            using var client = new HttpClient(handler) { Timeout = timeout };
            using var response = await client.GetAsync(uri);
            return response.StatusCode == HttpStatusCode.OK ? 0 : Fail(error, $"GET {uri} answered {(int)response.StatusCode}.");
        }
        catch (Exception e)
        {
            // Whatever failed (a refused connection, a timeout, a certificate that cannot be read), the probe's answer
            // is one line and exit 1, never an abort.
            return Fail(error, $"GET {uri} failed: {e.GetType().Name}: {LogText.Of(e.Message)}");
        }
    }

    private static string ProbeHost(string host)
    {
        if (!IPAddress.TryParse(host, out var address))
            return host; // localhost
        if (address.Equals(IPAddress.Any))
            return IPAddress.Loopback.ToString();
        if (address.Equals(IPAddress.IPv6Any))
            return "[::1]";
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
    }

    private static int Fail(TextWriter error, string reason)
    {
        error.WriteLine($"fhirrisk probe-live: {reason}");
        return 1;
    }
}
