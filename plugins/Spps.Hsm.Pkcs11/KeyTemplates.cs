using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Net.Pkcs11Interop.HighLevelAPI.Factories;
using Spps.Contracts.Hsm;

namespace Spps.Hsm.Pkcs11;

/// <summary>
/// The attribute policy for every key the plugin creates: sensitive, private, never extractable unless
/// <see cref="KeySpec.Wrappable"/>, and then (when the policy asks) only under trusted wrapping keys.
/// </summary>
internal sealed class KeyTemplates(IObjectAttributeFactory attributes, bool wrapWithTrusted)
{
    public const int AesKeyBytes = 32;
    public const int EcdhSecretBytes = 48;

    public bool WrapWithTrusted { get; } = wrapWithTrusted;

    public List<IObjectAttribute> SecretKey(KeySpec spec, bool generating)
    {
        var template = new List<IObjectAttribute>
        {
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            attributes.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
            attributes.Create(CKA.CKA_TOKEN, spec.Persistent),
            attributes.Create(CKA.CKA_PRIVATE, true),
            attributes.Create(CKA.CKA_SENSITIVE, true),
            attributes.Create(CKA.CKA_EXTRACTABLE, spec.Wrappable),
            attributes.Create(CKA.CKA_LABEL, spec.Label),
            attributes.Create(CKA.CKA_ID, RandomNumberGenerator.GetBytes(16)),
            attributes.Create(CKA.CKA_ENCRYPT, false),
            attributes.Create(CKA.CKA_DECRYPT, false),
            attributes.Create(CKA.CKA_SIGN, spec.Usage.HasFlag(KeyUsage.Mac)),
            attributes.Create(CKA.CKA_VERIFY, spec.Usage.HasFlag(KeyUsage.Mac)),
            attributes.Create(CKA.CKA_WRAP, spec.Usage.HasFlag(KeyUsage.Wrap)),
            attributes.Create(CKA.CKA_UNWRAP, spec.Usage.HasFlag(KeyUsage.Unwrap)),
            attributes.Create(CKA.CKA_DERIVE, spec.Usage.HasFlag(KeyUsage.Derive)),
        };
        if (spec.Wrappable && WrapWithTrusted) template.Add(attributes.Create(CKA.CKA_WRAP_WITH_TRUSTED, true));
        if (generating) template.Add(attributes.Create(CKA.CKA_VALUE_LEN, (ulong)AesKeyBytes));
        return template;
    }

    public (List<IObjectAttribute> Public, List<IObjectAttribute> Private) KeyPair(KeySpec spec)
    {
        var id = RandomNumberGenerator.GetBytes(16);
        var publicTemplate = new List<IObjectAttribute>
        {
            attributes.Create(CKA.CKA_TOKEN, spec.Persistent),
            attributes.Create(CKA.CKA_PRIVATE, false),
            attributes.Create(CKA.CKA_EC_PARAMS, P384.EcParameters),
            attributes.Create(CKA.CKA_LABEL, spec.Label),
            attributes.Create(CKA.CKA_ID, id),
            attributes.Create(CKA.CKA_VERIFY, spec.Usage.HasFlag(KeyUsage.Sign)),
            attributes.Create(CKA.CKA_ENCRYPT, false),
            attributes.Create(CKA.CKA_WRAP, false),
            attributes.Create(CKA.CKA_DERIVE, false),
        };
        var privateTemplate = new List<IObjectAttribute>
        {
            attributes.Create(CKA.CKA_TOKEN, spec.Persistent),
            attributes.Create(CKA.CKA_PRIVATE, true),
            attributes.Create(CKA.CKA_SENSITIVE, true),
            attributes.Create(CKA.CKA_EXTRACTABLE, spec.Wrappable),
            attributes.Create(CKA.CKA_LABEL, spec.Label),
            attributes.Create(CKA.CKA_ID, id),
            attributes.Create(CKA.CKA_SIGN, spec.Usage.HasFlag(KeyUsage.Sign)),
            attributes.Create(CKA.CKA_DERIVE, spec.Usage.HasFlag(KeyUsage.Derive)),
            attributes.Create(CKA.CKA_DECRYPT, false),
            attributes.Create(CKA.CKA_UNWRAP, false),
        };
        if (spec.Wrappable && WrapWithTrusted) privateTemplate.Add(attributes.Create(CKA.CKA_WRAP_WITH_TRUSTED, true));
        return (publicTemplate, privateTemplate);
    }

    /// <summary>A raw ECDH secret Z: a sensitive session object that only feeds the next derivation step.</summary>
    public List<IObjectAttribute> SharedSecret(bool derivable) =>
    [
        attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
        attributes.Create(CKA.CKA_KEY_TYPE, CKK.CKK_GENERIC_SECRET),
        attributes.Create(CKA.CKA_TOKEN, false),
        attributes.Create(CKA.CKA_PRIVATE, true),
        attributes.Create(CKA.CKA_SENSITIVE, true),
        attributes.Create(CKA.CKA_EXTRACTABLE, false),
        attributes.Create(CKA.CKA_VALUE_LEN, (ulong)EcdhSecretBytes),
        attributes.Create(CKA.CKA_DERIVE, derivable),
    ];

    /// <summary>
    /// A key that exists only to be disclosed: the data key of GenerateDataKey and the wrap self-test keys.
    /// </summary>
    public List<IObjectAttribute> DisclosedKey(bool wrapping) =>
    [
        attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
        attributes.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
        attributes.Create(CKA.CKA_TOKEN, false),
        attributes.Create(CKA.CKA_PRIVATE, true),
        attributes.Create(CKA.CKA_SENSITIVE, false),
        attributes.Create(CKA.CKA_EXTRACTABLE, true),
        attributes.Create(CKA.CKA_VALUE_LEN, (ulong)AesKeyBytes),
        attributes.Create(CKA.CKA_WRAP, wrapping),
        attributes.Create(CKA.CKA_UNWRAP, wrapping),
    ];

    public IObjectAttribute Value(byte[] value) => attributes.Create(CKA.CKA_VALUE, value);
}
