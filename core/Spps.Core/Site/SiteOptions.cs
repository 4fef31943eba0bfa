namespace Spps.Core.Site;

/// <summary>
/// A site's options, resolved once per process from the environment and the command line (an option
/// given on the command line wins, and never changes the process environment). The one place that knows
/// the variable names and defaults.
/// </summary>
/// <param name="Home">The site's state folder: SPPS_HOME, default ~/.spps.</param>
/// <param name="Programmer">The programmer connection for production: --programmer, else SPPS_PROGRAMMER.</param>
/// <param name="PluginPath">Extra plugin folders: SPPS_PLUGIN_PATH.</param>
/// <param name="Mhsm">The M-HSM service address(es), comma-separated for failover: --mhsm, else SPPS_MHSM.</param>
/// <param name="MhsmCredentials">The folder of this station's TLS files for an https service: SPPS_MHSM_CREDENTIALS.</param>
/// <param name="Ledger">An Npgsql connection string putting the M-HSM's ledger in PostgreSQL: SPPS_LEDGER (else the file).</param>
/// <param name="SimVendorHome">The home of the simulated silicon vendor, a third party outside SPPS_HOME: SPPS_SIM_VENDOR, default ~/.spps-sim-vendor.</param>
/// <param name="SiliconVendors">
/// The silicon vendors the OE's jobs name, each a folder of the certificates it publishes (root.cer,
/// dfk-signer.cer): SPPS_SILICON_VENDORS, comma-separated. Empty: the simulated vendor.
/// </param>
public sealed record SiteOptions(string Home, string? Programmer, string? PluginPath,
    string? Mhsm = null, string? MhsmCredentials = null, string? Ledger = null, string? SimVendorHome = null, IReadOnlyList<string>? SiliconVendors = null)
{
    public const string HomeVariable = "SPPS_HOME";
    public const string ProgrammerVariable = "SPPS_PROGRAMMER";
    public const string PluginPathVariable = "SPPS_PLUGIN_PATH";
    public const string MhsmVariable = "SPPS_MHSM";
    public const string MhsmCredentialsVariable = "SPPS_MHSM_CREDENTIALS";
    public const string LedgerVariable = "SPPS_LEDGER";
    public const string SimVendorVariable = "SPPS_SIM_VENDOR";
    public const string SiliconVendorsVariable = "SPPS_SILICON_VENDORS";

    /// <summary>The default state folder when SPPS_HOME is not set.</summary>
    public static string DefaultHome => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".spps");

    /// <summary>The simulated silicon vendor's home when SPPS_SIM_VENDOR is not set.</summary>
    public static string DefaultSimVendor => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".spps-sim-vendor");

    public string SimVendor => SimVendorHome ?? DefaultSimVendor;

    public static SiteOptions Resolve(Func<string, string?> variables, string? programmer = null, string? home = null, string? mhsm = null) => new(
        Path.GetFullPath(NonEmpty(home) ?? NonEmpty(variables(HomeVariable)) ?? DefaultHome),
        NonEmpty(programmer) ?? NonEmpty(variables(ProgrammerVariable)),
        NonEmpty(variables(PluginPathVariable)),
        NonEmpty(mhsm) ?? NonEmpty(variables(MhsmVariable)),
        NonEmpty(variables(MhsmCredentialsVariable)),
        NonEmpty(variables(LedgerVariable)),
        NonEmpty(variables(SimVendorVariable)) is { } vendor ? Path.GetFullPath(vendor) : null,
        NonEmpty(variables(SiliconVendorsVariable))?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Path.GetFullPath).ToList() ?? []);

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
