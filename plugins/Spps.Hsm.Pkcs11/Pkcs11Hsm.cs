using System.Collections.Concurrent;
using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Spps.Contracts.Hsm;

namespace Spps.Hsm.Pkcs11;

/// <summary>Implements the HSM contract on one PKCS#11 token; keys stay token objects, the host holds handles.</summary>
internal sealed class Pkcs11Hsm : IHsm
{
    private const int SignatureBytes = 2 * P384.CoordinateBytes;
    private const int CmacBytes = 16;
    private const int WrappedAesKeyBytes = KeyTemplates.AesKeyBytes + 8;

    private readonly object _serialGate = new();
    private readonly Pkcs11Module _module;
    private readonly SessionPool _sessions;
    private readonly Pkcs11Profile _profile;
    private readonly HashSet<ulong> _mechanisms;
    private readonly KeyTemplates _templates;
    private readonly ConcurrentDictionary<string, Pkcs11Key> _persistent = new(StringComparer.Ordinal);
    private readonly object _labels = new();
    private volatile bool _closed;

    private Pkcs11Hsm(Pkcs11Module module, SessionPool sessions, Pkcs11Profile profile, HashSet<ulong> mechanisms, bool wrapWithTrusted, HsmInfo info)
    {
        _module = module;
        _sessions = sessions;
        _profile = profile;
        _mechanisms = mechanisms;
        _templates = new KeyTemplates(module.Factories.ObjectAttributeFactory, wrapWithTrusted);
        Info = info;
    }

    public HsmInfo Info { get; }

    public static Pkcs11Hsm Open(HsmOpenOptions options)
    {
        var uri = Pkcs11Uri.Parse(options.Locator);
        var module = Pkcs11Module.Load(uri.ModulePath);
        var (slot, token) = TokenSelector.Select(module, uri);
        var tokenName = token.Label.Trim();
        var profile = uri.Profile is null ? Pkcs11Profile.ForToken(token.ManufacturerId.Trim()) : Pkcs11Profile.Named(uri.Profile);
        var mechanisms = CheckMechanisms(slot, profile, tokenName);

        ISession first;
        try { first = slot.OpenSession(SessionType.ReadWrite); }
        catch (Pkcs11Exception e) { throw Pkcs11Failures.From(e, "opening a session", tokenName); }
        var sessions = new SessionPool(slot, first, uri.MaxSessions);
        try
        {
            Login(first, uri, options, tokenName);
            CheckWrapFormat(module, first, profile, tokenName);
            var (uuid, created) = EstablishIdentity(first, module, options, tokenName);
            var info = new HsmInfo(uuid, tokenName, "pkcs11", IsDevelopmentOnly: profile.IsSoftwareToken);
            if (created)
            {
                options.Notice($"Created the SPPS identity of PKCS#11 token '{tokenName}' (UUID {uuid}).");
                if (profile.IsSoftwareToken)
                    options.Notice($"Token '{tokenName}' is a software token (SoftHSM2): its keys are in this process's memory while in use. Use a hardware HSM in production.");
            }
            return new Pkcs11Hsm(module, sessions, profile, mechanisms, uri.WrapWithTrusted ?? false, info);
        }
        catch
        {
            sessions.Dispose();
            throw;
        }
    }

    public IKeyHandle? FindKey(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (_persistent.TryGetValue(label, out var cached) && !cached.Destroyed) return cached;
        var found = Token("FindKey", session => Locate(session, label));
        if (found is null) return null;
        return _persistent.AddOrUpdate(label, found, (_, existing) => existing.Destroyed ? found : existing);
    }

