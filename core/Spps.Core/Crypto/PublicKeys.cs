using System.Security.Cryptography;

namespace Spps.Core.Crypto;

/// <summary>Public-key operations that need no HSM: fingerprints and signature checks.</summary>
public static class PublicKeys
{
    /// <summary>SHA-384 of the SubjectPublicKeyInfo, lower-case hex: how keys are pinned and named.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> subjectPublicKeyInfo) => Convert.ToHexStringLower(SHA384.HashData(subjectPublicKeyInfo));

    public static bool Verify(ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        using var ecdsa = ECDsa.Create();
        try { ecdsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _); }
        catch (CryptographicException) { return false; }
        return ecdsa.KeySize == 384 && ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>Checks that a signed file was signed by the key it is expected to be signed by.</summary>
    public static void VerifyFile(Formats.SppsFile file, byte[] expectedSignerKey, string signerRole)
    {
        var fingerprint = Fingerprint(expectedSignerKey);
        if (file.SignerFingerprint != fingerprint)
            throw new SppsException(ErrorCodes.UnexpectedSigner,
                $"This {file.Kind} file is signed by key {Short(file.SignerFingerprint)}, not by the {signerRole} (key {Short(fingerprint)}).", new SourceLocation(file.Path));
        if (!Verify(expectedSignerKey, file.SignedBytes, file.Signature!))
            throw new SppsException(ErrorCodes.SignatureInvalid,
                $"The {signerRole}'s signature on this {file.Kind} file does not verify: the file was modified after signing.", new SourceLocation(file.Path));
    }

    public static string Short(string? fingerprint) => fingerprint is null ? "(none)" : fingerprint[..Math.Min(16, fingerprint.Length)];
}
