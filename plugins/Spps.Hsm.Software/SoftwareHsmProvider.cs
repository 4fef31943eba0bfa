using Spps.Contracts.Hsm;

namespace Spps.Hsm.Software;

/// <summary>
/// The embedded default HSM: keys in an encrypted store under <c>SPPS_HOME/hsm/NAME/</c>.
/// For development and demos only — key bytes live in this process's memory while in use.
/// </summary>
public sealed class SoftwareHsmProvider : IHsmProvider
{
    public string Name => "software";

    public bool CanOpen(string locator) =>
        !locator.Contains(':') && SoftwareHsmStore.IsValidInstanceName(locator);

    public IHsm Open(HsmOpenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var store = SoftwareHsmStore.Open(options);
        return new SoftwareHsm(store);
    }
}
