using Net.Pkcs11Interop.HighLevelAPI;
using Spps.Contracts.Hsm;

namespace Spps.Hsm.Pkcs11;

/// <summary>A handle to a key object inside the token; for a P-384 pair, both the private and the public object.</summary>
internal sealed class Pkcs11Key : IKeyHandle
{
    private volatile bool _destroyed;

    public Pkcs11Key(Pkcs11Hsm owner, KeySpec spec, IObjectHandle secretOrPrivate, IObjectHandle? publicKey)
    {
        Owner = owner;
        Spec = spec;
        Object = secretOrPrivate;
        PublicObject = publicKey;
    }

    public Pkcs11Hsm Owner { get; }
    public KeySpec Spec { get; }
    public IObjectHandle Object { get; }
    public IObjectHandle? PublicObject { get; }
    public string Label => Spec.Label;
    public KeyKind Kind => Spec.Kind;
    public bool IsPersistent => Spec.Persistent;
    public bool Destroyed => _destroyed;

    public void MarkDestroyed() => _destroyed = true;

    public override string ToString() => $"{Kind} key '{Label}'";
}
