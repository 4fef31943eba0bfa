using System.Text.RegularExpressions;

namespace Spps.Flow.Tests;

/// <summary>The tutorial with both HSMs on SoftHSM2 tokens, named by PKCS#11 URIs in its set_hsm_params scripts.</summary>
public sealed class Pkcs11FlowTests
{
    [Fact]
    public void The_tutorial_runs_on_SoftHSM2_and_no_key_can_leave_the_tokens()
    {
        using var temp = new TempFolder();
        var uhsm = new SoftHsmToken(Path.Combine(temp.Path, "oe-hsm"), "UHSM");
        var mhsm = new SoftHsmToken(Path.Combine(temp.Path, "cm-hsm"), "MHSM");
        using var t = new Tutorial(userHsm: uhsm.Uri, manufacturerHsm: mhsm.Uri);
        uhsm.Use(t.Oe);
        mhsm.Use(t.Cm);
        Assert.Contains("pkcs11:token=UHSM", File.ReadAllText(t.Oe.PathOf("JobManager_Set_HSM_Parameters.tcl")));

        t.RunUntilJobLoaded();
        var boards = t.NewBoards(3);
        var refused = t.CmScript("FlashProExpress_Run_Program", boards);
        refused.ShouldFail(4, "SPPS4008");
        Assert.Equal(2, t.Cm.Boards(boards).Count(b => (string)b["state"]! == "programmed"));
        var programmed = (string)t.Cm.Boards(boards).First(b => (string)b["state"]! == "programmed")["location"]!;
        var one = Path.Combine(t.Cm.Work, "one");
        Directory.CreateDirectory(one);
        File.Move(programmed, Path.Combine(one, "board-001.json"));
        // VERIFY and ERASE through the M-HSM service holding the SoftHSM2 token; SIGTERM stops it cleanly.
        var service = t.Cm.Start("spps-station", "mhsm", "serve");
        try
        {
            Assert.Contains("serving authorization codes", service.StandardOutput.ReadLine());
            Assert.Contains("from the M-HSM service", t.Run("one", "VERIFY").ShouldSucceed().Stdout);
            Assert.Contains("from the M-HSM service", t.Run("one", "ERASE").ShouldSucceed().Stdout);
            using (var term = System.Diagnostics.Process.Start("kill", ["-TERM", service.Id.ToString()])) term.WaitForExit();
            Assert.True(service.WaitForExit(TimeSpan.FromSeconds(20)), "the service did not stop on SIGTERM");
            Assert.Equal(0, service.ExitCode);
            Assert.Empty(Directory.GetFiles(Path.Combine(t.Cm.Home, "mhsm"), "mhsm.sock", SearchOption.AllDirectories));
        }
        finally
        {
            if (!service.HasExited) service.Kill();
        }
        Assert.Equal(["0", "1", "1"], Regex.Matches(t.CmScript("FlashProExpress_Export_Job_Status").ShouldSucceed().Stdout, @"codes left: (\d+)").Select(m => m.Groups[1].Value));
        t.CmScript("FlashProExpress_Complete_Job").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatusEnd");
        var report = t.OeScript("JobManager_Check_Job_End_Status").ShouldSucceed();
        Assert.Equal(3, Regex.Matches(report.Stdout, "End certifier: valid").Count);
        Assert.Contains("Certificates of Conformance: 4 valid, 0 invalid, 4 in all", report.Stdout);

        foreach (var token in new[] { uhsm, mhsm })
        {
            var listing = token.Pkcs11Tool("--list-objects").ShouldSucceed().Stdout;
            var keys = Regex.Split(listing, @"\n(?=\S)").Where(b => b.StartsWith("Secret Key Object") || b.StartsWith("Private Key Object")).ToList();
            Assert.NotEmpty(keys);
            foreach (var key in keys)
            {
                Assert.Matches(@"Access:.*\bsensitive\b", key);
                Assert.Matches(@"Access:.*never extractable", key);
            }
            Assert.DoesNotContain("ticket/", listing); // ending the job destroyed every ticket key
        }
        var master = uhsm.Pkcs11Tool("--read-object", "--type", "secrkey", "--label", "spps/master/30");
        Assert.NotEqual(0, master.ExitCode);
        Assert.DoesNotContain(SoftHsmToken.UserPin, t.Oe.PathOf("MyProgJobRequest.req") is var req ? File.ReadAllText(req) : "");
    }
}
