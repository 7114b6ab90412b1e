using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>A self-signed server certificate for 127.0.0.1/localhost, written as PKCS#12 (for the server), as a PEM
/// certificate (the root a client trusts, or the server's with its key) and its PEM key into a temporary folder.</summary>
internal sealed class TestCertificate : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fhirrisk-tls-").FullName;

    public TestCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        Thumbprint = certificate.Thumbprint;
        PfxPath = Path.Combine(_folder, "server.pfx");
        File.WriteAllBytes(PfxPath, certificate.Export(X509ContentType.Pkcs12, Password));
        PemPath = Path.Combine(_folder, "server.pem");
        File.WriteAllText(PemPath, certificate.ExportCertificatePem());
        KeyPemPath = Path.Combine(_folder, "server.key");
        File.WriteAllText(KeyPemPath, key.ExportPkcs8PrivateKeyPem());
    }

    public const string Password = "test-only";

    public string PfxPath { get; }

    public string PemPath { get; }

    /// <summary>The private key as PEM (PKCS#8), for a PEM certificate setting (<c>Tls:KeyPath</c>).</summary>
    public string KeyPemPath { get; }

    public string Thumbprint { get; }

    /// <summary>A client handler that trusts exactly this certificate (and no other, the system's roots included).</summary>
    public SocketsHttpHandler TrustingHandler() => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == Thumbprint,
        },
    };

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
