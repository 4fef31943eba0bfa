using System.Reflection;
using McMaster.NETCore.Plugins;
using Newtonsoft.Json.Linq;
using Spps.Contracts.Hsm;
using Spps.Contracts.Programmers;

namespace Spps.Core.Plugins;

/// <summary>
/// Finds plugins by their <c>spps-plugin.json</c> and loads each into its own load context, sharing only
/// the contract assembly. Folders searched, in order: every entry of <c>SPPS_PLUGIN_PATH</c>, then
/// <c>plugins/</c> beside the host executable.
/// </summary>
public sealed class PluginCatalog
{
    public const string ManifestFileName = "spps-plugin.json";
    private static readonly Type[] SharedTypes = [typeof(IHsmProvider), typeof(IProgrammerProvider), typeof(IVirtualBoardFarm)];
    private readonly Dictionary<string, object> _loaded = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<PluginEntry> _entries;

    public PluginCatalog(IEnumerable<string> searchRoots)
    {
        _entries = searchRoots.Where(Directory.Exists)
            .SelectMany(root => Directory.EnumerateFiles(root, ManifestFileName, SearchOption.AllDirectories))
            .Select(ReadEntry)
            .OfType<PluginEntry>()
            .ToList();
    }

    /// <summary>The plugin roots of a host: <paramref name="extra"/> (SPPS_PLUGIN_PATH, see SiteOptions), then plugins/ beside the program.</summary>
    public static PluginCatalog ForHost(string? extra, string? beside = null)
    {
        var roots = new List<string>();
        if (!string.IsNullOrEmpty(extra)) roots.AddRange(extra.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        roots.Add(beside ?? Path.Combine(AppContext.BaseDirectory, "plugins"));
        return new PluginCatalog(roots);
    }

    public IReadOnlyList<PluginEntry> Entries => _entries;

    public IHsmProvider HsmProvider(string name) => Load<IHsmProvider>("hsm", name);

    /// <summary>The HSM provider that understands a locator: an instance name or a <c>pkcs11:</c> URI.</summary>
    public IHsmProvider HsmProviderFor(string locator)
    {
        var wanted = locator.StartsWith("pkcs11:", StringComparison.OrdinalIgnoreCase) ? "pkcs11" : "software";
        var provider = HsmProvider(wanted);
        if (!provider.CanOpen(locator))
            throw new SppsException(ErrorCodes.HsmLocatorInvalid,
                $"'{locator}' names no HSM the '{wanted}' plugin can open. Use an instance name (letters, digits, '_', '.', '-') or a pkcs11: URI.");
        return provider;
    }

    public IProgrammerProvider ProgrammerProvider(string name) => Load<IProgrammerProvider>("programmer", name);

    private T Load<T>(string kind, string name) where T : class
    {
        var key = kind + "/" + name;
        lock (_loaded)
        {
            if (_loaded.TryGetValue(key, out var cached)) return (T)cached;
            var entry = _entries.FirstOrDefault(e => e.Kind == kind && string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new SppsException(ErrorCodes.PluginNotFound,
                    $"No {kind} plugin named '{name}'. Installed: {string.Join(", ", _entries.Where(e => e.Kind == kind).Select(e => e.Name).DefaultIfEmpty("none"))}. " +
                    "Plugins are folders with a spps-plugin.json under plugins/ beside the program or in SPPS_PLUGIN_PATH.");
            Assembly assembly;
            try
            {
                var loader = PluginLoader.CreateFromAssemblyFile(entry.AssemblyPath, SharedTypes, config => config.PreferSharedTypes = true);
                assembly = loader.LoadDefaultAssembly();
            }
            catch (Exception e) when (e is FileNotFoundException or BadImageFormatException or FileLoadException)
            {
                throw new SppsException(ErrorCodes.PluginNotFound, $"The {kind} plugin '{name}' at {entry.AssemblyPath} cannot be loaded: {e.Message}");
            }
            var type = assembly.GetExportedTypes().FirstOrDefault(t => typeof(T).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
                ?? throw new SppsException(ErrorCodes.PluginNotFound, $"{entry.AssemblyPath} has no public {typeof(T).Name}.");
            var instance = (T)Activator.CreateInstance(type)!;
            _loaded[key] = instance;
            return instance;
        }
    }

    private static PluginEntry? ReadEntry(string manifestPath)
    {
        try
        {
            var json = JObject.Parse(File.ReadAllText(manifestPath));
            var dir = Path.GetDirectoryName(manifestPath)!;
            var kind = (string?)json["kind"];
            var name = (string?)json["name"];
            var assembly = (string?)json["assembly"];
            if (kind is null || name is null || assembly is null) return null;
            return new PluginEntry(kind, name, Path.Combine(dir, assembly), (string?)json["description"] ?? "");
        }
        catch (Exception e) when (e is IOException or Newtonsoft.Json.JsonException)
        {
            return null;
        }
    }
}

/// <summary>One plugin found on disk.</summary>
public sealed record PluginEntry(string Kind, string Name, string AssemblyPath, string Description);
