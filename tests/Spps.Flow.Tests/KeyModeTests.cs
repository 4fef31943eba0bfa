namespace Spps.Flow.Tests;

/// <summary>Authorization codes for every key mode, and the genuine-device check.</summary>
public sealed class KeyModeTests
{
    private static Tutorial WithKeyMode(string keyMode)
    {
        var t = new Tutorial();
        t.RunUntilJobLoaded(beforeProject: () =>
        {
            var script = t.Oe.PathOf("JobManager_Create_Project.tcl");
            File.WriteAllText(script, File.ReadAllText(script)
                .Replace("-features {SECURITY}", "-features {SECURITY FABRIC ENVM}")
                .Replace("-auth_keymode {KFPE}", "-auth_keymode {" + keyMode + "}"));
        });
        return t;
    }

    [Theory]
    [InlineData("KFP")]
    [InlineData("KFPE")]
    public void Certificate_key_modes_program_verify_and_certify(string keyMode)
    {
        using var t = WithKeyMode(keyMode);
        var boards = t.NewBoards(2);
        t.CmScript("FlashProExpress_Run_Program", boards).ShouldSucceed();
        t.Run(boards, "VERIFY").ShouldSucceed();
        Assert.All(t.Cm.Boards(boards), b => Assert.Equal("programmed", (string)b["state"]!));
        t.CmScript("FlashProExpress_Complete_Job").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatusEnd");
        var report = t.OeScript("JobManager_Check_Job_End_Status").ShouldSucceed();
        Assert.Contains("Certificates of Conformance: 4 valid, 0 invalid, 4 in all", report.Stdout);
    }

    [Fact]
    public void DFK_needs_the_imported_factory_key_database()
    {
        using var t = WithKeyMode("DFK");
        var boards = t.NewBoards(1);
        var refused = t.CmScript("FlashProExpress_Run_Program", boards);
        refused.ShouldFail(4, "SPPS4016");
        Assert.Equal("blank", (string)t.Cm.Boards(boards).Single()["state"]!);
        Assert.Equal(2, t.CodesLeft()["PROGRAM"]); // refused before the count moved: a device the M-HSM cannot serve costs no code

        t.Cm.Station("sim", "export-dfk-db", "-o", "lot.dfk").ShouldSucceed();
        t.Cm.Station("import-dfk-db", "--file", "lot.dfk").ShouldSucceed();
        t.CmScript("FlashProExpress_Run_Program", boards).ShouldSucceed();
        Assert.Equal("programmed", (string)t.Cm.Boards(boards).Single()["state"]!);
        Assert.Equal(1, t.CodesLeft()["PROGRAM"]);
    }

    [Fact]
    public void A_device_whose_certificate_does_not_chain_to_the_silicon_vendor_is_refused()
    {
        using var t = WithKeyMode("KFPE");
        t.NewBoards(1); // the CM's genuine boards: their silicon vendor's root is trusted by this site's M-HSM
        // Boards of another silicon vendor, one the OE's job does not name.
        t.Cm.Station("sim", "create-boards", "--dir", "fake", "--count", "1", "--vendor", Path.Combine(t.Root, "counterfeiter")).ShouldSucceed();
        var run = t.CmScript("FlashProExpress_Run_Program", "fake");
        run.ShouldFail(4, "SPPS4010");
        Assert.Contains("not genuine", run.Stderr);
        Assert.Equal("blank", (string)t.Cm.Boards("fake").Single()["state"]!);
        Assert.Equal(2, t.CodesLeft()["PROGRAM"]);
    }
}
