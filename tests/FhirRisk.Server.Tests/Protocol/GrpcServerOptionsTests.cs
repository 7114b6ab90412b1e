using FhirRisk.Server.Grpc;
using FhirRisk.Server.Http;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Tests.Protocol;

public sealed class GrpcServerOptionsTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(new GrpcServerOptionsValidator().Validate(null, new GrpcServerOptions()).Succeeded);
    }

    [Theory]
    [InlineData("Host", "example.org", "Grpc:Host")]
    [InlineData("Port", "70000", "Grpc:Port")]
    [InlineData("MaxReceiveMessageSize", "0", "Grpc:MaxReceiveMessageSize")]
    [InlineData("MaxSendMessageSize", "-1", "Grpc:MaxSendMessageSize")]
    [InlineData("MaxConcurrentStreams", "0", "Grpc:MaxConcurrentStreams")]
    [InlineData("ResponseCompression", "br", "Grpc:ResponseCompression")]
    [InlineData("Tls:CertificatePath", "/nonexistent/server.pfx", "Grpc:Tls:CertificatePath")]
    public async Task Start_InvalidSetting_FailsNamingTheKey(string key, string value, string named)
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            TestGrpcServer.StartAsync(new Dictionary<string, string?> { ["Grpc:" + key] = value }).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PemCertificateWithoutKey_Fails()
    {
        var certificate = Path.GetTempFileName();
        try
        {
            var options = new GrpcServerOptions { Tls = new TlsCertificateOptions { CertificatePath = certificate } };

            var result = new GrpcServerOptionsValidator().Validate(null, options);

            Assert.Contains("Grpc:Tls:KeyPath", result.FailureMessage, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(certificate);
        }
    }
}
