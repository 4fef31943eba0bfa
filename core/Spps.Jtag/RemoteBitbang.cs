using System.Net;
using System.Net.Sockets;
using Spps.Contracts.Programmers;

namespace Spps.Jtag;

/// <summary>
/// OpenOCD's remote_bitbang protocol over TCP, server side: one ASCII character per request.
/// '0'-'7' set TCK (4), TMS (2), TDI (1); a rising TCK clocks the chain. 'R' reads TDO ('0'/'1').
/// 'r' 's' 't' 'u' set TRST and SRST (t and u assert TRST). 'B' 'b' blink. 'Q' ends the connection.
/// SWD requests ('c' reads SWDIO, answered '0'; 'O' 'o' 'd'-'g' ignored) and sleeps ('Z' 'z') are accepted.
/// Clients are served one after another; the chain keeps its state between them, as a board on a bench would.
/// </summary>
public static class RemoteBitbangServer
{
    /// <summary>Serves until <paramref name="stop"/>; returns the bound port (useful with port 0) through <paramref name="listening"/>.</summary>
    public static async Task ServeAsync(IJtagPins pins, int port, Action<string> log, CancellationToken stop, Action<int>? listening = null)
    {
        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        var bound = ((IPEndPoint)listener.LocalEndpoint).Port;
        listening?.Invoke(bound);
        log($"remote_bitbang: serving on 127.0.0.1:{bound}");
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(stop); }
            catch (OperationCanceledException) { break; }
            using (client)
            {
                client.NoDelay = true;
                log($"remote_bitbang: client {client.Client.RemoteEndPoint} connected");
                try
                {
                    var end = await ServeClientAsync(pins, client.GetStream(), stop);
                    log($"remote_bitbang: client {(end ? "quit" : "disconnected")}");
                }
                catch (OperationCanceledException) { break; }
                catch (IOException e) { log($"remote_bitbang: connection lost: {e.Message}"); }
            }
        }
    }

    /// <summary>Serves one connection; true when the client sent 'Q', false at end of stream.</summary>
    public static async Task<bool> ServeClientAsync(IJtagPins pins, Stream stream, CancellationToken stop)
    {
        var input = new byte[64 * 1024];
        var output = new byte[64 * 1024];
        var tck = false;
        while (true)
        {
            var read = await stream.ReadAsync(input, stop);
            if (read == 0) return false;
            var o = 0;
            var quit = false;
            for (var i = 0; i < read && !quit; i++)
            {
                var c = (char)input[i];
                switch (c)
                {
                    case >= '0' and <= '7':
                        var bits = c - '0';
                        var high = (bits & 4) != 0;
                        if (high && !tck) pins.Clock((bits & 2) != 0, (bits & 1) != 0);
                        tck = high;
                        break;
                    case 'R':
                        output[o++] = pins.Tdo ? (byte)'1' : (byte)'0';
                        break;
                    case 'c':
                        output[o++] = (byte)'0';
                        break;
                    case 't' or 'u':
                        pins.TestReset();
                        break;
                    case 'Q':
                        quit = true;
                        break;
                    default:
                        break; // 'r' 's' (TRST released), 'B' 'b' (LED), SWD writes, sleeps, line ends
                }
                if (o == output.Length)
                {
                    await stream.WriteAsync(output.AsMemory(0, o), stop);
                    o = 0;
                }
            }
            if (o > 0) await stream.WriteAsync(output.AsMemory(0, o), stop);
            if (quit) return true;
        }
    }
}

/// <summary>
/// A remote_bitbang client (what OpenOCD's driver does, without OpenOCD): cycles become '0'-'7' pairs and
/// 'R' requests, sent in one batch; the answers are read after the batch.
/// </summary>
public sealed class RemoteBitbangClient : IJtagWire
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    public RemoteBitbangClient(string host, int port)
    {
        _client = new TcpClient { NoDelay = true };
        try { _client.Connect(host, port); }
        catch (SocketException e)
        {
            _client.Dispose();
            throw new ProgrammerException(ErrorCodes.ProgrammerDisconnected, $"No remote_bitbang server at {host}:{port}: {e.Message}");
        }
        _stream = _client.GetStream();
        Location = $"remote_bitbang {host}:{port}";
    }

    public string Location { get; }
    public int FrequencyHz { get; set; } = 1_000_000;

    /// <summary>Bytes written to the server so far.</summary>
    public long BytesSent { get; private set; }

    public void Cycles(ReadOnlySpan<byte> tms, ReadOnlySpan<byte> tdi, int count, Span<byte> tdo, int sampleStart, int sampleCount)
    {
        const int Batch = 1 << 16;
        var buffer = new byte[Batch * 3 + 1];
        var answers = new byte[Batch];
        for (var start = 0; start < count; start += Batch)
        {
            var n = Math.Min(Batch, count - start);
            var o = 0;
            var samples = 0;
            for (var i = start; i < start + n; i++)
            {
                var low = (JtagBits.Get(tms, i) ? 2 : 0) | (JtagBits.Get(tdi, i) ? 1 : 0);
                buffer[o++] = (byte)('0' + low);
                var j = i - sampleStart;
                if (j >= 0 && j < sampleCount) { buffer[o++] = (byte)'R'; samples++; }
                buffer[o++] = (byte)('4' + low);
            }
            try
            {
                _stream.Write(buffer, 0, o);
                BytesSent += o;
                _stream.ReadExactly(answers, 0, samples);
            }
            catch (Exception e) when (e is IOException or EndOfStreamException or ObjectDisposedException)
            {
                throw new ProgrammerException(ErrorCodes.ProgrammerDisconnected, $"The remote_bitbang connection {Location} was lost: {e.Message}");
            }
            var first = Math.Max(0, start - sampleStart);
            for (var s = 0; s < samples; s++)
                if (answers[s] == '1') tdo[(first + s) >> 3] |= (byte)(1 << ((first + s) & 7));
        }
    }

    public void Dispose()
    {
        try { _stream.WriteByte((byte)'Q'); } catch (IOException) { } catch (ObjectDisposedException) { }
        _client.Dispose();
    }
}
