namespace FhirRisk.Server.Grpc;

/// <summary>The gRPC status codes (gRPC doc/statuscodes.md); the numbers are the wire values of <c>grpc-status</c>.</summary>
internal enum GrpcStatusCode
{
    Ok = 0,
    Cancelled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    OutOfRange = 11,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    DataLoss = 15,
    Unauthenticated = 16,
}

/// <summary>How a call ended: the code and the message sent (percent-encoded) as <c>grpc-message</c>.</summary>
internal readonly record struct GrpcStatus(GrpcStatusCode Code, string Message)
{
    public static readonly GrpcStatus Ok = new(GrpcStatusCode.Ok, "");

    public override string ToString() => Message.Length == 0 ? Code.ToString() : $"{Code}: {Message}";
}
