using System.Globalization;
using System.Text;
using Spps.Contracts.Hsm;

namespace Spps.Hsm.Pkcs11;

/// <summary>
/// The subset of an RFC 7512 PKCS#11 URI that names one token:
/// <c>pkcs11:token=NAME;serial=S;slot-id=N?module-path=/lib.so&amp;pin-source=file:/path&amp;profile=softhsm2</c>.
/// Parsing is strict: unknown or repeated attributes and bad percent-encoding are refused, and a
/// <c>pin-value</c> is refused because a URI ends up in scripts, logs and process listings.
/// </summary>
internal sealed record Pkcs11Uri(
    string? Token,
    string? Serial,
    string? Manufacturer,
    string? Model,
    ulong? SlotId,
    string ModulePath,
    string? PinSource,
    string? Profile,
    bool? WrapWithTrusted,
    int MaxSessions)
{
    public const string Scheme = "pkcs11:";
    public const int DefaultMaxSessions = 8;

    private static readonly string[] PathAttributes = ["token", "serial", "manufacturer", "model", "slot-id"];
    private static readonly string[] QueryAttributes = ["module-path", "pin-source", "profile", "wrap-with-trusted", "max-sessions"];
    private static readonly string[] ObjectAttributes = ["object", "type", "id"];

    public static bool HasScheme(string locator) => locator.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses a locator; every failure is an <see cref="HsmException"/> that names the offending part.</summary>
    public static Pkcs11Uri Parse(string locator)
    {
        ArgumentNullException.ThrowIfNull(locator);
        if (!HasScheme(locator))
            throw Syntax("it does not start with 'pkcs11:'");
        var rest = locator[Scheme.Length..];
        if (rest.Contains('#'))
            throw Syntax("a fragment ('#') is not allowed");
        var question = rest.IndexOf('?');
        var path = question < 0 ? rest : rest[..question];
        var query = question < 0 ? "" : rest[(question + 1)..];

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        Collect(path, ';', PathAttributes, values, "path");
        Collect(query, '&', QueryAttributes, values, "query");

        if (!values.TryGetValue("module-path", out var modulePath))
            throw new HsmException(Pkcs11ErrorCodes.UriSyntax,
                "The pkcs11: URI has no module-path: add ?module-path=/path/to/module.so (on Debian, SoftHSM2 is /usr/lib/softhsm/libsofthsm2.so).");
        if (!Path.IsPathFullyQualified(modulePath))
            throw new HsmException(Pkcs11ErrorCodes.UriSyntax, $"module-path '{modulePath}' is not an absolute path: give the full path of the PKCS#11 module.");

        ulong? slotId = null;
        if (values.TryGetValue("slot-id", out var slotText))
        {
            if (!ulong.TryParse(slotText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                throw Syntax($"slot-id '{slotText}' is not a decimal number");
            slotId = parsed;
        }

        if (values.TryGetValue("pin-source", out var pinSource) && !pinSource.StartsWith("file:", StringComparison.Ordinal))
            throw new HsmException(Pkcs11ErrorCodes.UriAttributeRefused,
                "pin-source must be a file: URI (pin-source=file:/run/secrets/pin); otherwise leave it out and set SPPS_PKCS11_PIN.");

        bool? wrapWithTrusted = null;
        if (values.TryGetValue("wrap-with-trusted", out var trusted))
        {
            wrapWithTrusted = trusted switch
            {
                "yes" => true,
                "no" => false,
                _ => throw Syntax($"wrap-with-trusted must be 'yes' or 'no', not '{trusted}'"),
            };
        }

        var maxSessions = DefaultMaxSessions;
        if (values.TryGetValue("max-sessions", out var sessionsText) &&
            (!int.TryParse(sessionsText, NumberStyles.None, CultureInfo.InvariantCulture, out maxSessions) || maxSessions is < 1 or > 256))
            throw Syntax($"max-sessions must be a number from 1 to 256, not '{sessionsText}'");

        return new Pkcs11Uri(
            values.GetValueOrDefault("token"),
            values.GetValueOrDefault("serial"),
            values.GetValueOrDefault("manufacturer"),
            values.GetValueOrDefault("model"),
            slotId,
            modulePath,
            pinSource,
            values.GetValueOrDefault("profile"),
            wrapWithTrusted,
            maxSessions);
    }

    /// <summary>The token selectors, for messages (never holds a PIN: the URI cannot carry one).</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Token is not null) parts.Add($"token={Token}");
        if (Serial is not null) parts.Add($"serial={Serial}");
        if (Manufacturer is not null) parts.Add($"manufacturer={Manufacturer}");
        if (Model is not null) parts.Add($"model={Model}");
        if (SlotId is not null) parts.Add($"slot-id={SlotId}");
        return parts.Count == 0 ? "(any token)" : string.Join(';', parts);
    }

    private static void Collect(string part, char separator, string[] allowed, Dictionary<string, string> values, string section)
    {
        if (part.Length == 0) return;
        var attributes = part.Split(separator);
        for (var index = 0; index < attributes.Length; index++)
        {
            var attribute = attributes[index];
            var equals = attribute.IndexOf('=');
            if (equals <= 0)
                throw Syntax($"attribute {index + 1} of the {section} is not name=value");
            var name = attribute[..equals];
            if (name == "pin-value")
                throw new HsmException(Pkcs11ErrorCodes.UriAttributeRefused,
                    "pin-value is refused: a PIN inside a URI ends up in scripts, logs and process lists. Use pin-source=file:/path or the SPPS_PKCS11_PIN environment variable.");
            if (ObjectAttributes.Contains(name))
                throw new HsmException(Pkcs11ErrorCodes.UriAttributeRefused,
                    $"'{name}' names an object; an SPPS HSM locator names a whole token (token=, serial=, slot-id=).");
            if (!allowed.Contains(name))
            {
                var other = ReferenceEquals(allowed, PathAttributes) ? QueryAttributes : PathAttributes;
                var hint = other.Contains(name)
                    ? $" It belongs in the {(section == "path" ? "query (after '?', separated by '&')" : "path (before '?', separated by ';')")}."
                    : $" Supported: {string.Join(", ", allowed)}.";
                throw new HsmException(Pkcs11ErrorCodes.UriAttributeRefused, $"The pkcs11: URI attribute '{Printable(name)}' is not supported in the {section}.{hint}");
            }
            var value = Decode(attribute[(equals + 1)..], name);
            if (value.Length == 0)
                throw Syntax($"'{name}' is empty");
            if (!values.TryAdd(name, value))
                throw Syntax($"'{name}' appears twice");
        }
    }

    private static string Decode(string text, string name)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '%')
            {
                if (i + 2 >= text.Length || !Uri.IsHexDigit(text[i + 1]) || !Uri.IsHexDigit(text[i + 2]))
                    throw Syntax($"the value of '{name}' has a '%' that is not followed by two hex digits");
                bytes.Add((byte)((Uri.FromHex(text[i + 1]) << 4) | Uri.FromHex(text[i + 2])));
                i += 2;
            }
            else if (c > 0x7e || c < 0x21)
            {
                throw Syntax($"the value of '{name}' has a character that must be percent-encoded");
            }
            else
            {
                bytes.Add((byte)c);
            }
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            throw Syntax($"the value of '{name}' is not valid UTF-8 after percent-decoding");
        }
    }

    private static string Printable(string text) => text.Length > 40 ? text[..40] + "…" : text;

    private static HsmException Syntax(string problem) =>
        new(Pkcs11ErrorCodes.UriSyntax, $"Invalid pkcs11: URI: {problem}. Example: pkcs11:token=UHSM?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/uhsm-pin");
}
