using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Grpc.Internal;

/// <summary>
/// The protocol layer's log lines, with stable event ids (1xx). They name methods, statuses, sizes and durations;
/// never request or response contents, nor exception messages (which may quote patient data).
/// </summary>
internal static partial class GrpcLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "gRPC call {Method} ended {StatusCode} after {ElapsedMs:0.0} ms")]
    public static partial void CallEnded(ILogger logger, string method, GrpcStatusCode statusCode, double elapsedMs);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error,
        Message = "gRPC call {Method} failed with {ExceptionType}; answered INTERNAL (trace {TraceIdentifier})\n{StackTrace}")]
    public static partial void CallFailed(ILogger logger, string method, string exceptionType, string traceIdentifier, string? stackTrace);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "gRPC call {Method} passed its deadline of {TimeoutMs:0.0} ms")]
    public static partial void DeadlineExceeded(ILogger logger, string method, double timeoutMs);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "gRPC call {Method} was cancelled by the client")]
    public static partial void ClientCancelled(ILogger logger, string method);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "gRPC request to {Path} refused with HTTP {HttpStatus}: {Reason}")]
    public static partial void HttpRefused(ILogger logger, string path, int httpStatus, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "gRPC call to unimplemented {Path}")]
    public static partial void Unimplemented(ILogger logger, string path);

    [LoggerMessage(EventId = 106, Level = LogLevel.Debug, Message = "gRPC call {Method} received a {Encoding}-compressed message")]
    public static partial void CompressedMessageReceived(ILogger logger, string method, string encoding);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "gRPC call {Method} has a malformed grpc-timeout header")]
    public static partial void MalformedTimeout(ILogger logger, string method);

    [LoggerMessage(EventId = 108, Level = LogLevel.Debug,
        Message = "gRPC call {Method}: the handler ended {ElapsedMs:0.0} ms after the call had already been answered")]
    public static partial void LateHandlerEnded(ILogger logger, string method, double elapsedMs);
}
