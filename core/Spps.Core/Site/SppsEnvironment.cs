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

    public SppsEnvironment(string home, string workingDirectory, Func<string, string?> variables, Action<string> notice, PluginCatalog plugins)
    {
        Home = Path.GetFullPath(home);
        WorkingDirectory = Path.GetFullPath(workingDirectory);
        _variables = variables;
        Notice = notice;
        Plugins = plugins;
    }

    public string Home { get; }
    public string WorkingDirectory { get; }
    public Action<string> Notice { get; }
    public PluginCatalog Plugins { get; }

    public static SppsEnvironment FromProcess(Action<string> notice, string? workingDirectory = null)
    {
        var home = Environment.GetEnvironmentVariable("SPPS_HOME");
        if (string.IsNullOrEmpty(home))
            home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".spps");
        return new SppsEnvironment(home, workingDirectory ?? Directory.GetCurrentDirectory(), Environment.GetEnvironmentVariable, notice,
            PluginCatalog.ForHost(Environment.GetEnvironmentVariable));
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
