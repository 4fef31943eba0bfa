using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using LowLevel = Net.Pkcs11Interop.LowLevelAPI80;

namespace Spps.Hsm.Pkcs11;

/// <summary>
/// HKDF-SHA-384 (RFC 5869) for tokens without CKM_HKDF_DERIVE. The input keying material (ECDH secrets,
/// base keys) never leaves the token: HMAC's inner hash SHA-384((salt ⊕ ipad) ‖ IKM) runs in the token, the IKM
/// entering it by C_DigestKey. The outer hash (which yields the PRK) and the expand step run on the host.
/// </summary>
internal static class DigestKeyHkdf
{
    private const int BlockBytes = 128; // SHA-384 block size
    private const int HashBytes = 48;

    /// <summary>Returns the 32-byte output key; the caller imports it into the token and zeroes it.</summary>
    public static byte[] DeriveKey(Pkcs11Module module, ISession session, IReadOnlyList<IObjectHandle> inputKeyMaterial, byte[] salt, byte[] info, int length)
    {
        var paddedKey = new byte[BlockBytes];
        (salt.Length > BlockBytes ? SHA384.HashData(salt) : salt).CopyTo(paddedKey, 0);
        var innerPad = new byte[BlockBytes];
        var outerPad = new byte[BlockBytes];
        for (var i = 0; i < BlockBytes; i++)
        {
            innerPad[i] = (byte)(paddedKey[i] ^ 0x36);
            outerPad[i] = (byte)(paddedKey[i] ^ 0x5c);
        }

        var inner = InnerHashInToken(module.LowLevel, session.SessionId, innerPad, inputKeyMaterial);
        var prk = new byte[HashBytes];
        using (var outer = IncrementalHash.CreateHash(HashAlgorithmName.SHA384))
        {
            outer.AppendData(outerPad);
            outer.AppendData(inner);
            outer.GetHashAndReset(prk);
        }
        try
        {
            return HKDF.Expand(HashAlgorithmName.SHA384, prk, length, info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(prk);
            CryptographicOperations.ZeroMemory(inner);
        }
    }

    private static byte[] InnerHashInToken(LowLevel.Pkcs11Library library, ulong session, byte[] innerPad, IReadOnlyList<IObjectHandle> keys)
    {
        var mechanism = LowLevel.CkmUtils.CreateMechanism(CKM.CKM_SHA384);
        Check(library.C_DigestInit(session, ref mechanism), "C_DigestInit");
        var finished = false;
        try
        {
            Check(library.C_DigestUpdate(session, innerPad, (ulong)innerPad.Length), "C_DigestUpdate");
            foreach (var key in keys)
                Check(library.C_DigestKey(session, key.ObjectId), "C_DigestKey");
            var digest = new byte[HashBytes];
            ulong digestLength = HashBytes;
            var rv = library.C_DigestFinal(session, digest, ref digestLength);
            finished = true;
            Check(rv, "C_DigestFinal");
            if (digestLength != HashBytes) throw new Pkcs11Exception("C_DigestFinal", CKR.CKR_FUNCTION_FAILED);
            return digest;
        }
        finally
        {
            if (!finished)
            {
                // End the operation so the pooled session can start another one.
                var scratch = new byte[HashBytes];
                ulong scratchLength = HashBytes;
                library.C_DigestFinal(session, scratch, ref scratchLength);
            }
        }
    }

    private static void Check(CKR rv, string method)
    {
        if (rv != CKR.CKR_OK) throw new Pkcs11Exception(method, rv);
    }
}
