namespace Spps.Hsm.Pkcs11;

/// <summary>Which token mechanism produces RFC 5649 (AES key wrap with padding) output.</summary>
internal enum WrapMethod
{
    /// <summary>CKM_AES_KEY_WRAP_KWP (0x210B, PKCS#11 3.0): RFC 5649 by definition.</summary>
    Kwp,

    /// <summary>
    /// CKM_AES_KEY_WRAP_PAD (0x210A). PKCS#11 2.40 leaves its padding ambiguous; SoftHSM2 implements RFC 5649
    /// under this number. The open-time self-test checks the output really is RFC 5649.
    /// </summary>
    PadAsRfc5649,

    /// <summary>
    /// CKM_AES_KEY_WRAP (RFC 3394) with the RFC 5649 alternative IV (A65959A6 ‖ 32-bit length) as its IV
    /// parameter. For a 32-byte key (a multiple of 8 bytes, more than 8) RFC 5649 is exactly RFC 3394 under that IV.
    /// </summary>
    KeyWrapWithAlternativeIv,
}
