using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Spps.Contracts.Hsm;
using Spps.Core;

namespace Spps.Build.Tasks;

/// <summary>Logs SPPS errors the way compilers do: <c>file(line,col): error SPPSnnnn: message</c>.</summary>
internal static class TaskLogging
{
    public static void Error(this TaskLoggingHelper log, SppsException e) =>
        log.LogError(null, e.Code, e.Code, e.Location?.File ?? "", e.Location?.Line ?? 0, e.Location?.Column ?? 0, 0, 0, e.Message);

    public static void Warning(this TaskLoggingHelper log, SppsException e) =>
        log.LogWarning(null, e.Code, e.Code, e.Location?.File ?? "", e.Location?.Line ?? 0, e.Location?.Column ?? 0, 0, 0, e.Message);

    public static void Say(this TaskLoggingHelper log, string line) => log.LogMessage(MessageImportance.High, line);

    public static void Detail(this TaskLoggingHelper log, string line) => log.LogMessage(MessageImportance.Normal, line);

    /// <summary>
    /// Runs a task body, turning the failures a user can meet into logged errors. Anything else is a bug
    /// and is logged with its type and message (never its data: no key bytes can be in an exception here).
    /// </summary>
    public static bool Run(this TaskLoggingHelper log, Action body)
    {
        try
        {
            body();
        }
        catch (SppsException e)
        {
            log.Error(e);
        }
        catch (Spps.Core.Commands.CommandFailedException e)
        {
            log.Error(e.Error);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Error(new SppsException(TaskErrorCodes.Unexpected, $"{e.GetType().Name}: {e.Message}"));
        }
        return !log.HasLoggedErrors;
    }
}
