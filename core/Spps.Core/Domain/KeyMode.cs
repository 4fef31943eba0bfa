namespace Spps.Core.Domain;

/// <summary>
/// How the per-device key K_dev that wraps an authorization code is agreed (docs/protocol.md):
/// KFPE and KFP by ECDH with the device's certified key (KFPE adds a device ephemeral key), DFK from the
/// silicon vendor's diversified factory key. A closed set of objects that carry their own rules.
/// </summary>
public sealed class KeyMode : ClosedSet<KeyMode>
{
    public static readonly KeyMode Kfpe = new("KFPE", requiresDeviceCertificate: true, requiresDeviceEphemeral: true);
    public static readonly KeyMode Kfp = new("KFP", requiresDeviceCertificate: true, requiresDeviceEphemeral: false);
    public static readonly KeyMode Dfk = new("DFK", requiresDeviceCertificate: false, requiresDeviceEphemeral: false);

    public static IReadOnlyList<KeyMode> All { get; } = [Kfpe, Kfp, Dfk];

    /// <summary>The mode a bitstream gets when the OE names none.</summary>
    public static KeyMode Default => Kfpe;

    private KeyMode(string name, bool requiresDeviceCertificate, bool requiresDeviceEphemeral)
        : base(name)
    {
        RequiresDeviceCertificate = requiresDeviceCertificate;
        RequiresDeviceEphemeral = requiresDeviceEphemeral;
    }

    /// <summary>The device must present a certificate that chains to a silicon-vendor root the job trusts.</summary>
    public bool RequiresDeviceCertificate { get; }

    /// <summary>The device must present a fresh ephemeral key (forward secrecy for the code).</summary>
    public bool RequiresDeviceEphemeral { get; }

    /// <summary>K_dev comes from the factory key database rather than from an ECDH with the device.</summary>
    public bool UsesFactoryKey => !RequiresDeviceCertificate;

    public static bool TryParse(string? text, out KeyMode mode) => TryParse(All, text, out mode);

    public static KeyMode Parse(string? text, Func<string, SppsException> invalid) =>
        TryParse(text, out var mode) ? mode : throw invalid($"KFPE, KFP or DFK, not '{text}'");
}
