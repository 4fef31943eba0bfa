namespace Spps.Core.Commands;

/// <summary>
/// A set of commands sharing one session (the open project). Checks options against each command's
/// spec before running it, so an unknown or missing option is an error with the script's file:line.
/// </summary>
public abstract class CommandSet
{
    private readonly List<string> _log = new();

    /// <summary>Everything the host printed in this session (FlashPro Express's save_log writes it).</summary>
    public IReadOnlyList<string> Log => _log;

    public void Record(string line) => _log.Add(line);

    public abstract string ToolName { get; }
    public abstract IReadOnlyList<CommandSpec> Commands { get; }

    public CommandSpec? Find(string name) => Commands.FirstOrDefault(c => c.Name == name);

    public CommandResult Execute(string name, IReadOnlyDictionary<string, string?> options, SourceLocation? location = null)
    {
        var spec = Find(name) ?? throw UnknownCommand(name, location);
        foreach (var given in options.Keys)
            if (spec.Options.All(o => o.Name != given))
                throw UnknownOption(spec, given, location);
        foreach (var required in spec.Options.Where(o => o.Required))
            if (!options.TryGetValue(required.Name, out var v) || string.IsNullOrEmpty(v))
                throw new SppsException(ErrorCodes.MissingOption, $"{name} needs -{required.Name} ({required.Help}).", location);
        try
        {
            return spec.Run(new CommandCall(spec, options, location));
        }
        catch (SppsException e) when (e.Location is null && location is not null)
        {
            throw e.At(location);
        }
    }

    private SppsException UnknownCommand(string name, SourceLocation? location) =>
        new(ErrorCodes.UnknownCommand, $"'{name}' is not a {ToolName} command.{Suggestions.DidYouMean(name, Commands.Select(c => c.Name))} Commands: {string.Join(", ", Commands.Select(c => c.Name))}.", location);

    private static SppsException UnknownOption(CommandSpec spec, string option, SourceLocation? location) =>
        new(ErrorCodes.UnknownOption, $"{spec.Name} has no option -{option}.{Suggestions.DidYouMean(option, spec.Options.Select(o => o.Name))} Options: {string.Join(" ", spec.Options.Select(o => "-" + o.Name))}.", location);

    /// <summary>Turns a script command's words into options by its spec (flags take no value).</summary>
    public Dictionary<string, string?> ParseOptions(ScriptCommand command)
    {
        var spec = Find(command.Name) ?? throw UnknownCommand(command.Name, command.Location);
        var options = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < command.Arguments.Count; i++)
        {
            var word = command.Arguments[i];
            var where = command.Location with { Line = word.Line };
            if (!word.Text.StartsWith('-') || word.Text.Length < 2)
                throw new SppsException(ErrorCodes.ScriptSyntax, $"Expected an option (-name) but found '{word.Text}'.", where);
            var name = word.Text[1..];
            var option = spec.Options.FirstOrDefault(o => o.Name == name)
                ?? throw UnknownOption(spec, name, where);
            if (options.ContainsKey(name))
                throw new SppsException(ErrorCodes.ScriptSyntax, $"-{name} is given twice.", where);
            if (option.IsFlag && (i + 1 >= command.Arguments.Count || command.Arguments[i + 1].Text.StartsWith('-') && command.Arguments[i + 1].Text.Length > 1 && !char.IsDigit(command.Arguments[i + 1].Text[1])))
            {
                options[name] = null;
                continue;
            }
            if (i + 1 >= command.Arguments.Count)
                throw new SppsException(ErrorCodes.MissingOption, $"-{name} needs a value ({option.Help}).", where);
            options[name] = command.Arguments[++i].Text;
        }
        return options;
    }
}
