using Spps.Flow.Tests;

namespace Spps.Programmer.Tests;

/// <summary>The read-only actions through a real OpenOCD process (remote_bitbang) against a simulated board: no code spent.</summary>
public sealed class ReadOnlyOpenOcdTests
{
    public ReadOnlyOpenOcdTests() => Assert.True(OpenOcdConfig.Installed, "openocd is not installed: apt-get install openocd (test.sh does)");

    [Fact]
    public void DEVICE_INFO_READ_IDCODE_and_VERIFY_DIGEST_run_through_OpenOCD_and_spend_no_code()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();
        var dir = t.NewBoards(1);
        var dsn = (string)t.Cm.Boards(dir).Single()["dsn"]!;
        using var server = JtagServer.Start(t.Cm, Directory.GetFiles(t.Cm.PathOf(dir), "board-*.json").Single());
        OpenOcdConfig.Write(t.Cm, "a.cfg", server.Port);

        var blank = Run(t, "VERIFY_DIGEST");
        blank.ShouldFail(5, "SPPS5012");
        Assert.Contains($"openocd a.cfg: error SPPS5012: VERIFY_DIGEST failed on device MyDevice (DSN {dsn}): it is blank", blank.Stderr);

        Run(t, "PROGRAM").ShouldSucceed();
        var ledger = Path.Combine(t.Cm.Home, "mhsm", "10", "ledger.jsonl");
        var records = File.ReadAllLines(ledger).Length;

        var info = Run(t, "DEVICE_INFO").ShouldSucceed();
        Assert.Contains($"openocd a.cfg: DEVICE_INFO on device MyDevice: IDCODE 0x15350B4B, DSN {dsn}, programmed with hello_world_sb (design digest ", info.Stderr);
        Assert.Contains("openocd a.cfg: READ_IDCODE on device MyDevice: IDCODE 0x15350B4B (reference family)", Run(t, "READ_IDCODE").ShouldSucceed().Stderr);
        Assert.Contains($"openocd a.cfg: VERIFY_DIGEST succeeded on device MyDevice (DSN {dsn})", Run(t, "VERIFY_DIGEST").ShouldSucceed().Stderr);

        Assert.Equal(records, File.ReadAllLines(ledger).Length);
        Assert.Equal(new Dictionary<string, long> { ["PROGRAM"] = 1, ["VERIFY"] = 2, ["ERASE"] = 2 }, t.CodesLeft());
    }

    private static ToolRun Run(Tutorial t, string action)
    {
        t.Cm.Station("set-programming-action", "--project", Tutorial.JobProject, "--action", action).ShouldSucceed();
        return t.Cm.Station("run-selected-actions", "--project", Tutorial.JobProject, "--programmer", "openocd:a.cfg");
    }
}
