using System.Security.Cryptography;
using Spps.Device.Reference;

namespace Spps.Core.Crypto;

/// <summary>
/// Streaming AES-256-GCM in fixed-size segments (the STREAM construction of Hoang, Reyhanitabar, Rogaway
/// and Vizár): nonce = prefix (7 bytes) ‖ segment index (4 bytes, big-endian) ‖ last-segment flag (1 byte).
/// Reordering, dropping, truncating or extending segments makes decryption fail. Memory is one segment.
/// </summary>
public static class SegmentedAead
{
    public const int TagSize = BitstreamSegments.TagSize;
    public const int NoncePrefixSize = BitstreamSegments.NoncePrefixSize;
    public const int DefaultSegmentSize = 64 * 1024;

    /// <summary>Length of the ciphertext for a plaintext of <paramref name="plaintextLength"/> bytes.</summary>
    public static long CiphertextLength(long plaintextLength, int segmentSize) => plaintextLength + SegmentCount(plaintextLength, segmentSize) * (long)TagSize;

    public static long SegmentCount(long plaintextLength, int segmentSize) => Math.Max(1, (plaintextLength + segmentSize - 1) / segmentSize);

    public static void Encrypt(Stream plaintext, long plaintextLength, Stream ciphertext, ReadOnlySpan<byte> key, ReadOnlySpan<byte> noncePrefix, ReadOnlySpan<byte> aad, int segmentSize, Action<long>? progress = null)
    {
        using var gcm = new AesGcm(key, TagSize);
        var input = new byte[segmentSize];
        var output = new byte[segmentSize + TagSize];
        Span<byte> nonce = stackalloc byte[12];
        var segments = CheckedSegmentCount(plaintextLength, segmentSize);
        long done = 0;
        for (long index = 0; index < segments; index++)
        {
            var length = (int)Math.Min(segmentSize, plaintextLength - done);
            if (plaintext.ReadAtLeast(input.AsSpan(0, length), length, throwOnEndOfStream: false) != length)
                throw new SppsException(ErrorCodes.TruncatedFile, "The bitstream input ended before its declared length.");
            BitstreamSegments.Nonce(nonce, noncePrefix, index, index == segments - 1);
            gcm.Encrypt(nonce, input.AsSpan(0, length), output.AsSpan(0, length), output.AsSpan(length, TagSize), aad);
            ciphertext.Write(output, 0, length + TagSize);
            done += length;
            progress?.Invoke(done);
        }
        CryptographicOperations.ZeroMemory(input);
    }

    /// <summary>Decrypts segment by segment, handing each verified plaintext segment to <paramref name="sink"/>.</summary>
    /// <returns>False when any segment fails to authenticate (nothing after it is delivered).</returns>
    public static bool Decrypt(Stream ciphertext, long plaintextLength, ReadOnlySpan<byte> key, ReadOnlySpan<byte> noncePrefix, ReadOnlySpan<byte> aad, int segmentSize, Action<ReadOnlyMemory<byte>> sink)
    {
        using var gcm = new AesGcm(key, TagSize);
        var input = new byte[segmentSize + TagSize];
        var output = new byte[segmentSize];
        Span<byte> nonce = stackalloc byte[12];
        var segments = CheckedSegmentCount(plaintextLength, segmentSize);
        long done = 0;
        for (long index = 0; index < segments; index++)
        {
            var length = (int)Math.Min(segmentSize, plaintextLength - done);
            if (ciphertext.ReadAtLeast(input.AsSpan(0, length + TagSize), length + TagSize, throwOnEndOfStream: false) != length + TagSize)
                return false;
            if (index == segments - 1 && ciphertext.ReadByte() >= 0)
                return false; // more ciphertext than the declared length: the stream was extended
            BitstreamSegments.Nonce(nonce, noncePrefix, index, index == segments - 1);
            try { gcm.Decrypt(nonce, input.AsSpan(0, length), input.AsSpan(length, TagSize), output.AsSpan(0, length), aad); }
            catch (AuthenticationTagMismatchException) { return false; }
            sink(output.AsMemory(0, length));
            done += length;
        }
        CryptographicOperations.ZeroMemory(output);
        return true;
    }

    private static long CheckedSegmentCount(long plaintextLength, int segmentSize)
    {
        var segments = SegmentCount(plaintextLength, segmentSize);
        return segments <= uint.MaxValue ? segments : throw new SppsException(ErrorCodes.InvalidField, "Too many segments for one bitstream.");
    }
}
