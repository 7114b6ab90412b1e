using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Http;

/// <summary>
/// The <c>Http</c> section: the plain HTTP listener (HTTP/1.1; HTTP/2 too over TLS) for FHIR push and the health probes, beside
/// the gRPC listener (HTTP/2 only, docs/grpc.md) that Kubernetes probes and FHIR clients cannot speak to. Cleartext
/// unless <see cref="Tls"/> names a certificate (docs/operations.md "TLS").
/// </summary>
internal sealed class HttpListenerOptions
{
    public const string Section = "Http";

    /// <summary>False to serve gRPC only.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>IP address or <c>localhost</c>. Default <c>127.0.0.1</c>; <c>0.0.0.0</c> in a container.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one. Default 8080.</summary>
    public int Port { get; set; } = 8080;

    /// <summary>HTTPS (ALPN h2 and http/1.1) when set; otherwise cleartext HTTP/1.1.</summary>
    public TlsCertificateOptions? Tls { get; set; }

    /// <summary>Whether a listener host setting (<c>localhost</c> or an IP address) is a loopback address: the only
    /// binds the unauthenticated local-demo modes accept.</summary>
    public static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
}

internal sealed class HttpListenerOptionsValidator : IValidateOptions<HttpListenerOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpListenerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
            return ValidateOptionsResult.Success;
        var failures = new List<string>();
        if (options.Host != "localhost" && !IPAddress.TryParse(options.Host, out _))
            failures.Add($"Http:Host '{options.Host}' is not an IP address or 'localhost'.");
        if (options.Port is < 0 or > 65535)
            failures.Add($"Http:Port {options.Port} is outside 0-65535.");
        options.Tls?.Validate("Http:Tls", failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>The HTTP listener as Kestrel bound it (its port once bound, when 0 was asked for).</summary>
internal sealed class HttpListenerBinding
{
    private ListenOptions? _listen;

    /// <summary>The bound port; null when the listener is disabled or not bound yet.</summary>
    public int? Port => (_listen?.EndPoint as IPEndPoint)?.Port is > 0 and var port ? port : null;

    /// <summary>True when the listener serves HTTPS.</summary>
    public bool IsTls { get; private set; }

    public void Configure(KestrelServerOptions kestrel, HttpListenerOptions options)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
            return;
        IsTls = options.Tls is not null;
        void Listen(ListenOptions listen)
        {
            // HTTP/2 only through TLS's ALPN: cleartext HTTP/2 on this listener would need prior knowledge (h2c), which
            // would shut out HTTP/1.1 clients, so Kestrel offered it only to warn at every start that it could not (review
            // s11-ops #17). h2c is the gRPC listener's (Grpc section), which serves nothing of this one.
            listen.Protocols = options.Tls is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
            Listeners.Tag(listen, ListenerKind.Http);
            if (options.Tls is { } tls)
                listen.UseHttps(tls.LoadCertificate());
            _listen = listen;
        }
        if (options.Host == "localhost")
            kestrel.ListenLocalhost(options.Port, Listen);
        else
            kestrel.Listen(IPAddress.Parse(options.Host), options.Port, Listen);
    }
}
