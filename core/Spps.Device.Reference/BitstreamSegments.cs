using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Spps.Device.Reference;

/// <summary>
/// How a bitstream's AES-256-GCM segments are numbered (the STREAM construction): nonce = 7-byte prefix ‖
/// segment index (32-bit big-endian) ‖ last-segment flag. Shared by the encrypting host and the devices.
/// </summary>
public static class BitstreamSegments
{
    public const int TagSize = 16;
    public const int NoncePrefixSize = 7;

    public static void Nonce(Span<byte> nonce, ReadOnlySpan<byte> prefix, long index, bool last)
    {
        if (index is < 0 or > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(index), "Too many segments for one bitstream.");
        prefix[..NoncePrefixSize].CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce.Slice(NoncePrefixSize, 4), (uint)index);
        nonce[11] = last ? (byte)1 : (byte)0;
    }

    /// <summary>Decrypts one segment (ciphertext ‖ tag) at its place; false when it does not authenticate there.</summary>
    public static bool TryDecrypt(AesGcm gcm, ReadOnlySpan<byte> prefix, long index, bool last, ReadOnlySpan<byte> segment, Span<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        if (segment.Length < TagSize) return false;
        Span<byte> nonce = stackalloc byte[12];
        Nonce(nonce, prefix, index, last);
        try
        {
            gcm.Decrypt(nonce, segment[..^TagSize], segment[^TagSize..], plaintext[..(segment.Length - TagSize)], aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }
}
