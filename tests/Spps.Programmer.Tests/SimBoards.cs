using Newtonsoft.Json.Linq;
using Spps.Contracts.Programmers;
using Spps.Core.Plugins;

namespace Spps.Programmer.Tests;

/// <summary>Simulated boards made through the sim plugin as the station loads it.</summary>
public static class SimBoards
{
    public static IProgrammerProvider Plugin() => new PluginCatalog([Path.Combine(AppContext.BaseDirectory, "plugins")]).ProgrammerProvider("sim");

    /// <summary>One board of <paramref name="devices"/> devices in a new folder under <paramref name="root"/>: its file and DSNs, nearest TDO first.</summary>
    public static (string File, string[] Dsns) One(IProgrammerProvider sim, string root, int devices)
    {
        var dir = Path.Combine(root, "boards-" + Guid.NewGuid().ToString("N")[..6]);
        ((IJtagBoardSimulator)sim).CreateChainedBoards(dir, 1, devices, Path.Combine(root, "home"));
        var file = Directory.GetFiles(dir, "board-*.json").Single();
        var json = JObject.Parse(File.ReadAllText(file));
        return (file, devices == 1 ? [(string)json["dsn"]!] : ((JArray)json["chain"]!).Select(d => (string)d["dsn"]!).ToArray());
    }
}
