using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Spps.Contracts.Programmers;
using Spps.Programmer.Ftdi;

namespace Spps.Programmer.Tests;

/// <summary>
/// An FTDI MPSSE engine (AN_108) in front of a JTAG chain's pins, seen from USB: vendor requests, bulk OUT
/// commands, bulk IN packets of 512 bytes that each start with the two modem-status bytes. It records
/// what a test checks: settings, bytes and transfers, and any command it did not understand.
/// </summary>
public sealed class MpsseEmulator(IJtagPins pins) : IFtdiTransport
{
    public const int PacketSize = 512;
    public static readonly byte[] Status = [0x32, 0x60];
    private readonly Queue<byte> _out = new();
    private readonly List<byte> _pending = new();
    private bool _tms = true, _tdi, _tck;

    public string Location => "MPSSE emulator";
    public int? LatencyMs { get; private set; }
    public ushort BitMode { get; private set; }
    public ushort? Divisor { get; private set; }
    public bool DivideBy5Off { get; private set; }
    public bool AdaptiveOff { get; private set; }
    public bool ThreePhaseOff { get; private set; }
    public (byte Value, byte Direction)? Low { get; private set; }
    public long BytesIn { get; private set; }
    public long WriteTransfers { get; private set; }
    public long ReadTransfers { get; private set; }
    public long Clocks { get; private set; }
    public List<byte> BadCommands { get; } = new();

    /// <summary>Every IN transfer, as delivered (for the packet-layout check).</summary>
    public List<byte[]> Delivered { get; } = new();
    public bool KeepDelivered { get; set; }

    public void Control(byte request, ushort value)
    {
        switch (request)
        {
            case FtdiRequest.Reset:
                if (value is 0 or 1) _out.Clear();
                if (value is 0 or 2) _pending.Clear();
                break;
            case FtdiRequest.SetLatencyTimer:
                LatencyMs = value;
                break;
            case FtdiRequest.SetBitMode:
                BitMode = value;
                break;
        }
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        WriteTransfers++;
        BytesIn += data.Length;
        if (BitMode >> 8 != 2) throw new InvalidOperationException("bytes written before MPSSE mode was set");
        _pending.AddRange(data);
        var at = 0;
        while (at < _pending.Count)
        {
            var used = Execute(at);
            if (used == 0) break; // incomplete command: wait for the next transfer
            at += used;
        }
        _pending.RemoveRange(0, at);
    }

    public int Read(Span<byte> buffer)
    {
        ReadTransfers++;
        var o = 0;
        do
        {
            if (buffer.Length - o < 2) break;
            Status.CopyTo(buffer[o..]);
            var n = Math.Min(Math.Min(PacketSize - 2, buffer.Length - o - 2), _out.Count);
            for (var i = 0; i < n; i++) buffer[o + 2 + i] = _out.Dequeue();
            o += 2 + n;
            if (n < PacketSize - 2) break; // a short packet ends the transfer
        }
        while (_out.Count > 0);
        if (KeepDelivered) Delivered.Add(buffer[..o].ToArray());
        return o;
    }

