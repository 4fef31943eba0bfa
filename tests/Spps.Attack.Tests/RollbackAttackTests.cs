namespace Spps.Attack.Tests;

/// <summary>
/// The CM rolls the count back by restoring files it holds. The count's state lives inside the HSM, so
/// restoring files outside the HSM's own storage is refused at once (SPPS4017); restoring the software
/// HSM's store too is beyond what a software HSM can see, and the OE catches it if it saw an earlier status.
/// </summary>
public sealed class RollbackAttackTests
{
    /// <summary>Tutorial job loaded (PROGRAM max_device 2), then both PROGRAM codes spent on two boards.</summary>
    private static Tutorial SpendAllProgramCodes(Action<Tutorial>? afterLoad = null)
    {
        var t = new Tutorial();
        t.RunUntilJobLoaded();
        afterLoad?.Invoke(t);
        t.CmScript("FlashProExpress_Run_Program", t.NewBoards(2)).ShouldSucceed();
        Assert.Equal(0, t.CodesLeft()["PROGRAM"]);
        return t;
    }

    private static void ProgrammingMoreIsRefused(Tutorial t, string code)
    {
        var more = t.NewBoards(2);
        t.CmScript("FlashProExpress_Run_Program", more).ShouldFail(4, code);
        Cm.AllBlank(t.Cm, more);
    }

    [PendingDefenceFact(Pending.HsmHeldCount)]
    public void Copying_an_older_ledger_back_is_refused_at_once()
    {
        byte[]? beforeProduction = null;
        using var t = SpendAllProgramCodes(afterLoad: t => beforeProduction = File.ReadAllBytes(Cm.Ledger(t.Cm)));

        File.WriteAllBytes(Cm.Ledger(t.Cm), beforeProduction!);

        ProgrammingMoreIsRefused(t, "SPPS4017");
    }

    [PendingDefenceFact(Pending.HsmHeldCount)]
    public void Restoring_the_whole_M_HSM_state_folder_is_refused_at_once()
    {
        string? snapshot = null;
        using var t = SpendAllProgramCodes(afterLoad: t => snapshot = Cm.Snapshot(Cm.MhsmFolder(t.Cm), Path.Combine(t.Root, "mhsm-backup")));

        Cm.Restore(snapshot!, Cm.MhsmFolder(t.Cm));

        ProgrammingMoreIsRefused(t, "SPPS4017");
    }

    [PendingDefenceFact(Pending.HsmHeldCount)]
    public void Deleting_the_ledgers_last_newline_is_refused_at_once()
    {
        using var t = SpendAllProgramCodes();
        var ledger = Cm.Ledger(t.Cm);
        var bytes = File.ReadAllBytes(ledger);
        Assert.Equal((byte)'\n', bytes[^1]);

        File.WriteAllBytes(ledger, bytes[..^1]); // the last issue record now looks like a write torn by a crash

        ProgrammingMoreIsRefused(t, "SPPS4017");
    }

    [Fact]
    public void A_ledger_number_out_of_range_is_reported_as_tampering()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();
        t.CmScript("FlashProExpress_Run_Program", t.NewBoards(1)).ShouldSucceed();
        var ledger = Cm.Ledger(t.Cm);
        var records = File.ReadAllLines(ledger);
        var seq = System.Text.RegularExpressions.Regex.Match(records[^1], "\"seq\":(\\d+)");
        Assert.True(seq.Success, records[^1]);
        records[^1] = records[^1].Replace(seq.Value, "\"seq\":1e400", StringComparison.Ordinal); // a number no record counter can hold
        File.WriteAllLines(ledger, records);

        ProgrammingMoreIsRefused(t, "SPPS4011");
    }

    /// <summary>
    /// The software HSM keeps its store under SPPS_HOME, so a CM that restores the whole home (HSM store
    /// included) rolls the count back unseen by the M-HSM. The OE saw an intermediate status before the
    /// rollback; the end status's chain does not extend it, and the OE's check says so.
    /// </summary>
    [PendingDefenceFact(Pending.OeChainMemory)]
    public void Restoring_the_whole_CM_home_is_caught_by_the_OE_once_it_saw_a_status()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();
        var homeBackup = Cm.Snapshot(t.Cm.Home, Path.Combine(t.Root, "home-backup"));
        var projectBackup = Cm.Snapshot(t.Cm.PathOf("MyProgJob"), Path.Combine(t.Root, "project-backup"));

        t.CmScript("FlashProExpress_Run_Program", t.NewBoards(1)).ShouldSucceed();
        t.CmScript("FlashProExpress_Export_Job_Status").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatus");
        t.OeScript("JobManager_Check_Job_Status").ShouldSucceed(); // the OE has now seen one PROGRAM code spent

        Cm.Restore(homeBackup, t.Cm.Home);
        Cm.Restore(projectBackup, t.Cm.PathOf("MyProgJob"));
        t.CmScript("FlashProExpress_Run_Program", t.NewBoards(2)).ShouldSucceed(); // what a software HSM cannot see
        t.CmScript("FlashProExpress_Complete_Job").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatusEnd");

        var report = t.OeScript("JobManager_Check_Job_End_Status");
        report.ShouldFail(3, "SPPS4014");
        Assert.Contains("does not extend", report.All);
    }
}
