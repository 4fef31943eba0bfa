using Spps.Core;
using Spps.Core.Identifiers;
using Spps.Core.Plugins;
using Spps.Core.Site;

namespace Spps.Build.Tasks;

/// <summary>
/// The OE site a build works as: SPPS_HOME and the U-HSM (locator and UUIDs of set_hsm_params).
/// Properties override the site's saved set_hsm_params; without either, the embedded software HSM.
/// Secrets never come from here: they are read by the HSM plugins from environment variables or files.
/// </summary>
public sealed record UserHsmOptions(string Home, string Locator, string Uuid, string MasterUuid)
{
    public const string DefaultLocator = "spps-build";
    public const string DefaultUuid = "1";
    public const string DefaultMasterUuid = "30";

    public static UserHsmOptions Resolve(string? homeProperty, string? locatorProperty, string? uuidProperty, string? masterProperty)
    {
        var home = SiteOptions.Resolve(Environment.GetEnvironmentVariable, home: homeProperty).Home;
        var saved = SiteSettings.Load(home).JobManager;
        var locator = NonEmpty(locatorProperty) ?? saved?.HsmServerName ?? DefaultLocator;
        if (locator.Contains("pin-value", StringComparison.OrdinalIgnoreCase))
            throw new SppsException(TaskErrorCodes.SecretInProperty,
                "SppsUserHsm contains a pin-value: properties end up in build logs and binlogs. Use pin-source=file:/path in the URI, or the SPPS_PKCS11_PIN environment variable from your CI secret store.");
        return new UserHsmOptions(home, locator,
            UuidOf(uuidProperty, saved?.UHsmUuid, DefaultUuid, "SppsUserHsmUuid"),
            UuidOf(masterProperty, saved?.UMasterHsmUuid, DefaultMasterUuid, "SppsUserMasterKeyUuid"));
    }

    /// <summary>The environment a task runs the Job Manager commands in; plugins come from the task's own folder.</summary>
    public SppsEnvironment OpenEnvironment(string workingDirectory, Action<string> notice)
    {
        var options = SiteOptions.Resolve(Environment.GetEnvironmentVariable, home: Home);
        // Inside MSBuild, AppContext.BaseDirectory is MSBuild's folder; the plugins ship beside this assembly.
        var plugins = PluginCatalog.ForHost(options.PluginPath, Path.Combine(Path.GetDirectoryName(typeof(UserHsmOptions).Assembly.Location)!, "plugins"));
        return new SppsEnvironment(options, workingDirectory, Environment.GetEnvironmentVariable, notice, plugins);
    }

    private static string UuidOf(string? property, string? saved, string fallback, string name)
    {
        if (NonEmpty(property) is not { } text) return saved ?? fallback;
        return HsmUuid.TryNormalize(text, out var normal) ? normal
            : throw new SppsException(TaskErrorCodes.HsmPropertyInvalid, $"{name} must be a UUID in hex, not '{text}'.");
    }

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
