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
        if (options.MaxConcurrentConnections is { } max)
            LimitConnections(listen, max); // before TLS: a refused connection costs no handshake
        if (options.Tls is { } tls)
            listen.UseHttps(tls.LoadCertificate());
    }

    /// <summary>Closes a connection at once while <paramref name="max"/> are open on this listener. Kestrel's own
    /// <c>Limits.MaxConcurrentConnections</c> would count the HTTP and CDS Hooks listeners too.</summary>
    private static void LimitConnections(ListenOptions listen, long max)
    {
        var open = 0L;
        listen.Use(next => async connection =>
        {
            if (Interlocked.Increment(ref open) > max)
            {
                Interlocked.Decrement(ref open);
                await connection.Transport.Input.CompleteAsync();
                await connection.Transport.Output.CompleteAsync();
                return;
            }
            try
            {
                await next(connection);
            }
            finally
            {
                Interlocked.Decrement(ref open);
            }
        });
    }
}
