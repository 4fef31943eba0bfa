using Net.Pkcs11Interop.Common;
using Spps.Contracts.Hsm;

namespace Spps.Hsm.Pkcs11;

/// <summary>
/// The mechanisms one family of tokens uses for the contract's operations. Every profile yields the same
/// bytes (RFC 5649 wraps, HKDF-SHA-384 keys, r‖s signatures, AES-CMAC tags); they differ in where the work runs.
/// </summary>
internal sealed record Pkcs11Profile(
    string Name,
    DeriveMethod Derive,
    WrapMethod Wrap,
    bool SignsWithEcdsaSha384,
    bool IsSoftwareToken,
    bool Tested)
{
    // PKCS#11 3.0 numbers that Pkcs11Interop 5.3 (a 2.40 binding) does not name.
    public const ulong CkmHkdfDerive = 0x0000402a;
    public const ulong CkmAesKeyWrapKwp = 0x0000210b;

    /// <summary>One token operation at a time in this process: SoftHSM2 is not safe for concurrent object creation.</summary>
    public bool SerializesOperations => Name == "softhsm2";

    public static readonly Pkcs11Profile SoftHsm2 = new("softhsm2", DeriveMethod.DigestKeyHkdf, WrapMethod.PadAsRfc5649, false, IsSoftwareToken: true, Tested: true);
    public static readonly Pkcs11Profile Pkcs11V3 = new("pkcs11v3", DeriveMethod.TokenHkdf, WrapMethod.Kwp, true, IsSoftwareToken: false, Tested: false);
    public static readonly Pkcs11Profile NShield = new("nshield", DeriveMethod.DigestKeyHkdf, WrapMethod.Kwp, true, IsSoftwareToken: false, Tested: false);
    public static readonly Pkcs11Profile GenericKeyWrap = new("generic-kw", DeriveMethod.DigestKeyHkdf, WrapMethod.KeyWrapWithAlternativeIv, false, IsSoftwareToken: false, Tested: false);

    public static IReadOnlyList<Pkcs11Profile> All { get; } = [SoftHsm2, Pkcs11V3, NShield, GenericKeyWrap];

    public static Pkcs11Profile Named(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new HsmException(Pkcs11ErrorCodes.UnknownProfile,
            $"Unknown PKCS#11 profile '{name}'. Known profiles: {string.Join(", ", All.Select(p => p.Name))} (docs/hsm.md describes each).");

    /// <summary>The profile used when the URI names none: SoftHSM2 is recognised by its manufacturer ID, anything else is treated as PKCS#11 3.0.</summary>
    public static Pkcs11Profile ForToken(string manufacturerId) =>
        manufacturerId.StartsWith("SoftHSM", StringComparison.Ordinal) ? SoftHsm2 : Pkcs11V3;

    public ulong WrapMechanism => Wrap switch
    {
        WrapMethod.Kwp => CkmAesKeyWrapKwp,
        WrapMethod.PadAsRfc5649 => (ulong)CKM.CKM_AES_KEY_WRAP_PAD,
        _ => (ulong)CKM.CKM_AES_KEY_WRAP,
    };

    /// <summary>Mechanisms every operation of this profile needs, checked when the HSM is opened.</summary>
    public IEnumerable<(ulong Mechanism, string Name, string UsedFor)> RequiredMechanisms()
    {
        yield return ((ulong)CKM.CKM_AES_KEY_GEN, "CKM_AES_KEY_GEN", "generating AES keys");
        yield return ((ulong)CKM.CKM_EC_KEY_PAIR_GEN, "CKM_EC_KEY_PAIR_GEN", "generating P-384 keys");
        yield return ((ulong)CKM.CKM_AES_CMAC, "CKM_AES_CMAC", "Mac");
        yield return ((ulong)CKM.CKM_ECDH1_DERIVE, "CKM_ECDH1_DERIVE", "ECDH derivations");
        yield return SignsWithEcdsaSha384
            ? ((ulong)CKM.CKM_ECDSA_SHA384, "CKM_ECDSA_SHA384", "Sign")
            : ((ulong)CKM.CKM_ECDSA, "CKM_ECDSA", "Sign");
        yield return Wrap switch
        {
            WrapMethod.Kwp => (CkmAesKeyWrapKwp, "CKM_AES_KEY_WRAP_KWP", "Wrap/Unwrap (RFC 5649)"),
            WrapMethod.PadAsRfc5649 => ((ulong)CKM.CKM_AES_KEY_WRAP_PAD, "CKM_AES_KEY_WRAP_PAD", "Wrap/Unwrap (RFC 5649)"),
            _ => ((ulong)CKM.CKM_AES_KEY_WRAP, "CKM_AES_KEY_WRAP", "Wrap/Unwrap (RFC 3394 with the RFC 5649 IV)"),
        };
        if (Derive == DeriveMethod.TokenHkdf)
            yield return (CkmHkdfDerive, "CKM_HKDF_DERIVE", "HKDF inside the token");
        else
            yield return ((ulong)CKM.CKM_SHA384, "CKM_SHA384", "the HMAC inner hash over C_DigestKey");
    }
}
