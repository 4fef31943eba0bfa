namespace Spps.Programmer.Ftdi;

/// <summary>The USB side of one FTDI channel: vendor control requests, bulk OUT and bulk IN.</summary>
public interface IFtdiTransport : IDisposable
{
    /// <summary>Adapter and channel, for logs.</summary>
    string Location { get; }

    /// <summary>A vendor request to the channel (wIndex is the channel: A = 1 ...).</summary>
    void Control(byte request, ushort value);

    /// <summary>One bulk OUT transfer of MPSSE commands.</summary>
    void Write(ReadOnlySpan<byte> data);

    /// <summary>One bulk IN transfer: whole packets, each starting with the chip's two modem-status bytes.</summary>
    int Read(Span<byte> buffer);
}

/// <summary>FTDI vendor requests (SIO) used here.</summary>
public static class FtdiRequest
{
    public const byte Reset = 0x00;           // value 0: reset, 1: purge RX, 2: purge TX
    public const byte SetLatencyTimer = 0x09; // value: milliseconds (1-255)
    public const byte SetBitMode = 0x0B;      // value: mode << 8 | pin mask; mode 0 reset, 2 MPSSE
    public const ushort BitModeReset = 0x0000, BitModeMpsse = 0x0200;
}
