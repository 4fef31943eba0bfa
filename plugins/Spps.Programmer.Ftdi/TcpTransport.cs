using System.Buffers.Binary;
using System.Net.Sockets;
using Spps.Contracts.Programmers;

namespace Spps.Programmer.Ftdi;

/// <summary>
/// The USB requests of one channel carried over TCP, to reach an MPSSE engine emulator (the tests use it;
/// <c>ftdi:tcp=HOST:PORT</c>). Frames: 'C' request value(u16 LE) → 'K'; 'W' length(u32 LE) bytes;
/// 'R' max(u32 LE) → length(u32 LE) bytes of one bulk IN transfer (packets with their status bytes).
/// </summary>
internal sealed class TcpTransport : IFtdiTransport
{
    private readonly TcpClient _client = new() { NoDelay = true };
    private readonly NetworkStream _stream;

    public TcpTransport(string host, int port)
    {
        try { _client.Connect(host, port); }
        catch (SocketException e)
        {
            _client.Dispose();
            throw new ProgrammerException(ErrorCodes.ProgrammerDisconnected, $"No MPSSE emulator at {host}:{port}: {e.Message}");
        }
        _stream = _client.GetStream();
        Location = $"ftdi emulator {host}:{port}";
    }

    public string Location { get; }

    public void Control(byte request, ushort value)
    {
        byte[] frame = [(byte)'C', request, (byte)value, (byte)(value >> 8)];
        Io(() =>
        {
            _stream.Write(frame);
            if (_stream.ReadByte() != 'K') throw new IOException("the emulator refused a control request");
        });
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        var frame = new byte[5 + data.Length];
        frame[0] = (byte)'W';
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(1), data.Length);
        data.CopyTo(frame.AsSpan(5));
        Io(() => _stream.Write(frame));
    }

    public int Read(Span<byte> buffer)
    {
        var request = new byte[5];
        request[0] = (byte)'R';
        BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(1), buffer.Length);
        var length = new byte[4];
        var data = new byte[buffer.Length];
        var n = 0;
        Io(() =>
        {
            _stream.Write(request);
            _stream.ReadExactly(length);
            n = BinaryPrimitives.ReadInt32LittleEndian(length);
            _stream.ReadExactly(data, 0, n);
        });
        data.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    private void Io(Action action)
    {
        try { action(); }
        catch (Exception e) when (e is IOException or SocketException or EndOfStreamException)
        {
            throw new ProgrammerException(ErrorCodes.ProgrammerDisconnected, $"The link to {Location} was lost: {e.Message}");
        }
    }

    public void Dispose() => _client.Dispose();
}
