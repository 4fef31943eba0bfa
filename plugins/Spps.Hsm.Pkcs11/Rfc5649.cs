using System.Buffers.Binary;

namespace Spps.Hsm.Pkcs11;

/// <summary>Constants of AES key wrap with padding (RFC 5649) that a profile needs to hand to the token.</summary>
internal static class Rfc5649
{
    /// <summary>
    /// The alternative initial value A65959A6 ‖ MLI (the plaintext length in bytes, big-endian).
    /// With it, RFC 3394 over a plaintext that is a multiple of 8 bytes (and longer than 8) equals RFC 5649.
    /// </summary>
    public static byte[] AlternativeIv(int plaintextLength)
    {
        if (plaintextLength <= 8 || plaintextLength % 8 != 0)
            throw new ArgumentOutOfRangeException(nameof(plaintextLength), "Only lengths that are multiples of 8 above 8 need no padding.");
        var iv = new byte[8];
        iv[0] = 0xA6; iv[1] = 0x59; iv[2] = 0x59; iv[3] = 0xA6;
        BinaryPrimitives.WriteUInt32BigEndian(iv.AsSpan(4), (uint)plaintextLength);
        return iv;
    }
}
