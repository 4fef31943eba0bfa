using Spps.Core.Plugins;

namespace Spps.Hsm.Conformance.Tests;

/// <summary>
/// One catalog for the whole test run: each plugin loads once, as in the host, so the PKCS#11 module is
/// initialized once per process.
/// </summary>
internal static class Plugins
{
    private static readonly Lazy<PluginCatalog> Shared = new(() => PluginCatalog.ForHost(null));

    public static PluginCatalog Catalog => Shared.Value;
}
