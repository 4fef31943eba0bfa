namespace Spps.Core.Formats;

/// <summary>
/// How much eNVM a target device has: the most a design may put in eNVM, all clients together. SmartFusion2
/// sizes from Microchip's product table; a device not listed gets the family's largest, 512 KiB.
/// </summary>
public static class DeviceEnvm
{
    public const long LargestBytes = 512 * 1024;

    private static readonly (string Prefix, long Bytes)[] Known =
    [
        ("M2S005", 128 * 1024), ("M2S010", 256 * 1024), ("M2S025", 256 * 1024), ("M2S050", 256 * 1024),
        ("M2S060", 256 * 1024), ("M2S090", 512 * 1024), ("M2S150", 512 * 1024),
    ];

    public static long Bytes(string device)
    {
        foreach (var (prefix, bytes) in Known)
            if (device.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return bytes;
        return LargestBytes;
    }
}
