using System.Globalization;

namespace Spps.Core.Identifiers;

/// <summary>
/// HSM UUIDs are hex numbers: <c>0010</c> and <c>0000000010</c> name the same HSM. The normal form is
/// lower-case hex without leading zeros.
/// </summary>
public static class HsmUuid
{
    public static bool TryNormalize(string? text, out string normal)
    {
        normal = "";
        if (string.IsNullOrWhiteSpace(text)) return false;
        var trimmed = text.Trim();
        if (trimmed.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) trimmed = trimmed[2..];
        if (trimmed.Length == 0 || trimmed.Length > 128 || !trimmed.All(Uri.IsHexDigit)) return false;
        trimmed = trimmed.TrimStart('0').ToLowerInvariant();
        normal = trimmed.Length == 0 ? "0" : trimmed;
        return true;
    }

    public static string Normalize(string text, string what = "UUID") =>
        TryNormalize(text, out var normal)
            ? normal
            : throw new SppsException(ErrorCodes.InvalidOptionValue, $"'{text}' is not a valid {what}: an HSM UUID is a hex number (digits 0-9, a-f).");

    public static bool Same(string a, string b) =>
        TryNormalize(a, out var x) && TryNormalize(b, out var y) && x == y;

    /// <summary>
    /// How every output shows a ticket ID (text, --json, reports): its normal form, the same string files and the
    /// ledger carry, so an ID copied from one can be found in the others. (The seed's logs pad to 43 digits; we do not.)
    /// </summary>
    public static string Display(string normal) => Normalize(normal, "ticket ID");

    public static string NewTicketId() =>
        Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)).ToLower(CultureInfo.InvariantCulture).TrimStart('0') is { Length: > 0 } s ? s : "0";
}
