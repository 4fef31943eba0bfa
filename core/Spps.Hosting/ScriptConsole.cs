using Spps.Core;
using Spps.Core.Commands;

namespace Spps.Hosting;

/// <summary>
/// <c>script -</c> on a terminal: the seed's Tcl console. Reads one command at a time (a line ending in a
/// backslash, or with a brace still open, continues on the next), runs it at once and prints its result;
/// an error is printed and the session goes on. <c>exit</c> or end of input (Ctrl-D) ends it.
/// When standard input is not a terminal, <c>script -</c> runs it as one script instead (see <see cref="ScriptRunner"/>).
/// </summary>
public static class ScriptConsole
{
    public const string StandardInput = "-";
    public const string StandardInputName = "<stdin>";

    public static int Interactive(CommandSet commands, HostOutput output, TextReader input)
    {
        output.LogSink = commands.Record;
        output.Notice($"{commands.ToolName} console: type a command (e.g. {commands.Commands[0].Name} ...), 'help' for the list, 'exit' or Ctrl-D to leave.");
        var last = ExitCodes.Success;
        var line = 0;
        while (true)
        {
            var pending = "";
            string? text;
            Console.Error.Write("% ");
            while ((text = input.ReadLine()) is not null)
            {
                line++;
                pending += text + "\n";
                if (!Continues(pending)) break;
                Console.Error.Write("> ");
            }
            if (text is null && pending.Trim().Length == 0) return last;
            var trimmed = pending.Trim();
            if (trimmed.Length == 0) continue;
            if (trimmed is "exit" or "quit") return last;
            if (trimmed == "help")
            {
                foreach (var spec in commands.Commands) output.Line($"  {spec.Name,-28} {spec.Summary}");
                continue;
            }
            last = RunOne(commands, pending, line, output);
            if (text is null) return last;
        }
    }

    private static int RunOne(CommandSet commands, string text, int line, HostOutput output)
    {
        try
        {
            foreach (var command in TclScript.Parse(text, StandardInputName))
            {
                var located = command with { Location = command.Location with { Line = line } };
                try
                {
                    output.Result(commands.Execute(located.Name, commands.ParseOptions(located), located.Location));
                }
                catch (CommandFailedException failed)
                {
                    output.Result(failed.Result);
                    throw failed.Error;
                }
                output.Line($"The '{command.Name}' command succeeded.");
            }
            return ExitCodes.Success;
        }
        catch (SppsException e)
        {
            return output.Error(e);
        }
    }

    /// <summary>True while the command typed so far goes on: a trailing backslash or an open brace or quote.</summary>
    private static bool Continues(string text)
    {
        var body = text.TrimEnd('\n', '\r');
        if (body.EndsWith('\\')) return true;
        var depth = 0;
        var quoted = false;
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c == '\\') { i++; continue; }
            if (quoted) { if (c == '"') quoted = false; continue; }
            if (c == '"' && depth == 0) quoted = true;
            else if (c == '{') depth++;
            else if (c == '}' && depth > 0) depth--;
        }
        return depth > 0 || quoted;
    }
}
