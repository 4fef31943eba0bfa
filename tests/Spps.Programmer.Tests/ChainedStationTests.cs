using Newtonsoft.Json.Linq;
using Spps.Flow.Tests;

namespace Spps.Programmer.Tests;

/// <summary>The station's per-device rules (skip a device whose state does not fit, no code used) on the devices of a chain.</summary>
public sealed class ChainedStationTests
{
    [Fact]
    public void On_a_chain_a_device_whose_state_does_not_fit_is_skipped_and_uses_no_code()
    {
        using var t = new Tutorial();
        var project = t.Oe.PathOf("JobManager_Create_Project.tcl");
        File.WriteAllText(project, File.ReadAllText(project).Replace("-device_hw_location {1}", "-device_hw_location {2}"));
        t.RunUntilJobLoaded();
        t.Cm.Station("sim", "create-boards", "--dir", "chain", "--count", "2", "--chain", "3").ShouldSucceed();
        var before = t.CodesLeft();

        // ERASE over two chains whose devices are all blank: device 2 of each is skipped, no code is spent.
        var erase = Run(t, "ERASE", "sim:chain").ShouldSucceed();
        Assert.Equal(2, erase.Stderr.Split('\n').Count(l => l.Contains("device 2 of 3: skipped: ") && l.Contains("is blank")));
        Assert.Contains("[2/2]", erase.Stderr); // one result per device the job programs, not per device on the chain
        Assert.Contains("2 skipped", erase.Stdout);
        Assert.Equal(before, t.CodesLeft());

        // PROGRAM then uses one code per chain, on device 2 only; a second PROGRAM skips both (already programmed).
        Run(t, "PROGRAM", "sim:chain").ShouldSucceed();
        Assert.Equal(["blank", "programmed", "blank", "blank", "programmed", "blank"], t.Cm.Boards("chain").Select(b => (string)b["state"]!));
        Assert.Equal(before["PROGRAM"] - 2, t.CodesLeft()["PROGRAM"]);
        var again = Run(t, "PROGRAM", "sim:chain").ShouldSucceed();
        Assert.Equal(2, again.Stderr.Split('\n').Count(l => l.Contains("device 2 of 3: skipped: ") && l.Contains("already holds this design")));
        Assert.Equal(before["PROGRAM"] - 2, t.CodesLeft()["PROGRAM"]);
    }

    private static ToolRun Run(Tutorial t, string action, string programmer)
    {
        t.Cm.Station("set-programming-action", "--project", Tutorial.JobProject, "--action", action).ShouldSucceed();
        return t.Cm.Station("run-selected-actions", "--project", Tutorial.JobProject, "--programmer", programmer);
    }
}
