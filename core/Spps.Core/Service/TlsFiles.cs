using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Spps.Core.Service;

/// <summary>
/// One party's TLS credentials as the site issues them (spps-station mhsm enroll): DIR/tls.crt and DIR/tls.key
/// (PEM, the key readable by its owner only) and DIR/ca.crt, the site CA that every peer must chain to.
/// </summary>
public sealed class TlsFiles : IDisposable
{
    public const string CertificateFile = "tls.crt";
    public const string KeyFile = "tls.key";
    public const string CaFile = "ca.crt";

    private TlsFiles(string directory, X509Certificate2 certificate, X509Certificate2 ca)
    {
        Directory = directory;
        Certificate = certificate;
        Ca = ca;
    }

    public string Directory { get; }
    public X509Certificate2 Certificate { get; }
    public X509Certificate2 Ca { get; }

    public static TlsFiles Load(string directory)
    {
        var cert = Path.Combine(directory, CertificateFile);
        var key = Path.Combine(directory, KeyFile);
        var ca = Path.Combine(directory, CaFile);
        foreach (var file in new[] { cert, key, ca })
            if (!File.Exists(file))
                throw new SppsException(ErrorCodes.SiteCredentialsInvalid, $"{file} is missing: credentials come from 'spps-station mhsm enroll --out {directory}' at the site CA.", new SourceLocation(file));
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(cert, key);
            // PKCS#12 round trip: SslStream needs a certificate whose key it can hand to the TLS stack.
            var usable = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            return new TlsFiles(directory, usable, X509CertificateLoader.LoadCertificateFromFile(ca));
        }
        catch (CryptographicException e)
        {
            throw new SppsException(ErrorCodes.SiteCredentialsInvalid, $"The TLS credentials in {directory} cannot be read ({e.Message.TrimEnd('.')}): enroll again.", new SourceLocation(directory));
        }
    }

    /// <summary>True when <paramref name="peer"/> chains to this site's CA (no other root counts).</summary>
    public bool ChainsToSite(X509Certificate2 peer, out string why) => ChainsTo(Ca, peer, out why);

    public static bool ChainsTo(X509Certificate2 ca, X509Certificate2 peer, out string why)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // the site's CRL is checked per request by the service
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        if (chain.Build(peer)) { why = ""; return true; }
        why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).DefaultIfEmpty("no chain"));
        return false;
    }

    /// <summary>Client side: the service's certificate must chain to the site CA and name the host dialled.</summary>
    public bool ValidateServer(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null) return false;
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
        using var cert = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return ChainsToSite(cert, out _);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        Ca.Dispose();
    }
}
