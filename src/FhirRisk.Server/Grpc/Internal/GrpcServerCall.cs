using System.Diagnostics;
using FhirRisk.Server.Http;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FhirRisk.Server.Grpc.Internal;

/// <summary>
/// One call's protocol state: its deadline and cancellation, its encodings, and the response (headers on the first
/// message, length-prefixed messages, then the status as trailers, or as a trailers-only response when no message was
/// sent). Writes are serialized and refused once the status is sent, so a handler still running after its deadline
/// cannot touch the response.
/// </summary>
internal sealed class GrpcServerCall : IDisposable
{
    private readonly HttpContext _http;
    private readonly GrpcServerOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource? _deadlineSource;
    private readonly CancellationTokenSource _callSource;
    private readonly TaskCompletionSource? _deadlineReached;
    private readonly string? _responseEncoding;
    private bool _completed;

    /// <summary>Ends a call that no handler runs — refused by authentication, the drain or a work limit — with
    /// <paramref name="status"/>, trailers-only.</summary>
    public static async Task RefuseAsync(HttpContext http, string method, GrpcStatus status)
    {
        ArgumentNullException.ThrowIfNull(http);
        var environment = http.RequestServices.GetRequiredService<GrpcCallEnvironment>();
        using var call = new GrpcServerCall(http, method, environment.Options, timeout: null, environment.Time);
        await call.CompleteAsync(status);
    }

    public GrpcServerCall(HttpContext http, string method, GrpcServerOptions options, TimeSpan? timeout, TimeProvider time)
    {
        _http = http;
        _options = options;
        Method = method;
        Started = Stopwatch.GetTimestamp();
        RequestEncoding = http.Request.Headers[GrpcProtocol.EncodingHeader].ToString() is { Length: > 0 } encoding ? encoding : null;
        if (options.ResponseEncoding is { } preferred
            && MessageCompression.Accepts(http.Request.Headers[GrpcProtocol.AcceptEncodingHeader].ToString(), preferred))
            _responseEncoding = preferred;
        _callSource = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        DateTimeOffset? deadline = null;
        // CancellationTokenSource timers reach 2^32-2 ms (49.7 days); a longer timeout is no deadline in practice.
        if (timeout is { } t && t.TotalMilliseconds < uint.MaxValue - 1)
        {
            deadline = time.GetUtcNow() + t;
            _deadlineSource = new CancellationTokenSource(t, time);
            _deadlineReached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _deadlineSource.Token.Register(OnDeadline);
        }
        Context = new GrpcCallContext(http, method, deadline, _callSource.Token);
    }

    public string Method { get; }

    public long Started { get; }

    public GrpcCallContext Context { get; }

    public string? RequestEncoding { get; }

    /// <summary>Completes when the deadline passes; never when the call has none.</summary>
    public Task DeadlineReached => _deadlineReached?.Task ?? Task.Delay(Timeout.Infinite, CancellationToken.None);

    public bool HasDeadline => _deadlineReached is not null;

    public bool DeadlineExceeded => _deadlineSource?.IsCancellationRequested == true;

    /// <summary>The client went away (reset the stream): not the server cancelling the call's work as it shuts down.</summary>
    public bool ClientCancelled => ServerCancellation.ClientAborted(_http).IsCancellationRequested;

    /// <summary>The server cancelled the call's work (the shutdown drain timed out) while the client still waits.</summary>
    public bool ServerCancelled => ServerCancellation.IsRequested(_http);

