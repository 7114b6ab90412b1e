using Microsoft.AspNetCore.Http;

namespace FhirRisk.Server.Grpc;

/// <summary>What a handler may know about its call besides the request message.</summary>
internal sealed class GrpcCallContext
{
    private readonly HttpContext _http;

    internal GrpcCallContext(HttpContext http, string method, DateTimeOffset? deadline, CancellationToken cancellationToken)
    {
        _http = http;
        Method = method;
        Deadline = deadline;
        CancellationToken = cancellationToken;
    }

    /// <summary>The method's path, e.g. <c>/fhirrisk.v1.RiskService/Predict</c>.</summary>
    public string Method { get; }

    /// <summary>When the client stops waiting (from <c>grpc-timeout</c>); null when it sent none.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>Cancelled when the deadline passes or the client cancels (RST_STREAM).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The request metadata (HTTP/2 headers, including the reserved ones).</summary>
    public IHeaderDictionary RequestHeaders => _http.Request.Headers;

    /// <summary>The request's scoped services.</summary>
    public IServiceProvider Services => _http.RequestServices;

    /// <summary>Correlates the call with the server's log lines (sent to the client with INTERNAL errors).</summary>
    public string TraceIdentifier => _http.TraceIdentifier;
}

/// <summary>Writes the messages of a server-streaming (or, later, bidirectional) call.</summary>
internal interface IGrpcStreamWriter<in T>
{
    /// <summary>Sends one message (headers first, on the first message). Throws <see cref="GrpcStatusException"/>
    /// (RESOURCE_EXHAUSTED) for a message over the send limit, and after the call has ended.</summary>
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}

/// <summary>Reads the messages of a client-streaming or bidirectional call: the abstraction those call types would
/// hand to their handlers. The unary and server-streaming handlers read their single request through it too.</summary>
internal interface IGrpcStreamReader<T>
    where T : class
{
    /// <summary>The next message, or null when the client has half-closed the stream.</summary>
    ValueTask<T?> ReadAsync(CancellationToken cancellationToken = default);
}
