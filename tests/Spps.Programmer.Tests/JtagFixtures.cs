using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Spps.Flow.Tests;

namespace Spps.Programmer.Tests;

/// <summary><c>spps-station sim serve-jtag</c> as a process; stopped with SIGTERM.</summary>
public sealed partial class JtagServer : IDisposable
{
    private readonly Process _process;

    private JtagServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static JtagServer Start(Site site, params string[] boardFiles)
    {
        var process = site.Start("spps-station", ["sim", "serve-jtag", "--port", "0", .. boardFiles.SelectMany(f => new[] { "--board", f })]);
        while (process.StandardOutput.ReadLine() is { } line)
        {
            var m = Serving().Match(line);
            if (m.Success)
            {
                _ = process.StandardOutput.ReadToEndAsync();
                _ = process.StandardError.ReadToEndAsync();
                return new JtagServer(process, int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        process.WaitForExit();
        throw new InvalidOperationException($"serve-jtag did not start (exit {process.ExitCode}): {process.StandardError.ReadToEnd()}");
    }

    /// <summary>SIGTERM; the server must end cleanly (exit 0), releasing its boards.</summary>
    public void Stop()
    {
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) term.WaitForExit();
        Assert.True(_process.WaitForExit(TimeSpan.FromSeconds(20)), "serve-jtag did not stop on SIGTERM");
        Assert.Equal(0, _process.ExitCode);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.Dispose();
    }

    [GeneratedRegex(@"serving on 127\.0\.0\.1:(\d+)")]
    private static partial Regex Serving();
}

/// <summary>
/// A TCP relay between OpenOCD and a remote_bitbang server that counts what OpenOCD sends and can cut
/// both connections once <c>cutAfter</c> bytes went through (a cable pulled mid-transfer).
/// </summary>
public sealed class CuttingRelay : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly long _cutAfter;
    private readonly CancellationTokenSource _stop = new();
    private long _forwarded;

    public CuttingRelay(int target, long cutAfter = long.MaxValue)
    {
        _target = target;
        _cutAfter = cutAfter;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptAsync();
    }

    public int Port { get; }
    public long Forwarded => Interlocked.Read(ref _forwarded);
    public bool Cut { get; private set; }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _target);
                var up = Pump(client.GetStream(), server.GetStream(), count: true);
                var down = Pump(server.GetStream(), client.GetStream(), count: false);
                await Task.WhenAny(up, down);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException) { }
            client.Client.Close(0);
            server.Client.Close(0);
        }
    }

    private async Task Pump(NetworkStream from, NetworkStream to, bool count)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await from.ReadAsync(buffer, _stop.Token);
            if (read == 0) return;
            if (count)
            {
                var left = _cutAfter - Interlocked.Read(ref _forwarded);
                if (read >= left)
                {
                    await to.WriteAsync(buffer.AsMemory(0, (int)Math.Max(0, left)), _stop.Token);
                    Interlocked.Add(ref _forwarded, Math.Max(0, left));
                    Cut = true;
                    return;
                }
                Interlocked.Add(ref _forwarded, read);
            }
            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}

/// <summary>OpenOCD configurations for the remote_bitbang chains the tests serve.</summary>
public static class OpenOcdConfig
{
    public static bool Installed { get; } = Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(d => File.Exists(Path.Combine(d, "openocd")));

    /// <summary>remote_bitbang to 127.0.0.1:port and <paramref name="taps"/> reference-family TAPs (IR 8 bits).</summary>
    public static string Write(Site site, string name, int port, int taps = 1)
    {
        var lines = new List<string>
        {
            "adapter driver remote_bitbang",
            "remote_bitbang host 127.0.0.1",
            $"remote_bitbang port {port}",
            "transport select jtag",
        };
        for (var i = 1; i <= taps; i++) lines.Add($"jtag newtap dev{i} tap -irlen 8 -ircapture 0x01 -irmask 0x03 -expected-id 0x15350b4b");
        File.WriteAllLines(site.PathOf(name), lines);
        return name;
    }

    /// <summary>A loopback port nothing listens on.</summary>
    public static int ClosedPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
