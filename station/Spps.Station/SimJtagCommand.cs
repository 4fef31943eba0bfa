using System.CommandLine;
using Spps;
using System.Runtime.InteropServices;
using Spps.Contracts.Programmers;
using Spps.Core;
using Spps.Core.Site;
using Spps.Hosting;
using Spps.Jtag;

namespace Spps.Station;

/// <summary><c>spps-station sim serve-jtag</c>: simulated boards as one JTAG chain over OpenOCD's remote_bitbang protocol.</summary>
internal static class SimJtagCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "TCP port on 127.0.0.1 (0: any free port, printed at start)", Required = true };
        var boards = new Option<string[]>("--board")
        {
            Description = "board file; give several for one chain, in chain order (the first is nearest TDO, OpenOCD's first TAP)",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("serve-jtag",
            "Serve boards as one JTAG chain over OpenOCD's remote_bitbang protocol (adapter driver remote_bitbang) until Ctrl-C or SIGTERM. " +
            "The boards are held exclusively while served.") { port, boards };
        command.SetAction(parse =>
        {
            var output = new HostOutput(false, Console.Out, Console.Error);
            try
            {
                using var env = SppsEnvironment.FromProcess(output.Notice);
                var simulator = env.Plugins.ProgrammerProvider("sim") as IJtagBoardSimulator
                    ?? throw new SppsException(ErrorCodes.PluginNotFound, "The 'sim' programmer plugin does not simulate JTAG chains.");
                var files = parse.GetValue(boards)!.Select(env.Resolve).ToList();
                using (var pins = simulator.OpenPins(files))
                {
                    using var stop = new CancellationTokenSource();
                    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
                    using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
                    output.Line($"Serving {files.Count} board(s) as one chain: {string.Join(", ", files.Select(Path.GetFileName))}");
                    RemoteBitbangServer.ServeAsync(pins, parse.GetValue(port), output.Line, stop.Token).GetAwaiter().GetResult();
                }
                return ExitCodes.Success;
            }
            catch (SppsException e) { return output.Error(e, command: "sim serve-jtag"); }
            catch (System.Net.Sockets.SocketException e) { return output.Error(new SppsException(ErrorCodes.ProgrammerInvalid, $"Cannot listen on port {parse.GetValue(port)}: {e.Message}"), command: "sim serve-jtag"); }
            catch (Exception e) { return output.Internal(e); }
        });
        return command;
    }
}
