using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Spps.Flow.Tests;

namespace Spps.Programmer.Tests;

/// <summary>
/// The tutorial's production step through a real OpenOCD process (remote_bitbang) against simulated
/// boards served by spps-station sim serve-jtag; the real spps and spps-station executables throughout.
/// </summary>
public sealed class OpenOcdFlowTests
{
    public OpenOcdFlowTests() => Assert.True(OpenOcdConfig.Installed, "openocd is not installed: apt-get install openocd (test.sh does)");

    private static string BoardFile(Site site, string dir) => Directory.GetFiles(site.PathOf(dir), "board-*.json").Single();

    private static string State(Tutorial t, string dir, int index = 0) => (string)t.Cm.Boards(dir)[index]["state"]!;

    [Fact]
    public void Gang_sites_a_cable_cut_mid_bitstream_and_a_free_retry_through_OpenOCD()
    {
        using var t = new Tutorial();
        WithFabric(t); // the bitstream carries the 200 kB fabric, so it is most of what goes over the wire
        t.RunUntilJobLoaded();
        var a = t.NewBoards(1);
        var c = t.NewBoards(1);
        using var serverA = JtagServer.Start(t.Cm, BoardFile(t.Cm, a));
        using var relayA = new CuttingRelay(serverA.Port);
        OpenOcdConfig.Write(t.Cm, "a.cfg", relayA.Port);

        // Two sites: board A through OpenOCD, and an OpenOCD that is not there. A is programmed all the same.
        var dead = "openocd-rpc:127.0.0.1:" + OpenOcdConfig.ClosedPort();
        var gang = t.Cm.Station("script", "FlashProExpress_Run_Program.tcl", "--programmer", "openocd:a.cfg", "--programmer", dead);
        gang.ShouldFail(5, "SPPS5009");
        Assert.Contains($"{dead}: error SPPS5009: No OpenOCD Tcl server", gang.Stderr);
        Assert.Matches(new Regex(@"openocd a\.cfg: PROGRAM succeeded on device MyDevice \(DSN [0-9a-f]{32}\), CoC PROGRAMMED"), gang.Stderr);
        Assert.Contains("1 of 2 device(s) succeeded", gang.Stdout);
        Assert.Equal("programmed", State(t, a));
        Assert.Equal(1, t.CodesLeft()["PROGRAM"]);
        var wholeRun = relayA.Forwarded;

        // Board C: the link is cut halfway through the bytes a whole PROGRAM takes (the bitstream is most of them).
        using var serverC = JtagServer.Start(t.Cm, BoardFile(t.Cm, c));
        using (var cut = new CuttingRelay(serverC.Port, wholeRun / 2))
        {
            OpenOcdConfig.Write(t.Cm, "c.cfg", cut.Port);
            var failed = t.Cm.Station("script", "FlashProExpress_Run_Program.tcl", "--programmer", "openocd:c.cfg");
            failed.ShouldFail(5, "SPPS5009");
            Assert.True(cut.Cut);
            Assert.Contains("openocd c.cfg: error SPPS5009: OpenOCD", failed.Stderr); // which board, and why
        }
        Assert.Equal("blank", State(t, c));
        Assert.Equal(0, t.CodesLeft()["PROGRAM"]); // C's code was issued before the cut

        // The retry over a sound link succeeds without a code left: it costs nothing.
        using (var sound = new CuttingRelay(serverC.Port))
        {
            OpenOcdConfig.Write(t.Cm, "c.cfg", sound.Port);
            t.Cm.Station("script", "FlashProExpress_Run_Program.tcl", "--programmer", "openocd:c.cfg").ShouldSucceed();
        }
        Assert.Equal("programmed", State(t, c));
        Assert.Equal(0, t.CodesLeft()["PROGRAM"]);

        // VERIFY and ERASE of A through OpenOCD; C, released by its server, verifies through the in-process simulator.
        Run(t, "VERIFY", "openocd:a.cfg").ShouldSucceed();
        Run(t, "ERASE", "openocd:a.cfg").ShouldSucceed();
        Assert.Equal("blank", State(t, a));
        serverC.Stop();
        Run(t, "VERIFY", "sim:" + c).ShouldSucceed();
        Assert.Equal(new Dictionary<string, long> { ["PROGRAM"] = 0, ["VERIFY"] = 0, ["ERASE"] = 1 }, t.CodesLeft());

        // The OE validates the CoCs made through OpenOCD exactly as those made through the simulator.
        t.CmScript("FlashProExpress_Export_Job_Status").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatus");
        var check = t.OeScript("JobManager_Check_Job_Status").ShouldSucceed();
        Assert.Contains("Certificates of Conformance: 5 valid, 0 invalid, 5 in all", check.Stdout);
        Assert.Contains("Job status is VALID.", check.Stdout);
    }

    [Fact]
    public void Only_the_middle_device_of_a_three_device_chain_is_programmed_verified_and_erased()
    {
        using var t = new Tutorial();
        var project = t.Oe.PathOf("JobManager_Create_Project.tcl");
        File.WriteAllText(project, File.ReadAllText(project).Replace("-device_hw_location {1}", "-device_hw_location {2}"));
        t.RunUntilJobLoaded();
        t.Cm.Station("sim", "create-boards", "--dir", "chain", "--count", "1", "--chain", "3").ShouldSucceed();
        using var server = JtagServer.Start(t.Cm, BoardFile(t.Cm, "chain"));
        OpenOcdConfig.Write(t.Cm, "chain.cfg", server.Port, taps: 3);

        var program = t.Cm.Station("script", "FlashProExpress_Run_Program.tcl", "--programmer", "openocd:chain.cfg").ShouldSucceed();
        Assert.Contains("openocd chain.cfg device 2 of 3: PROGRAM succeeded", program.Stderr);
        Assert.Equal(["blank", "programmed", "blank"], t.Cm.Boards("chain").Select(b => (string)b["state"]!));

        Run(t, "VERIFY", "openocd:chain.cfg").ShouldSucceed();
        Run(t, "ERASE", "openocd:chain.cfg").ShouldSucceed();
        var boards = t.Cm.Boards("chain");
        Assert.All(boards, b => Assert.Equal("blank", (string)b["state"]!));
        Assert.Equal([0, 2, 0], boards.Select(b => (int)b["cycle_count"]!));
        Assert.Equal(new Dictionary<string, long> { ["PROGRAM"] = 1, ["VERIFY"] = 1, ["ERASE"] = 1 }, t.CodesLeft());
        server.Stop();

        t.CmScript("FlashProExpress_Export_Job_Status").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatus");
        Assert.Contains("Certificates of Conformance: 3 valid, 0 invalid, 3 in all", t.OeScript("JobManager_Check_Job_Status").ShouldSucceed().Stdout);
    }

    private static ToolRun Run(Tutorial t, string action, string programmer)
    {
        t.Cm.Station("set-programming-action", "--project", Tutorial.JobProject, "--action", action).ShouldSucceed();
        return t.Cm.Station("run-selected-actions", "--project", Tutorial.JobProject, "--programmer", programmer);
    }

    /// <summary>The tutorial's bitstream programs SECURITY only; this one also carries the fabric and eNVM.</summary>
    internal static void WithFabric(Tutorial t)
    {
        var project = t.Oe.PathOf("JobManager_Create_Project.tcl");
        File.WriteAllText(project, File.ReadAllText(project).Replace("-features {SECURITY}", "-features {SECURITY FABRIC ENVM}"));
    }
}
