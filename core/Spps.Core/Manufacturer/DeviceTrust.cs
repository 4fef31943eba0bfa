using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Spps.Core.Manufacturer;

/// <summary>Whether a device certificate chains to a trusted silicon-vendor root and names the device.</summary>
public sealed class DeviceTrust(Func<IReadOnlyList<X509Certificate2>> roots, string rootsDescription)
{
    private readonly object _gate = new();
    private IReadOnlyList<X509Certificate2> _cached = [];

    // Cached once found: an empty store is read again, so a root added while a station runs is seen.
    private IReadOnlyList<X509Certificate2> Roots()
    {
        lock (_gate) return _cached.Count > 0 ? _cached : _cached = roots();
    }

    public void CheckGenuine(DeviceEvidence e)
    {
        if (e.Certificate is null)
            throw new SppsException(ErrorCodes.DeviceNotGenuine, $"Device {e.Dsn} presented no device certificate.");
        X509Certificate2 cert;
        try { cert = X509CertificateLoader.LoadCertificate(e.Certificate); }
        catch (CryptographicException) { throw new SppsException(ErrorCodes.DeviceNotGenuine, $"Device {e.Dsn}'s certificate is not a valid X.509 certificate."); }
        using (cert)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.CustomTrustStore.AddRange(Roots().ToArray());
            if (chain.ChainPolicy.CustomTrustStore.Count == 0)
                throw new SppsException(ErrorCodes.DeviceNotGenuine, $"No trusted silicon-vendor root in {rootsDescription}: add the vendor's root certificate there.");
            if (!chain.Build(cert))
                throw new SppsException(ErrorCodes.DeviceNotGenuine, $"Device {e.Dsn} is not genuine: its certificate does not chain to a trusted silicon-vendor root ({string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))}).");
            if (cert.GetNameInfo(X509NameType.SimpleName, false) != e.Dsn.Value)
                throw new SppsException(ErrorCodes.DeviceNotGenuine, $"Device {e.Dsn} presented the certificate of device {cert.GetNameInfo(X509NameType.SimpleName, false)}.");
        }
    }

    /// <summary>The roots in a folder of .cer files (the site's trust store).</summary>
    public static DeviceTrust FromFolder(string directory) => new(() =>
        Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "*.cer").Order(StringComparer.Ordinal).Select(X509CertificateLoader.LoadCertificateFromFile).ToList()
            : [], directory);
}
