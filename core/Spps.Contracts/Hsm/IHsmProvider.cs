namespace Spps.Contracts.Hsm;

/// <summary>
/// Entry point of an HSM plugin. The host finds the one public implementation in the plugin assembly,
/// matches it by <see cref="Name"/>, and asks it to open an HSM named by a locator string.
/// </summary>
public interface IHsmProvider
{
    /// <summary>Short name used to select the plugin, e.g. <c>software</c> or <c>pkcs11</c>.</summary>
    string Name { get; }

    /// <summary>True when this provider understands the locator (an instance name, a <c>pkcs11:</c> URI, ...).</summary>
    bool CanOpen(string locator);

    /// <summary>Opens (and, where <see cref="HsmOpenOptions.CreateIfMissing"/> allows, creates) an HSM.</summary>
    /// <exception cref="HsmException">The HSM cannot be reached, unlocked or created.</exception>
    IHsm Open(HsmOpenOptions options);
}
