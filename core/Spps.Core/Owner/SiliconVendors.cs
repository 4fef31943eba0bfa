using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Spps.Core.Domain;
using Spps.Core.Site;
using Spps.Device.Reference;

namespace Spps.Core.Owner;

/// <summary>
/// The silicon vendors an OE's jobs name (<see cref="SiliconTrust"/>): each a folder of the certificates
/// the vendor publishes, <c>root.cer</c> and <c>dfk-signer.cer</c> (SPPS_SILICON_VENDORS). With none
/// configured, the simulated vendor (SPPS_SIM_VENDOR), made on first use, so the tutorial runs as is.
/// </summary>
public static class SiliconVendors
{
    public static SiliconTrust For(SiteOptions options)
    {
        var folders = options.SiliconVendors is { Count: > 0 } named ? named : [Simulated(options.SimVendor)];
        var roots = new List<byte[]>();
        var signers = new List<byte[]>();
        foreach (var folder in folders)
        {
            roots.Add(Certificate(folder, SimulatedSiliconVendor.RootFile));
            signers.Add(Certificate(folder, SimulatedSiliconVendor.DfkSignerFile));
        }
        return new SiliconTrust(roots, signers);
    }

    private static string Simulated(string home)
    {
        using var vendor = SimulatedSiliconVendor.OpenOrCreate(home);
        return vendor.Home;
    }

    private static byte[] Certificate(string folder, string name)
    {
        var path = Path.Combine(folder, name);
        if (!File.Exists(path))
            throw new SppsException(ErrorCodes.FileNotFound, $"Silicon vendor folder {folder} has no {name}: put the certificate the vendor publishes there, or fix {SiteOptions.SiliconVendorsVariable}.", new SourceLocation(path));
        try
        {
            using var cert = X509CertificateLoader.LoadCertificateFromFile(path);
            return cert.RawData;
        }
        catch (CryptographicException)
        {
            throw new SppsException(ErrorCodes.MalformedHeader, $"{path} is not an X.509 certificate (DER or PEM).", new SourceLocation(path));
        }
    }
}
