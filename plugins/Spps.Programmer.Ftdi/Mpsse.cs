namespace Spps.Programmer.Ftdi;

/// <summary>
/// MPSSE commands (FTDI application note AN_108) for JTAG, as bytes: pure, no I/O. Pins of the JTAG
/// channel: ADBUS0 TCK, ADBUS1 TDI, ADBUS2 TDO, ADBUS3 TMS (all outputs but TDO).
/// </summary>
public static class Mpsse
{
    public const byte BytesOutInLsb = 0x39;   // data bytes out on -ve edge, in on +ve edge, LSB first
    public const byte BytesOutLsb = 0x19;
    public const byte BitsOutInLsb = 0x3B;
    public const byte BitsOutLsb = 0x1B;
    public const byte TmsOut = 0x4B;          // TMS bits out on -ve edge, LSB first; bit 7 holds TDI
    public const byte TmsOutIn = 0x6B;        // the same, reading TDO on +ve edge
    public const byte SetLowBits = 0x80;
    public const byte SetHighBits = 0x82;
    public const byte LoopbackOff = 0x85;
    public const byte SetDivisor = 0x86;
    public const byte SendImmediate = 0x87;
    public const byte DisableDivideBy5 = 0x8A;
    public const byte DisableThreePhase = 0x8D;
    public const byte DisableAdaptive = 0x97;
    public const byte BadCommand = 0xFA;

    /// <summary>GPIO low byte after init: TMS high (Test-Logic-Reset is safe), TCK and TDI low; TCK, TDI, TMS out, TDO in.</summary>
    public const byte LowValue = 0x08, LowDirection = 0x0B;

    /// <summary>Most bytes one data command carries.</summary>
    public const int MaxBytesPerCommand = 65536;

    /// <summary>Base clock of the H-series with divide-by-5 off: TCK = 60 MHz / ((1 + divisor) × 2).</summary>
    public const int BaseClockHz = 60_000_000;

    /// <summary>The divisor for the fastest TCK not above <paramref name="hz"/> (6 MHz → 4, 30 MHz → 0).</summary>
    public static ushort Divisor(int hz)
    {
        if (hz <= 0) throw new ArgumentOutOfRangeException(nameof(hz));
        var divisor = (int)Math.Ceiling(BaseClockHz / (2.0 * hz)) - 1;
        return (ushort)Math.Clamp(divisor, 0, 0xFFFF);
    }

    public static int FrequencyOf(ushort divisor) => BaseClockHz / ((1 + divisor) * 2);

    /// <summary>Engine setup: 60 MHz base clock, no adaptive or three-phase clocking, loopback off, TCK divisor, GPIO.</summary>
    public static void Init(List<byte> o, ushort divisor, byte highValue = 0, byte highDirection = 0)
    {
        o.AddRange([DisableDivideBy5, DisableAdaptive, DisableThreePhase, LoopbackOff]);
        o.AddRange([SetDivisor, (byte)divisor, (byte)(divisor >> 8)]);
        o.AddRange([SetLowBits, LowValue, LowDirection]);
        o.AddRange([SetHighBits, highValue, highDirection]);
    }

    /// <summary>Up to 7 TMS bits (LSB first) with TDI held at <paramref name="tdi"/>; with <paramref name="read"/> one TDO byte comes back.</summary>
    public static void Tms(List<byte> o, IReadOnlyList<bool> bits, bool tdi = false, bool read = false)
    {
        for (var start = 0; start < bits.Count; start += 7)
        {
            var n = Math.Min(7, bits.Count - start);
            byte value = tdi ? (byte)0x80 : (byte)0;
            for (var i = 0; i < n; i++) if (bits[start + i]) value |= (byte)(1 << i);
            o.AddRange([read && start + n == bits.Count ? TmsOutIn : TmsOut, (byte)(n - 1), value]);
        }
    }

    /// <summary>Whole bytes out (and in, with <paramref name="read"/>): one command per 64 KiB.</summary>
    public static void Bytes(List<byte> o, ReadOnlySpan<byte> data, bool read)
    {
        for (var at = 0; at < data.Length; at += MaxBytesPerCommand)
        {
            var n = Math.Min(MaxBytesPerCommand, data.Length - at);
            o.AddRange([read ? BytesOutInLsb : BytesOutLsb, (byte)(n - 1), (byte)((n - 1) >> 8)]);
            o.AddRange(data.Slice(at, n));
        }
    }

    /// <summary>1 to 8 bits out (and in: one byte back, the bits in its top <paramref name="count"/> bits).</summary>
    public static void Bits(List<byte> o, byte data, int count, bool read)
    {
        if (count is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(count));
        o.AddRange([read ? BitsOutInLsb : BitsOutLsb, (byte)(count - 1), data]);
    }

    /// <summary>
    /// Removes the two modem-status bytes the chip puts at the start of every USB packet of a bulk IN
    /// transfer (512-byte packets on high speed).
    /// </summary>
    public static int StripStatus(ReadOnlySpan<byte> transfer, Span<byte> payload, int packetSize = 512)
    {
        var o = 0;
        for (var at = 0; at < transfer.Length; at += packetSize)
        {
            var packet = transfer.Slice(at, Math.Min(packetSize, transfer.Length - at));
            if (packet.Length <= 2) continue;
            packet[2..].CopyTo(payload[o..]);
            o += packet.Length - 2;
        }
        return o;
    }
}
