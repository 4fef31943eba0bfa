namespace Spps.Attack.Tests;

/// <summary>
/// The CM relabels an authorization code between the M-HSM and the device. Its programmer plugin (the
/// attack plugin: modified software, as a CM may run) rewrites the code's <c>action</c> and tells the station
/// whatever device state gets it a code. Only the device's own check can stop it.
/// </summary>
public sealed class RelabelAttackTests
{
    [Fact]
    public void A_VERIFY_code_relabelled_PROGRAM_does_not_program_a_blank_device()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();
        var bitstream = (Newtonsoft.Json.Linq.JObject)Cm.Header(t.Cm.PathOf("MyProgJob.job"))["bitstreams"]![0]!;
        var boards = t.NewBoards(1);

        // The station is told the blank device holds the design, so it asks for a VERIFY code; the device is told it is a PROGRAM code.
        Cm.UseAttackProgrammer(t.Cm, relabel: "VERIFY:PROGRAM", claimState: $"programmed:{bitstream["design"]}:{bitstream["design_digest"]}");
        var run = Cm.Run(t, boards, "VERIFY", programmer: "attack");

        run.ShouldFail(5, "SPPS5002");
        Cm.AllBlank(t.Cm, boards);
        Assert.Equal(2, t.CodesLeft()["PROGRAM"]);
    }

    /// <summary>A code captured on its way to one device and given to another: the device derives K_dev from its own key and DSN, so it refuses.</summary>
    [Fact]
    public void A_code_captured_for_one_device_does_not_program_another()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();
        var first = t.NewBoards(1);
        var second = t.NewBoards(1);
        Cm.UseAttackProgrammer(t.Cm, replay: t.Cm.PathOf("captured-code.json"));
        Cm.Run(t, first, "PROGRAM", programmer: "attack").ShouldSucceed(); // the code passes, and is kept
        Assert.True(File.Exists(t.Cm.PathOf("captured-code.json")));

        Cm.Run(t, second, "PROGRAM", programmer: "attack").ShouldFail(5, "SPPS5002");

        Cm.AllBlank(t.Cm, second);
    }
}
