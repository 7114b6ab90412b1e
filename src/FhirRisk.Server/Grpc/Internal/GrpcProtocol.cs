namespace FhirRisk.Server.Grpc.Internal;

/// <summary>Names and values of the gRPC over HTTP/2 protocol (gRPC doc/PROTOCOL-HTTP2.md).</summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";

    /// <summary>
    /// True for <c>application/grpc</c> and <c>application/grpc+proto</c>, with or without parameters. Other
    /// subtypes (<c>+json</c>) name codecs we do not have; the spec lets a server answer those like any other
    /// unsupported content type.
    /// </summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null)
            return false;
        var mediaType = contentType.AsSpan();
        var parameters = mediaType.IndexOf(';');
        if (parameters >= 0)
            mediaType = mediaType[..parameters];
        mediaType = mediaType.Trim();
        return mediaType.Equals(ContentType, StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals(ContentType + "+proto", StringComparison.OrdinalIgnoreCase);
    }
}
