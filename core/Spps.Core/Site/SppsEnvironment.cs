using Spps.Contracts.Hsm;
using Spps.Core.Plugins;

namespace Spps.Core.Site;

/// <summary>
/// Everything a command needs from its surroundings: the site's home folder (SPPS_HOME, default ~/.spps),
/// the working directory relative paths resolve against, environment variables, plugins and the
/// operator's message sink. One per process; HSMs opened through it are cached.
/// </summary>
public sealed class SppsEnvironment : IDisposable
{
    private readonly Dictionary<string, IHsm> _hsms = new(StringComparer.Ordinal);
    private readonly Func<string, string?> _variables;

    public SppsEnvironment(SiteOptions options, string workingDirectory, Func<string, string?> variables, Action<string> notice, PluginCatalog plugins)
    {
        Options = options;
        Home = options.Home;
        WorkingDirectory = Path.GetFullPath(workingDirectory);
        _variables = variables;
        Notice = notice;
        Plugins = plugins;
    }

    public SiteOptions Options { get; }
    public string Home { get; }
    public string WorkingDirectory { get; }
    public Action<string> Notice { get; }
    public PluginCatalog Plugins { get; }

    /// <summary>This process's site: options from the environment, overridden by <paramref name="options"/> when given.</summary>
    public static SppsEnvironment FromProcess(Action<string> notice, string? workingDirectory = null, SiteOptions? options = null)
    {
        options ??= SiteOptions.Resolve(Environment.GetEnvironmentVariable);
        return new SppsEnvironment(options, workingDirectory ?? Directory.GetCurrentDirectory(), Environment.GetEnvironmentVariable, notice,
            PluginCatalog.ForHost(options.PluginPath));
    }

    public string? Variable(string name) => _variables(name);

    public string Resolve(string path) => Path.GetFullPath(path, WorkingDirectory);

    public SiteSettings LoadSettings() => SiteSettings.Load(Home);

    /// <summary>Opens (creating on first use when a UUID is given) the HSM named by a locator.</summary>
    public IHsm OpenHsm(string locator, string? uuid, bool create)
    {
        lock (_hsms)
        {
            if (_hsms.TryGetValue(locator, out var open)) return open;
            var provider = Plugins.HsmProviderFor(locator);
            var hsm = provider.Open(new HsmOpenOptions(locator, uuid, Home, create, _variables, Notice));
            _hsms[locator] = hsm;
            return hsm;
        }
    }

    public void Dispose()
    {
        foreach (var hsm in _hsms.Values) hsm.Dispose();
        _hsms.Clear();
    }
}
