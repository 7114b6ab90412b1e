using System.IO.Compression;
using FhirRisk.Server.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FhirRisk.Server.FhirPush;

/// <summary>
/// Reads a push's body, decoding <c>Content-Encoding: gzip</c> (RFC 9110 §8.4.1.3; integration engines compress large
/// Bulk Data files), with <c>FhirPush:MaxBodyBytes</c> applied to the decoded bytes, so that a small gzip of a huge
/// body is refused as a huge body is. Any other content coding is 415 with <c>Accept-Encoding: gzip</c> (RFC 9110
/// §15.5.16), never read as JSON (ops review s11 #12: a gzip body was "invalid JSON at line 1, byte 1").
/// </summary>
internal static class PushRequestBody
{
    private const string Gzip = "gzip";

    /// <summary>The decoded body, or why it is refused: the answer's status, issue code and message.</summary>
    public static async Task<(ReadOnlyMemory<byte> Body, (int Status, string Code, string Message)? Refusal)> ReadAsync(HttpContext http, long limit)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (ContentCoding(http.Request.Headers.ContentEncoding) is not { } coding)
        {
            http.Response.Headers.AcceptEncoding = Gzip;
            return (default, (StatusCodes.Status415UnsupportedMediaType, FhirPushIssueCodes.UnsupportedMediaType,
                $"Content-Encoding '{Escape(http.Request.Headers.ContentEncoding.ToString())}' is not supported; send the body as is or gzip-compressed"));
        }
        if (coding != Gzip && http.Request.ContentLength > limit)
            return (default, TooLarge(limit, coding));
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = null; // our limit below answers with an OperationOutcome, Kestrel's would not
        try
        {
            await using var decoded = coding == Gzip ? new GZipStream(http.Request.Body, CompressionMode.Decompress, leaveOpen: true) : null;
            return await ReadUpToAsync(decoded ?? http.Request.Body, limit, http.RequestAborted) is { } body
                ? (body, null)
                : (default, TooLarge(limit, coding));
        }
        catch (InvalidDataException)
        {
            return (default, (StatusCodes.Status400BadRequest, FhirPushIssueCodes.BadContentCoding,
                "the body is not valid gzip data (Content-Encoding: gzip); nothing was stored"));
        }
    }

    /// <summary><c>gzip</c>, <c>identity</c> (none, or only identity), or null for a coding we do not decode. <c>x-gzip</c>
    /// is gzip (RFC 9110 §8.4.1.3).</summary>
    internal static string? ContentCoding(Microsoft.Extensions.Primitives.StringValues header)
    {
        var codings = header.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(c => !c.Equals("identity", StringComparison.OrdinalIgnoreCase))
            .ToArray();
        return codings switch
        {
            [] => "identity",
            [var only] when only.Equals(Gzip, StringComparison.OrdinalIgnoreCase) || only.Equals("x-gzip", StringComparison.OrdinalIgnoreCase) => Gzip,
            _ => null,
        };
    }

    /// <summary>The whole stream, or null when it holds more than <paramref name="limit"/> bytes (read no further).</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadUpToAsync(Stream body, long limit, CancellationToken cancellationToken)
    {
        var buffer = new ChunkedBody();
        int read;
        while ((read = await buffer.ReadAsync(body, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
                return null;
            buffer.Keep(read);
        }
        return buffer.ToArray();
    }

    private static (int, string, string) TooLarge(long limit, string coding) =>
        (StatusCodes.Status413PayloadTooLarge, FhirPushIssueCodes.BodyTooLarge,
            $"the body is over the {limit}-byte limit{(coding == Gzip ? " once decompressed" : "")}; split it");

    /// <summary>A header a client chose, safe to echo: printable ASCII only, at most 40 characters.</summary>
    private static string Escape(string value) =>
        new([.. value.Take(40).Select(c => c is >= ' ' and <= '~' ? c : '?')]);
}
