using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Spps.Contracts.Programmers;

namespace Spps.Programmer.Simulator;

/// <summary>
/// The simulated silicon vendor of a site: a P-384 root CA that certifies device keys, and the factory
/// "lot" key from which each device's diversified factory key (DFK) is derived. Kept under
/// SPPS_HOME/vendor-ca/; its root certificate is copied to SPPS_HOME/trust/, where the M-HSMs of that
/// home look for trusted silicon roots.
/// </summary>
internal sealed class SiliconVendor
{
    private SiliconVendor(X509Certificate2 root, ECDsa key, byte[] lotKey, string lotId)
    {
        Root = root;
        Key = key;
        LotKey = lotKey;
        LotId = lotId;
    }

    public X509Certificate2 Root { get; }
    public ECDsa Key { get; }
    public byte[] LotKey { get; }
    public string LotId { get; }

    public static SiliconVendor OpenOrCreate(string sppsHome)
    {
        var dir = Path.Combine(sppsHome, "vendor-ca");
        var keyPath = Path.Combine(dir, "root.key");
        var certPath = Path.Combine(dir, "root.cer");
        var lotPath = Path.Combine(dir, "dfk-lot.key");
        Directory.CreateDirectory(dir);
        using (var gate = Gate(dir))
        {
            if (!File.Exists(keyPath))
            {
                using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
                var request = new CertificateRequest("CN=SPPS Simulated Silicon Vendor Root, O=Spps.Build simulator", key, HashAlgorithmName.SHA384);
                request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
                request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
                using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(30));
                Files.WriteSecret(keyPath, key.ExportPkcs8PrivateKey());
                Files.WriteAtomically(certPath, cert.Export(X509ContentType.Cert));
                Files.WriteSecret(lotPath, RandomNumberGenerator.GetBytes(32));
            }
        }
        var trust = Path.Combine(sppsHome, "trust");
        Directory.CreateDirectory(trust);
        var trustedCopy = Path.Combine(trust, "sim-vendor-root.cer");
        if (!File.Exists(trustedCopy)) Files.WriteAtomically(trustedCopy, File.ReadAllBytes(certPath));

        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(File.ReadAllBytes(keyPath), out _);
        var root = X509CertificateLoader.LoadCertificateFromFile(certPath);
        var lotKey = File.ReadAllBytes(lotPath);
        return new SiliconVendor(root, ecdsa, lotKey, Convert.ToHexStringLower(SHA256.HashData(root.RawData))[..16]);
    }

    public byte[] IssueDeviceCertificate(string dsn, ECDsa deviceKey)
    {
        var request = new CertificateRequest($"CN={dsn}, O=SPPS reference device", deviceKey, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var cert = request.Create(Root.SubjectName, X509SignatureGenerator.CreateForECDsa(Key), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(25), serial);
        return cert.Export(X509ContentType.Cert);
    }

    private static FileStream Gate(string dir)
    {
        var path = Path.Combine(dir, ".lock");
        for (var attempt = 0; ; attempt++)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (attempt < 600) { Thread.Sleep(50); }
            catch (IOException e) { throw new ProgrammerException(ErrorCodes.BoardBusy, $"{dir} is locked by another process: {e.Message}"); }
        }
    }
}
