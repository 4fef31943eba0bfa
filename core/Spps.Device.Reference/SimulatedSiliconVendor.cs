using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Spps.Device.Reference;

/// <summary>
/// The maker of the simulated reference devices: a third party with a home of its own, outside every
/// site's SPPS_HOME. It holds a P-384 root CA that certifies device keys, a DFK-database signing key
/// certified by that root, and the factory "lot" key from which each device's diversified factory key is
/// derived. What it publishes (<c>root.cer</c>, <c>dfk-signer.cer</c>) sits at the top of its home; its
/// keys sit under <c>private/</c>, mode 0600. Neither the OE nor the CM needs the keys: the OE names the
/// published certificates in its jobs, the CM gets boards and signed DFK databases.
/// </summary>
public sealed class SimulatedSiliconVendor : IDisposable
{
    public const string RootFile = "root.cer";
    public const string DfkSignerFile = "dfk-signer.cer";

    /// <summary>Extended key usage a DFK-database signing certificate carries.</summary>
    public const string DfkSigningUsage = "1.3.6.1.4.1.59850.1.1";

    private readonly ECDsa _caKey;
    private readonly ECDsa _dfkKey;
    private readonly byte[] _lotKey;

    private SimulatedSiliconVendor(string home, X509Certificate2 root, X509Certificate2 dfkSigner, ECDsa caKey, ECDsa dfkKey, byte[] lotKey)
    {
        Home = home;
        Root = root;
        DfkSigner = dfkSigner;
        _caKey = caKey;
        _dfkKey = dfkKey;
        _lotKey = lotKey;
        LotId = Convert.ToHexStringLower(SHA256.HashData(root.RawData))[..16];
    }

    public string Home { get; }
    public X509Certificate2 Root { get; }
    public X509Certificate2 DfkSigner { get; }
    public string LotId { get; }

    /// <summary>Opens the vendor whose home is <paramref name="home"/>, creating it (keys and certificates) on first use.</summary>
    public static SimulatedSiliconVendor OpenOrCreate(string home)
    {
        var keys = Path.Combine(home, "private");
        Directory.CreateDirectory(keys);
        using (Gate(home))
        {
            if (!File.Exists(Path.Combine(home, RootFile))) Create(home, keys);
        }
        var caKey = ECDsa.Create();
        caKey.ImportPkcs8PrivateKey(File.ReadAllBytes(Path.Combine(keys, "root.key")), out _);
        var dfkKey = ECDsa.Create();
        dfkKey.ImportPkcs8PrivateKey(File.ReadAllBytes(Path.Combine(keys, "dfk-signer.key")), out _);
        return new SimulatedSiliconVendor(home, X509CertificateLoader.LoadCertificateFromFile(Path.Combine(home, RootFile)),
            X509CertificateLoader.LoadCertificateFromFile(Path.Combine(home, DfkSignerFile)), caKey, dfkKey, File.ReadAllBytes(Path.Combine(keys, "dfk-lot.key")));
    }

    private static void Create(string home, string keys)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var rootRequest = new CertificateRequest($"CN=SPPS Simulated Silicon Vendor Root {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}, O=Spps.Build simulator", caKey, HashAlgorithmName.SHA384);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var root = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(30));

        using var dfkKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var signerRequest = new CertificateRequest("CN=SPPS Simulated Silicon Vendor DFK database signer, O=Spps.Build simulator", dfkKey, HashAlgorithmName.SHA384);
        signerRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        signerRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        signerRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(DfkSigningUsage)], true));
        using var signer = signerRequest.Create(root.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddDays(-1), now.AddYears(30), Serial());

        // Keys first, the published root last: the root's presence is what says the home is complete.
        WriteAtomically(Path.Combine(keys, "root.key"), caKey.ExportPkcs8PrivateKey(), secret: true);
        WriteAtomically(Path.Combine(keys, "dfk-signer.key"), dfkKey.ExportPkcs8PrivateKey(), secret: true);
        WriteAtomically(Path.Combine(keys, "dfk-lot.key"), RandomNumberGenerator.GetBytes(32), secret: true);
        WriteAtomically(Path.Combine(home, DfkSignerFile), signer.Export(X509ContentType.Cert));
        WriteAtomically(Path.Combine(home, RootFile), root.Export(X509ContentType.Cert));
    }

    public byte[] IssueDeviceCertificate(string dsn, ECDsa deviceKey)
    {
        var request = new CertificateRequest($"CN={dsn}, O=SPPS reference device", deviceKey, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using var cert = request.Create(Root.SubjectName, X509SignatureGenerator.CreateForECDsa(_caKey), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(25), Serial());
        return cert.Export(X509ContentType.Cert);
    }

    /// <summary>A device's diversified factory key, as the vendor burns it into the device.</summary>
    public byte[] FactoryKey(string dsn) => HKDF.DeriveKey(HashAlgorithmName.SHA384, _lotKey, 32, [], ProtocolLabels.FactoryKey(dsn));

    /// <summary>
    /// The DFK database for this vendor's lot, for one M-HSM: the lot key wrapped to the M-HSM's transport
    /// key (ECDH P-384, HKDF-SHA-384, AES-KWP) and signed by the vendor's DFK signer (docs/formats.md).
    /// </summary>
    public string ExportFactoryKeyDatabase(byte[] recipientPublicKey, string recipientUuid)
    {
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        using var recipient = ECDiffieHellman.Create();
        recipient.ImportSubjectPublicKeyInfo(recipientPublicKey, out _);
        var z = ephemeral.DeriveRawSecretAgreement(recipient.PublicKey);
        var kek = HKDF.DeriveKey(HashAlgorithmName.SHA384, z, 32, [], ProtocolLabels.FactoryKeyDatabaseKek(LotId, recipientUuid));
        using var aes = Aes.Create();
        aes.Key = kek;
        var wrapped = Convert.ToBase64String(aes.EncryptKeyWrapPadded(_lotKey));
        CryptographicOperations.ZeroMemory(z);
        CryptographicOperations.ZeroMemory(kek);
        var ephemeralKey = Convert.ToBase64String(ephemeral.ExportSubjectPublicKeyInfo());
        var signature = _dfkKey.SignData(ProtocolLabels.FactoryKeyDatabaseMessage(LotId, recipientUuid, ephemeralKey, wrapped), HashAlgorithmName.SHA384);
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["format"] = "spps-dfk-db",
            ["version"] = 2,
            ["lot"] = LotId,
            ["m_hsm"] = recipientUuid,
            ["ephemeral"] = ephemeralKey,
            ["wrapped"] = wrapped,
            ["signer"] = Convert.ToBase64String(DfkSigner.RawData),
            ["signature"] = Convert.ToBase64String(signature),
        }, new JsonSerializerOptions { WriteIndented = true });
    }

    public void Dispose()
    {
        _caKey.Dispose();
        _dfkKey.Dispose();
        CryptographicOperations.ZeroMemory(_lotKey);
        Root.Dispose();
        DfkSigner.Dispose();
    }

    private static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return serial;
    }

    private static void WriteAtomically(string path, ReadOnlySpan<byte> content, bool secret = false)
    {
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = secret ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    private static FileStream Gate(string home)
    {
        var path = Path.Combine(home, ".lock");
        for (var attempt = 0; ; attempt++)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (attempt < 600) { Thread.Sleep(50); }
        }
    }
}
