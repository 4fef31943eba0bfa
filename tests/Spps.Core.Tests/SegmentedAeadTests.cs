using System.Security.Cryptography;
using Spps.Core.Crypto;

namespace Spps.Core.Tests;

public sealed class SegmentedAeadTests
{
    private const int Segment = 32;
    private const int Sealed = Segment + SegmentedAead.TagSize;
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Prefix = RandomNumberGenerator.GetBytes(SegmentedAead.NoncePrefixSize);
    private static readonly byte[] Aad = "bitstream header v1"u8.ToArray();

    private static byte[] Encrypt(byte[] plaintext, byte[]? key = null, byte[]? prefix = null, byte[]? aad = null)
    {
        var output = new MemoryStream();
        SegmentedAead.Encrypt(new MemoryStream(plaintext), plaintext.Length, output, key ?? Key, prefix ?? Prefix, aad ?? Aad, Segment);
        return output.ToArray();
    }

    private static (bool Ok, byte[] Delivered) Decrypt(byte[] ciphertext, long plaintextLength, byte[]? key = null, byte[]? prefix = null, byte[]? aad = null)
    {
        var delivered = new MemoryStream();
        var ok = SegmentedAead.Decrypt(new MemoryStream(ciphertext), plaintextLength, key ?? Key, prefix ?? Prefix, aad ?? Aad, Segment,
            chunk => delivered.Write(chunk.Span));
        return (ok, delivered.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Segment - 1)]
    [InlineData(Segment)]
    [InlineData(Segment + 1)]
    [InlineData(2 * Segment)]
    [InlineData(5 * Segment + 7)]
    public void Round_trip(int length)
    {
        var plaintext = RandomNumberGenerator.GetBytes(length);

        var ciphertext = Encrypt(plaintext);
        var (ok, delivered) = Decrypt(ciphertext, length);

        Assert.True(ok);
        Assert.Equal(plaintext, delivered);
        Assert.Equal(SegmentedAead.CiphertextLength(length, Segment), ciphertext.Length);
        if (length >= 16) Assert.NotEqual(plaintext.AsSpan(0, 16).ToArray(), ciphertext.AsSpan(0, 16).ToArray());
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(Segment, 1)]
    [InlineData(Segment + 1, 2)]
    [InlineData(3 * Segment, 3)]
    public void Segment_count(int length, int segments)
    {
        Assert.Equal(segments, SegmentedAead.SegmentCount(length, Segment));
    }

    [Fact]
    public void A_short_input_stream_is_refused()
    {
        var e = Assert.Throws<SppsException>(() =>
            SegmentedAead.Encrypt(new MemoryStream(new byte[10]), 11, new MemoryStream(), Key, Prefix, Aad, Segment));
        Assert.Equal(ErrorCodes.TruncatedFile, e.Code);
    }

    [Fact]
    public void Swapping_two_segments_fails()
    {
        var plaintext = RandomNumberGenerator.GetBytes(3 * Segment);
        var c = Encrypt(plaintext);
        var swapped = c[Sealed..(2 * Sealed)].Concat(c[..Sealed]).Concat(c[(2 * Sealed)..]).ToArray();

        var (ok, delivered) = Decrypt(swapped, plaintext.Length);

        Assert.False(ok);
        Assert.Empty(delivered);
    }

    [Fact]
    public void Swapping_the_last_segment_with_an_earlier_one_fails()
    {
        var plaintext = RandomNumberGenerator.GetBytes(3 * Segment);
        var c = Encrypt(plaintext);
        var swapped = c[..Sealed].Concat(c[(2 * Sealed)..]).Concat(c[Sealed..(2 * Sealed)]).ToArray();

        var (ok, delivered) = Decrypt(swapped, plaintext.Length);

        Assert.False(ok);
        Assert.Equal(plaintext[..Segment], delivered); // only what verified before the bad segment
    }

    [Fact]
    public void Dropping_the_last_segment_fails_whatever_length_is_claimed()
    {
        var plaintext = RandomNumberGenerator.GetBytes(3 * Segment);
        var dropped = Encrypt(plaintext)[..(2 * Sealed)];

        Assert.False(Decrypt(dropped, plaintext.Length).Ok);
        Assert.False(Decrypt(dropped, 2 * Segment).Ok); // the new last segment was not sealed as last
    }

    [Theory]
    [InlineData(1)]
    [InlineData(SegmentedAead.TagSize)]
    [InlineData(Sealed)]
    [InlineData(Sealed + 5)]
    public void Truncating_fails(int cut)
    {
        var plaintext = RandomNumberGenerator.GetBytes(2 * Segment + 5);
        var c = Encrypt(plaintext);

        Assert.False(Decrypt(c[..^cut], plaintext.Length).Ok);
    }

