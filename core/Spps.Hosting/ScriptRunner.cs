using Spps.Core;
using Spps.Core.Commands;
using Spps.Core.Site;

namespace Spps.Hosting;

/// <summary>
/// Runs a Tcl script of Job Manager or FlashPro Express commands. Paths in it resolve against the
/// current directory. The first failing command stops the script; its line is named, and the exit
/// code says why (see <see cref="ExitCodes"/>).
/// </summary>
public static class ScriptRunner
{
    /// <summary>
    /// What a host's <c>script</c> command does: opens this site, runs the script with the command set
    /// <paramref name="open"/> makes, and turns every failure into a coded error and an exit code.
    /// </summary>
    public static int RunHosted(string scriptPath, Func<SppsEnvironment, CommandSet> open, SiteOptions? options = null, Action<CommandSet, HostOutput>? onSuccess = null)
    {
        var output = new HostOutput(false, Console.Out, Console.Error);
        try
        {
            using var env = SppsEnvironment.FromProcess(output.Notice, options: options);
            var commands = open(env);
            try
            {
                return Run(commands, scriptPath, output, onSuccess is null ? null : () => onSuccess(commands, output));
            }
            finally
            {
                (commands as IDisposable)?.Dispose();
            }
        }
        catch (SppsException e)
        {
            return output.Error(e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return output.Internal(e);
        }
    }

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
