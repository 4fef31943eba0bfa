using Newtonsoft.Json.Linq;

namespace Spps.Core.Commands;

/// <summary>An option of a script command: <c>-name value</c>, or <c>-name</c> alone for a flag.</summary>
public sealed record OptionSpec(string Name, string Help, bool Required = false, bool IsFlag = false);

/// <summary>A command as scripts, the CLI and the MSBuild tasks know it.</summary>
public sealed record CommandSpec(string Name, string Summary, IReadOnlyList<OptionSpec> Options, Func<CommandCall, CommandResult> Run, bool NeedsProject = false);

/// <summary>What a command produced: lines for the terminal (and the log) and data for --json.</summary>
public sealed class CommandResult
{
    public List<string> Lines { get; } = new();
    public JObject Data { get; } = new();
    public bool Failed { get; set; }

    public CommandResult Say(string line) { Lines.Add(line); return this; }
}

/// <summary>One call of a command with its options (names without the dash).</summary>
public sealed class CommandCall(CommandSpec spec, IReadOnlyDictionary<string, string?> options, SourceLocation? location)
{
    public CommandSpec Spec { get; } = spec;
    public IReadOnlyDictionary<string, string?> Options { get; } = options;
    public SourceLocation? Location { get; } = location;

    public string Get(string name) =>
        Options.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v)
            ? v
            : throw new SppsException(ErrorCodes.MissingOption, $"{Spec.Name} needs -{name}.", Location);

    public string? Optional(string name) => Options.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v) ? v : null;

    public bool Flag(string name, bool fallback = false)
    {
        if (!Options.TryGetValue(name, out var v)) return fallback;
        if (v is null) return true;
        return v.Trim().ToUpperInvariant() switch
        {
            "" or "1" or "TRUE" or "YES" or "ON" => true,
            "0" or "FALSE" or "NO" or "OFF" => false,
            _ => throw new SppsException(ErrorCodes.InvalidOptionValue, $"-{name} takes TRUE or FALSE (or 1/0, YES/NO), not '{v}'.", Location),
        };
    }

    public long? Long(string name, long min, long max)
    {
        var text = Optional(name);
        if (text is null) return null;
        return long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new SppsException(ErrorCodes.InvalidOptionValue, $"-{name} must be a whole number from {min} to {max}, not '{text}'.", Location);
    }
}
