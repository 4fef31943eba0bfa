namespace Spps.Contracts.Hsm;

/// <summary>
/// A key derivation the HSM performs internally. The output is always an AES-256 key, computed as
/// HKDF-SHA-384 (RFC 5869) with the given salt and info; only the input keying material differs.
/// </summary>
public abstract record KeyDerivation(byte[] Salt, byte[] Info);

/// <summary>One ECDH agreement: our private key inside the HSM and the peer's public key.</summary>
/// <param name="PrivateKey">P-384 key pair with <see cref="KeyUsage.Derive"/>.</param>
/// <param name="PeerPublicKey">Peer's P-384 public key, X.509 SubjectPublicKeyInfo (DER).</param>
public sealed record EcdhAgreement(IKeyHandle PrivateKey, byte[] PeerPublicKey);

/// <summary>
/// IKM = Z1 ‖ Z2 ‖ … where Zi is the raw ECDH shared secret (the x-coordinate, 48 bytes) of agreement i.
/// One agreement is ECDH-ES / KFP; two are KFPE.
/// </summary>
public sealed record EcdhHkdf(IReadOnlyList<EcdhAgreement> Agreements, byte[] Salt, byte[] Info) : KeyDerivation(Salt, Info);

/// <summary>IKM = the 32 bytes of an AES-256 base key held in the HSM (DFK diversification, CoC keys).</summary>
public sealed record KeyHkdf(IKeyHandle BaseKey, byte[] Salt, byte[] Info) : KeyDerivation(Salt, Info);
