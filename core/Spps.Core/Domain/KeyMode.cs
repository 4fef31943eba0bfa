namespace Spps.Core.Domain;

/// <summary>
/// How the per-device key K_dev that wraps an authorization code is agreed (docs/protocol.md):
/// KFPE and KFP by ECDH with the device's certified key (KFPE adds a device ephemeral key), DFK from the
/// silicon vendor's diversified factory key. A closed set of objects that carry their own rules.
/// </summary>
public sealed class KeyMode : IEquatable<KeyMode>
{
    public static readonly KeyMode Kfpe = new("KFPE", requiresDeviceCertificate: true, requiresDeviceEphemeral: true);
    public static readonly KeyMode Kfp = new("KFP", requiresDeviceCertificate: true, requiresDeviceEphemeral: false);
    public static readonly KeyMode Dfk = new("DFK", requiresDeviceCertificate: false, requiresDeviceEphemeral: false);

    public static IReadOnlyList<KeyMode> All { get; } = [Kfpe, Kfp, Dfk];

    /// <summary>The mode a bitstream gets when the OE names none.</summary>
    public static KeyMode Default => Kfpe;

    private KeyMode(string name, bool requiresDeviceCertificate, bool requiresDeviceEphemeral)
    {
        Name = name;
        RequiresDeviceCertificate = requiresDeviceCertificate;
        RequiresDeviceEphemeral = requiresDeviceEphemeral;
    }

    public string Name { get; }

    /// <summary>The device must present a certificate that chains to a silicon-vendor root the job trusts.</summary>
    public bool RequiresDeviceCertificate { get; }

    /// <summary>The device must present a fresh ephemeral key (forward secrecy for the code).</summary>
    public bool RequiresDeviceEphemeral { get; }

    /// <summary>K_dev comes from the factory key database rather than from an ECDH with the device.</summary>
    public bool UsesFactoryKey => !RequiresDeviceCertificate;

    public static bool TryParse(string? text, out KeyMode mode)
    {
        mode = All.FirstOrDefault(m => string.Equals(m.Name, text?.Trim(), StringComparison.OrdinalIgnoreCase))!;
        return mode is not null;
    }

    public static KeyMode Parse(string? text, Func<string, SppsException> invalid) =>
        TryParse(text, out var mode) ? mode : throw invalid($"KFPE, KFP or DFK, not '{text}'");

    public override string ToString() => Name;
    public bool Equals(KeyMode? other) => other is not null && other.Name == Name;
    public override bool Equals(object? obj) => obj is KeyMode other && Equals(other);
    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);
    public static bool operator ==(KeyMode? a, KeyMode? b) => a?.Name == b?.Name;
    public static bool operator !=(KeyMode? a, KeyMode? b) => !(a == b);
}
