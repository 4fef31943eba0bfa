using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Spps.Core;

namespace Spps.Mhsm.Service;

/// <summary>
/// The site CRL as the service sees it: re-read whenever the file changes (checked on every request, so a
/// revocation takes effect from the next request on), its signature checked against the site CA. A CRL
/// that does not verify refuses everyone: the service fails closed.
/// </summary>
public sealed class SiteRevocation(string? crlPath, X509Certificate2 ca)
{
    private readonly object _gate = new();
    private (DateTime Written, long Length) _seen = (DateTime.MinValue, -1);
    private HashSet<string> _revoked = new(StringComparer.OrdinalIgnoreCase);
    private string? _broken;

    public string? Path => crlPath;

    /// <summary>Null when <paramref name="serialHex"/> may proceed, else why not.</summary>
    public string? Refusal(string serialHex)
    {
        if (crlPath is null) return null;
        lock (_gate)
        {
            var info = new FileInfo(crlPath);
            var now = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -2L);
            if (now != _seen)
            {
                Reload(info.Exists);
                _seen = now;
            }
            if (_broken is not null) return _broken;
            return _revoked.Contains(serialHex.TrimStart('0')) ? "its certificate is revoked" : null;
        }
    }

    private void Reload(bool exists)
    {
        _broken = null;
        _revoked = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (!exists) { _broken = $"the site CRL {crlPath} is missing (the service refuses everyone until it is back)"; return; }
        try
        {
            var text = File.ReadAllText(crlPath!);
            var fields = PemEncoding.Find(text);
            var der = Convert.FromBase64String(text[fields.Base64Data]);
            _revoked = Parse(der, ca);
        }
        catch (Exception e) when (e is CryptographicException or AsnContentException or FormatException or ArgumentException or IOException)
        {
            _broken = $"the site CRL {crlPath} is unreadable or not signed by the site CA ({e.Message.TrimEnd('.')}); the service refuses everyone until it is fixed";
        }
    }

    /// <summary>RFC 5280 CertificateList: checks the CA's signature over tbsCertList, returns the revoked serials (hex, no leading zeros).</summary>
    internal static HashSet<string> Parse(byte[] der, X509Certificate2 ca)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var tbs = outer.ReadEncodedValue();
        outer.ReadSequence(); // signatureAlgorithm: ECDSA with SHA-384, as the site CA writes
        var signature = outer.ReadBitString(out _);
        using var key = ca.GetECDsaPublicKey() ?? throw new CryptographicException("the site CA has no ECDSA key");
        if (!key.VerifyData(tbs.Span, signature, HashAlgorithmName.SHA384, DSASignatureFormat.Rfc3279DerSequence))
            throw new CryptographicException("bad signature");
        var list = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
        if (list.PeekTag() == Asn1Tag.Integer) list.ReadInteger(); // version
        list.ReadSequence(); // signature
        var issuer = list.ReadEncodedValue();
        if (!issuer.Span.SequenceEqual(ca.SubjectName.RawData)) throw new CryptographicException("issued by another CA");
        list.ReadEncodedValue(); // thisUpdate
        var revoked = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (list.HasData && (list.PeekTag() == Asn1Tag.UtcTime || list.PeekTag() == Asn1Tag.GeneralizedTime)) list.ReadEncodedValue(); // nextUpdate
        if (list.HasData && list.PeekTag() == Asn1Tag.Sequence)
        {
            var entries = list.ReadSequence();
            while (entries.HasData)
            {
                var entry = entries.ReadSequence();
                revoked.Add(Convert.ToHexString(entry.ReadIntegerBytes().Span).TrimStart('0'));
            }
        }
        return revoked;
    }
}
