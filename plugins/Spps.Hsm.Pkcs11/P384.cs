using System.Formats.Asn1;
using System.Security.Cryptography;
using Spps.Contracts.Hsm;

namespace Spps.Hsm.Pkcs11;

/// <summary>Conversions between PKCS#11 EC attributes and X.509 SubjectPublicKeyInfo for NIST P-384.</summary>
internal static class P384
{
    public const int CoordinateBytes = 48;
    public const int UncompressedPointBytes = 1 + 2 * CoordinateBytes;

    /// <summary>CKA_EC_PARAMS: the DER-encoded OID secp384r1 (1.3.132.0.34).</summary>
    public static byte[] EcParameters { get; } = [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22];

    /// <summary>Builds SubjectPublicKeyInfo from CKA_EC_POINT (DER OCTET STRING as the spec says, or the raw point some tokens return).</summary>
    public static byte[] SubjectPublicKeyInfo(byte[] ecPoint)
    {
        var point = ecPoint;
        if (ecPoint.Length != UncompressedPointBytes)
        {
            try { point = AsnDecoder.ReadOctetString(ecPoint, AsnEncodingRules.DER, out _); }
            catch (AsnContentException) { throw Inconsistent(); }
        }
        if (point.Length != UncompressedPointBytes || point[0] != 0x04) throw Inconsistent();
        using var key = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP384,
            Q = new ECPoint { X = point[1..(1 + CoordinateBytes)], Y = point[(1 + CoordinateBytes)..] },
        });
        return key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>The uncompressed point (04 ‖ X ‖ Y) of a peer's SubjectPublicKeyInfo, validated as a P-384 key.</summary>
    public static byte[] PeerPoint(byte[] subjectPublicKeyInfo)
    {
        using var peer = ECDiffieHellman.Create();
        try { peer.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _); }
        catch (CryptographicException)
        {
            throw new HsmException(Pkcs11ErrorCodes.PeerKeyInvalid, "The peer public key is not a valid P-384 SubjectPublicKeyInfo.");
        }
        var parameters = peer.ExportParameters(includePrivateParameters: false);
        if (peer.KeySize != 384 || parameters.Curve.Oid?.Value != "1.3.132.0.34")
            throw new HsmException(Pkcs11ErrorCodes.PeerKeyInvalid, $"The peer public key is on a {peer.KeySize}-bit curve, not P-384.");
        var point = new byte[UncompressedPointBytes];
        point[0] = 0x04;
        parameters.Q.X!.CopyTo(point, 1);
        parameters.Q.Y!.CopyTo(point, 1 + CoordinateBytes);
        return point;
    }

    private static HsmException Inconsistent() =>
        new(Pkcs11ErrorCodes.KeyObjectInconsistent, "The token's public key object does not hold a P-384 point (CKA_EC_POINT).");
}
