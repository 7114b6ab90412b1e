using System.IO.Compression;
using System.Net;
using FhirRisk.Server.Grpc.Internal;
using FhirRisk.Server.Http;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Grpc;

/// <summary>The gRPC endpoint, bound from the <c>Grpc</c> configuration section and validated at start.</summary>
internal sealed class GrpcServerOptions
{
    public const string Section = "Grpc";

    /// <summary>IP address to listen on: <c>127.0.0.1</c> (default, this machine only), <c>0.0.0.0</c> or
    /// <c>::</c> (every interface, e.g. in a container), or <c>localhost</c>.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (tests read it back from the server's addresses).</summary>
    public int Port { get; set; } = 50051;

    /// <summary>Largest request message accepted, before and after decompression, in bytes (gRPC's default:
    /// 4 MiB). A larger one ends the call with RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest response message sent, uncompressed, in bytes. A larger one ends the call with
    /// RESOURCE_EXHAUSTED instead of being sent.</summary>
    public int MaxSendMessageSize { get; set; } = 16 * 1024 * 1024;

    /// <summary><c>gzip</c> or <c>deflate</c> to compress responses to clients that accept it (their
    /// <c>grpc-accept-encoding</c>); empty or <c>identity</c> (default) sends them uncompressed.</summary>
    public string ResponseCompression { get; set; } = "";

    public CompressionLevel ResponseCompressionLevel { get; set; } = CompressionLevel.Fastest;

    /// <summary>Concurrent calls per HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS).</summary>
    public int MaxConcurrentStreams { get; set; } = 100;

    /// <summary>Open TCP connections to the gRPC listener at once; null (default) sets no limit. A connection past
    /// it is closed at once, before any HTTP/2 frame.</summary>
    public long? MaxConcurrentConnections { get; set; }

    /// <summary>Health <c>Watch</c> calls open at once, over all connections (the health service needs no
    /// credentials). Past it, Watch ends with RESOURCE_EXHAUSTED.</summary>
    public int MaxHealthWatches { get; set; } = Health.HealthStatusRegistry.DefaultMaxWatchers;

    /// <summary>How long a health <c>Watch</c> lasts before it ends with OK (clients watch again).</summary>
    public TimeSpan HealthWatchLifetime { get; set; } = Health.HealthGrpcService.DefaultWatchLifetime;

    /// <summary>TLS with ALPN h2 when set; otherwise h2c (HTTP/2 over cleartext, prior knowledge).</summary>
    public TlsCertificateOptions? Tls { get; set; }

    internal string? ResponseEncoding =>
        ResponseCompression.Length == 0 || ResponseCompression == MessageCompression.Identity ? null : ResponseCompression;
}

/// <summary>Rejects settings the server could not serve with, naming the configuration key to fix.</summary>
internal sealed class GrpcServerOptionsValidator : IValidateOptions<GrpcServerOptions>
{
    /// <summary>A CancellationTokenSource's timer takes at most int.MaxValue milliseconds.</summary>
    private static readonly TimeSpan MaxWatchLifetime = TimeSpan.FromDays(24);

    public ValidateOptionsResult Validate(string? name, GrpcServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Host != "localhost" && !IPAddress.TryParse(options.Host, out _))
            failures.Add($"Grpc:Host '{options.Host}' is not an IP address or 'localhost'.");
        if (options.Port is < 0 or > 65535)
            failures.Add($"Grpc:Port {options.Port} is outside 0-65535.");
        if (options.MaxReceiveMessageSize <= 0)
            failures.Add("Grpc:MaxReceiveMessageSize must be positive (bytes).");
        if (options.MaxSendMessageSize <= 0)
            failures.Add("Grpc:MaxSendMessageSize must be positive (bytes).");
        if (options.MaxConcurrentStreams <= 0)
            failures.Add("Grpc:MaxConcurrentStreams must be positive.");
        if (options.MaxConcurrentConnections is <= 0)
            failures.Add("Grpc:MaxConcurrentConnections must be positive, or left out for no limit.");
        if (options.MaxHealthWatches <= 0)
            failures.Add("Grpc:MaxHealthWatches must be positive.");
        if (options.HealthWatchLifetime <= TimeSpan.Zero || options.HealthWatchLifetime > MaxWatchLifetime)
            failures.Add($"Grpc:HealthWatchLifetime must be above 0 and at most {MaxWatchLifetime} (e.g. 00:30:00).");
        if (options.ResponseCompression.Length > 0 && !MessageCompression.IsSupported(options.ResponseCompression))
            failures.Add($"Grpc:ResponseCompression '{options.ResponseCompression}' is not one of identity, gzip, deflate.");
        options.Tls?.Validate("Grpc:Tls", failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
