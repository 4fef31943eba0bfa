using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Core;
using Spps.Core.IO;
using Spps.Core.Service;

namespace Spps.Mhsm.Service;

/// <summary>
/// The site's certificate authority for the M-HSM service: it issues the stations' client certificates and
/// the service's server certificate (ECDSA P-384), and revokes stations through a CRL the service reads on
/// every request. Its folder (default SPPS_HOME/site) holds ca.crt, ca.key (PKCS#8 encrypted under the
/// passphrase in SPPS_SITE_CA_PASSPHRASE or the file SPPS_SITE_CA_PASSPHRASE_FILE), stations.json (who was
/// issued what) and site.crl. The jobs a station may run are in its certificate (URIs urn:spps:job:NAME in
/// the subject alternative name), so every replica decides alone.
/// </summary>
public sealed class SiteCa
{
    public const string PassphraseVariable = "SPPS_SITE_CA_PASSPHRASE";
    public const string PassphraseFileVariable = "SPPS_SITE_CA_PASSPHRASE_FILE";
    public const string CrlFile = "site.crl";
    public const string JobUriPrefix = "urn:spps:job:";
    public const string StationUriPrefix = "urn:spps:station:";
    public const string AnyJob = "*";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private static readonly UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _dir;
    private readonly Func<string, string?> _variable;

    public SiteCa(string directory, Func<string, string?> variable)
    {
        _dir = directory;
        _variable = variable;
    }

    public string Directory => _dir;
    public string CertificatePath => Path.Combine(_dir, TlsFiles.CaFile);
    public string CrlPath => Path.Combine(_dir, CrlFile);
    private string KeyPath => Path.Combine(_dir, "ca.key");
    private string RegistryPath => Path.Combine(_dir, "stations.json");

    public static string DefaultDirectory(string sppsHome) => Path.Combine(sppsHome, "site");

