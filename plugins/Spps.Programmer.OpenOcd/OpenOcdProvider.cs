using System.Globalization;
using Spps.Contracts.Programmers;
using Spps.Jtag;

namespace Spps.Programmer.OpenOcd;

/// <summary>
/// Programmers "openocd" and "openocd-rpc": <c>openocd:CONFIG.cfg</c> starts OpenOCD with a configuration
/// (adapter and the chain's TAPs, as any OpenOCD board configuration) and stops it afterwards;
/// <c>openocd-rpc:HOST:PORT</c> attaches to an OpenOCD that runs already (its Tcl RPC port).
/// The chain is what <c>scan_chain</c> lists (enabled TAPs, first nearest TDO).
/// </summary>
public sealed class OpenOcdProvider : IProgrammerProvider, IJtagChainProvider
{
    public string Name => "openocd";

    public IReadOnlyList<IJtagPort> Discover(string connection) => ChainedDevicePort.ForEveryDevice(OpenChains(connection)[0], 8);

    public IReadOnlyList<JtagChain> OpenChains(string connection)
    {
        OpenOcdProcess? process = null;
        OpenOcdRpc rpc;
        string location;
        if (File.Exists(connection) || connection.EndsWith(".cfg", StringComparison.OrdinalIgnoreCase))
        {
            (process, rpc) = OpenOcdProcess.Start(connection);
            location = $"openocd {Path.GetFileName(connection)}";
        }
        else
        {
            var colon = connection.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(connection[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
                throw new ProgrammerException(ErrorCodes.ProgrammerInvalid, $"'{connection}' is neither an OpenOCD configuration file nor HOST:PORT of a running OpenOCD's Tcl server.");
            var host = connection[..colon];
            rpc = OpenOcdRpc.TryConnect(host, port, () => "")
                ?? throw new ProgrammerException(ErrorCodes.ProgrammerDisconnected, $"No OpenOCD Tcl server at {host}:{port}: start openocd (tcl_port {port}) or use openocd:CONFIG.cfg.");
            location = $"openocd {host}:{port}";
        }
        try
        {
            var taps = OpenOcdTap.ScanChain(rpc);
            if (taps.Count == 0) throw new ProgrammerException(ErrorCodes.NoDevices, $"OpenOCD ({location}) has no enabled TAP: declare the chain with jtag newtap.");
            if (taps.FirstOrDefault(t => t.IrLength is null or < 2) is { } unknown)
                throw new ProgrammerException(ErrorCodes.ChainMismatch, $"OpenOCD ({location}) does not know the IR length of {unknown.Name}: declare it with -irlen.");
            return [new JtagChain(new OpenOcdTap(rpc, taps, process, location), taps)];
        }
        catch
        {
            if (process is not null) { try { rpc.Raw("shutdown"); } catch (ProgrammerException) { } }
            rpc.Dispose();
            process?.Dispose();
            throw;
        }
    }
}
