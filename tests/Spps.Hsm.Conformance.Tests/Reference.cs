using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace Spps.Hsm.Conformance.Tests;

/// <summary>Independent computations (BouncyCastle CMAC, .NET HKDF/ECDH/key wrap) the HSMs must agree with.</summary>
internal static class Reference
{
    public static byte[] Cmac(byte[] key, byte[] data)
    {
        var cmac = new CMac(new AesEngine());
        cmac.Init(new KeyParameter(key));
        cmac.BlockUpdate(data, 0, data.Length);
        var tag = new byte[cmac.GetMacSize()];
        cmac.DoFinal(tag, 0);
        return tag;
    }

    public static byte[] Hkdf(byte[] ikm, byte[] salt, byte[] info) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA384, ikm, 32, salt, info);

    /// <summary>Raw ECDH Z (the x-coordinate) between a .NET peer and an HSM public key.</summary>
    public static byte[] SharedSecret(ECDiffieHellman peer, byte[] hsmPublicKey)
    {
        using var hsm = ECDiffieHellman.Create();
        hsm.ImportSubjectPublicKeyInfo(hsmPublicKey, out _);
        return peer.DeriveRawSecretAgreement(hsm.PublicKey);
    }

    public static byte[] Unwrap(byte[] kek, byte[] wrapped)
    {
        using var aes = Aes.Create();
        aes.Key = kek;
        return aes.DecryptKeyWrapPadded(wrapped);
    }

    public static ECDiffieHellman NewPeer() => ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);

    public static byte[] Message(int length = 77) => RandomNumberGenerator.GetBytes(length);
}
