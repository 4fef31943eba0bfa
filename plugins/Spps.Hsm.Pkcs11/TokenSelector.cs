using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Spps.Contracts.Hsm;

namespace Spps.Hsm.Pkcs11;

/// <summary>Finds the one slot whose token matches the URI's selectors (token label, serial, manufacturer, model, slot-id).</summary>
internal static class TokenSelector
{
    public static (ISlot Slot, ITokenInfo Token) Select(Pkcs11Module module, Pkcs11Uri uri)
    {
        List<ISlot> slots;
        try
        {
            slots = module.Library.GetSlotList(SlotsType.WithTokenPresent);
        }
        catch (Pkcs11Exception e)
        {
            throw new HsmException(Pkcs11ErrorCodes.TokenOperationFailed, $"Listing the slots of {module.Path} failed ({e.RV} from {e.Method}).", e);
        }
        var present = new List<(ISlot Slot, ITokenInfo Token)>();
        var unreadable = new List<string>();
        foreach (var slot in slots)
        {
            if (ReadTokenInfo(slot, out var info, out var failure)) present.Add((slot, info!));
            else unreadable.Add($"slot-id {slot.SlotId}: {failure}");
        }

        var matching = present.Where(p => Matches(uri, p.Slot, p.Token)).ToList();
        if (matching.Count == 1) return matching[0];

        var available = present.Count == 0
            ? "none"
            : string.Join(", ", present.Select(p => $"'{p.Token.Label.Trim()}' (serial {p.Token.SerialNumber.Trim()}, slot-id {p.Slot.SlotId})"));
        if (unreadable.Count > 0) available += $"; unreadable: {string.Join(", ", unreadable)}";
        if (matching.Count == 0)
            throw new HsmException(Pkcs11ErrorCodes.TokenNotFound,
                $"No token matches {uri.Describe()} in {module.Path}. Tokens present: {available}. " +
                "Initialize the token (softhsm2-util --init-token ...) or fix the token=/serial= selector.");
        throw new HsmException(Pkcs11ErrorCodes.TokenAmbiguous,
            $"{matching.Count} tokens match {uri.Describe()} in {module.Path}: {available}. Add serial= or slot-id= to the URI to pick one.");
    }

    /// <summary>
    /// C_GetTokenInfo can fail transiently while another process rewrites a file-backed token (SoftHSM2 shares
    /// token directories between processes), so a failure is retried briefly before the slot is reported unreadable.
    /// </summary>
    private static bool ReadTokenInfo(ISlot slot, out ITokenInfo? info, out CKR failure)
    {
        failure = CKR.CKR_OK;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                info = slot.GetTokenInfo();
                return true;
            }
            catch (Pkcs11Exception e) when (e.RV is CKR.CKR_GENERAL_ERROR or CKR.CKR_FUNCTION_FAILED or CKR.CKR_DEVICE_ERROR)
            {
                failure = e.RV;
                Thread.Sleep(10 << attempt);
            }
            catch (Pkcs11Exception e)
            {
                failure = e.RV;
                break;
            }
        }
        info = null;
        return false;
    }

    private static bool Matches(Pkcs11Uri uri, ISlot slot, ITokenInfo token) =>
        (uri.Token is null || token.Label.Trim() == uri.Token) &&
        (uri.Serial is null || token.SerialNumber.Trim() == uri.Serial) &&
        (uri.Manufacturer is null || token.ManufacturerId.Trim() == uri.Manufacturer) &&
        (uri.Model is null || token.Model.Trim() == uri.Model) &&
        (uri.SlotId is null || slot.SlotId == uri.SlotId);
}
