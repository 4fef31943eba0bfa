using Spps.Core.Commands;
using Spps.Core.Plugins;
using Spps.Core.Site;

namespace Spps.Core.Tests;

/// <summary>Real command sets over a throw-away SPPS_HOME, with no plugins (parsing needs none).</summary>
public sealed class CommandSessions : IDisposable
{
    private readonly TempDir _home = new();
    private readonly SppsEnvironment _env;

    public CommandSessions()
    {
        _env = new SppsEnvironment(new SiteOptions(_home.Path, null, null), _home.Path, _ => null, _ => { }, new PluginCatalog(Array.Empty<string>()));
        JobManager = new JobManagerCommands(_env);
        FlashPro = new FlashProCommands(_env);
    }

    public JobManagerCommands JobManager { get; }
    public FlashProCommands FlashPro { get; }

    /// <summary>The tutorial's OE scripts run in the Job Manager, its CM scripts in FlashPro Express.</summary>
    public CommandSet For(string script) => script.StartsWith("cm/", StringComparison.Ordinal) ? FlashPro : JobManager;

    public void Dispose()
    {
        FlashPro.Dispose();
        _env.Dispose();
        _home.Dispose();
    }
}