    /// <param name="maxMessageSize">The method's own limit (decompressed bytes), when below the server's.</param>
    public GrpcMessageReader<T> CreateReader<T>(MessageParser<T> parser, Action<string>? onCompressedMessage, int? maxMessageSize = null)
        where T : class, IMessage<T>
    {
        // Sizes are enforced per message (RESOURCE_EXHAUSTED); Kestrel's request body cap would end a call with a
        // bare HTTP error instead.
        if (_http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            bodySize.MaxRequestBodySize = null;
        var settings = new GrpcMessageReaderSettings(Math.Min(_options.MaxReceiveMessageSize, maxMessageSize ?? int.MaxValue), RequestEncoding, onCompressedMessage);
        return new GrpcMessageReader<T>(_http.Request.BodyReader, parser, settings);
    }

    public async Task WriteMessageAsync(IMessage message, CancellationToken cancellationToken)
    {
        var size = message.CalculateSize();
        if (size > _options.MaxSendMessageSize)
            throw new GrpcStatusException(GrpcStatusCode.ResourceExhausted,
                $"Sending message larger than max ({size} vs. {_options.MaxSendMessageSize}).");
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(Context.CancellationToken, cancellationToken);
        await _writeLock.WaitAsync(linked.Token);
        try
        {
            ObjectDisposedException.ThrowIf(_completed, this);
            if (!_http.Response.HasStarted)
                WriteResponseHeaders();
            WriteFrame(message, size);
            await _http.Response.BodyWriter.FlushAsync(linked.Token);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The most UTF-16 code units of a status message sent; a longer one is cut, with "…". Percent-encoded it is
    /// at most about 6 KiB, well inside what clients take as headers (review s21-grpc M1: a message quoting a 70,000-character
    /// task name made trailers grpc-js could not read, and the call never ended for the client).</summary>
    public const int MaxStatusMessageLength = 1024;

    /// <summary><paramref name="message"/> cut to <see cref="MaxStatusMessageLength"/>, never inside a surrogate pair.</summary>
    internal static string Bounded(string message)
    {
        if (message.Length <= MaxStatusMessageLength)
            return message;
        var kept = MaxStatusMessageLength - 1;
        if (char.IsHighSurrogate(message[kept - 1]))
            kept--;
        return string.Concat(message.AsSpan(0, kept), "…");
    }

    /// <summary>Sends the status and ends the response; later writes fail. Safe to call once only.</summary>
    public async Task CompleteAsync(GrpcStatus status)
    {
        await _writeLock.WaitAsync(CancellationToken.None);
        try
        {
            _completed = true;
            if (ClientCancelled)
                return; // the stream is reset: nothing can reach the client
            var response = _http.Response;
            if (response.HasStarted)
            {
                response.AppendTrailer(GrpcProtocol.StatusHeader, StatusValue(status.Code));
                if (status.Message.Length > 0)
                    response.AppendTrailer(GrpcProtocol.MessageHeader, PercentEncoding.Encode(Bounded(status.Message)));
            }
            else
            {
                // Trailers-Only: one HEADERS frame with END_STREAM carrying the status (PROTOCOL-HTTP2.md).
                WriteResponseHeaders();
                response.Headers[GrpcProtocol.StatusHeader] = StatusValue(status.Code);
                if (status.Message.Length > 0)
                    response.Headers[GrpcProtocol.MessageHeader] = PercentEncoding.Encode(Bounded(status.Message));
            }
            await response.CompleteAsync();
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client went away while the status was being sent.
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public void Dispose()
    {
        _deadlineSource?.Dispose();
        _callSource.Dispose();
        _writeLock.Dispose();
    }

    private void OnDeadline()
    {
        _deadlineReached!.TrySetResult();
        try
        {
            _callSource.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The call finished as its deadline passed.
        }
    }

    private void WriteResponseHeaders()
    {
        var response = _http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.AcceptEncodingHeader] = MessageCompression.AcceptEncoding;
        if (_responseEncoding is not null)
            response.Headers[GrpcProtocol.EncodingHeader] = _responseEncoding;
    }

    private void WriteFrame(IMessage message, int size)
    {
        var writer = _http.Response.BodyWriter;
        if (_responseEncoding is null)
        {
            MessageFrame.WriteHeader(writer.GetSpan(MessageFrame.HeaderLength), compressed: false, size);
            writer.Advance(MessageFrame.HeaderLength);
            message.WriteTo(writer);
            return;
        }
        var compressed = MessageCompression.Compress(_responseEncoding, message.ToByteArray(), _options.ResponseCompressionLevel);
        var span = writer.GetSpan(MessageFrame.HeaderLength + compressed.Length);
        MessageFrame.WriteHeader(span, compressed: true, compressed.Length);
        compressed.CopyTo(span[MessageFrame.HeaderLength..]);
        writer.Advance(MessageFrame.HeaderLength + compressed.Length);
    }

    private static string StatusValue(GrpcStatusCode code) => ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
