using System.IO.Compression;
using System.IO.Pipelines;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Grpc.Internal;
using FhirRisk.Server.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Health.V1;

namespace FhirRisk.Server.Tests.Protocol;

public sealed class GrpcMessageReaderTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly HealthCheckRequest Request = new() { Service = "fhirrisk.v1.RiskService" };

    [Fact]
    public async Task ReadAsync_TwoMessagesInSmallChunks_ReadsBothThenNull()
    {
        byte[] body = [.. RawGrpcClient.Frame(Request), .. RawGrpcClient.Frame(new HealthCheckRequest { Service = "b" })];
        var reader = Reader(await BodyInChunks(body, chunk: 3));

        Assert.Equal(Request, await reader.ReadAsync().AsTask().WaitAsync(Timeout));
        Assert.Equal("b", (await reader.ReadAsync().AsTask().WaitAsync(Timeout))!.Service);
        Assert.Null(await reader.ReadAsync().AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task ReadAsync_DeclaredLengthOverTheLimit_ResourceExhaustedBeforeTheBodyArrives()
    {
        var pipe = new Pipe();
        var header = new byte[5];
        MessageFrame.WriteHeader(header, compressed: false, 1_000_001);
        await pipe.Writer.WriteAsync(header); // the writer stays open: the reader must not wait for the message

        var e = await Assert.ThrowsAsync<GrpcStatusException>(() => Reader(pipe.Reader, maxSize: 1_000_000).ReadAsync().AsTask().WaitAsync(Timeout));

        Assert.Equal(GrpcStatusCode.ResourceExhausted, e.Code);
        Assert.Equal("Received message larger than max (1000001 vs. 1000000).", e.Message);
    }

    [Fact]
    public async Task ReadAsync_BodyEndsInsideAMessage_Internal()
    {
        var frame = RawGrpcClient.Frame(Request);

        var body = await BodyInChunks(frame[..^1], 64);

        var e = await Assert.ThrowsAsync<GrpcStatusException>(() => Reader(body).ReadAsync().AsTask());

        Assert.Equal(GrpcStatusCode.Internal, e.Code);
    }

    [Fact]
    public async Task ReadAsync_NotProtobuf_Internal()
    {
        var frame = RawGrpcClient.Frame([0x0A, 0xFF], compressed: false); // field 1, length 255, nothing after

        var body = await BodyInChunks(frame, 64);

        var e = await Assert.ThrowsAsync<GrpcStatusException>(() => Reader(body).ReadAsync().AsTask());

        Assert.Equal(GrpcStatusCode.Internal, e.Code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("gzip")]
    public async Task ReadAsync_StringFieldNotUtf8_InternalNamingTheField(string? encoding)
    {
        // proto3 refuses a string field that is not UTF-8; the parser alone would read "a\uFFFDb" (StringFieldCheck).
        var payload = new HealthCheckRequest { Service = "aQb" }.ToByteArray();
        payload[^2] = 0xFF;
        var frame = encoding is null
            ? RawGrpcClient.Frame(payload, compressed: false)
            : RawGrpcClient.Frame(MessageCompression.Compress(encoding, payload, CompressionLevel.Optimal), compressed: true);

        var body = await BodyInChunks(frame, 2);

        var e = await Assert.ThrowsAsync<GrpcStatusException>(() => Reader(body, encoding: encoding).ReadAsync().AsTask().WaitAsync(Timeout));

        Assert.Equal(GrpcStatusCode.Internal, e.Code);
        Assert.Equal("Could not parse the request message: grpc.health.v1.HealthCheckRequest.service is not valid UTF-8.", e.Message);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public async Task ReadAsync_CompressedWithTheCallsEncoding_Decompresses(string encoding)
    {
        var compressedSeen = new List<string>();
        var reader = Reader(await BodyInChunks(RawGrpcClient.Frame(Request, encoding), 7), encoding: encoding, onCompressed: compressedSeen.Add);

        Assert.Equal(Request, await reader.ReadAsync());
        Assert.Equal([encoding], compressedSeen);
    }

    [Theory]
    [InlineData(null, (int)GrpcStatusCode.Internal)]
    [InlineData("identity", (int)GrpcStatusCode.Internal)]
    [InlineData("snappy", (int)GrpcStatusCode.Unimplemented)]
    public async Task ReadAsync_CompressedFlagWithoutAUsableEncoding_Fails(string? encoding, int expected)
    {
        var frame = RawGrpcClient.Frame(Request, "gzip");

        var body = await BodyInChunks(frame, 64);

        var e = await Assert.ThrowsAsync<GrpcStatusException>(() => Reader(body, encoding: encoding).ReadAsync().AsTask());

        Assert.Equal((GrpcStatusCode)expected, e.Code);
    }

    [Fact]
    public async Task ReadAsync_SmallMessageThatDecompressesPastTheLimit_ResourceExhausted()
    {
        var bomb = new HealthCheckRequest { Service = new string('a', 200_000) };
        var frame = RawGrpcClient.Frame(bomb, "gzip");
        Assert.True(frame.Length < 10_000);

        var body = await BodyInChunks(frame, 4096);

        var e = await Assert.ThrowsAsync<GrpcStatusException>(() => Reader(body, maxSize: 100_000, encoding: "gzip").ReadAsync().AsTask());

        Assert.Equal(GrpcStatusCode.ResourceExhausted, e.Code);
    }

    [Fact]
    public async Task ReadSingleAsync_NoMessage_Unimplemented()
    {
        // A cardinality violation: gRPC's status-code table answers UNIMPLEMENTED (review s21-grpc L1).
        var body = await BodyInChunks([], 1);

        var e = await Assert.ThrowsAsync<GrpcStatusException>(() => Reader(body).ReadSingleAsync(default).AsTask());

        Assert.Equal(GrpcStatusCode.Unimplemented, e.Code);
    }

    [Fact]
    public async Task ReadSingleAsync_TwoMessages_Unimplemented()
    {
        byte[] bytes = [.. RawGrpcClient.Frame(Request), .. RawGrpcClient.Frame(Request)];
        var body = await BodyInChunks(bytes, 64);

        var e = await Assert.ThrowsAsync<GrpcStatusException>(() => Reader(body).ReadSingleAsync(default).AsTask());

        Assert.Equal(GrpcStatusCode.Unimplemented, e.Code);
    }

    [Fact]
    public async Task ReadSingleAsync_EmptyMessage_IsADefaultMessage()
    {
        var reader = Reader(await BodyInChunks(RawGrpcClient.Frame([], compressed: false), 64));

        Assert.Equal(new HealthCheckRequest(), await reader.ReadSingleAsync(default));
    }

    private static GrpcMessageReader<HealthCheckRequest> Reader(PipeReader body, int maxSize = 4 << 20, string? encoding = null, Action<string>? onCompressed = null) =>
        new(body, HealthCheckRequest.Parser, new GrpcMessageReaderSettings(maxSize, encoding, onCompressed));

    private static async Task<PipeReader> BodyInChunks(byte[] body, int chunk)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        for (var offset = 0; offset < body.Length; offset += chunk)
        {
            await pipe.Writer.WriteAsync(body.AsMemory(offset, Math.Min(chunk, body.Length - offset)));
        }
        await pipe.Writer.CompleteAsync();
        return pipe.Reader;
    }
}

public sealed class MessageCompressionTests
{
    [Theory]
    [InlineData("identity,deflate,gzip", "gzip", true)]
    [InlineData("identity, gzip ", "gzip", true)]
    [InlineData("GZIP", "gzip", true)]
    [InlineData("identity,deflate", "gzip", false)]
    [InlineData("", "gzip", false)]
    [InlineData(null, "gzip", false)]
    [InlineData("gzipx", "gzip", false)]
    public void Accepts_ReadsTheList(string? acceptEncoding, string encoding, bool expected)
    {
        Assert.Equal(expected, MessageCompression.Accepts(acceptEncoding, encoding));
    }

    [Theory]
    [InlineData("gzip", 0x1F)]
    [InlineData("deflate", 0x78)]
    public void Compress_WritesTheSpecifiedFormat(string encoding, byte firstByte)
    {
        var message = new HealthCheckRequest { Service = "x" }.ToByteArray();

        var compressed = MessageCompression.Compress(encoding, message, CompressionLevel.Optimal);

        Assert.Equal(firstByte, compressed[0]); // gzip magic 1F 8B; zlib CMF 78
        Assert.Equal(message, MessageCompression.Decompress(encoding, new System.Buffers.ReadOnlySequence<byte>(compressed), 1000));
    }
}
