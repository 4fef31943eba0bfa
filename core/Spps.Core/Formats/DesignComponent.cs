using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Spps.Core.Formats;

/// <summary>Component types of a design, in the order they are programmed.</summary>
public enum ComponentType
{
    SECURITY,
    FABRIC,
    ENVM,
}

/// <summary>One component of a design: the security settings, the fabric, or one eNVM client.</summary>
/// <param name="Capacity">For eNVM clients, the client's size in the design; updates may not exceed it.</param>
public sealed record DesignComponent(ComponentType Type, string Name, long Length, string Sha256, long Capacity = 0, long StartAddress = 0);

/// <summary>
/// The design digest: SHA-256 over "SPPS-DESIGN-DIGEST-V1" and, per component in order, its type, name,
/// length and SHA-256. Devices report it in their Certificates of Conformance.
/// </summary>
public static class DesignDigest
{
    public static string Compute(IEnumerable<DesignComponent> components)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData("SPPS-DESIGN-DIGEST-V1"u8);
        Span<byte> length = stackalloc byte[8];
        foreach (var c in components)
        {
            AppendString(hash, c.Type.ToString());
            AppendString(hash, c.Name);
            BinaryPrimitives.WriteInt64BigEndian(length, c.Length);
            hash.AppendData(length);
            hash.AppendData(Convert.FromHexString(c.Sha256));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void AppendString(IncrementalHash hash, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length > byte.MaxValue)
            throw new SppsException(ErrorCodes.InvalidField, $"Component name '{text[..Math.Min(text.Length, 40)]}…' is longer than 255 bytes.");
        hash.AppendData([(byte)bytes.Length]);
        hash.AppendData(bytes);
    }
}