    /// <summary>Runs the command at <paramref name="at"/>; its length, or 0 when it is not all there yet.</summary>
    private int Execute(int at)
    {
        int Have() => _pending.Count - at;
        var op = _pending[at];
        switch (op)
        {
            case Mpsse.DisableDivideBy5: DivideBy5Off = true; return 1;
            case Mpsse.DisableAdaptive: AdaptiveOff = true; return 1;
            case Mpsse.DisableThreePhase: ThreePhaseOff = true; return 1;
            case Mpsse.LoopbackOff or Mpsse.SendImmediate: return 1;
            case Mpsse.SetDivisor:
                if (Have() < 3) return 0;
                Divisor = (ushort)(_pending[at + 1] | _pending[at + 2] << 8);
                return 3;
            case Mpsse.SetLowBits:
                if (Have() < 3) return 0;
                Low = (_pending[at + 1], _pending[at + 2]);
                _tck = (_pending[at + 1] & 1) != 0;
                _tdi = (_pending[at + 1] & 2) != 0;
                _tms = (_pending[at + 1] & 8) != 0;
                return 3;
            case Mpsse.SetHighBits:
                return Have() < 3 ? 0 : 3;
            case Mpsse.BytesOutLsb or Mpsse.BytesOutInLsb:
            {
                if (Have() < 3) return 0;
                var n = (_pending[at + 1] | _pending[at + 2] << 8) + 1;
                if (Have() < 3 + n) return 0;
                for (var i = 0; i < n; i++)
                {
                    var tdo = Shift(_pending[at + 3 + i], 8, tms: null);
                    if (op == Mpsse.BytesOutInLsb) _out.Enqueue(tdo);
                }
                return 3 + n;
            }
            case Mpsse.BitsOutLsb or Mpsse.BitsOutInLsb or Mpsse.TmsOut or Mpsse.TmsOutIn:
            {
                if (Have() < 3) return 0;
                var n = _pending[at + 1] + 1;
                if (n > 8 || (op is Mpsse.TmsOut or Mpsse.TmsOutIn && n > 7)) { BadCommands.Add(op); return 3; }
                var value = _pending[at + 2];
                byte tdo;
                if (op is Mpsse.TmsOut or Mpsse.TmsOutIn)
                {
                    _tdi = (value & 0x80) != 0;
                    tdo = Shift(value, n, tms: true);
                }
                else tdo = Shift(value, n, tms: null);
                if (op is Mpsse.BitsOutInLsb or Mpsse.TmsOutIn) _out.Enqueue(tdo);
                return 3;
            }
            default:
                BadCommands.Add(op);
                _out.Enqueue(Mpsse.BadCommand);
                _out.Enqueue(op);
                return 1;
        }
    }

    /// <summary>Clocks <paramref name="count"/> bits LSB first: TDI from the bits (or TMS from them), TDO read into the top bits.</summary>
    private byte Shift(byte bits, int count, bool? tms)
    {
        var read = 0;
        for (var i = 0; i < count; i++)
        {
            var bit = ((bits >> i) & 1) != 0;
            if (tms is true) _tms = bit; else _tdi = bit;
            read = (read >> 1) | (pins.Tdo ? 0x80 : 0);
            pins.Clock(_tms, _tdi);
            Clocks++;
        }
        _ = _tck;
        return (byte)read;
    }

    public void Dispose() { }
}

/// <summary>Serves one emulator over TCP in the frames of the plugin's <c>tcp=</c> transport.</summary>
public sealed class MpsseEmulatorServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public MpsseEmulatorServer(MpsseEmulator emulator)
    {
        Emulator = emulator;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _serving = Task.Run(Serve);
    }

    public MpsseEmulator Emulator { get; }
    public int Port { get; }

    private async Task Serve()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            using (client)
            {
                var s = client.GetStream();
                var head = new byte[5];
                try
                {
                    while (true)
                    {
                        if (await s.ReadAsync(head.AsMemory(0, 1), _stop.Token) == 0) break;
                        switch ((char)head[0])
                        {
                            case 'C':
                                await s.ReadExactlyAsync(head.AsMemory(1, 3), _stop.Token);
                                Emulator.Control(head[1], (ushort)(head[2] | head[3] << 8));
                                s.WriteByte((byte)'K');
                                break;
                            case 'W':
                            {
                                await s.ReadExactlyAsync(head.AsMemory(1, 4), _stop.Token);
                                var data = new byte[BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(1))];
                                await s.ReadExactlyAsync(data, _stop.Token);
                                Emulator.Write(data);
                                break;
                            }
                            case 'R':
                            {
                                await s.ReadExactlyAsync(head.AsMemory(1, 4), _stop.Token);
                                var buffer = new byte[BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(1))];
                                var n = Emulator.Read(buffer);
                                var answer = new byte[4 + n];
                                BinaryPrimitives.WriteInt32LittleEndian(answer, n);
                                buffer.AsSpan(0, n).CopyTo(answer.AsSpan(4));
                                await s.WriteAsync(answer, _stop.Token);
                                break;
                            }
                            default:
                                return;
                        }
                    }
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or EndOfStreamException) { }
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _serving.Wait(TimeSpan.FromSeconds(10)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
