using System.Security.Cryptography.X509Certificates;

namespace FhirRisk.Server.Http;

/// <summary>A listener's server certificate (<c>Grpc:Tls</c>, <c>Http:Tls</c>): a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>,
/// optional password) or a PEM certificate with its PEM private key.</summary>
internal sealed class TlsCertificateOptions
{
    public string CertificatePath { get; set; } = "";

    /// <summary>PEM private key; required for a PEM certificate, unused for PKCS#12.</summary>
    public string? KeyPath { get; set; }

    /// <summary>PKCS#12 password; unused for PEM.</summary>
    public string? Password { get; set; }

    internal bool IsPkcs12 =>
        CertificatePath.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase)
        || CertificatePath.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);

    internal X509Certificate2 LoadCertificate() =>
        IsPkcs12
            ? X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, Password)
            : X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath);

    /// <summary>Adds what is wrong, naming the keys under <paramref name="section"/> (e.g. <c>Http:Tls</c>).</summary>
    internal void Validate(string section, List<string> failures)
    {
        if (CertificatePath.Length == 0)
        {
            failures.Add($"{section}:CertificatePath is required when {section} is set.");
            return;
        }
        if (!File.Exists(CertificatePath))
            failures.Add($"{section}:CertificatePath '{CertificatePath}' does not exist.");
        if (!IsPkcs12 && (KeyPath is null || !File.Exists(KeyPath)))
            failures.Add($"{section}:KeyPath must name the PEM private key of a PEM certificate.");
    }
}
