using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using FhirRisk.Server.Grpc.Internal;
using Google.Protobuf;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>
/// gRPC at the HTTP/2 level through HttpClient (h2c with prior knowledge): the bytes, headers and trailers exactly as
/// sent, for the protocol checks grpc-js hides (trailers-only, compressed flags, HTTP statuses).
/// </summary>
internal sealed class RawGrpcClient : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;

    public RawGrpcClient(Uri baseUri, HttpMessageHandler? handler = null)
    {
        _http = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: true)
        {
            BaseAddress = baseUri,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout,
        };
    }

    public static byte[] Frame(IMessage message, string? compression = null)
    {
        var bytes = message.ToByteArray();
        return Frame(compression is null ? bytes : MessageCompression.Compress(compression, bytes, CompressionLevel.Fastest), compression is not null);
    }

    public static byte[] Frame(byte[] payload, bool compressed)
    {
        var frame = new byte[MessageFrame.HeaderLength + payload.Length];
        MessageFrame.WriteHeader(frame, compressed, payload.Length);
        payload.CopyTo(frame, MessageFrame.HeaderLength);
        return frame;
    }

    public async Task<RawGrpcResponse> PostAsync(string path, byte[] body, Action<HttpRequestMessage>? configure = null,
        string contentType = "application/grpc", HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20, // a new HttpRequestMessage does not take the client's defaults
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        configure?.Invoke(request);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return new RawGrpcResponse(
            response.StatusCode,
            response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value)),
            response.TrailingHeaders.ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value)),
            bytes);
    }

    public void Dispose() => _http.Dispose();
}

internal sealed record RawGrpcResponse(
    HttpStatusCode HttpStatus, IReadOnlyDictionary<string, string> Headers, IReadOnlyDictionary<string, string> Trailers, byte[] Body)
{
    /// <summary>grpc-status from the trailers, or from the headers of a trailers-only response.</summary>
    public int? GrpcStatus =>
        (Trailers.TryGetValue("grpc-status", out var value) || Headers.TryGetValue("grpc-status", out value)) ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : null;

    public string? GrpcMessage =>
        (Trailers.TryGetValue("grpc-message", out var value) || Headers.TryGetValue("grpc-message", out value)) ? value : null;

    public bool IsTrailersOnly => Headers.ContainsKey("grpc-status") && Trailers.Count == 0 && Body.Length == 0;

    /// <summary>The body split into (compressed flag, payload) frames.</summary>
    public IReadOnlyList<(bool Compressed, byte[] Payload)> Frames()
    {
        var frames = new List<(bool, byte[])>();
        var offset = 0;
        while (offset < Body.Length)
        {
            var compressed = Body[offset] == 1;
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(Body.AsSpan(offset + 1, 4));
            frames.Add((compressed, Body.AsSpan(offset + MessageFrame.HeaderLength, length).ToArray()));
            offset += MessageFrame.HeaderLength + length;
        }
        return frames;
    }
}
