using Spps.Contracts.Hsm;
using Spps.Core.Crypto;

namespace Spps.Core.Site;

/// <summary>
/// The long-lived keys an HSM holds for its role, created inside it on first use:
/// an ECDSA P-384 identity for both roles, an ECDH P-384 transport key for an M-HSM, and the
/// U-HSM's master key (label from -u_master_hsm_uuid) that wraps everything the OE stores on disk.
/// </summary>
public sealed class RoleKeys
{
    public const string IdentityLabel = "spps/identity";
    public const string TransportLabel = "spps/transport";

    private RoleKeys(IHsm hsm, IKeyHandle identity, IKeyHandle? transport, IKeyHandle? master)
    {
        Hsm = hsm;
        Identity = identity;
        IdentityPublicKey = hsm.GetPublicKey(identity);
        Transport = transport;
        TransportPublicKey = transport is null ? null : hsm.GetPublicKey(transport);
        Master = master;
    }

    public IHsm Hsm { get; }
    public IKeyHandle Identity { get; }
    public byte[] IdentityPublicKey { get; }
    public string IdentityFingerprint => PublicKeys.Fingerprint(IdentityPublicKey);
    public IKeyHandle? Transport { get; }
    public byte[]? TransportPublicKey { get; }
    public IKeyHandle? Master { get; }

    public IKeyHandle RequireMaster() => Master ?? throw new InvalidOperationException("Not a U-HSM.");

    public static RoleKeys ForOwner(IHsm hsm, string masterUuid) =>
        new(hsm, Ensure(hsm, IdentityLabel, KeyKind.EcP384, KeyUsage.Sign), null,
            Ensure(hsm, "spps/master/" + masterUuid, KeyKind.Aes256, KeyUsage.Wrap | KeyUsage.Unwrap));

    public static RoleKeys ForManufacturer(IHsm hsm) =>
        new(hsm, Ensure(hsm, IdentityLabel, KeyKind.EcP384, KeyUsage.Sign), Ensure(hsm, TransportLabel, KeyKind.EcP384, KeyUsage.Derive), null);

    public (string Fingerprint, byte[] Signature) Sign(byte[] bytes) => (IdentityFingerprint, Hsm.Sign(Identity, bytes));

    private static IKeyHandle Ensure(IHsm hsm, string label, KeyKind kind, KeyUsage usage) =>
        hsm.FindKey(label) ?? hsm.Generate(new KeySpec(label, kind, usage, Persistent: true));
}
