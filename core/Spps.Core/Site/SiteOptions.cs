namespace Spps.Core.Site;

/// <summary>
/// A site's options, resolved once per process from the environment and the command line (an option
/// given on the command line wins, and never changes the process environment). The one place that knows
/// the variable names and defaults.
/// </summary>
/// <param name="Home">The site's state folder: SPPS_HOME, default ~/.spps.</param>
/// <param name="Programmer">The programmer connection for production: --programmer, else SPPS_PROGRAMMER.</param>
/// <param name="PluginPath">Extra plugin folders: SPPS_PLUGIN_PATH.</param>
public sealed record SiteOptions(string Home, string? Programmer, string? PluginPath)
{
    public const string HomeVariable = "SPPS_HOME";
    public const string ProgrammerVariable = "SPPS_PROGRAMMER";
    public const string PluginPathVariable = "SPPS_PLUGIN_PATH";

    /// <summary>The default state folder when SPPS_HOME is not set.</summary>
    public static string DefaultHome => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".spps");

    public static SiteOptions Resolve(Func<string, string?> variables, string? programmer = null, string? home = null) => new(
        Path.GetFullPath(NonEmpty(home) ?? NonEmpty(variables(HomeVariable)) ?? DefaultHome),
        NonEmpty(programmer) ?? NonEmpty(variables(ProgrammerVariable)),
        NonEmpty(variables(PluginPathVariable)));

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