    public IKeyHandle? FindKeyNow(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        // One label lookup on the token: another session or process may have destroyed the key since it was cached.
        var objects = Token("FindKeyNow", session => session.FindAllObjects(
            [_module.Factories.ObjectAttributeFactory.Create(CKA.CKA_TOKEN, true), _module.Factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, label)]));
        if (_persistent.TryGetValue(label, out var cached) && !cached.Destroyed)
        {
            if (objects.Any(o => o.ObjectId == cached.Object.ObjectId)) return cached;
            // Its object is gone (perhaps replaced by another under the same label): the cached handle is stale.
            cached.MarkDestroyed();
            _persistent.TryRemove(new KeyValuePair<string, Pkcs11Key>(label, cached));
        }
        return objects.Count == 0 ? null : FindKey(label);
    }

    public IKeyHandle Generate(KeySpec spec)
    {
        ValidateSpec(spec);
        return Admit(spec, () => Token("Generate", session =>
        {
            if (spec.Kind == KeyKind.Aes256)
            {
                var handle = session.GenerateKey(Mechanism(CKM.CKM_AES_KEY_GEN), _templates.SecretKey(spec, generating: true));
                return new Pkcs11Key(this, spec, handle, null);
            }
            var (publicTemplate, privateTemplate) = _templates.KeyPair(spec);
            session.GenerateKeyPair(Mechanism(CKM.CKM_EC_KEY_PAIR_GEN), publicTemplate, privateTemplate, out var publicKey, out var privateKey);
            return new Pkcs11Key(this, spec, privateKey, publicKey);
        }));
    }

    public byte[] GetPublicKey(IKeyHandle keyPair)
    {
        var key = Own(keyPair, KeyKind.EcP384);
        var publicObject = key.PublicObject
            ?? throw new HsmException(Pkcs11ErrorCodes.KeyObjectInconsistent, $"{key} has no public key object on token '{Info.Name}'.");
        var point = Token("GetPublicKey", session => session.GetAttributeValue(publicObject, [CKA.CKA_EC_POINT])[0].GetValueAsByteArray());
        return P384.SubjectPublicKeyInfo(point ?? []);
    }

    public DataKey GenerateDataKey(IKeyHandle wrappingKey)
    {
        var kek = Own(wrappingKey, KeyKind.Aes256, KeyUsage.Wrap);
        return Token("GenerateDataKey", session =>
        {
            var dataKey = session.GenerateKey(Mechanism(CKM.CKM_AES_KEY_GEN), _templates.DisclosedKey(wrapping: false));
            try
            {
                var wrapped = WrapWith(session, kek.Object, dataKey);
                var plaintext = session.GetAttributeValue(dataKey, [CKA.CKA_VALUE])[0].GetValueAsByteArray();
                return new DataKey(plaintext, wrapped);
            }
            finally
            {
                session.DestroyObject(dataKey);
            }
        });
    }

    public byte[] Wrap(IKeyHandle wrappingKey, IKeyHandle key)
    {
        var kek = Own(wrappingKey, KeyKind.Aes256, KeyUsage.Wrap);
        var target = Own(key);
        if (!target.Spec.Wrappable)
            throw new HsmException(Pkcs11ErrorCodes.NotWrappable, $"{target} is not wrappable: it was created to stay inside token '{Info.Name}'.");
        if (_profile.Wrap == WrapMethod.KeyWrapWithAlternativeIv && target.Kind != KeyKind.Aes256)
            throw new HsmException(Pkcs11ErrorCodes.Unsupported,
                $"Profile '{_profile.Name}' wraps AES-256 keys only (RFC 3394 with the RFC 5649 IV needs a known length); {target} is a key pair.");
        return Token("Wrap", session => WrapWith(session, kek.Object, target.Object));
    }

    public IKeyHandle Unwrap(IKeyHandle wrappingKey, ReadOnlySpan<byte> wrapped, KeySpec spec)
    {
        var kek = Own(wrappingKey, KeyKind.Aes256, KeyUsage.Unwrap);
        ValidateSpec(spec);
        if (spec.Kind != KeyKind.Aes256)
            throw new HsmException(Pkcs11ErrorCodes.Unsupported, "Only AES-256 keys can be unwrapped.");
        var blob = wrapped.ToArray();
        // RFC 5649 of 32 bytes is 40 bytes; the length inside (authenticated by the AIV) is then 25..32, of which
        // only 32 is an AES key length. Checked here because some tokens (SoftHSM2) set no CKA_VALUE_LEN on unwrap.
        if (blob.Length != WrappedAesKeyBytes)
            throw new HsmException(Pkcs11ErrorCodes.WrappedKeyRejected,
                $"The wrapped key for '{spec.Label}' is {blob.Length} bytes; an AES-256 key wrapped with RFC 5649 is {WrappedAesKeyBytes} bytes. It was altered or is not an AES-256 key.");
        return Admit(spec, () => Token("Unwrap", session =>
        {
            IObjectHandle handle;
            try
            {
                handle = session.UnwrapKey(WrapMechanism(), kek.Object, blob, _templates.SecretKey(spec, generating: false));
            }
            catch (Pkcs11Exception e) when (IsRejectedBlob(e.RV))
            {
                throw new HsmException(Pkcs11ErrorCodes.WrappedKeyRejected,
                    $"The wrapped key for '{spec.Label}' does not authenticate under '{kek.Label}': it was altered or wrapped for another key ({e.RV}).", e);
            }
            var lengthAttribute = session.GetAttributeValue(handle, [CKA.CKA_VALUE_LEN])[0];
            var length = lengthAttribute.CannotBeRead ? 0 : lengthAttribute.GetValueAsUlong();
            if (length != 0 && length != KeyTemplates.AesKeyBytes)
            {
                session.DestroyObject(handle);
                throw new HsmException(Pkcs11ErrorCodes.WrappedKeyRejected, $"The wrapped key for '{spec.Label}' is a {length * 8}-bit key, not AES-256.");
            }
            return new Pkcs11Key(this, spec, handle, null);
        }));
    }

    public IKeyHandle Derive(KeyDerivation derivation, KeySpec spec)
    {
        ArgumentNullException.ThrowIfNull(derivation);
        ValidateSpec(spec);
        if (spec.Kind != KeyKind.Aes256)
            throw new HsmException(Pkcs11ErrorCodes.Unsupported, "Derivations produce AES-256 keys only.");
        var salt = derivation.Salt ?? [];
        var info = derivation.Info ?? [];
        List<(Pkcs11Key Key, byte[] PeerPoint)> agreements = [];
        Pkcs11Key? baseKey = null;
        switch (derivation)
        {
            case EcdhHkdf ecdh:
                if (ecdh.Agreements.Count == 0)
                    throw new HsmException(Pkcs11ErrorCodes.Unsupported, "An ECDH derivation needs at least one agreement.");
                foreach (var agreement in ecdh.Agreements)
                    agreements.Add((Own(agreement.PrivateKey, KeyKind.EcP384, KeyUsage.Derive), P384.PeerPoint(agreement.PeerPublicKey)));
                if (agreements.Count > 1 && _profile.Derive == DeriveMethod.TokenHkdf)
                    RequireMechanism((ulong)CKM.CKM_CONCATENATE_BASE_AND_KEY, "CKM_CONCATENATE_BASE_AND_KEY", "joining several ECDH secrets");
                break;
            case KeyHkdf keyHkdf:
                baseKey = Own(keyHkdf.BaseKey, KeyKind.Aes256, KeyUsage.Derive);
                break;
            default:
                throw new HsmException(Pkcs11ErrorCodes.Unsupported, $"Derivation {derivation.GetType().Name} is not supported.");
        }

        return Admit(spec, () => Token("Derive", session =>
        {
            var intermediates = new List<IObjectHandle>();
            try
            {
                var tokenHkdf = _profile.Derive == DeriveMethod.TokenHkdf;
                IReadOnlyList<IObjectHandle> inputs = baseKey is not null
                    ? new[] { baseKey.Object }
                    : agreements.Select(a => Agree(session, a.Key, a.PeerPoint, derivable: tokenHkdf, intermediates)).ToList();
                return new Pkcs11Key(this, spec, tokenHkdf
                    ? DeriveInToken(session, inputs, salt, info, spec, intermediates)
                    : DeriveOverDigestKey(session, inputs, salt, info, spec), null);
            }
            finally
            {
                foreach (var intermediate in intermediates)
                {
                    try { session.DestroyObject(intermediate); }
                    catch (Pkcs11Exception) { /* a session object; it goes when the session closes */ }
                }
            }
        }));
    }

    public byte[] Sign(IKeyHandle key, ReadOnlySpan<byte> data)
    {
        var own = Own(key, KeyKind.EcP384, KeyUsage.Sign);
        byte[] signature;
        if (_profile.SignsWithEcdsaSha384)
        {
            var message = data.ToArray();
            signature = Token("Sign", session => session.Sign(Mechanism(CKM.CKM_ECDSA_SHA384), own.Object, message));
        }
        else
        {
            var digest = SHA384.HashData(data);
            signature = Token("Sign", session => session.Sign(Mechanism(CKM.CKM_ECDSA), own.Object, digest));
        }
        if (signature.Length != SignatureBytes)
            throw new HsmException(Pkcs11ErrorCodes.TokenOperationFailed, $"Token '{Info.Name}' returned a {signature.Length}-byte ECDSA signature; P-384 r‖s is {SignatureBytes} bytes.");
        return signature;
    }

    public byte[] Mac(IKeyHandle key, ReadOnlySpan<byte> data)
    {
        var own = Own(key, KeyKind.Aes256, KeyUsage.Mac);
        var message = data.ToArray();
        var tag = Token("Mac", session => session.Sign(Mechanism(CKM.CKM_AES_CMAC), own.Object, message));
        if (tag.Length != CmacBytes)
            throw new HsmException(Pkcs11ErrorCodes.TokenOperationFailed, $"Token '{Info.Name}' returned a {tag.Length}-byte CMAC; AES-CMAC is {CmacBytes} bytes.");
        return tag;
    }

    public void Destroy(IKeyHandle key)
    {
        var own = Own(key);
        Token("Destroy", session =>
        {
            DestroyIfPresent(session, own.Object);
            if (own.PublicObject is not null) DestroyIfPresent(session, own.PublicObject);
            return true;
        });
        own.MarkDestroyed();
        if (own.IsPersistent) _persistent.TryRemove(new KeyValuePair<string, Pkcs11Key>(own.Label, own));
    }

    public void Dispose()
    {
        _closed = true;
        foreach (var key in _persistent.Values) key.MarkDestroyed();
        _persistent.Clear();
        _sessions.Dispose();
    }

    private static HashSet<ulong> CheckMechanisms(ISlot slot, Pkcs11Profile profile, string tokenName)
    {
        HashSet<ulong> available;
        try { available = slot.GetMechanismList().Select(m => (ulong)m).ToHashSet(); }
        catch (Pkcs11Exception e) { throw Pkcs11Failures.From(e, "listing mechanisms", tokenName); }
        var missing = profile.RequiredMechanisms().Where(m => !available.Contains(m.Mechanism)).ToList();
        if (missing.Count > 0)
            throw new HsmException(Pkcs11ErrorCodes.MechanismMissing,
                $"Token '{tokenName}' lacks {string.Join(", ", missing.Select(m => $"{m.Name} (for {m.UsedFor})"))}, which profile '{profile.Name}' needs. " +
                $"Choose the profile for this token (profile=...; known: {string.Join(", ", Pkcs11Profile.All.Select(p => p.Name))}) — docs/hsm.md lists what each needs.");
        return available;
    }

    private static void Login(ISession session, Pkcs11Uri uri, HsmOpenOptions options, string tokenName)
    {
        var pin = PinSource.Read(uri, options.Environment);
        try
        {
            session.Login(CKU.CKU_USER, pin);
        }
        catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
            // Login state is per process and token: another HSM opened on this token in this process already logged in.
        }
        catch (Pkcs11Exception e)
        {
            throw Pkcs11Failures.From(e, "login", tokenName);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pin);
        }
    }

    /// <summary>
    /// Wrapped blobs cross HSMs, so the token's wrap output must be RFC 5649 byte for byte. Wraps a throw-away key
    /// under a throw-away key and checks the result with .NET's RFC 5649 implementation.
    /// </summary>
    private static void CheckWrapFormat(Pkcs11Module module, ISession session, Pkcs11Profile profile, string tokenName)
    {
        var templates = new KeyTemplates(module.Factories.ObjectAttributeFactory, wrapWithTrusted: false);
        var keyGen = module.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN);
        byte[]? kekValue = null, keyValue = null, unwrapped = null;
        try
        {
            var kek = session.GenerateKey(keyGen, templates.DisclosedKey(wrapping: true));
            var key = session.GenerateKey(keyGen, templates.DisclosedKey(wrapping: false));
            try
            {
                var wrapped = session.WrapKey(WrapMechanism(module, profile), kek, key);
                kekValue = session.GetAttributeValue(kek, [CKA.CKA_VALUE])[0].GetValueAsByteArray();
                keyValue = session.GetAttributeValue(key, [CKA.CKA_VALUE])[0].GetValueAsByteArray();
                using var aes = Aes.Create();
                aes.Key = kekValue;
                try { unwrapped = aes.DecryptKeyWrapPadded(wrapped); }
                catch (CryptographicException) { unwrapped = null; }
                if (unwrapped is null || !CryptographicOperations.FixedTimeEquals(unwrapped, keyValue))
                    throw new HsmException(Pkcs11ErrorCodes.WrapFormatMismatch,
                        $"Token '{tokenName}' does not produce RFC 5649 key wraps with profile '{profile.Name}', so its wrapped keys would not open on other HSMs. Choose another profile (docs/hsm.md).");
            }
            finally
            {
                session.DestroyObject(kek);
                session.DestroyObject(key);
            }
        }
        catch (Pkcs11Exception e) when (e.RV is not (CKR.CKR_DEVICE_REMOVED or CKR.CKR_TOKEN_NOT_PRESENT or CKR.CKR_DEVICE_MEMORY or CKR.CKR_USER_NOT_LOGGED_IN))
        {
            throw new HsmException(Pkcs11ErrorCodes.WrapFormatMismatch,
                $"Token '{tokenName}' cannot make RFC 5649 key wraps the way profile '{profile.Name}' asks ({e.RV} from {e.Method}), so it cannot exchange wrapped keys with other HSMs. Choose another profile (docs/hsm.md).", e);
        }
        catch (Pkcs11Exception e)
        {
            throw Pkcs11Failures.From(e, "the RFC 5649 wrap self-test", tokenName);
        }
        finally
        {
            if (kekValue is not null) CryptographicOperations.ZeroMemory(kekValue);
            if (keyValue is not null) CryptographicOperations.ZeroMemory(keyValue);
            if (unwrapped is not null) CryptographicOperations.ZeroMemory(unwrapped);
        }
    }

    private static (string Uuid, bool Created) EstablishIdentity(ISession session, Pkcs11Module module, HsmOpenOptions options, string tokenName)
    {
        try { return HsmIdentity.Establish(session, module.Factories, options, tokenName); }
        catch (Pkcs11Exception e) { throw Pkcs11Failures.From(e, "reading the SPPS identity", tokenName); }
    }

    private T Token<T>(string operation, Func<ISession, T> work)
    {
        try
        {
            if (!_profile.SerializesOperations) return _sessions.Run(work);
            // SoftHSM2 creates objects unsafely from several threads (SoftHSMv2 issues #573, #688: random
            // CKR_ATTRIBUTE_VALUE_INVALID / CKR_TEMPLATE_INCONSISTENT / crashes), so its profile runs one
            // operation at a time in this process. It is a development token; real HSMs keep the session pool.
            lock (_serialGate) return _sessions.Run(work);
        }
        catch (Pkcs11Exception e) { throw Pkcs11Failures.From(e, operation, Info.Name); }
    }

    private IMechanism Mechanism(CKM mechanism) => _module.Factories.MechanismFactory.Create(mechanism);

    private IMechanism WrapMechanism() => WrapMechanism(_module, _profile);

    private static IMechanism WrapMechanism(Pkcs11Module module, Pkcs11Profile profile) => profile.Wrap == WrapMethod.KeyWrapWithAlternativeIv
        ? module.Factories.MechanismFactory.Create(profile.WrapMechanism, Rfc5649.AlternativeIv(KeyTemplates.AesKeyBytes))
        : module.Factories.MechanismFactory.Create(profile.WrapMechanism);

    private byte[] WrapWith(ISession session, IObjectHandle kek, IObjectHandle key) => session.WrapKey(WrapMechanism(), kek, key);

    private IObjectHandle Agree(ISession session, Pkcs11Key privateKey, byte[] peerPoint, bool derivable, List<IObjectHandle> intermediates)
    {
        var parameters = _module.Factories.MechanismParamsFactory.CreateCkEcdh1DeriveParams((ulong)CKD.CKD_NULL, null, peerPoint);
        var mechanism = _module.Factories.MechanismFactory.Create(CKM.CKM_ECDH1_DERIVE, parameters);
        var secret = session.DeriveKey(mechanism, privateKey.Object, _templates.SharedSecret(derivable));
        intermediates.Add(secret);
        return secret;
    }

    private IObjectHandle DeriveInToken(ISession session, IReadOnlyList<IObjectHandle> inputs, byte[] salt, byte[] info, KeySpec spec, List<IObjectHandle> intermediates)
    {
        var ikm = inputs[0];
        for (var i = 1; i < inputs.Count; i++)
        {
            var concatenate = _module.Factories.MechanismFactory.Create(CKM.CKM_CONCATENATE_BASE_AND_KEY, BitConverter.GetBytes(inputs[i].ObjectId));
            ikm = session.DeriveKey(concatenate, ikm, _templates.SharedSecret(derivable: true)
                .Where(a => a.Type != (ulong)CKA.CKA_VALUE_LEN).ToList());
            intermediates.Add(ikm);
        }
        using var hkdf = new TokenHkdf(salt, info);
        return session.DeriveKey(hkdf.Mechanism(_module.Factories), ikm, _templates.SecretKey(spec, generating: true));
    }

    private IObjectHandle DeriveOverDigestKey(ISession session, IReadOnlyList<IObjectHandle> inputs, byte[] salt, byte[] info, KeySpec spec)
    {
        var okm = DigestKeyHkdf.DeriveKey(_module, session, inputs, salt, info, KeyTemplates.AesKeyBytes);
        try
        {
            var template = _templates.SecretKey(spec, generating: false);
            template.Add(_templates.Value(okm));
            return session.CreateObject(template);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(okm);
        }
    }

    private Pkcs11Key? Locate(ISession session, string label)
    {
        var attributes = _module.Factories.ObjectAttributeFactory;
        var secrets = session.FindAllObjects(
        [
            attributes.Create(CKA.CKA_TOKEN, true),
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            attributes.Create(CKA.CKA_LABEL, label),
        ]);
        var privates = session.FindAllObjects(
        [
            attributes.Create(CKA.CKA_TOKEN, true),
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
            attributes.Create(CKA.CKA_LABEL, label),
        ]);
        if (secrets.Count + privates.Count == 0) return null;
        if (secrets.Count + privates.Count > 1)
            throw new HsmException(Pkcs11ErrorCodes.KeyObjectInconsistent,
                $"Token '{Info.Name}' holds {secrets.Count + privates.Count} keys labelled '{label}'; SPPS labels are unique. Remove or relabel the extra ones.");

        if (secrets.Count == 1)
        {
            var values = session.GetAttributeValue(secrets[0],
                [CKA.CKA_KEY_TYPE, CKA.CKA_VALUE_LEN, CKA.CKA_SIGN, CKA.CKA_DERIVE, CKA.CKA_WRAP, CKA.CKA_UNWRAP, CKA.CKA_EXTRACTABLE]);
            // SoftHSM2 sets no CKA_VALUE_LEN on unwrapped keys (Unwrap checks their length instead), so 0 passes.
            var length = values[1].CannotBeRead ? 0 : values[1].GetValueAsUlong();
            if (values[0].GetValueAsUlong() != (ulong)CKK.CKK_AES || (length != 0 && length != KeyTemplates.AesKeyBytes))
                throw new HsmException(Pkcs11ErrorCodes.KeyObjectInconsistent, $"Key '{label}' on token '{Info.Name}' is not an AES-256 key.");
            var usage = (values[2].GetValueAsBool() ? KeyUsage.Mac : KeyUsage.None)
                        | (values[3].GetValueAsBool() ? KeyUsage.Derive : KeyUsage.None)
                        | (values[4].GetValueAsBool() ? KeyUsage.Wrap : KeyUsage.None)
                        | (values[5].GetValueAsBool() ? KeyUsage.Unwrap : KeyUsage.None);
            return new Pkcs11Key(this, new KeySpec(label, KeyKind.Aes256, usage, Persistent: true, Wrappable: values[6].GetValueAsBool()), secrets[0], null);
        }

        var privateValues = session.GetAttributeValue(privates[0], [CKA.CKA_KEY_TYPE, CKA.CKA_EC_PARAMS, CKA.CKA_SIGN, CKA.CKA_DERIVE, CKA.CKA_EXTRACTABLE, CKA.CKA_ID]);
        if (privateValues[0].GetValueAsUlong() != (ulong)CKK.CKK_EC || !(privateValues[1].GetValueAsByteArray() ?? []).SequenceEqual(P384.EcParameters))
            throw new HsmException(Pkcs11ErrorCodes.KeyObjectInconsistent, $"Key '{label}' on token '{Info.Name}' is not a P-384 key pair.");
        var publics = session.FindAllObjects(
        [
            attributes.Create(CKA.CKA_TOKEN, true),
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY),
            attributes.Create(CKA.CKA_LABEL, label),
            attributes.Create(CKA.CKA_ID, privateValues[5].GetValueAsByteArray() ?? []),
        ]);
        var pairUsage = (privateValues[2].GetValueAsBool() ? KeyUsage.Sign : KeyUsage.None)
                        | (privateValues[3].GetValueAsBool() ? KeyUsage.Derive : KeyUsage.None);
        return new Pkcs11Key(this, new KeySpec(label, KeyKind.EcP384, pairUsage, Persistent: true, Wrappable: privateValues[4].GetValueAsBool()),
            privates[0], publics.Count == 1 ? publics[0] : null);
    }

    private Pkcs11Key Admit(KeySpec spec, Func<Pkcs11Key> create)
    {
        if (!spec.Persistent) return create();
        lock (_labels)
        {
            if (FindKey(spec.Label) is not null)
                throw new HsmException(Pkcs11ErrorCodes.LabelExists, $"A key labelled '{spec.Label}' already exists on token '{Info.Name}'.");
            var key = create();
            _persistent[spec.Label] = key;
            return key;
        }
    }

    private static void ValidateSpec(KeySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrWhiteSpace(spec.Label))
            throw new HsmException(Pkcs11ErrorCodes.Unsupported, "A key needs a non-empty label.");
        var allowed = spec.Kind switch
        {
            KeyKind.Aes256 => KeyUsage.Mac | KeyUsage.Derive | KeyUsage.Wrap | KeyUsage.Unwrap,
            KeyKind.EcP384 => KeyUsage.Sign | KeyUsage.Derive,
            _ => throw new HsmException(Pkcs11ErrorCodes.Unsupported, $"Key kind {spec.Kind} is not supported."),
        };
        if ((spec.Usage & ~allowed) != 0)
            throw new HsmException(Pkcs11ErrorCodes.Unsupported, $"A {spec.Kind} key cannot have usage {spec.Usage & ~allowed}; allowed: {allowed}.");
    }

    private void RequireMechanism(ulong mechanism, string name, string usedFor)
    {
        if (!_mechanisms.Contains(mechanism))
            throw new HsmException(Pkcs11ErrorCodes.MechanismMissing,
                $"Token '{Info.Name}' lacks {name} (for {usedFor}), which profile '{_profile.Name}' needs. See docs/hsm.md for the profile that fits this token.");
    }

    private static bool IsRejectedBlob(CKR rv) => rv is CKR.CKR_WRAPPED_KEY_INVALID or CKR.CKR_WRAPPED_KEY_LEN_RANGE
        or CKR.CKR_ENCRYPTED_DATA_INVALID or CKR.CKR_ENCRYPTED_DATA_LEN_RANGE or CKR.CKR_DATA_INVALID or CKR.CKR_DATA_LEN_RANGE
        or CKR.CKR_GENERAL_ERROR or CKR.CKR_FUNCTION_FAILED or CKR.CKR_TEMPLATE_INCONSISTENT or CKR.CKR_ATTRIBUTE_VALUE_INVALID;

    private static void DestroyIfPresent(ISession session, IObjectHandle handle)
    {
        try { session.DestroyObject(handle); }
        catch (Pkcs11Exception e) when (e.RV == CKR.CKR_OBJECT_HANDLE_INVALID) { /* already gone (another process destroyed it) */ }
    }

    private Pkcs11Key Own(IKeyHandle handle, KeyKind? kind = null, KeyUsage usage = KeyUsage.None)
    {
        if (handle is not Pkcs11Key key || !ReferenceEquals(key.Owner, this))
            throw new HsmException(Pkcs11ErrorCodes.ForeignHandle, $"Key handle '{handle?.Label}' does not belong to PKCS#11 token '{Info.Name}' as opened here.");
        if (key.Destroyed || _closed)
            throw new HsmException(Pkcs11ErrorCodes.KeyDestroyed, $"{key} was destroyed (or its HSM was closed).");
        if (kind is not null && key.Kind != kind)
            throw new HsmException(Pkcs11ErrorCodes.WrongKeyKind, $"{key} cannot be used here: a {kind} key is needed.");
        if ((key.Spec.Usage & usage) != usage)
            throw new HsmException(Pkcs11ErrorCodes.UsageNotAllowed, $"{key} does not allow {usage}.");
        return key;
    }
}
