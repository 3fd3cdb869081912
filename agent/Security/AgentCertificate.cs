using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Connector.Agent.Security;

/// <summary>Loads the agent's TLS certificate, or creates and stores a self-signed one on first start.</summary>
public static class AgentCertificate
{
    /// <summary>The file name of the generated certificate inside the certificate directory.</summary>
    public const string GeneratedFileName = "agent-certificate.pfx";

    /// <summary>Loads or creates the certificate.</summary>
    /// <param name="path">A PFX/P12 file, or a PEM certificate file (with <paramref name="keyPath"/> or the key in the same file); null to use the directory.</param>
    /// <param name="password">The PFX password or the PEM key password.</param>
    /// <param name="keyPath">The PEM private key file.</param>
    /// <param name="directory">Where a self-signed certificate is kept when no path is configured.</param>
    /// <param name="clock">For the generated certificate's validity.</param>
    /// <returns>The certificate (with private key) and, when one was generated, where it was stored.</returns>
    public static (X509Certificate2 Certificate, string? CreatedAt) LoadOrCreate(string? path, string? password, string? keyPath, string directory, TimeProvider clock)
    {
        if (!string.IsNullOrWhiteSpace(path))
        {
            return (Load(path, password, keyPath), null);
        }

        string file = Path.Combine(directory, GeneratedFileName);
        if (File.Exists(file))
        {
            return (X509CertificateLoader.LoadPkcs12FromFile(file, password), null);
        }

        Directory.CreateDirectory(directory);
        using X509Certificate2 created = CreateSelfSigned(clock);
        byte[] pfx = created.Export(X509ContentType.Pkcs12, password);
        File.WriteAllBytes(file, pfx);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return (X509CertificateLoader.LoadPkcs12(pfx, password), file);
    }

    /// <summary>The certificate's SHA-256 fingerprint: 64 upper-case hex digits, no separators.</summary>
    public static string Sha256Fingerprint(X509Certificate2 certificate)
        => Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));

    private static X509Certificate2 Load(string path, string? password, string? keyPath)
    {
        string ext = Path.GetExtension(path).ToUpperInvariant();
        if (ext is ".PFX" or ".P12")
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }

        X509Certificate2 pem = string.IsNullOrEmpty(password)
            ? X509Certificate2.CreateFromPemFile(path, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath);
        using (pem)
        {
            // Round-trip through PKCS#12 so the key is usable by SChannel on Windows as well.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
    }

    private static X509Certificate2 CreateSelfSigned(TimeProvider clock)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Sage 100 agent ({Environment.MachineName})", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddDnsName(Environment.MachineName);
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        DateTimeOffset now = clock.GetUtcNow();
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
    }
}
