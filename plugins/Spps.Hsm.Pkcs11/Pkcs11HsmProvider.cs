using Spps.Contracts.Hsm;

namespace Spps.Hsm.Pkcs11;

/// <summary>
/// Opens PKCS#11 tokens named by RFC 7512 URIs, e.g.
/// <c>pkcs11:token=UHSM?module-path=/usr/lib/softhsm/libsofthsm2.so&amp;pin-source=file:/run/secrets/uhsm-pin</c>.
/// </summary>
public sealed class Pkcs11HsmProvider : IHsmProvider
{
    public string Name => "pkcs11";

    public bool CanOpen(string locator) => locator is not null && Pkcs11Uri.HasScheme(locator);

    public IHsm Open(HsmOpenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Pkcs11Hsm.Open(options);
    }
}
