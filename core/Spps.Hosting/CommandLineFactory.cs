using System.CommandLine;
using Newtonsoft.Json.Linq;
using Spps.Core;
using Spps.Core.Commands;
using Spps.Core.Site;

namespace Spps.Hosting;

/// <summary>
/// Builds one subcommand per script command, from the same specs the scripts use: <c>new_prog_data
/// -data_name X</c> in a script is <c>spps new-prog-data --data-name X</c> on the command line (the
/// script spelling works too). Commands that need an open project take <c>--project</c>.
/// </summary>
public static class CommandLineFactory
{
    public static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON document on stdout instead of text (notices still go to stderr)." };

    public static void AddScriptCommands(Command parent, Func<SppsEnvironment, CommandSet> open, string projectHelp) =>
        AddScriptCommands(parent, (env, _) => open(env), projectHelp);

    /// <summary>As above, for command sets that present through the host's output (e.g. live progress).</summary>
    public static void AddScriptCommands(Command parent, Func<SppsEnvironment, HostOutput, CommandSet> open, string projectHelp) =>
        AddScriptCommands(parent, (env, output, _) => open(env, output), projectHelp);

    /// <summary>As above, for command sets that stop cleanly on Ctrl-C or SIGTERM (the token is cancelled, the work in flight finishes).</summary>
    public static void AddScriptCommands(Command parent, Func<SppsEnvironment, HostOutput, CancellationToken, CommandSet> open, string projectHelp)
    {
        using var env = SppsEnvironment.FromProcess(_ => { });
        foreach (var spec in open(env, new HostOutput(true, TextWriter.Null, TextWriter.Null), CancellationToken.None).Commands)
            parent.Subcommands.Add(Build(spec, open, projectHelp));
    }

    /// <summary>
    /// How long Ctrl-C or SIGTERM waits for a command to stop by itself before the process ends anyway: long
    /// enough for the devices being programmed to finish, so none is left half-programmed.
    /// </summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromMinutes(10);

    /// <summary>Runs a command body with the host's error handling and output conventions.</summary>
    public static int Run(bool json, string commandName, Func<SppsEnvironment, HostOutput, CommandResult> body)
    {
        var output = new HostOutput(json, Console.Out, Console.Error);
        try
        {
            using var env = SppsEnvironment.FromProcess(output.Notice);
            var result = body(env, output);
            if (json)
                output.JsonDocument(new JObject { ["ok"] = !result.Failed, ["command"] = commandName, ["data"] = result.Data, ["messages"] = new JArray(result.Lines) });
            else
                output.Result(result);
            return result.Failed ? ExitCodes.ValidationFailed : ExitCodes.Success;
        }
        catch (CommandFailedException failed)
        {
            if (!json) output.Result(failed.Result);
            return output.Error(failed.Error, failed.Result, commandName);
        }
        catch (SppsException e)
        {
            return output.Error(e, command: commandName);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return output.Internal(e);
        }
    }

    /// <summary>Parses and invokes; a parse error is a usage error (exit 2) with the code of what is wrong, and a "did you mean".</summary>
    public static int Invoke(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count == 0) return parse.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = StopGrace });
        var error = ParseError(parse);
        Console.Error.WriteLine(error.ToString());
        Console.Error.WriteLine($"Run '{root.Name} --help' (or '{root.Name} COMMAND --help') for usage.");
        return ExitCodes.For(error.Code);
    }

    /// <summary>Says what is wrong with a command line, from the parse's typed results (never from its message text).</summary>
    public static SppsException ParseError(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var name = command.Name;
        if (parse.UnmatchedTokens.FirstOrDefault() is { } token)
        {
            if (token.StartsWith('-'))
                return new SppsException(ErrorCodes.UnknownOption, $"'{name}' has no option {token}.{Suggestions.DidYouMean(token, command.Options.Select(o => o.Name))}");
            if (command.Subcommands.Count > 0)
                return new SppsException(ErrorCodes.UnknownCommand, $"'{token}' is not a command of '{name}'.{Suggestions.DidYouMean(token, command.Subcommands.Select(c => c.Name))}");
        }
        var missing = command.Options.Where(o => o.Required && parse.GetResult(o) is null or { Implicit: true }).Select(o => o.Name).ToList();
        if (missing.Count > 0)
            return new SppsException(ErrorCodes.MissingOption, $"'{name}' needs {string.Join(", ", missing)}.");
        return new SppsException(ErrorCodes.InvalidOptionValue, string.Join(" ", parse.Errors.Select(e => e.Message)));
    }

    private static Command Build(CommandSpec spec, Func<SppsEnvironment, HostOutput, CancellationToken, CommandSet> open, string projectHelp)
    {
        var command = new Command(spec.Name.Replace('_', '-'), spec.Summary);
        if (spec.Name.Contains('_')) command.Aliases.Add(spec.Name);
        var json = JsonOption();
        command.Options.Add(json);
        Option<string>? project = null;
        if (spec.NeedsProject)
        {
            project = new Option<string>("--project", "-project") { Description = projectHelp, Required = true };
            command.Options.Add(project);
        }
        var options = new List<(OptionSpec Spec, Option Option)>();
        foreach (var o in spec.Options)
        {
            var dashed = "--" + o.Name.Replace('_', '-');
            Option option = o.IsFlag
                ? new Option<bool>(dashed, "-" + o.Name) { Description = o.Help }
                : new Option<string>(dashed, "-" + o.Name) { Description = o.Help, Required = o.Required };
            command.Options.Add(option);
            options.Add((o, option));
        }
        // Task.Run: the invocation must be under way when Ctrl-C arrives, or System.CommandLine ends the process at once.
        command.SetAction((parse, cancel) => Task.Run(() => Run(parse.GetValue(json), spec.Name, (env, output) =>
        {
            var set = open(env, output, cancel);
            var values = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var (o, option) in options)
            {
                if (option is Option<bool> flag) { if (parse.GetValue(flag)) values[o.Name] = null; }
                else if (parse.GetValue((Option<string>)option) is { } value) values[o.Name] = value;
            }
            if (project is not null) set.Execute("open_project", new Dictionary<string, string?> { ["project"] = parse.GetValue(project) });
            var result = set.Execute(spec.Name, values);
            if (project is not null) set.Execute("close_project", new Dictionary<string, string?> { ["save"] = "TRUE" });
            if (set is IDisposable disposable) disposable.Dispose();
            return result;
        }), CancellationToken.None));
        return command;
    }
}
