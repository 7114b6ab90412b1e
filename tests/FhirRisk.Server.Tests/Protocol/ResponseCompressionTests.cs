using FhirRisk.Grpc.V1;
using FhirRisk.Server.Grpc.Internal;
using FhirRisk.Server.Tests.Infrastructure;

namespace FhirRisk.Server.Tests.Protocol;

public sealed class ResponseCompressionTests
{
    private static readonly PredictRequest Request = new() { Patient = new PatientInput { Reference = "p" } };

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public async Task ConfiguredAndAccepted_MessagesCompressedAndMarked(string encoding)
    {
        await using var server = await TestGrpcServer.StartAsync(new Dictionary<string, string?> { ["Grpc:ResponseCompression"] = encoding });
        using var client = new RawGrpcClient(server.BaseUri());

        var response = await client.PostAsync("/fhirrisk.v1.RiskService/Predict", RawGrpcClient.Frame(Request),
            r => r.Headers.Add("grpc-accept-encoding", "identity,deflate,gzip"));

        Assert.Equal(encoding, response.Headers["grpc-encoding"]);
        var frame = Assert.Single(response.Frames());
        Assert.True(frame.Compressed);
        var payload = MessageCompression.Decompress(encoding, new System.Buffers.ReadOnlySequence<byte>(frame.Payload), 1 << 20);
        Assert.Equal(FakeRiskServiceBackend.Answer(Request.Patient, null), PredictResponse.Parser.ParseFrom(payload));
    }

    [Fact]
    public async Task ConfiguredButNotAccepted_Uncompressed()
    {
        await using var server = await TestGrpcServer.StartAsync(new Dictionary<string, string?> { ["Grpc:ResponseCompression"] = "gzip" });
        using var client = new RawGrpcClient(server.BaseUri());

        var response = await client.PostAsync("/fhirrisk.v1.RiskService/Predict", RawGrpcClient.Frame(Request),
            r => r.Headers.Add("grpc-accept-encoding", "identity"));

        Assert.False(response.Headers.ContainsKey("grpc-encoding"));
        Assert.False(Assert.Single(response.Frames()).Compressed);
    }
}
