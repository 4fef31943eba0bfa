using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Spps.Contracts.Programmers;

namespace Spps.Programmer.OpenOcd;

/// <summary>
/// An OpenOCD this station starts: <c>openocd -f CONFIG</c> with its Tcl RPC server on a free loopback port
/// and no GDB or telnet server, then <c>init</c>. Its log is kept (last lines) for error messages.
/// <c>SPPS_OPENOCD</c> names another executable than <c>openocd</c> on PATH.
/// </summary>
internal sealed class OpenOcdProcess : IDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _log = new();

    private OpenOcdProcess(Process process, int port, string config)
    {
        _process = process;
        Port = port;
        Config = config;
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
    }

    public int Port { get; }
    public string Config { get; }

    public static (OpenOcdProcess Process, OpenOcdRpc Rpc) Start(string config)
    {
        if (!File.Exists(config)) throw new ProgrammerException(ErrorCodes.ProgrammerInvalid, $"No OpenOCD configuration {config}: write one with the adapter and the chain's TAPs (see docs/programmers.md).");
        var port = FreePort();
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("SPPS_OPENOCD") is { Length: > 0 } exe ? exe : "openocd")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(config))!,
        };
        foreach (var a in new[] { "-f", Path.GetFullPath(config), "-c", $"tcl_port {port}", "-c", "gdb_port disabled", "-c", "telnet_port disabled", "-c", "init" })
            info.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(info)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ProgrammerException(ErrorCodes.ProgrammerInvalid, $"Cannot start OpenOCD ({info.FileName}): {e.Message}. Install it (apt-get install openocd) or set SPPS_OPENOCD.");
        }
        var started = new OpenOcdProcess(process, port, config);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
            {
                process.WaitForExit();
                started.Dispose();
                throw new ProgrammerException(ErrorCodes.ProgrammerDisconnected, $"OpenOCD stopped with exit code {process.ExitCode} while starting with {config}.{started.Diagnostics()}");
            }
            if (OpenOcdRpc.TryConnect("127.0.0.1", port, started.Diagnostics) is { } rpc)
            {
                // The RPC server listens before init has examined the chain; wait until it has.
                try
                {
                    rpc.Run("jtag names");
                    return (started, rpc);
                }
                catch
                {
                    rpc.Dispose();
                    throw;
                }
            }
            Thread.Sleep(50);
        }
        started.Dispose();
        throw new ProgrammerException(ErrorCodes.ProgrammerDisconnected, $"OpenOCD did not open its Tcl server within 30 s with {config}.{started.Diagnostics()}");
    }

    /// <summary>The last lines OpenOCD printed, for error messages.</summary>
    public string Diagnostics()
    {
        lock (_log)
            return _log.Count == 0 ? "" : " OpenOCD said: " + string.Join(" | ", _log.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.Contains("assert", StringComparison.OrdinalIgnoreCase)).DefaultIfEmpty(_log.Last()).TakeLast(4));
    }

    private void Keep(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) return;
        lock (_log)
        {
            _log.Enqueue(line.Trim());
            while (_log.Count > 40) _log.Dequeue();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Asks OpenOCD to shut down (the caller sends <c>shutdown</c> first when it can), then ends it.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.WaitForExit(TimeSpan.FromSeconds(5))) _process.Kill();
            _process.WaitForExit();
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
