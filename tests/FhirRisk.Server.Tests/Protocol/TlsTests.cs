using System.Net;
using System.Text.Json.Nodes;
using FhirRisk.Server.Tests.Infrastructure;
using Grpc.Health.V1;

namespace FhirRisk.Server.Tests.Protocol;

public sealed class TlsTests
{
    [Fact]
    public async Task TlsConfigured_HttpClientOverH2_HealthServing()
    {
        using var certificate = new TestCertificate();
        await using var server = await StartAsync(certificate);
        var handler = certificate.TrustingHandler();
        using var client = new RawGrpcClient(server.BaseUri(tls: true), handler);

        var response = await client.PostAsync("/grpc.health.v1.Health/Check", RawGrpcClient.Frame(new HealthCheckRequest()));

        Assert.Equal(HttpStatusCode.OK, response.HttpStatus);
        Assert.Equal(0, response.GrpcStatus);
    }

    [Fact]
    public async Task TlsConfigured_GrpcJsWithTheRootCertificate_HealthServing()
    {
        using var certificate = new TestCertificate();
        await using var server = await StartAsync(certificate);
        var call = GrpcJsClient.Request(server, "grpc.health.v1.Health", "Check");
        call["tls"] = new JsonObject { ["rootCert"] = certificate.PemPath, ["serverName"] = "localhost" };

        var result = await GrpcJsClient.CallAsync(call);

        Assert.True(result.StatusName == "OK", result.ToString());
        Assert.Equal("SERVING", Assert.Single(result.Messages).GetProperty("status").GetString());
    }

    private static Task<TestGrpcServer> StartAsync(TestCertificate certificate) =>
        TestGrpcServer.StartAsync(new Dictionary<string, string?>
        {
            ["Grpc:Tls:CertificatePath"] = certificate.PfxPath,
            ["Grpc:Tls:Password"] = TestCertificate.Password,
        });
}
