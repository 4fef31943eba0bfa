using System.Collections.Concurrent;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;
using Spps.Contracts.Hsm;

namespace Spps.Hsm.Software;

/// <summary>Implements the HSM contract in process, with .NET cryptography and BouncyCastle's CMAC.</summary>
internal sealed class SoftwareHsm : IHsm
{
    private const int AesKeyBytes = 32;
    private readonly SoftwareHsmStore _store;
    private readonly Guid _instance = Guid.NewGuid();
    private readonly ConcurrentDictionary<string, SoftwareKey> _persistent = new(StringComparer.Ordinal);

    public SoftwareHsm(SoftwareHsmStore store)
    {
        _store = store;
        Info = new HsmInfo(store.Uuid, store.Name, "software", IsDevelopmentOnly: true);
    }

    public HsmInfo Info { get; }

    public IKeyHandle? FindKey(string label)
    {
        if (_persistent.TryGetValue(label, out var cached) && !cached.Destroyed)
        {
            // Another process on the same store may have destroyed it since: the store, not this cache, is the truth.
            if (_store.Exists(label)) return cached;
            if (_persistent.TryRemove(new KeyValuePair<string, SoftwareKey>(label, cached))) cached.Dispose();
            return null;
        }
        var loaded = _store.Load(label);
        if (loaded is null) return null;
        var key = new SoftwareKey(loaded.Value.Spec, loaded.Value.Material, _instance);
        return _persistent.GetOrAdd(label, key);
    }

    // The store is a folder of files: checking it is one stat, so FindKey already asks it on every cached hit.
    public IKeyHandle? FindKeyNow(string label) => FindKey(label);

    public IKeyHandle Generate(KeySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        switch (spec.Kind)
        {
            case KeyKind.Aes256:
                return Admit(spec, RandomNumberGenerator.GetBytes(AesKeyBytes));
            case KeyKind.EcP384:
                var pair = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
                return Admit(spec, pair.ExportPkcs8PrivateKey(), pair);
            default:
                throw new HsmException(ErrorCodes.SoftwareHsm.Unsupported, $"Key kind {spec.Kind} is not supported.");
        }
    }

    public byte[] GetPublicKey(IKeyHandle keyPair) => Own(keyPair, KeyKind.EcP384).PublicKeyInfo();

    public DataKey GenerateDataKey(IKeyHandle wrappingKey)
    {
        var kek = Own(wrappingKey, KeyKind.Aes256, KeyUsage.Wrap);
        var plaintext = RandomNumberGenerator.GetBytes(AesKeyBytes);
        return new DataKey(plaintext, WrapBytes(kek, plaintext));
    }

    public byte[] Wrap(IKeyHandle wrappingKey, IKeyHandle key)
    {
        var kek = Own(wrappingKey, KeyKind.Aes256, KeyUsage.Wrap);
        var target = Own(key);
        if (!target.Spec.Wrappable)
            throw new HsmException(ErrorCodes.SoftwareHsm.NotWrappable, $"{target} is not wrappable: it was created to stay inside the HSM.");
        return WrapBytes(kek, target.Material);
    }

    public IKeyHandle Unwrap(IKeyHandle wrappingKey, ReadOnlySpan<byte> wrapped, KeySpec spec)
    {
        var kek = Own(wrappingKey, KeyKind.Aes256, KeyUsage.Unwrap);
        if (spec.Kind != KeyKind.Aes256)
            throw new HsmException(ErrorCodes.SoftwareHsm.Unsupported, "Only AES-256 keys can be unwrapped.");
        byte[] material;
        try
        {
            using var aes = Aes.Create();
            aes.Key = kek.Material.ToArray();
            material = aes.DecryptKeyWrapPadded(wrapped);
        }
        catch (CryptographicException)
        {
            throw new HsmException(ErrorCodes.SoftwareHsm.WrappedKeyRejected, $"The wrapped key for '{spec.Label}' does not authenticate under '{kek.Label}': it was altered or wrapped for another key.");
        }
        if (material.Length != AesKeyBytes)
        {
            CryptographicOperations.ZeroMemory(material);
            throw new HsmException(ErrorCodes.SoftwareHsm.WrappedKeyRejected, $"The wrapped key for '{spec.Label}' is not an AES-256 key.");
        }
        return Admit(spec, material);
    }

