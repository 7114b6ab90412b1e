namespace FhirRisk.Server.Grpc;

/// <summary>
/// Ends a call with a chosen status. Throw it from a handler (or a backend) when the status is known; its message
/// goes on the wire as <c>grpc-message</c>, so it must describe the problem without repeating patient data.
/// Every other exception goes through <see cref="Internal.GrpcErrorFunnel"/>.
/// </summary>
internal sealed class GrpcStatusException : Exception
{
    public GrpcStatusException(GrpcStatusCode code, string message)
        : base(message)
    {
        Code = code;
    }

    public GrpcStatusException(GrpcStatusCode code, string message, Exception innerException)
        : base(message, innerException)
    {
        Code = code;
    }

    public GrpcStatusCode Code { get; }

    public GrpcStatus Status => new(Code, Message);
}
