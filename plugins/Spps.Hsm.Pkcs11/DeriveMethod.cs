namespace Spps.Hsm.Pkcs11;

/// <summary>How a profile computes HKDF-SHA-384 (RFC 5869) for <c>IHsm.Derive</c>.</summary>
internal enum DeriveMethod
{
    /// <summary>
    /// CKM_HKDF_DERIVE (PKCS#11 3.0) inside the token; several ECDH secrets are joined with
    /// CKM_CONCATENATE_BASE_AND_KEY. No secret leaves the token.
    /// </summary>
    TokenHkdf,

    /// <summary>
    /// The input keying material stays in the token and enters the HMAC inner hash by C_DigestKey;
    /// the outer hash, the PRK and the expand step run on the host, and the result is imported with C_CreateObject.
    /// </summary>
    DigestKeyHkdf,
}
