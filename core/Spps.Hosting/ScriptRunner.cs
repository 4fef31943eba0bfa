using Spps.Core;
using Spps.Core.Commands;

namespace Spps.Hosting;

/// <summary>
/// Runs a Tcl script of Job Manager or FlashPro Express commands. Paths in it resolve against the
/// current directory. The first failing command stops the script; its line is named, and the exit
/// code says why (see <see cref="ExitCodes"/>).
/// </summary>
public static class ScriptRunner
{
    public static int Run(CommandSet commands, string scriptPath, HostOutput output, Action? onSuccess = null)
    {
        string text;
        try { text = File.ReadAllText(scriptPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return output.Error(new SppsException(ErrorCodes.FileNotFound, $"Cannot read script {scriptPath}: {e.Message}"));
        }
        output.LogSink = commands.Record;
        var display = Path.GetRelativePath(Directory.GetCurrentDirectory(), Path.GetFullPath(scriptPath));
        try
        {
            foreach (var command in TclScript.Parse(text, display))
            {
                var options = commands.ParseOptions(command);
                try
                {
                    output.Result(commands.Execute(command.Name, options, command.Location));
                }
                catch (CommandFailedException failed)
                {
                    output.Result(failed.Result);
                    throw failed.Error;
                }
                output.Line($"The '{command.Name}' command succeeded.");
            }
            onSuccess?.Invoke();
            output.Line("The Execute Script command succeeded.");
            return ExitCodes.Success;
        }
        catch (SppsException e)
        {
            var code = output.Error(e);
            output.Notice("The Execute Script command failed.");
            return code;
        }
    }
}
