using System.Text.Json;

namespace FhirRisk.Server.Grpc.Internal;

/// <summary>What the server knew about a call when its handler threw. <paramref name="ServerCancelled"/>: the server
/// itself cancelled the call's work (the shutdown drain timed out) while the client still waits.</summary>
internal readonly record struct CallEndState(bool DeadlineExceeded, bool ClientCancelled, string TraceIdentifier, bool ServerCancelled = false);

/// <summary>
/// The one place where exceptions become gRPC statuses. Messages that reach the wire are either chosen by our code
/// (<see cref="GrpcStatusException"/>) or built here from facts that hold no request values: exception messages
/// of the framework (a FormatException quotes the text it could not parse, a KeyNotFoundException its key) can hold
/// patient data, so they are never sent, and nothing here sends a stack trace.
/// </summary>
internal static class GrpcErrorFunnel
{
    public const string InternalMessagePrefix = "Internal error; the server logged it as ";

    public const string ServerCancelledMessage = "The server is shutting down and cancelled the call before it completed; retry on another instance.";

    public static GrpcStatus ToStatus(Exception exception, CallEndState state)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            GrpcStatusException e => e.Status,
            OperationCanceledException when state.DeadlineExceeded => new(GrpcStatusCode.DeadlineExceeded, "Deadline exceeded."),
            // Once the client has reset the stream, writes fail with I/O errors of the aborted connection: those
            // are the cancellation too, not server faults (and no status reaches the client anyway).
            _ when state.ClientCancelled => new(GrpcStatusCode.Cancelled, "The client cancelled the call."),
            // Cut off by the server as it shut down: UNAVAILABLE, which clients retry on another replica, never a bare
            // end of the stream (review s11-ops #1). Whatever the work threw as its token fired.
            _ when state.ServerCancelled => new(GrpcStatusCode.Unavailable, ServerCancelledMessage),
            OperationCanceledException => new(GrpcStatusCode.Cancelled, "The call was cancelled."),
            ArgumentException e => new(GrpcStatusCode.InvalidArgument,
                e.ParamName is { Length: > 0 } name ? $"Invalid argument '{name}'." : "Invalid argument."),
            JsonException e => new(GrpcStatusCode.InvalidArgument, DescribeJson(e)),
            FormatException or InvalidDataException or System.ComponentModel.DataAnnotations.ValidationException =>
                new(GrpcStatusCode.InvalidArgument, "The request holds a value in an invalid format."),
            KeyNotFoundException => new(GrpcStatusCode.NotFound, "The requested item was not found."),
            NotImplementedException or NotSupportedException => new(GrpcStatusCode.Unimplemented, "Not implemented by this server."),
            _ => new(GrpcStatusCode.Internal, InternalMessagePrefix + state.TraceIdentifier + "."),
        };
    }

    /// <summary>True when the status hides an unexpected exception, which is logged as an error.</summary>
    public static bool IsUnexpected(Exception exception, GrpcStatus status) =>
        status.Code == GrpcStatusCode.Internal && exception is not GrpcStatusException;

    // JsonException's Path and position say where without quoting the document.
    private static string DescribeJson(JsonException e) =>
        e.Path is null
            ? "The request holds invalid JSON."
            : $"The request holds invalid JSON at {e.Path} (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).";
}
