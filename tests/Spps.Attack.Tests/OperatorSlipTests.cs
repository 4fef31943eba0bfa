namespace Spps.Attack.Tests;

/// <summary>
/// Codes are spent only where they can be used, and duplicates show in the OE's report: an ERASE or VERIFY
/// run over blank boards, a second station on boards already programmed, a device programmed twice.
/// </summary>
public sealed class OperatorSlipTests
{
    /// <summary>One board programmed, then two blank ones added to the same folder.</summary>
    private static (Tutorial T, string Boards) OneProgrammedTwoBlank()
    {
        var t = new Tutorial();
        t.RunUntilJobLoaded();
        var boards = t.NewBoards(1);
        t.CmScript("FlashProExpress_Run_Program", boards).ShouldSucceed();
        t.Cm.Station("sim", "create-boards", "--dir", boards, "--count", "2").ShouldSucceed();
        return (t, boards);
    }

    [Theory]
    [InlineData("ERASE")]
    [InlineData("VERIFY")]
    public void An_action_over_mostly_blank_boards_spends_one_code(string action)
    {
        var (t, boards) = OneProgrammedTwoBlank();
        using (t)
        {
            var run = Cm.Run(t, boards, action);

            Assert.DoesNotContain("   at ", run.All);
            Assert.Contains("blank", run.All);
            Assert.Equal(1, t.CodesLeft()[action]);
            var states = Cm.Boards(t.Cm, boards);
            Assert.Equal(action == "ERASE" ? 0 : 1, states.Count(b => b.State == "programmed"));
            Assert.Equal(action == "ERASE" ? 2 : 1, states.Max(b => b.Cycles)); // ERASE erased the programmed board
        }
    }

    [Fact]
    public void A_second_station_does_not_program_boards_that_hold_the_design()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();
        var boards = t.NewBoards(2);
        t.CmScript("FlashProExpress_Run_Program", boards).ShouldSucceed();
        var cocs = File.ReadAllLines(t.Cm.PathOf("MyProgJob/cocs.jsonl")).Length;

        var second = t.CmScript("FlashProExpress_Run_Program", boards);

        Assert.DoesNotContain("   at ", second.All);
        Assert.All(Cm.Boards(t.Cm, boards), b => Assert.Equal(1, b.Cycles));
        Assert.Equal(cocs, File.ReadAllLines(t.Cm.PathOf("MyProgJob/cocs.jsonl")).Length);
    }

    /// <summary>
    /// Two stations on the same boards, the second one told the boards are blank (the attack plugin lies
    /// about the state): every device is programmed twice. The OE's report must say so.
    /// </summary>
    [Fact]
    public void Devices_programmed_twice_are_flagged_by_the_OE()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();
        var boards = t.NewBoards(2);
        t.CmScript("FlashProExpress_Run_Program", boards).ShouldSucceed();
        Cm.UseAttackProgrammer(t.Cm, claimState: "blank");
        Cm.Run(t, boards, "PROGRAM", programmer: "attack").ShouldSucceed();
        Assert.All(Cm.Boards(t.Cm, boards), b => Assert.Equal(2, b.Cycles));

        t.CmScript("FlashProExpress_Complete_Job").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatusEnd");
        var report = t.OeScript("JobManager_Check_Job_End_Status");

        report.ShouldFail(3, "SPPS4014");
        Assert.Contains("more than once", report.All);
    }
}
