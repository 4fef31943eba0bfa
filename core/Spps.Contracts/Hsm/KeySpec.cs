namespace Spps.Contracts.Hsm;

/// <summary>Key types the protocol uses.</summary>
public enum KeyKind
{
    /// <summary>AES-256 secret key.</summary>
    Aes256,
    /// <summary>ECDSA / ECDH key pair on NIST P-384.</summary>
    EcP384,
}

/// <summary>What a key may be used for; an HSM refuses other uses.</summary>
[Flags]
public enum KeyUsage
{
    /// <summary>No use.</summary>
    None = 0,
    /// <summary>ECDSA signatures.</summary>
    Sign = 1,
    /// <summary>Input to <see cref="IHsm.Derive"/> (ECDH private key or HKDF base key).</summary>
    Derive = 2,
    /// <summary>May wrap other keys (AES-KWP).</summary>
    Wrap = 4,
    /// <summary>May unwrap other keys (AES-KWP).</summary>
    Unwrap = 8,
    /// <summary>AES-CMAC.</summary>
    Mac = 16,
}

/// <summary>Attributes of a key to generate, unwrap or derive.</summary>
/// <param name="Label">Unique label inside the HSM (persistent keys are found again by it).</param>
/// <param name="Kind">Key type.</param>
/// <param name="Usage">Allowed operations.</param>
/// <param name="Persistent">Store as a token object; false keeps it for the session only.</param>
/// <param name="Wrappable">
/// The key may leave the HSM wrapped under another key with <see cref="KeyUsage.Wrap"/>
/// (PKCS#11: <c>CKA_EXTRACTABLE</c> with <c>CKA_WRAP_WITH_TRUSTED</c>). Never in the clear.
/// </param>
public sealed record KeySpec(string Label, KeyKind Kind, KeyUsage Usage, bool Persistent, bool Wrappable = false);
