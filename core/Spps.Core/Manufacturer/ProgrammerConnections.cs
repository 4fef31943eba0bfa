using Spps.Contracts.Programmers;
using Spps.Core.Domain;
using Spps.Core.Site;

namespace Spps.Core.Manufacturer;

/// <summary>
/// Programmer connections of a station: <c>NAME:ARGUMENT</c> each (sim:DIR, openocd:CONFIG.cfg,
/// openocd-rpc:HOST:PORT, ftdi:...). Several are separated by ';' or new lines, or listed one per line in
/// a file named with '@' (<c>@sites.txt</c>; '#' starts a comment). Every connection is a site of gang
/// programming: one that cannot be opened is that site's failure, the others go on.
/// </summary>
public static class ProgrammerConnections
{
    /// <summary>The connections a list names, in order.</summary>
    public static IReadOnlyList<string> Parse(string list, SppsEnvironment env, SourceLocation? at)
    {
        var result = new List<string>();
        foreach (var entry in list.Split([';', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!entry.StartsWith('@'))
            {
                result.Add(entry);
                continue;
            }
            var path = env.Resolve(entry[1..]);
            if (!File.Exists(path)) throw new SppsException(ErrorCodes.FileNotFound, $"Programmer list {path} does not exist.", at);
            result.AddRange(File.ReadAllLines(path).Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0));
        }
        return result.Count > 0 ? result : throw new SppsException(ErrorCodes.ProgrammerInvalid, $"'{list}' names no programmer.", at);
    }

    /// <summary>The plugin a connection names and its argument (a folder or file resolved against the working directory).</summary>
    public static (IProgrammerProvider Provider, string Argument) Resolve(SppsEnvironment env, string connection, SourceLocation? at)
    {
        var colon = connection.IndexOf(':');
        if (colon <= 0) throw new SppsException(ErrorCodes.ProgrammerInvalid, $"'{connection}' is not a programmer connection: write NAME:ARGUMENT, e.g. sim:./boards.", at);
        var provider = env.Plugins.ProgrammerProvider(connection[..colon]);
        var argument = connection[(colon + 1)..];
        var local = env.Resolve(argument);
        return (provider, provider.Name == "sim" || File.Exists(local) ? local : argument);
    }

    /// <summary>Opens every connection; the ports found, and one failed result per site that could not be opened.</summary>
    public static (IReadOnlyList<IJtagPort> Ports, IReadOnlyList<BoardResult> Failures, string Names) Open(
        SppsEnvironment env, string list, ProgrammingAction action, SourceLocation? at = null)
    {
        var connections = Parse(list, env, at);
        var ports = new List<IJtagPort>();
        var failures = new List<BoardResult>();
        var names = new List<string>();
        foreach (var connection in connections)
        {
            var (provider, argument) = Resolve(env, connection, at);
            names.Add(provider.Name);
            try
            {
                ports.AddRange(provider.Discover(argument));
            }
            catch (ProgrammerException e) when (connections.Count > 1)
            {
                failures.Add(new BoardResult(connection, null, action, false, e.Message, e.Code, null));
            }
            catch (ProgrammerException)
            {
                foreach (var port in ports) port.Dispose();
                throw;
            }
        }
        return (ports, failures, string.Join(", ", names.Distinct()));
    }
}
