using Newtonsoft.Json.Linq;

namespace Spps.Core.Formats;

/// <summary>Typed reads from a file's JSON header; every failure names the file and line of the field.</summary>
public static class HeaderFields
{
    public static JToken Required(SppsFile file, JObject obj, string name) =>
        obj[name] is { Type: not JTokenType.Null } token
            ? token
            : throw new SppsException(ErrorCodes.MissingField, $"Field '{name}' is missing.", file.Where(obj));

    public static string String(SppsFile file, JObject obj, string name)
    {
        var token = Required(file, obj, name);
        return token.Type == JTokenType.String
            ? (string)token!
            : throw Invalid(file, token, name, "a string");
    }

    public static string? OptionalString(SppsFile file, JObject obj, string name)
    {
        var token = obj[name];
        if (token is null || token.Type == JTokenType.Null) return null;
        return token.Type == JTokenType.String ? (string)token! : throw Invalid(file, token, name, "a string");
    }

    public static long Long(SppsFile file, JObject obj, string name, long min = long.MinValue)
    {
        var token = Required(file, obj, name);
        if (token.Type != JTokenType.Integer || token is JValue { Value: System.Numerics.BigInteger }) throw Invalid(file, token, name, "an integer");
        var value = (long)token;
        return value >= min ? value : throw Invalid(file, token, name, $"at least {min}");
    }

    public static bool Bool(SppsFile file, JObject obj, string name)
    {
        var token = Required(file, obj, name);
        return token.Type == JTokenType.Boolean ? (bool)token : throw Invalid(file, token, name, "true or false");
    }

    public static byte[] Base64(SppsFile file, JObject obj, string name)
    {
        var token = Required(file, obj, name);
        try { return Convert.FromBase64String(token.Type == JTokenType.String ? (string)token! : throw new FormatException()); }
        catch (FormatException) { throw Invalid(file, token, name, "base64 data"); }
    }

    public static IReadOnlyList<byte[]> Base64List(SppsFile file, JObject obj, string name)
    {
        var token = Required(file, obj, name);
        if (token is not JArray array) throw Invalid(file, token, name, "an array of base64 strings");
        return array.Select(item =>
        {
            try { return Convert.FromBase64String(item.Type == JTokenType.String ? (string)item! : throw new FormatException()); }
            catch (FormatException) { throw Invalid(file, item, name + "[]", "base64 data"); }
        }).ToList();
    }

    public static string Hex(SppsFile file, JObject obj, string name, int bytes)
    {
        var text = String(file, obj, name);
        return text.Length == bytes * 2 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f')
            ? text
            : throw Invalid(file, obj[name], name, $"{bytes * 2} lower-case hex digits");
    }

    public static Domain.TicketId TicketId(SppsFile file, JObject obj, string name) =>
        Domain.TicketId.TryParse(String(file, obj, name), out var id) ? id : throw Invalid(file, obj[name], name, "a hex ticket ID");

    public static Domain.KeyMode KeyMode(SppsFile file, JObject obj, string name) =>
        Domain.KeyMode.TryParse(String(file, obj, name), out var mode) && mode.Name == (string?)obj[name] ? mode : throw Invalid(file, obj[name], name, "KFPE, KFP or DFK");

    public static JObject Object(SppsFile file, JObject obj, string name) =>
        Required(file, obj, name) as JObject ?? throw Invalid(file, obj[name], name, "an object");

    public static IEnumerable<JObject> Objects(SppsFile file, JObject obj, string name)
    {
        var token = Required(file, obj, name);
        if (token is not JArray array) throw Invalid(file, token, name, "an array");
        foreach (var item in array)
            yield return item as JObject ?? throw Invalid(file, item, name + "[]", "an object");
    }

    public static void ExpectVersion(SppsFile file, int supported)
    {
        var version = Long(file, file.Header, "version", min: 1);
        if (version != supported)
            throw new SppsException(ErrorCodes.UnsupportedVersion, $"{file.Kind} format version {version} is not supported (this version reads {supported}).", file.Where(file.Header["version"]));
    }

    public static SppsException Invalid(SppsFile file, JToken? token, string name, string expected) =>
        new(ErrorCodes.InvalidField, $"Field '{name}' must be {expected}.", file.Where(token));
}