    public X509Certificate2 Create(string name, int days)
    {
        if (File.Exists(CertificatePath))
            throw new SppsException(ErrorCodes.NameExists, $"A site CA already exists in {_dir}: a site has one CA (move the folder away to start over; stations enrolled by it stop working).", new SourceLocation(CertificatePath));
        var passphrase = Passphrase();
        System.IO.Directory.CreateDirectory(_dir);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(name)}, O=SPPS site CA"), key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var ca = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(days));
        var encrypted = key.ExportEncryptedPkcs8PrivateKeyPem(passphrase, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA384, 600_000));
        WriteOwnerOnly(KeyPath, encrypted);
        WriteOwnerOnly(CertificatePath, ca.ExportCertificatePem());
        SaveRegistry(new JObject { ["crl_number"] = 0, ["stations"] = new JArray() });
        WriteCrl(ca, key, new JArray(), 1);
        return ca;
    }

    /// <summary>Issues a station's client certificate into <paramref name="outDir"/>: tls.key, tls.crt, ca.crt, all 0600.</summary>
    public X509Certificate2 EnrollStation(string station, IReadOnlyList<string> jobs, string outDir, int days)
    {
        if (string.IsNullOrWhiteSpace(station) || station.Any(c => char.IsControl(c) || c is ',' or '+' or '=' or '"' or '\\' or '<' or '>' or ';' or ':' or '/'))
            throw new SppsException(ErrorCodes.InvalidOptionValue, $"'{station}' is not a station name: use letters, digits, '-', '_' and '.'.");
        var jobList = jobs.Count == 0 ? [AnyJob] : jobs;
        var cert = Issue($"CN={station}, O=SPPS station", ClientAuth, san =>
        {
            san.AddUri(new Uri(StationUriPrefix + Uri.EscapeDataString(station)));
            foreach (var job in jobList) san.AddUri(new Uri(JobUriPrefix + (job == AnyJob ? AnyJob : Uri.EscapeDataString(job))));
        }, outDir, days);
        var registry = LoadRegistry();
        ((JArray)registry["stations"]!).Add(new JObject
        {
            ["name"] = station, ["serial"] = cert.SerialNumber, ["jobs"] = new JArray(jobList), ["not_after"] = cert.NotAfter.ToUniversalTime().ToString("O"), ["revoked"] = false,
        });
        SaveRegistry(registry);
        return cert;
    }

    /// <summary>Issues the service's server certificate for <paramref name="hosts"/> (DNS names or IP addresses).</summary>
    public X509Certificate2 EnrollService(string name, IReadOnlyList<string> hosts, string outDir, int days)
    {
        if (hosts.Count == 0) throw new SppsException(ErrorCodes.MissingOption, "Name at least one --host the stations dial (a DNS name or an IP address).");
        return Issue($"CN={Escape(name)}, O=SPPS M-HSM service", ServerAuth, san =>
        {
            foreach (var host in hosts)
                if (System.Net.IPAddress.TryParse(host, out var ip)) san.AddIpAddress(ip); else san.AddDnsName(host);
        }, outDir, days);
    }

    /// <summary>Revokes every certificate issued to <paramref name="station"/>, and publishes a new CRL.</summary>
    public int Revoke(string station)
    {
        var registry = LoadRegistry();
        var entries = ((JArray)registry["stations"]!).OfType<JObject>().Where(s => (string?)s["name"] == station).ToList();
        if (entries.Count == 0)
            throw new SppsException(ErrorCodes.NameNotFound, $"No station '{station}' was enrolled by the site CA in {_dir}.", new SourceLocation(RegistryPath));
        var newly = 0;
        foreach (var e in entries.Where(e => !(bool)e["revoked"]!))
        {
            e["revoked"] = true;
            e["revoked_at"] = DateTimeOffset.UtcNow.ToString("O");
            newly++;
        }
        var number = (long)registry["crl_number"]! + 1;
        registry["crl_number"] = number;
        using var ca = LoadCaWithKey();
        using var key = ca.GetECDsaPrivateKey()!;
        WriteCrl(ca, key, (JArray)registry["stations"]!, number);
        SaveRegistry(registry);
        return newly;
    }

    private X509Certificate2 Issue(string subject, string usage, Action<SubjectAlternativeNameBuilder> names, string outDir, int days)
    {
        using var ca = LoadCaWithKey();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest(new X500DistinguishedName(subject), key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var san = new SubjectAlternativeNameBuilder();
        names(san);
        request.CertificateExtensions.Add(san.Build());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive INTEGER
        var now = DateTimeOffset.UtcNow;
        var notAfter = now.AddDays(days) < ca.NotAfter ? now.AddDays(days) : new DateTimeOffset(ca.NotAfter.ToUniversalTime());
        var cert = request.Create(ca, now.AddMinutes(-5), notAfter, serial);
        System.IO.Directory.CreateDirectory(outDir);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(outDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        WriteOwnerOnly(Path.Combine(outDir, TlsFiles.KeyFile), key.ExportPkcs8PrivateKeyPem());
        WriteOwnerOnly(Path.Combine(outDir, TlsFiles.CertificateFile), cert.ExportCertificatePem());
        WriteOwnerOnly(Path.Combine(outDir, TlsFiles.CaFile), ca.ExportCertificatePem());
        return cert;
    }

    private X509Certificate2 LoadCaWithKey()
    {
        if (!File.Exists(CertificatePath) || !File.Exists(KeyPath))
            throw new SppsException(ErrorCodes.SiteCredentialsInvalid, $"No site CA in {_dir}: create it first (spps-station mhsm create-ca).", new SourceLocation(CertificatePath));
        var passphrase = Passphrase();
        try
        {
            using var cert = X509CertificateLoader.LoadCertificateFromFile(CertificatePath);
            using var key = ECDsa.Create();
            key.ImportFromEncryptedPem(File.ReadAllText(KeyPath), passphrase);
            return cert.CopyWithPrivateKey(key);
        }
        catch (CryptographicException)
        {
            throw new SppsException(ErrorCodes.SiteCredentialsInvalid, $"The site CA key in {KeyPath} does not open with the passphrase given ({PassphraseVariable} / {PassphraseFileVariable}).", new SourceLocation(KeyPath));
        }
    }

    private void WriteCrl(X509Certificate2 ca, ECDsa key, JArray stations, long number)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var s in stations.OfType<JObject>().Where(s => (bool)s["revoked"]!))
            builder.AddEntry(Convert.FromHexString((string)s["serial"]!), DateTimeOffset.Parse((string)s["revoked_at"]!, System.Globalization.CultureInfo.InvariantCulture), X509RevocationReason.CessationOfOperation);
        var signer = X509SignatureGenerator.CreateForECDsa(key);
        var der = builder.Build(ca.SubjectName, signer, new BigInteger(number), DateTimeOffset.UtcNow.AddDays(3650), HashAlgorithmName.SHA384,
            X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        AtomicFile.WriteAllText(CrlPath, PemEncoding.WriteString("X509 CRL", der) + "\n");
    }

    private string Passphrase()
    {
        var value = _variable(PassphraseVariable);
        if (value is null && _variable(PassphraseFileVariable) is { } file)
            value = File.Exists(file) ? File.ReadAllText(file).TrimEnd('\r', '\n') : throw new SppsException(ErrorCodes.SiteCredentialsInvalid, $"{PassphraseFileVariable} names {file}, which does not exist.");
        if (string.IsNullOrEmpty(value))
            throw new SppsException(ErrorCodes.SiteCredentialsInvalid, $"The site CA key is encrypted: set {PassphraseVariable}, or {PassphraseFileVariable} to a file holding the passphrase.");
        return value;
    }

    private JObject LoadRegistry() =>
        File.Exists(RegistryPath) ? JObject.Parse(File.ReadAllText(RegistryPath)) : throw new SppsException(ErrorCodes.SiteCredentialsInvalid, $"No site CA in {_dir}: create it first (spps-station mhsm create-ca).", new SourceLocation(RegistryPath));

    private void SaveRegistry(JObject registry) => AtomicFile.WriteAllText(RegistryPath, registry.ToString(Formatting.Indented) + "\n");

    private static void WriteOwnerOnly(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
        using (var stream = new FileStream(path, options)) stream.Write(Encoding.ASCII.GetBytes(text));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, OwnerOnly); // also when the file existed before
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace(",", "\\,").Replace("=", "\\=").Replace("+", "\\+").Replace("\"", "\\\"");

    /// <summary>The job names in a station certificate (urn:spps:job:NAME URIs), or null when it names none.</summary>
    public static IReadOnlyList<string>? JobsOf(X509Certificate2 cert) => UrisOf(cert)?.Where(u => u.StartsWith(JobUriPrefix, StringComparison.Ordinal))
        .Select(u => u == JobUriPrefix + AnyJob ? AnyJob : Uri.UnescapeDataString(u[JobUriPrefix.Length..])).ToList();

    private static List<string>? UrisOf(X509Certificate2 cert)
    {
        var ext = cert.Extensions["2.5.29.17"];
        if (ext is null) return null;
        var uris = new List<string>();
        var reader = new AsnReader(ext.RawData, AsnEncodingRules.DER).ReadSequence();
        var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
        while (reader.HasData)
        {
            var tag = reader.PeekTag();
            if (tag == uriTag) uris.Add(reader.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
            else reader.ReadEncodedValue();
        }
        return uris;
    }
}
