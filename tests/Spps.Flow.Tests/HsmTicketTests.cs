using Newtonsoft.Json.Linq;

namespace Spps.Flow.Tests;

/// <summary>
/// The seed's HSM-ticket commands (list_all_hsm_tickets, remove_hsm_tickets) and the M-HSM maintenance
/// procedure, through the real spps-station (scripts and subcommands) and the OE's real post-production check.
/// </summary>
public sealed class HsmTicketTests
{
    [Fact]
    public void Tickets_are_listed_and_an_active_one_is_removed_only_by_force_which_the_OE_sees()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();

        // The script command, as the seed's FlashPro Express runs it.
        File.WriteAllText(t.Cm.PathOf("list.tcl"), "list_all_hsm_tickets -output_file {ticket_ids.txt}\n");
        var listed = t.Cm.Station("script", "list.tcl").ShouldSucceed();
        Assert.Contains("holds 3 ticket(s)", listed.Stdout);
        Assert.Contains("Ticket Name: MyTicket1", listed.Stdout);
        Assert.Contains("Job: MyProgJob (HSM task MyHSMTask)", listed.Stdout);
        Assert.Contains("State: active", listed.Stdout);
        Assert.Contains("Authorization codes: 0 issued, 2 left of 2", listed.Stdout);
        Assert.Equal(3, File.ReadAllLines(t.Cm.PathOf("ticket_ids.txt")).Length);

        var tickets = Tickets(t);
        Assert.Equal(3, tickets.Count);
        Assert.All(tickets, x => Assert.Equal("active", (string)x["state"]!));
        Assert.All(tickets, x => Assert.EndsWith("MyProgJob.pro", (string)x["project"]!));
        var program = (string)tickets.Single(x => (string)x["action"]! == "PROGRAM")["ticket_id"]!;
        var verify = (string)tickets.Single(x => (string)x["action"]! == "VERIFY")["ticket_id"]!;

        t.CmScript("FlashProExpress_Run_Program", t.NewBoards(1)).ShouldSucceed();

        // An active ticket is refused without -force, in words that say what would be lost.
        File.WriteAllText(t.Cm.PathOf("remove.tcl"), $"remove_hsm_tickets -ticket_ids {{{verify}}}\n");
        var refused = t.Cm.Station("script", "remove.tcl");
        refused.ShouldFail(4, "SPPS4025");
        Assert.Contains("remove.tcl:1:", refused.Stderr);
        Assert.Contains("MyTicket2", refused.Stderr);
        Assert.Contains("2 of 2 code(s) left", refused.Stderr);
        Assert.Contains("-force", refused.Stderr);
        Assert.Equal(3, Tickets(t).Count);

        // With --force the PROGRAM ticket goes, and the operator is told what that costs.
        var forced = t.Cm.Station("remove-hsm-tickets", "--ticket-ids", program, "--force").ShouldSucceed();
        Assert.Contains("Removed ACTIVE ticket MyTicket1", forced.Stdout);
        Assert.Contains("1 unused authorization code(s) are lost", forced.Stdout);
        Assert.Contains("PROGRAM can no longer run", forced.Stdout);
        Assert.Equal(2, Tickets(t).Count);
        var removed = ((JArray)t.Cm.Json("spps-station", "list-all-hsm-tickets", "--include-removed")["tickets"]!)
            .Single(x => (string)x["ticket_id"]! == program);
        Assert.Equal("removed", (string)removed["state"]!);
        Assert.True((bool)removed["removed_by_force"]!);

        // No code can be had for it any more: the board stays blank.
        var late = t.NewBoards(1);
        t.CmScript("FlashProExpress_Run_Program", late).ShouldFail(4, "SPPS4007");
        Assert.Equal("blank", (string)t.Cm.Boards(late).Single()["state"]!);

        // The job still ends with a final status, and the OE's check reports the forced removal.
        t.CmScript("FlashProExpress_Complete_Job").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatusEnd");
        var end = t.OeScript("JobManager_Check_Job_End_Status").ShouldSucceed();
        Assert.Contains("warning: ticket MyTicket1 was removed from the M-HSM by force while active (remove_hsm_tickets -force): 1 unused code(s) were given up", end.Stdout);
        Assert.Contains("Job status is VALID.", end.Stdout);

        // Finished tickets go without -force (here every ticket of the reply; the one already removed is said so).
        var rest = t.Cm.Station("remove-hsm-tickets", "--reply-file", "MyProgJobReply.rep").ShouldSucceed();
        Assert.Contains("Removed ticket MyTicket2", rest.Stdout);
        Assert.Contains("MyTicket1", rest.Stdout);
        Assert.Contains("was already removed", rest.Stdout);
        Assert.Empty(Tickets(t));
    }

    [Fact]
    public void Maintenance_is_refused_while_a_job_is_active_and_allowed_once_it_is_completed()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();

        var check = t.Cm.Station("mhsm", "maintenance", "check");
        check.ShouldFail(4, "SPPS4026");
        var begin = t.Cm.Station("mhsm", "maintenance", "begin");
        begin.ShouldFail(4, "SPPS4026");
        Assert.Contains("job MyProgJob, project ", begin.Stderr);
        Assert.Contains("MyTicket1 PROGRAM (active, 0 issued, 2 of 2 code(s) left)", begin.Stderr);
        Assert.Contains("spps-station get-job-status --project ", begin.Stderr);
        Assert.Contains("spps-station complete-prog-job --project ", begin.Stderr);
        Assert.Contains("--terminate", begin.Stderr);
        Assert.Contains("remove_hsm_tickets -force", begin.Stderr);
        Assert.False((bool)t.Cm.Json("spps-station", "mhsm", "maintenance", "end")["in_maintenance"]!); // nothing had begun

        t.Cm.Station("complete-prog-job", "--project", Tutorial.JobProject, "--job-status-file", "MyJobStatusEnd", "--terminate").ShouldSucceed();
        Assert.Contains("no unfinished job", t.Cm.Station("mhsm", "maintenance", "check").ShouldSucceed().Stdout);
        var begun = t.Cm.Json("spps-station", "mhsm", "maintenance", "begin");
        Assert.True((bool)begun["in_maintenance"]!);

        // While in maintenance nothing new starts: no request is answered.
        var during = t.Cm.Station("process-job-request", "--request-file", "MyProgJobRequest.req", "--reply-file", "Again.rep");
        during.ShouldFail(1, "SPPS2018");
        Assert.Contains("mhsm maintenance end", during.Stderr);
        Assert.False(File.Exists(t.Cm.PathOf("Again.rep")));

        var ended = t.Cm.Station("mhsm", "maintenance", "end").ShouldSucceed();
        Assert.Contains("has ended", ended.Stdout);
        Assert.DoesNotContain("CHANGED", ended.Stdout);
        t.Cm.Station("process-job-request", "--request-file", "MyProgJobRequest.req", "--reply-file", "Again.rep").ShouldSucceed();
    }

    private static List<JObject> Tickets(Tutorial t) =>
        ((JArray)t.Cm.Json("spps-station", "list-all-hsm-tickets")["tickets"]!).Cast<JObject>().ToList();
}