    [Fact]
    public void Appending_a_segment_fails_when_the_length_is_extended()
    {
        var plaintext = RandomNumberGenerator.GetBytes(2 * Segment);
        var longer = Encrypt(RandomNumberGenerator.GetBytes(3 * Segment));
        var extended = Encrypt(plaintext).Concat(longer[(2 * Sealed)..]).ToArray();

        Assert.False(Decrypt(extended, 3 * Segment).Ok);
    }

    [Fact]
    public void Appending_a_segment_fails_at_the_original_length()
    {
        // The stream carries more than the header's length: extension must not go unnoticed.
        var plaintext = RandomNumberGenerator.GetBytes(2 * Segment);
        var longer = Encrypt(RandomNumberGenerator.GetBytes(3 * Segment));
        var extended = Encrypt(plaintext).Concat(longer[(2 * Sealed)..]).ToArray();

        Assert.False(Decrypt(extended, plaintext.Length).Ok);
    }

    [Fact]
    public void Flipping_any_bit_fails()
    {
        var plaintext = RandomNumberGenerator.GetBytes(2 * Segment + 3);
        var c = Encrypt(plaintext);

        for (var i = 0; i < c.Length; i++)
        {
            var bit = 1 << (i % 8);
            c[i] ^= (byte)bit;
            Assert.False(Decrypt(c, plaintext.Length).Ok, $"byte {i} bit {bit}");
            c[i] ^= (byte)bit;
        }
        Assert.True(Decrypt(c, plaintext.Length).Ok);
    }

    [Fact]
    public void Nothing_after_a_bad_segment_is_delivered()
    {
        var plaintext = RandomNumberGenerator.GetBytes(4 * Segment);
        var c = Encrypt(plaintext);
        c[Sealed + 3] ^= 1;

        var (ok, delivered) = Decrypt(c, plaintext.Length);

        Assert.False(ok);
        Assert.Equal(plaintext[..Segment], delivered);
    }

    [Theory]
    [InlineData("aad")]
    [InlineData("key")]
    [InlineData("prefix")]
    [InlineData("length")]
    public void A_different_context_fails(string what)
    {
        var plaintext = RandomNumberGenerator.GetBytes(Segment + 9);
        var c = Encrypt(plaintext);
        var aad = (byte[])Aad.Clone();
        aad[^1] ^= 1;

        var (ok, _) = what switch
        {
            "aad" => Decrypt(c, plaintext.Length, aad: aad),
            "key" => Decrypt(c, plaintext.Length, key: RandomNumberGenerator.GetBytes(32)),
            "prefix" => Decrypt(c, plaintext.Length, prefix: [.. Prefix[..^1], (byte)(Prefix[^1] ^ 1)]),
            _ => Decrypt(c, plaintext.Length - 1),
        };

        Assert.False(ok);
    }

    [Fact]
    public void An_empty_plaintext_is_still_authenticated()
    {
        var c = Encrypt([]);

        Assert.Equal(SegmentedAead.TagSize, c.Length);
        Assert.True(Decrypt(c, 0).Ok);
        Assert.False(Decrypt([], 0).Ok);
        Assert.False(Decrypt(c, 0, aad: [1]).Ok);
    }

    [Fact]
    public void Segments_decrypt_one_at_a_time_only_at_their_place()
    {
        var plaintext = RandomNumberGenerator.GetBytes(2 * Segment + 4);
        var c = Encrypt(plaintext);
        using var gcm = new AesGcm(Key, SegmentedAead.TagSize);
        var output = new byte[Segment];

        Assert.True(Spps.Device.Reference.BitstreamSegments.TryDecrypt(gcm, Prefix, 1, false, c.AsSpan(Sealed, Sealed), output, Aad));
        Assert.Equal(plaintext[Segment..(2 * Segment)], output);
        Assert.False(Spps.Device.Reference.BitstreamSegments.TryDecrypt(gcm, Prefix, 0, false, c.AsSpan(Sealed, Sealed), output, Aad));
        Assert.False(Spps.Device.Reference.BitstreamSegments.TryDecrypt(gcm, Prefix, 1, true, c.AsSpan(Sealed, Sealed), output, Aad));
        Assert.True(Spps.Device.Reference.BitstreamSegments.TryDecrypt(gcm, Prefix, 2, true, c.AsSpan(2 * Sealed), output, Aad));
        Assert.False(Spps.Device.Reference.BitstreamSegments.TryDecrypt(gcm, Prefix, 2, false, c.AsSpan(2 * Sealed), output, Aad));
        Assert.False(Spps.Device.Reference.BitstreamSegments.TryDecrypt(gcm, Prefix, 0, false, c.AsSpan(0, 10), output, Aad));
    }
}
