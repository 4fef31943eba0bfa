using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Spps.Core.Manufacturer;

/// <summary>
/// Whether a device certificate chains to one of the silicon-vendor roots a job names and names the device.
/// The roots come from the job, under the OE's signature; no trust store of the site is consulted.
/// </summary>
public sealed class DeviceTrust(IReadOnlyList<byte[]> roots, string job)
{
    // Parsed once: one DeviceTrust serves every device of a ticket (ManufacturerHsm keeps it per ticket).
    private readonly X509Certificate2[] _roots = roots.Select(X509CertificateLoader.LoadCertificate).ToArray();

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
            chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
            if (_roots.Length == 0)
                throw new SppsException(ErrorCodes.DeviceNotGenuine, $"Job {job} names no silicon-vendor root, so no device is genuine for it: the OE must export the job with its vendors (SPPS_SILICON_VENDORS).");
            if (!chain.Build(cert))
                throw new SppsException(ErrorCodes.DeviceNotGenuine, $"Device {e.Dsn} is not genuine: its certificate does not chain to a silicon-vendor root job {job} names ({string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))}).");
            if (cert.GetNameInfo(X509NameType.SimpleName, false) != e.Dsn.Value)
                throw new SppsException(ErrorCodes.DeviceNotGenuine, $"Device {e.Dsn} presented the certificate of device {cert.GetNameInfo(X509NameType.SimpleName, false)}.");
        }
    }
}
