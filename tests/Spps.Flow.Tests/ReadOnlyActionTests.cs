using Newtonsoft.Json.Linq;

namespace Spps.Flow.Tests;

/// <summary>
/// The seed's read-only actions DEVICE_INFO, READ_IDCODE and VERIFY_DIGEST through the real spps-station and
/// simulated boards: they read every device of the job, need no ticket, and never spend a code.
/// </summary>
public sealed class ReadOnlyActionTests
{
    [Fact]
    public void DEVICE_INFO_READ_IDCODE_and_VERIFY_DIGEST_read_the_devices_and_never_spend_a_code()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();
        var boards = t.NewBoards(1);
        t.Run(boards, "PROGRAM").ShouldSucceed();
        t.Cm.Station("sim", "create-boards", "--dir", boards, "--count", "1").ShouldSucceed(); // board-002, blank
        var inspected = t.Cm.Boards(boards);
        var programmedDsn = (string)inspected.Single(b => (string)b["state"]! == "programmed")["dsn"]!;
        var blankDsn = (string)inspected.Single(b => (string)b["state"]! == "blank")["dsn"]!;
        var ledger = Path.Combine(t.Cm.Home, "mhsm", "10", "ledger.jsonl");
        var ledgerBefore = File.ReadAllLines(ledger).Length;
        var leftBefore = t.CodesLeft();
        var cocs = t.Cm.PathOf("MyProgJob/cocs.jsonl");
        var cocsBefore = File.ReadAllLines(cocs).Length;

        // DEVICE_INFO from a script, as the seed's FlashPro Express runs actions.
        File.WriteAllText(t.Cm.PathOf("info.tcl"),
            "open_project -project {./MyProgJob/MyProgJob.pro}\nset_programming_action -action {DEVICE_INFO}\nrun_selected_actions\nclose_project\n");
        var info = t.Cm.Station("script", "info.tcl", "--programmer", "sim:" + boards).ShouldSucceed();
        Assert.Contains("Running DEVICE_INFO on 2 device(s) through sim; authorization codes from no M-HSM (DEVICE_INFO only reads the devices: no code is used)", info.Stderr);
        Assert.Contains($"DEVICE_INFO on device MyDevice: IDCODE 0x15350B4B, DSN {programmedDsn}, programmed with hello_world_sb (design digest ", info.Stderr);
        Assert.Contains($"DSN {blankDsn}, blank, 0 programming cycle(s)", info.Stderr);
        Assert.Contains("2 of 2 device(s) succeeded.", info.Stdout);

        // The same as a subcommand with --json: what each device said, typed.
        var devices = RunJson(t, boards, "DEVICE_INFO");
        var programmed = devices.Single(d => (string)d["dsn"]! == programmedDsn);
        Assert.True((bool)programmed["programmed"]!);
        Assert.Equal("hello_world_sb", (string)programmed["design"]!);
        Assert.Equal(1, (int)programmed["cycle_count"]!);
        Assert.Contains("CN=", (string)programmed["certificate_subject"]!);
        Assert.False((bool)devices.Single(d => (string)d["dsn"]! == blankDsn)["programmed"]!);

        var idcodes = RunJson(t, boards, "READ_IDCODE");
        Assert.Equal(2, idcodes.Count);
        Assert.All(idcodes, d => Assert.Equal("0x15350B4B", (string)d["idcode"]!));
        Assert.All(idcodes, d => Assert.True((bool)d["reference_family"]!));

        // VERIFY_DIGEST: the programmed board holds the job's digest, the blank one fails with SPPS5012.
        t.Cm.Station("set-programming-action", "--project", Tutorial.JobProject, "--action", "VERIFY_DIGEST").ShouldSucceed();
        var verify = t.Cm.Station("run-selected-actions", "--project", Tutorial.JobProject, "--programmer", "sim:" + boards);
        verify.ShouldFail(5, "SPPS5012");
        Assert.Contains($"VERIFY_DIGEST succeeded on device MyDevice (DSN {programmedDsn}): its design digest ", verify.Stderr);
        Assert.Contains($"VERIFY_DIGEST failed on device MyDevice (DSN {blankDsn}): it is blank, the job's design is hello_world_sb", verify.Stderr);
        Assert.Contains("1 of 2 device(s) succeeded.", verify.Stdout);
        var single = t.NewBoards(1);
        t.Run(single, "PROGRAM").ShouldSucceed();
        t.Run(single, "VERIFY_DIGEST").ShouldSucceed();

        // Nothing was counted: the ledger, the codes left and the CoCs are as before the read-only runs (but for the one PROGRAM).
        Assert.Equal(ledgerBefore + 1, File.ReadAllLines(ledger).Length);
        var leftAfter = t.CodesLeft();
        Assert.Equal(leftBefore["PROGRAM"] - 1, leftAfter["PROGRAM"]);
        Assert.Equal(leftBefore["VERIFY"], leftAfter["VERIFY"]);
        Assert.Equal(leftBefore["ERASE"], leftAfter["ERASE"]);
        Assert.Equal(cocsBefore + 1, File.ReadAllLines(cocs).Length);
    }

    [Fact]
    public void A_ticket_cannot_be_made_for_an_action_that_needs_no_code()
    {
        using var t = new Tutorial();
        t.OeScript("JobManager_Set_HSM_Parameters").ShouldSucceed();
        t.OeScript("JobManager_Create_Keyset").ShouldSucceed();
        t.MakeJdc();
        t.OeScript("JobManager_Create_Project").ShouldSucceed();
        var refused = t.Oe.Spps("new-hsmtask-ticket", "--project", "MyProject/MyProject.jprj", "--job-name", "MyProgJob", "--hsmtask-name", "T",
            "--ticket-name", "Info", "--device-name", "MyDevice", "--actions", "DEVICE_INFO", "--max-device", "1");
        refused.ShouldFail(2, "SPPS2005");
        Assert.Contains("DEVICE_INFO only reads the device and needs no ticket", refused.Stderr);
    }

    private static List<JObject> RunJson(Tutorial t, string boards, string action)
    {
        t.Cm.Station("set-programming-action", "--project", Tutorial.JobProject, "--action", action).ShouldSucceed();
        var data = t.Cm.Json("spps-station", "run-selected-actions", "--project", Tutorial.JobProject, "--programmer", "sim:" + boards);
        Assert.Equal(action, (string)data["action"]!);
        return ((JArray)data["boards"]!).Select(b => (JObject)b["device"]!).ToList();
    }
}
