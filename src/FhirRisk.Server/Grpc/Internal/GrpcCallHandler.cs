using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Grpc.Internal;

/// <summary>What every call handler shares: validated options, the protocol log, the clock for deadlines.</summary>
internal sealed record GrpcCallEnvironment(GrpcServerOptions Options, ILogger Logger, TimeProvider Time);

/// <summary>
/// Serves one method: checks the HTTP request, starts the deadline, runs the method, and funnels its outcome into
/// exactly one status. Subclasses differ only in how they read requests and hand out responses (unary and server
/// streaming here; client streaming and bidirectional would read with <see cref="IGrpcStreamReader{T}"/>).
/// </summary>
internal abstract class GrpcCallHandler(string path, GrpcCallEnvironment environment)
{
    public string Path { get; } = path;

    protected GrpcCallEnvironment Environment { get; } = environment;

    /// <summary>The method's own request limit, when below <c>Grpc:MaxReceiveMessageSize</c>; null: the server's.</summary>
    public int? MaxRequestBytes { get; init; }

    public async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (!await GrpcHttpChecks.AcceptAsync(http, Environment.Logger, unknownPath: false))
            return;
        var malformedTimeout = !TryReadTimeout(http, out var timeout);
        using var call = new GrpcServerCall(http, Path, Environment.Options, timeout, Environment.Time);
        if (malformedTimeout)
        {
            GrpcLog.MalformedTimeout(Environment.Logger, Path);
            await call.CompleteAsync(new GrpcStatus(GrpcStatusCode.Internal, "Malformed grpc-timeout header."));
            return;
        }

        var handler = RunAsync(call);
        var first = call.HasDeadline ? await Task.WhenAny(handler, call.DeadlineReached) : handler;
        var status = first == handler
            ? await OutcomeAsync(handler, call)
            : new GrpcStatus(GrpcStatusCode.DeadlineExceeded, "Deadline exceeded.");
        if (call.DeadlineExceeded && timeout is { } passed)
            GrpcLog.DeadlineExceeded(Environment.Logger, Path, passed.TotalMilliseconds);
        await call.CompleteAsync(status);
        GrpcLog.CallEnded(Environment.Logger, Path, status.Code, Stopwatch.GetElapsedTime(call.Started).TotalMilliseconds);
        if (first != handler)
        {
            // The client has its answer; the handler saw its token cancelled. Wait for it so that nothing of this
            // request (pooled by Kestrel) is touched after we return.
            await OutcomeAsync(handler, call);
            GrpcLog.LateHandlerEnded(Environment.Logger, Path, Stopwatch.GetElapsedTime(call.Started).TotalMilliseconds);
        }
    }

    /// <summary>Reads the request(s), runs the method, writes the response(s).</summary>
    protected abstract Task RunAsync(GrpcServerCall call);

    protected void OnCompressedMessage(string encoding) => GrpcLog.CompressedMessageReceived(Environment.Logger, Path, LogText.Of(encoding, 32));

    private async Task<GrpcStatus> OutcomeAsync(Task handler, GrpcServerCall call)
    {
        try
        {
            await handler;
            return GrpcStatus.Ok;
        }
        catch (Exception e)
        {
            var state = new CallEndState(call.DeadlineExceeded, call.ClientCancelled, call.Context.TraceIdentifier, call.ServerCancelled);
            var status = GrpcErrorFunnel.ToStatus(e, state);
            if (GrpcErrorFunnel.IsUnexpected(e, status))
                GrpcLog.CallFailed(Environment.Logger, Path, e.GetType().FullName ?? e.GetType().Name, state.TraceIdentifier, e.StackTrace);
            else if (status.Code == GrpcStatusCode.Cancelled && state.ClientCancelled)
                GrpcLog.ClientCancelled(Environment.Logger, Path);
            return status;
        }
    }

    private static bool TryReadTimeout(HttpContext http, out TimeSpan? timeout)
    {
        timeout = null;
        var header = http.Request.Headers[GrpcProtocol.TimeoutHeader];
        if (header.Count == 0)
            return true;
        if (header.Count > 1 || !GrpcTimeout.TryParse(header.ToString(), out var value))
            return false;
        timeout = value;
        return true;
    }
}

/// <summary>One request message in, one response message out.</summary>
internal delegate Task<TResponse> UnaryMethod<in TRequest, TResponse>(TRequest request, GrpcCallContext context);

/// <summary>One request message in, a stream of response messages out.</summary>
internal delegate Task ServerStreamingMethod<in TRequest, out TResponse>(
    TRequest request, IGrpcStreamWriter<TResponse> responses, GrpcCallContext context);

internal sealed class UnaryCallHandler<TRequest, TResponse>(
    string path, GrpcCallEnvironment environment, Google.Protobuf.MessageParser<TRequest> parser, UnaryMethod<TRequest, TResponse> method)
    : GrpcCallHandler(path, environment)
    where TRequest : class, Google.Protobuf.IMessage<TRequest>
    where TResponse : class, Google.Protobuf.IMessage<TResponse>
{
    protected override async Task RunAsync(GrpcServerCall call)
    {
        var token = call.Context.CancellationToken;
        var request = await call.CreateReader(parser, OnCompressedMessage, MaxRequestBytes).ReadSingleAsync(token);
        var response = await method(request, call.Context)
            ?? throw new InvalidOperationException($"The handler of {Path} returned no response.");
        await call.WriteMessageAsync(response, token);
    }
}

internal sealed class ServerStreamingCallHandler<TRequest, TResponse>(
    string path, GrpcCallEnvironment environment, Google.Protobuf.MessageParser<TRequest> parser, ServerStreamingMethod<TRequest, TResponse> method)
    : GrpcCallHandler(path, environment)
    where TRequest : class, Google.Protobuf.IMessage<TRequest>
    where TResponse : class, Google.Protobuf.IMessage<TResponse>
{
    protected override async Task RunAsync(GrpcServerCall call)
    {
        var request = await call.CreateReader(parser, OnCompressedMessage, MaxRequestBytes).ReadSingleAsync(call.Context.CancellationToken);
        await method(request, new ResponseStreamWriter(call), call.Context);
    }

    private sealed class ResponseStreamWriter(GrpcServerCall call) : IGrpcStreamWriter<TResponse>
    {
        public Task WriteAsync(TResponse message, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(message);
            return call.WriteMessageAsync(message, cancellationToken);
        }
    }
}
