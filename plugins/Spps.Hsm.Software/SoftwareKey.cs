using System.Security.Cryptography;
using Spps.Contracts.Hsm;

namespace Spps.Hsm.Software;

/// <summary>A key held by the software HSM. The material never leaves this assembly except wrapped.</summary>
internal sealed class SoftwareKey : IKeyHandle, IDisposable
{
    private readonly byte[] _material; // AES: the 32 key bytes; EC: PKCS#8 private key
    private ECDsa? _ecdsa;
    private ECDiffieHellman? _ecdh;

    public SoftwareKey(KeySpec spec, byte[] material, Guid owner, ECDiffieHellman? generated = null)
    {
        Spec = spec;
        _material = material;
        Owner = owner;
        _ecdh = generated; // a freshly generated pair is used as it is: no PKCS#8 round trip on the hot path
    }

    public KeySpec Spec { get; }
    public Guid Owner { get; }
    public string Label => Spec.Label;
    public KeyKind Kind => Spec.Kind;
    public bool IsPersistent => Spec.Persistent;
    public bool Destroyed { get; private set; }

    internal ReadOnlySpan<byte> Material => _material;

    /// <summary>SubjectPublicKeyInfo of a key pair, from whichever key object is already loaded.</summary>
    internal byte[] PublicKeyInfo() => _ecdh is { } ecdh ? ecdh.ExportSubjectPublicKeyInfo() : Ecdsa.ExportSubjectPublicKeyInfo();

    internal ECDsa Ecdsa
    {
        get
        {
            lock (_material)
            {
                if (_ecdsa is null)
                {
                    var key = ECDsa.Create();
                    key.ImportPkcs8PrivateKey(_material, out _);
                    _ecdsa = key;
                }
                return _ecdsa;
            }
        }
    }

    internal ECDiffieHellman Ecdh
    {
        get
        {
            lock (_material)
            {
                if (_ecdh is null)
                {
                    var key = ECDiffieHellman.Create();
                    key.ImportPkcs8PrivateKey(_material, out _);
                    _ecdh = key;
                }
                return _ecdh;
            }
        }
    }

    public void Dispose()
    {
        Destroyed = true;
        CryptographicOperations.ZeroMemory(_material);
        _ecdsa?.Dispose();
        _ecdh?.Dispose();
    }

    public override string ToString() => $"{Kind} key '{Label}'";
}
