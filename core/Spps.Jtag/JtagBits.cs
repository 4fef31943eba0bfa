namespace Spps.Jtag;

/// <summary>Bit vectors, LSB first: bit i of a vector is <c>(bytes[i / 8] &gt;&gt; (i % 8)) &amp; 1</c>.</summary>
public static class JtagBits
{
    public static int Bytes(int bits) => (bits + 7) / 8;

    public static bool Get(ReadOnlySpan<byte> bits, int index) => ((bits[index >> 3] >> (index & 7)) & 1) != 0;

    public static void Set(Span<byte> bits, int index, bool value)
    {
        if (value) bits[index >> 3] |= (byte)(1 << (index & 7));
        else bits[index >> 3] &= (byte)~(1 << (index & 7));
    }

    /// <summary>Copies <paramref name="count"/> bits; whole bytes at once when both offsets are byte-aligned.</summary>
    public static void Copy(ReadOnlySpan<byte> source, int sourceOffset, Span<byte> target, int targetOffset, int count)
    {
        if (((sourceOffset | targetOffset) & 7) == 0)
        {
            var whole = count >> 3;
            source.Slice(sourceOffset >> 3, whole).CopyTo(target.Slice(targetOffset >> 3, whole));
            for (var i = whole << 3; i < count; i++) Set(target, targetOffset + i, Get(source, sourceOffset + i));
            return;
        }
        for (var i = 0; i < count; i++) Set(target, targetOffset + i, Get(source, sourceOffset + i));
    }

    /// <summary>Sets <paramref name="count"/> bits from <paramref name="offset"/> to one.</summary>
    public static void Ones(Span<byte> target, int offset, int count)
    {
        for (var i = 0; i < count; i++) Set(target, offset + i, true);
    }

    /// <summary>The low <paramref name="count"/> bits of a value as a vector.</summary>
    public static byte[] FromValue(ulong value, int count)
    {
        var bits = new byte[Bytes(count)];
        for (var i = 0; i < count && i < 64; i++) Set(bits, i, ((value >> i) & 1) != 0);
        return bits;
    }
}
