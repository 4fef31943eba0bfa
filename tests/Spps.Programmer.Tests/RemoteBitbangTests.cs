using System.Buffers.Binary;
using System.Net.Sockets;
using Newtonsoft.Json.Linq;
using Spps.Contracts.Programmers;
using Spps.Core.Plugins;
using Spps.Device.Reference;
using Spps.Flow.Tests;
using Spps.Jtag;

namespace Spps.Programmer.Tests;

/// <summary>The remote_bitbang server over TCP, driven by a raw client and by hand-written protocol bytes.</summary>
public sealed class RemoteBitbangTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly IProgrammerProvider _sim = SimBoards.Plugin();
    private IJtagPins? _pins;
    private Task? _server;
    private string[] _dsns = [];

    private int Serve(int devices)
    {
        (var file, _dsns) = SimBoards.One(_sim, _temp.Path, devices);
        _pins = ((IJtagBoardSimulator)_sim).OpenPins([file]);
        var port = new TaskCompletionSource<int>();
        _server = RemoteBitbangServer.ServeAsync(_pins, 0, _ => { }, _stop.Token, port.SetResult);
        return port.Task.Result;
    }

    [Fact]
    public void A_raw_client_reads_every_device_of_a_chain_over_TCP()
    {
        var port = Serve(3);
        using var tap = new BitbangTap(new RemoteBitbangClient("127.0.0.1", port));
        tap.Reset();
        var ids = tap.ShiftDr(new byte[12], 96);
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(JtagInstructions.ReferenceIdCode, BinaryPrimitives.ReadUInt32LittleEndian(ids.AsSpan(i * 4))));
        for (var i = 0; i < 3; i++)
        {
            var device = new ChainedDevicePort(tap, [8, 8, 8], i);
            device.ShiftIr(JtagInstructions.Dsn, 8);
            Assert.Equal(_dsns[i], Convert.ToHexStringLower(device.ShiftDr(new byte[16], 128)));
        }
    }

    [Fact]
    public void Protocol_bytes_answer_R_with_TDO_and_ignore_blink_and_SRST()
    {
        var port = Serve(1);
        using var client = new TcpClient("127.0.0.1", port);
        var stream = client.GetStream();
        // TMS high five times (reset), then to Shift-DR (0,1,0,0) and read the IDCODE's first 8 bits LSB first.
        var request = new List<byte>("Bbrs"u8.ToArray());
        foreach (var tms in new[] { 1, 1, 1, 1, 1, 0, 1, 0, 0 }) request.AddRange([(byte)('0' + tms * 2), (byte)('4' + tms * 2)]);
        for (var i = 0; i < 8; i++) request.AddRange("R04"u8.ToArray());
        stream.Write(request.ToArray());
        var answer = new byte[8];
        stream.ReadExactly(answer);
        var expected = JtagInstructions.ReferenceIdCode & 0xFF;
        Assert.Equal(Enumerable.Range(0, 8).Select(b => (byte)(((expected >> b) & 1) == 1 ? '1' : '0')).ToArray(), answer);
        // TRST ('t') resets the TAP: the next Shift-DR shows the IDCODE again from bit 0.
        stream.Write("t"u8.ToArray());
        stream.Write("r04260404R"u8.ToArray()); // Idle, Select-DR, Capture-DR, Shift-DR
        stream.ReadExactly(answer.AsSpan(0, 1));
        Assert.Equal((byte)'1', answer[0]); // bit 0 of 0x...4B
        stream.Write("Q"u8.ToArray());
        Assert.Equal(0, stream.Read(answer)); // the server closed the connection
    }

    [Fact]
    public void A_client_that_disappears_mid_scan_leaves_the_server_ready_for_the_next()
    {
        var port = Serve(1);
        using (var client = new TcpClient("127.0.0.1", port))
            client.GetStream().Write("0101014545R0"u8.ToArray()); // cut in the middle of a scan
        using var tap = new BitbangTap(new RemoteBitbangClient("127.0.0.1", port));
        tap.Reset();
        Assert.Equal(JtagInstructions.ReferenceIdCode, BinaryPrimitives.ReadUInt32LittleEndian(tap.ShiftDr(new byte[4], 32)));
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _server?.Wait(TimeSpan.FromSeconds(10)); } catch (AggregateException) { }
        _pins?.Dispose();
        _stop.Dispose();
        _temp.Dispose();
    }
}
