namespace Spps.Attack.Tests;

/// <summary>One request, one job: neither the M-HSM nor the OE lets one request become two loadable jobs.</summary>
public sealed class DuplicateJobAttackTests
{
    private static Tutorial UntilRequestAtCm()
    {
        var t = new Tutorial();
        t.RunUntilRequestSent(fabricBytes: 3000);
        return t;
    }

    [Fact]
    public void The_M_HSM_answers_a_request_once()
    {
        using var t = UntilRequestAtCm();
        t.CmScript("FlashProExpress_Process_Job_Request").ShouldSucceed();

        var again = t.Cm.Station("process-job-request", "--request-file", "MyProgJobRequest.req", "--reply-file", "again.rep");

        if (again.ExitCode != 0)
        {
            again.ShouldFail(4, "SPPS4018");
            Assert.False(File.Exists(t.Cm.PathOf("again.rep")));
        }
        else
        {
            // Answered again identically: the same tickets, so a second job would only be refused at load (SPPS4006).
            Assert.Equal(Cm.TicketIds(t.Cm.PathOf("MyProgJobReply.rep")), Cm.TicketIds(t.Cm.PathOf("again.rep")));
        }
    }

    /// <summary>
    /// A second reply with other ticket IDs, from a copy of the CM's home made before it answered (a software
    /// HSM's store is files, so the copy is the same M-HSM key). The OE has exported a job already: it refuses.
    /// </summary>
    [Fact]
    public void The_OE_refuses_a_second_reply_after_it_exported_the_job()
    {
        using var t = UntilRequestAtCm();
        var clone = new Site(t.Root, "cm-clone");
        Cm.Restore(Cm.Snapshot(t.Cm.Home, Path.Combine(t.Root, "cm-home-copy")), clone.Home);
        File.Copy(t.Cm.PathOf("MyProgJobRequest.req"), clone.PathOf("MyProgJobRequest.req"));

        t.CmScript("FlashProExpress_Process_Job_Request").ShouldSucceed();
        clone.Station("process-job-request", "--request-file", "MyProgJobRequest.req", "--reply-file", "second.rep").ShouldSucceed();
        Assert.NotEqual(Cm.TicketIds(t.Cm.PathOf("MyProgJobReply.rep")), Cm.TicketIds(clone.PathOf("second.rep")));
        Tutorial.Send(t.Cm, t.Oe, "MyProgJobReply.rep");
        t.OeScript("JobManager_Import_Job_Reply").ShouldSucceed();
        t.OeScript("JobManager_Export_HSM_Task").ShouldSucceed();
        var exported = Cm.TicketIds(t.Oe.PathOf("MyProgJob.job"));

        File.Copy(clone.PathOf("second.rep"), t.Oe.PathOf("second.rep"));
        t.Oe.Spps("hsmtask-m-reply", "--project", "MyProject/MyProject.jprj", "--job-name", "MyProgJob", "--hsmtask-name", "MyHSMTask", "--reply-file", "second.rep")
            .ShouldFail(4, "SPPS4018");

        t.OeScript("JobManager_Export_HSM_Task").ShouldSucceed();
        Assert.Equal(exported, Cm.TicketIds(t.Oe.PathOf("MyProgJob.job"))); // still the first reply's tickets: no second loadable job
    }
}
