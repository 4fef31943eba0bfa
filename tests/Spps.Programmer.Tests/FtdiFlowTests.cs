using Spps.Contracts.Programmers;
using Spps.Core.Plugins;
using Spps.Flow.Tests;

namespace Spps.Programmer.Tests;

/// <summary>The tutorial's production step through the FTDI plugin (the real spps-station) over the MPSSE emulator.</summary>
public sealed class FtdiFlowTests
{
    [Fact]
    public void Program_verify_and_erase_through_the_FTDI_plugin_over_the_MPSSE_emulator()
    {
        using var t = new Tutorial();
        OpenOcdFlowTests.WithFabric(t); // the bitstream carries the 200 kB fabric
        t.RunUntilJobLoaded();
        var boards = t.NewBoards(1);
        var sim = (IJtagBoardSimulator)new PluginCatalog([Path.Combine(AppContext.BaseDirectory, "plugins")]).ProgrammerProvider("sim");
        using var pins = sim.OpenPins([Directory.GetFiles(t.Cm.PathOf(boards), "board-*.json").Single()]);
        var emulator = new MpsseEmulator(pins);
        using var server = new MpsseEmulatorServer(emulator);
        var ftdi = $"ftdi:tcp=127.0.0.1:{server.Port},channel=A,khz=15000";

        var program = t.Cm.Station("script", "FlashProExpress_Run_Program.tcl", "--programmer", ftdi).ShouldSucceed();
        Assert.Contains($"ftdi emulator 127.0.0.1:{server.Port}: PROGRAM succeeded on device MyDevice", program.Stderr);
        Assert.Equal("programmed", (string)t.Cm.Boards(boards).Single()["state"]!);
        Assert.Equal((ushort)1, emulator.Divisor); // 15 MHz
        Assert.Equal(1, emulator.LatencyMs);
        Assert.All(emulator.BadCommands, c => Assert.Equal(0xAA, c)); // only the synchronisation probes

        foreach (var action in new[] { "VERIFY", "ERASE" })
        {
            t.Cm.Station("set-programming-action", "--project", Tutorial.JobProject, "--action", action).ShouldSucceed();
            t.Cm.Station("run-selected-actions", "--project", Tutorial.JobProject, "--programmer", ftdi).ShouldSucceed();
        }
        Assert.Equal("blank", (string)t.Cm.Boards(boards).Single()["state"]!);
        Assert.Equal(new Dictionary<string, long> { ["PROGRAM"] = 1, ["VERIFY"] = 1, ["ERASE"] = 1 }, t.CodesLeft());
        // Bulk shifts dominate: nearly every byte on the wire is payload.
        Assert.True(emulator.Clocks / 8.0 / emulator.BytesIn > 0.95, $"{emulator.Clocks / 8.0} payload bytes in {emulator.BytesIn} sent, {emulator.WriteTransfers} writes, {emulator.ReadTransfers} reads");

        t.CmScript("FlashProExpress_Export_Job_Status").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatus");
        Assert.Contains("Certificates of Conformance: 3 valid, 0 invalid, 3 in all", t.OeScript("JobManager_Check_Job_Status").ShouldSucceed().Stdout);
    }
}