    public IKeyHandle Derive(KeyDerivation derivation, KeySpec spec)
    {
        ArgumentNullException.ThrowIfNull(derivation);
        if (spec.Kind != KeyKind.Aes256)
            throw new HsmException(ErrorCodes.SoftwareHsm.Unsupported, "Derivations produce AES-256 keys only.");
        byte[] ikm = derivation switch
        {
            EcdhHkdf ecdh => SharedSecrets(ecdh.Agreements),
            KeyHkdf baseKey => Own(baseKey.BaseKey, KeyKind.Aes256, KeyUsage.Derive).Material.ToArray(),
            _ => throw new HsmException(ErrorCodes.SoftwareHsm.Unsupported, $"Derivation {derivation.GetType().Name} is not supported."),
        };
        try
        {
            return Admit(spec, HKDF.DeriveKey(HashAlgorithmName.SHA384, ikm, AesKeyBytes, derivation.Salt, derivation.Info));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ikm);
        }
    }

    public byte[] Sign(IKeyHandle key, ReadOnlySpan<byte> data) =>
        Own(key, KeyKind.EcP384, KeyUsage.Sign).Ecdsa.SignData(data, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public byte[] Mac(IKeyHandle key, ReadOnlySpan<byte> data)
    {
        var own = Own(key, KeyKind.Aes256, KeyUsage.Mac);
        var cmac = new CMac(new AesEngine());
        cmac.Init(new KeyParameter(own.Material));
        cmac.BlockUpdate(data);
        var tag = new byte[cmac.GetMacSize()];
        cmac.DoFinal(tag);
        return tag;
    }

    public void Destroy(IKeyHandle key)
    {
        var own = Own(key);
        if (own.IsPersistent)
        {
            _store.Delete(own.Label);
            _persistent.TryRemove(own.Label, out _);
        }
        own.Dispose();
    }

    public void Dispose()
    {
        foreach (var key in _persistent.Values) key.Dispose();
        _persistent.Clear();
    }

    private SoftwareKey Admit(KeySpec spec, byte[] material, ECDiffieHellman? generated = null)
    {
        if (spec.Persistent) _store.Save(spec, material);
        var key = new SoftwareKey(spec, material, _instance, generated);
        if (spec.Persistent) _persistent[spec.Label] = key;
        return key;
    }

    private byte[] SharedSecrets(IReadOnlyList<EcdhAgreement> agreements)
    {
        if (agreements.Count == 0) throw new HsmException(ErrorCodes.SoftwareHsm.Unsupported, "An ECDH derivation needs at least one agreement.");
        var ikm = new byte[agreements.Count * 48];
        for (var i = 0; i < agreements.Count; i++)
        {
            var own = Own(agreements[i].PrivateKey, KeyKind.EcP384, KeyUsage.Derive);
            using var peer = ECDiffieHellman.Create();
            try { peer.ImportSubjectPublicKeyInfo(agreements[i].PeerPublicKey, out _); }
            catch (CryptographicException) { throw new HsmException(ErrorCodes.SoftwareHsm.PeerKeyInvalid, "The peer public key is not a valid P-384 SubjectPublicKeyInfo."); }
            if (peer.KeySize != 384) throw new HsmException(ErrorCodes.SoftwareHsm.PeerKeyInvalid, $"The peer public key is on a {peer.KeySize}-bit curve, not P-384.");
            var z = own.Ecdh.DeriveRawSecretAgreement(peer.PublicKey);
            z.CopyTo(ikm, i * 48);
            CryptographicOperations.ZeroMemory(z);
        }
        return ikm;
    }

    private SoftwareKey Own(IKeyHandle handle, KeyKind? kind = null, KeyUsage usage = KeyUsage.None)
    {
        if (handle is not SoftwareKey key || key.Owner != _instance)
            throw new HsmException(ErrorCodes.SoftwareHsm.ForeignHandle, $"Key handle '{handle?.Label}' does not belong to software HSM '{Info.Name}'.");
        if (key.Destroyed)
            throw new HsmException(ErrorCodes.SoftwareHsm.KeyDestroyed, $"{key} was destroyed.");
        if (kind is not null && key.Kind != kind)
            throw new HsmException(ErrorCodes.SoftwareHsm.WrongKeyKind, $"{key} cannot be used here: a {kind} key is needed.");
        if ((key.Spec.Usage & usage) != usage)
            throw new HsmException(ErrorCodes.SoftwareHsm.UsageNotAllowed, $"{key} does not allow {usage}.");
        return key;
    }

    private static byte[] WrapBytes(SoftwareKey kek, ReadOnlySpan<byte> material)
    {
        using var aes = Aes.Create();
        aes.Key = kek.Material.ToArray();
        return aes.EncryptKeyWrapPadded(material);
    }
}
