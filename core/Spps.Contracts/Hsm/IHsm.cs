namespace Spps.Contracts.Hsm;

/// <summary>
/// The key-handle contract every HSM plugin implements, for both the U-HSM and the M-HSM role.
/// All operations are safe to call from several threads at once.
/// </summary>
/// <remarks>
/// | operation        | algorithm                                                        |
/// |------------------|------------------------------------------------------------------|
/// | Wrap / Unwrap    | AES-256 key wrap with padding, RFC 5649 (CKM_AES_KEY_WRAP_PAD)   |
/// | Sign             | ECDSA P-384 over SHA-384, signature as r ‖ s (96 bytes)           |
/// | Mac              | AES-256-CMAC (NIST SP 800-38B), 16 bytes                         |
/// | Derive           | ECDH P-384 and/or HKDF-SHA-384 to an AES-256 key (see KeyDerivation) |
/// | public keys      | X.509 SubjectPublicKeyInfo, DER                                  |
/// </remarks>
public interface IHsm : IDisposable
{
    /// <summary>Identity of this HSM.</summary>
    HsmInfo Info { get; }

    /// <summary>Finds a persistent key by label, or null. May answer from this instance's handle cache.</summary>
    IKeyHandle? FindKey(string label);

    /// <summary>
    /// Finds a persistent key by label as the HSM holds it now, or null: never from a cache, so a key another
    /// process or instance destroyed is not found. For state other processes change (the M-HSM's count marker).
    /// </summary>
    IKeyHandle? FindKeyNow(string label);

    /// <summary>Generates a key inside the HSM.</summary>
    IKeyHandle Generate(KeySpec spec);

    /// <summary>The public half of a P-384 key pair (SubjectPublicKeyInfo DER).</summary>
    byte[] GetPublicKey(IKeyHandle keyPair);

    /// <summary>Generates an AES-256 data key and returns it both in the clear and wrapped under <paramref name="wrappingKey"/>.</summary>
    DataKey GenerateDataKey(IKeyHandle wrappingKey);

    /// <summary>Wraps <paramref name="key"/> (which must be <see cref="KeySpec.Wrappable"/>) under <paramref name="wrappingKey"/>.</summary>
    byte[] Wrap(IKeyHandle wrappingKey, IKeyHandle key);

    /// <summary>Unwraps an AES key into the HSM. Fails with <see cref="HsmException"/> when the wrapped bytes do not authenticate.</summary>
    IKeyHandle Unwrap(IKeyHandle wrappingKey, ReadOnlySpan<byte> wrapped, KeySpec spec);

    /// <summary>Derives an AES-256 key inside the HSM.</summary>
    IKeyHandle Derive(KeyDerivation derivation, KeySpec spec);

    /// <summary>ECDSA P-384 / SHA-384 signature (r ‖ s).</summary>
    byte[] Sign(IKeyHandle key, ReadOnlySpan<byte> data);

    /// <summary>AES-CMAC tag (16 bytes).</summary>
    byte[] Mac(IKeyHandle key, ReadOnlySpan<byte> data);

    /// <summary>Destroys a key; a persistent key is removed from the store.</summary>
    void Destroy(IKeyHandle key);
}
