using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Core;

namespace Spps.Build.Tasks.Manifest;

/// <summary>Reads typed fields of a JSON object and reports every problem at the line and column of the token.</summary>
internal sealed class JsonFields(string file)
{
    public string File { get; } = file;

    public SourceLocation At(JToken? token) =>
        token is IJsonLineInfo info && info.HasLineInfo() ? new SourceLocation(File, info.LineNumber, info.LinePosition) : new SourceLocation(File, 1, 1);

    public static JObject Parse(string path)
    {
        string text;
        try
        {
            text = System.IO.File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SppsException(TaskErrorCodes.ManifestFileNotFound, $"Cannot read the job manifest: {e.Message}", new SourceLocation(path));
        }
        try
        {
            using var reader = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None };
            var token = JToken.ReadFrom(reader, new JsonLoadSettings { LineInfoHandling = LineInfoHandling.Load, DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error, CommentHandling = CommentHandling.Ignore });
            if (reader.Read() && reader.TokenType != JsonToken.Comment)
                throw new SppsException(TaskErrorCodes.ManifestSyntax, "Unexpected text after the manifest's closing '}'.", new SourceLocation(path, reader.LineNumber, reader.LinePosition));
            return token as JObject ?? throw new SppsException(TaskErrorCodes.ManifestSyntax, "A job manifest is a JSON object ({ ... }).", new JsonFields(path).At(token));
        }
        catch (JsonReaderException e)
        {
            var message = e.Message.Split(" Path '")[0].TrimEnd('.', ',');
            throw new SppsException(TaskErrorCodes.ManifestSyntax, $"The manifest is not valid JSON: {message}.", new SourceLocation(path, Math.Max(e.LineNumber, 1), Math.Max(e.LinePosition, 1)));
        }
    }

    /// <summary>Rejects fields a manifest does not define, so a typo is an error rather than a silent default.</summary>
    public void Only(JObject obj, string what, params string[] allowed)
    {
        foreach (var property in obj.Properties())
            if (!allowed.Contains(property.Name, StringComparer.Ordinal))
                throw new SppsException(TaskErrorCodes.ManifestUnknownField,
                    $"Unknown field '{property.Name}' in {what}. Allowed: {string.Join(", ", allowed.Where(a => a != "$schema"))}.", At(property));
    }

    public JToken Required(JObject obj, string name, string what) =>
        obj[name] is { Type: not JTokenType.Null } token ? token
            : throw new SppsException(TaskErrorCodes.ManifestMissingField, $"{what} needs the field '{name}'.", At(obj));

    public string String(JObject obj, string name, string what)
    {
        var token = Required(obj, name, what);
        return token.Type == JTokenType.String && !string.IsNullOrWhiteSpace((string?)token)
            ? ((string)token!).Trim()
            : throw new SppsException(TaskErrorCodes.ManifestInvalidValue, $"'{name}' of {what} must be a non-empty string.", At(token));
    }

    public string? OptionalString(JObject obj, string name, string what) =>
        obj[name] is { Type: not JTokenType.Null } ? String(obj, name, what) : null;

    public bool OptionalBool(JObject obj, string name, string what, bool fallback)
    {
        if (obj[name] is not { Type: not JTokenType.Null } token) return fallback;
        return token.Type == JTokenType.Boolean ? (bool)token
            : throw new SppsException(TaskErrorCodes.ManifestInvalidValue, $"'{name}' of {what} must be true or false.", At(token));
    }

    public long? OptionalInteger(JObject obj, string name, string what, long min, long max)
    {
        if (obj[name] is not { Type: not JTokenType.Null } token) return null;
        return token.Type == JTokenType.Integer && (long)token >= min && (long)token <= max ? (long)token
            : throw new SppsException(TaskErrorCodes.ManifestInvalidValue, $"'{name}' of {what} must be a whole number from {min} to {max}.", At(token));
    }

    public string Choice(JObject obj, string name, string what, string fallback, params string[] choices)
    {
        var text = OptionalString(obj, name, what) ?? fallback;
        var match = choices.FirstOrDefault(c => c.Equals(text, StringComparison.OrdinalIgnoreCase));
        return match ?? throw new SppsException(TaskErrorCodes.ManifestInvalidValue, $"'{name}' of {what} must be {string.Join(", ", choices)}, not '{text}'.", At(obj[name]));
    }

    public IReadOnlyList<JObject> Objects(JObject obj, string name, string what, bool required)
    {
        if (obj[name] is not { Type: not JTokenType.Null } token)
            return required ? throw new SppsException(TaskErrorCodes.ManifestMissingField, $"{what} needs the field '{name}' (a list).", At(obj)) : [];
        if (token is not JArray array)
            throw new SppsException(TaskErrorCodes.ManifestInvalidValue, $"'{name}' of {what} must be a list ([ ... ]).", At(token));
        if (required && array.Count == 0)
            throw new SppsException(TaskErrorCodes.ManifestMissingField, $"'{name}' of {what} must list at least one entry.", At(token));
        return array.Select(item => item as JObject ?? throw new SppsException(TaskErrorCodes.ManifestInvalidValue, $"Each entry of '{name}' must be an object ({{ ... }}).", At(item))).ToList();
    }

    public JObject Object(JObject obj, string name, string what) =>
        Required(obj, name, what) as JObject ?? throw new SppsException(TaskErrorCodes.ManifestInvalidValue, $"'{name}' of {what} must be an object ({{ ... }}).", At(obj[name]));

    public IReadOnlyList<string>? OptionalStrings(JObject obj, string name, string what)
    {
        if (obj[name] is not { Type: not JTokenType.Null } token) return null;
        if (token is not JArray array || array.Any(t => t.Type != JTokenType.String || string.IsNullOrWhiteSpace((string?)t)))
            throw new SppsException(TaskErrorCodes.ManifestInvalidValue, $"'{name}' of {what} must be a list of non-empty strings.", At(token));
        return array.Select(t => ((string)t!).Trim()).ToList();
    }
}
