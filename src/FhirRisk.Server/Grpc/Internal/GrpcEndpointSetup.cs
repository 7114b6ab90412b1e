using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FhirRisk.Server.Grpc.Internal;

/// <summary>Opens the gRPC listener: HTTP/2 only, over cleartext with prior knowledge (h2c) or TLS with ALPN.</summary>
internal static class GrpcEndpointSetup
{
    public static void Configure(KestrelServerOptions kestrel, GrpcServerOptions options)
    {
        kestrel.Limits.Http2.MaxStreamsPerConnection = options.MaxConcurrentStreams;
        if (options.Host == "localhost")
            kestrel.ListenLocalhost(options.Port, listen => ConfigureListener(listen, options));
        else
            kestrel.Listen(IPAddress.Parse(options.Host), options.Port, listen => ConfigureListener(listen, options));
    }

    private static void ConfigureListener(ListenOptions listen, GrpcServerOptions options)
    {
        listen.Protocols = HttpProtocols.Http2;
        Http.Listeners.Tag(listen, Http.ListenerKind.Grpc);
        if (options.Tls is { } tls)
            listen.UseHttps(tls.LoadCertificate());
    }
}
