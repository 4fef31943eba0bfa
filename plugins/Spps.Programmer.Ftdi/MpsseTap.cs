using Spps.Contracts.Programmers;
using Spps.Jtag;

namespace Spps.Programmer.Ftdi;

/// <summary>
/// A scan chain behind an FTDI channel in MPSSE mode. Shifts are TMS commands to Shift-xR, data bytes
/// (0x39) and bits (0x3B) for all but the last bit, the last bit with TMS (0x6B) to Exit1, then TMS to
/// Idle; results are read back in chunks the chip's 4 KiB buffer holds. Counts what goes over the wire.
/// </summary>
public sealed class MpsseTap : IJtagTap
{
    /// <summary>Bytes of TDO a chunk may ask for before it is read back (the FT2232H channel buffer is 4 KiB).</summary>
    public const int ReadChunk = 3968;
    private readonly IFtdiTransport _usb;
    private readonly byte[] _in = new byte[16 * 1024];
    private ushort _divisor;
    private bool _known;

    public MpsseTap(IFtdiTransport usb, int frequencyHz, byte latencyMs = 1)
    {
        _usb = usb;
        usb.Control(FtdiRequest.Reset, 0);
        usb.Control(FtdiRequest.SetLatencyTimer, latencyMs);
        usb.Control(FtdiRequest.SetBitMode, FtdiRequest.BitModeReset);
        usb.Control(FtdiRequest.SetBitMode, FtdiRequest.BitModeMpsse);
        usb.Control(FtdiRequest.Reset, 1);
        usb.Control(FtdiRequest.Reset, 2);
        // AN_135 synchronisation: a bad command must come back as 0xFA and the command.
        Send([0xAA, Mpsse.SendImmediate]);
        var echo = new byte[2];
        Receive(echo);
        if (echo[0] != Mpsse.BadCommand || echo[1] != 0xAA)
            throw new ProgrammerException(ErrorCodes.ProgrammerDisconnected, $"{usb.Location} does not answer as an MPSSE engine (got {Convert.ToHexString(echo)}): is it an FT2232H, FT232H or FT4232H channel?");
        _divisor = Mpsse.Divisor(frequencyHz);
        var init = new List<byte>();
        Mpsse.Init(init, _divisor);
        Send(init.ToArray());
    }

    public string Location => _usb.Location;

    /// <summary>Bytes sent in bulk OUT transfers so far.</summary>
    public long BytesOut { get; private set; }

    /// <summary>Bulk OUT and IN transfers so far.</summary>
    public long TransfersOut { get; private set; }
    public long TransfersIn { get; private set; }

    /// <summary>Bits shifted through data registers and instruction registers so far.</summary>
    public long PayloadBits { get; private set; }

    public int FrequencyHz
    {
        get => Mpsse.FrequencyOf(_divisor);
        set
        {
            _divisor = Mpsse.Divisor(value);
            Send([Mpsse.SetDivisor, (byte)_divisor, (byte)(_divisor >> 8)]);
        }
    }

    public void Reset()
    {
        var o = new List<byte>();
        Mpsse.Tms(o, [.. TapController.Path(TapState.Idle, TapState.Reset), false]);
        Send(o.ToArray());
        _known = true;
    }

    public byte[] ShiftIr(ReadOnlySpan<byte> tdi, int bitLength) => Shift(TapState.IrShift, tdi, bitLength);

    public byte[] ShiftDr(ReadOnlySpan<byte> tdi, int bitLength) => Shift(TapState.DrShift, tdi, bitLength);

    public void RunIdle(int clocks)
    {
        if (!_known) Reset();
        var o = new List<byte>();
        Mpsse.Tms(o, new bool[clocks]);
        Send(o.ToArray());
    }

    private byte[] Shift(TapState shift, ReadOnlySpan<byte> tdi, int bitLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bitLength);
        if (!_known) Reset();
        PayloadBits += bitLength;
        var tdo = new byte[JtagBits.Bytes(bitLength)];
        var o = new List<byte>(Math.Min(ReadChunk + 64, tdo.Length + 64));
        Mpsse.Tms(o, TapController.Path(TapState.Idle, shift));
        var body = bitLength - 1;
        var whole = body / 8;
        // Whole bytes, a chunk at a time: write, then read what the chunk clocked in.
        for (var at = 0; at < whole; at += ReadChunk)
        {
            var n = Math.Min(ReadChunk, whole - at);
            Mpsse.Bytes(o, tdi.Slice(at, n), read: true);
            o.Add(Mpsse.SendImmediate);
            Send(o.ToArray());
            o.Clear();
            Receive(tdo.AsSpan(at, n));
        }
        var rest = body % 8;
        if (rest > 0) Mpsse.Bits(o, tdi[whole], rest, read: true);
        var lastIn = JtagBits.Get(tdi, bitLength - 1);
        Mpsse.Tms(o, [true], tdi: lastIn, read: true);            // last bit, to Exit1
        var exit = shift == TapState.DrShift ? TapState.DrExit1 : TapState.IrExit1;
        Mpsse.Tms(o, TapController.Path(exit, TapState.Idle));
        o.Add(Mpsse.SendImmediate);
        Send(o.ToArray());
        var tail = new byte[(rest > 0 ? 1 : 0) + 1];
        Receive(tail);
        if (rest > 0) tdo[whole] = (byte)(tail[0] >> (8 - rest));
        JtagBits.Set(tdo, bitLength - 1, (tail[^1] & 0x80) != 0);
        return tdo;
    }

    private void Send(byte[] commands)
    {
        _usb.Write(commands);
        BytesOut += commands.Length;
        TransfersOut++;
    }

    private void Receive(Span<byte> into)
    {
        var got = 0;
        var payload = new byte[_in.Length];
        for (var empty = 0; got < into.Length;)
        {
            var read = _usb.Read(_in);
            TransfersIn++;
            var n = Mpsse.StripStatus(_in.AsSpan(0, read), payload);
            if (n == 0)
            {
                if (++empty > 1000) throw new ProgrammerException(ErrorCodes.ProgrammerDisconnected, $"{Location} stopped answering: {got} of {into.Length} bytes came back.");
                continue;
            }
            if (got + n > into.Length) throw new ProgrammerException(ErrorCodes.ProgrammerDisconnected, $"{Location} answered {got + n} bytes where {into.Length} were due (0xFA: the engine refused a command).");
            payload.AsSpan(0, n).CopyTo(into[got..]);
            got += n;
        }
    }

    public void Dispose() => _usb.Dispose();
}
