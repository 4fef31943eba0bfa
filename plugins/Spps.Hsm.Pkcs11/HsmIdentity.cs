using System.Text;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Spps.Contracts.Hsm;

namespace Spps.Hsm.Pkcs11;

/// <summary>
/// The HSM's UUID, kept on the token as a private, unmodifiable CKO_DATA object labelled <c>spps-uuid</c>
/// (application <c>spps</c>), so every host that opens the token sees the same identity.
/// </summary>
internal static class HsmIdentity
{
    public const string Label = "spps-uuid";
    public const string Application = "spps";

    public static (string Uuid, bool Created) Establish(ISession session, Pkcs11InteropFactories factories, HsmOpenOptions options, string tokenName)
    {
        var attributes = factories.ObjectAttributeFactory;
        var search = new List<IObjectAttribute>
        {
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_DATA),
            attributes.Create(CKA.CKA_TOKEN, true),
            attributes.Create(CKA.CKA_LABEL, Label),
            attributes.Create(CKA.CKA_APPLICATION, Application),
        };
        var found = session.FindAllObjects(search);
        if (found.Count > 1)
            throw new HsmException(Pkcs11ErrorCodes.IdentityMismatch,
                $"Token '{tokenName}' holds {found.Count} '{Label}' objects; an SPPS token has exactly one. Remove the extra ones with the token's tools.");
        if (found.Count == 1)
        {
            var value = session.GetAttributeValue(found[0], [CKA.CKA_VALUE])[0].GetValueAsByteArray() ?? [];
            var stored = Normalize(Encoding.UTF8.GetString(value));
            if (stored is null)
                throw new HsmException(Pkcs11ErrorCodes.IdentityMismatch, $"Token '{tokenName}' has a '{Label}' object that is not a hex UUID.");
            if (options.Uuid is not null && Normalize(options.Uuid) != stored)
                throw new HsmException(Pkcs11ErrorCodes.IdentityMismatch,
                    $"Token '{tokenName}' has UUID {stored}, not {Normalize(options.Uuid) ?? options.Uuid}. Use the UUID it was created with, or another token.");
            return (stored, false);
        }

        if (!options.CreateIfMissing)
            throw new HsmException(Pkcs11ErrorCodes.IdentityMissing,
                $"Token '{tokenName}' has no SPPS identity yet ('{Label}' object). Run set_hsm_params with its UUID to create one.");
        var uuid = options.Uuid is null
            ? Normalize(Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)))!
            : Normalize(options.Uuid) ?? throw new HsmException(Pkcs11ErrorCodes.IdentityMismatch, $"'{options.Uuid}' is not a hex UUID.");
        session.CreateObject(
        [
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_DATA),
            attributes.Create(CKA.CKA_TOKEN, true),
            attributes.Create(CKA.CKA_PRIVATE, true),
            attributes.Create(CKA.CKA_MODIFIABLE, false),
            attributes.Create(CKA.CKA_LABEL, Label),
            attributes.Create(CKA.CKA_APPLICATION, Application),
            attributes.Create(CKA.CKA_VALUE, Encoding.UTF8.GetBytes(uuid)),
        ]);
        return (uuid, true);
    }

    /// <summary>Lower-case hex without leading zeros; null when the text is not a hex number.</summary>
    public static string? Normalize(string uuid)
    {
        var text = uuid.Trim();
        if (text.Length == 0 || !text.All(Uri.IsHexDigit)) return null;
        var trimmed = text.TrimStart('0').ToLowerInvariant();
        return trimmed.Length == 0 ? "0" : trimmed;
    }
}
