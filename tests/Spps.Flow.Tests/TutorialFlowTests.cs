using System.Text.RegularExpressions;

namespace Spps.Flow.Tests;

/// <summary>The seed tutorial, run from its own scripts on the embedded default (software HSMs, simulated boards).</summary>
public sealed class TutorialFlowTests
{
    [Fact]
    public void The_tutorial_runs_from_its_scripts_and_the_OE_validates_the_proofs()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();

        var status = t.CmScript("FlashProExpress_Export_Job_Status").ShouldSucceed();
        Assert.Equal(["2", "2", "2"], Left(status));
        Assert.Contains("Ticket Name: MyTicket1", status.Stdout);
        Assert.Contains("Device Name: MyDevice", status.Stdout);
        // One form for a ticket ID in text and JSON: the normal form (the seed's logs pad to 43 digits).
        var jsonIds = ((Newtonsoft.Json.Linq.JArray)t.Cm.Json("spps-station", "get-job-status", "--project", Tutorial.JobProject)["tickets"]!).Select(x => (string)x["ticket_id"]!).ToList();
        Assert.Equal(jsonIds, Regex.Matches(status.Stdout, @"Ticket ID: ([0-9a-f]+)").Select(m => m.Groups[1].Value));
        Assert.All(jsonIds, id => Assert.False(id.StartsWith('0')));

        var board1 = t.NewBoards(1);
        var board2 = t.NewBoards(1);
        var board3 = t.NewBoards(1);
        t.CmScript("FlashProExpress_Run_Program", board1).ShouldSucceed();
        Assert.Equal(["1", "2", "2"], Left(t.CmScript("FlashProExpress_Export_Job_Status").ShouldSucceed()));
        t.Cm.Station("script", "FlashProExpress_Run_Program.tcl", "--programmer", "sim:" + board2).ShouldSucceed(); // the option instead of SPPS_PROGRAMMER
        Assert.Equal(["0", "2", "2"], Left(t.CmScript("FlashProExpress_Export_Job_Status").ShouldSucceed()));

        var refused = t.CmScript("FlashProExpress_Run_Program", board3);
        refused.ShouldFail(4, "SPPS4008");
        Assert.Contains("FlashProExpress_Run_Program.tcl:4:", refused.Stderr); // names the run_selected_actions line
        Assert.Contains("no authorization codes left", refused.Stderr);
        var third = t.Cm.Boards(board3).Single();
        Assert.Equal("blank", (string)third["state"]!);
        Assert.Null((string?)third["design"]);
        Assert.Equal("hello_world_sb", (string)t.Cm.Boards(board1).Single()["design"]!);

        // Running PROGRAM again on a board that already holds the design skips it: no code, no second CoC.
        var again = t.CmScript("FlashProExpress_Run_Program", board1).ShouldSucceed();
        Assert.Contains("already holds this design", again.Stderr);
        Assert.Equal(0, t.CodesLeft()["PROGRAM"]);

        // VERIFY and ERASE consume codes as the seed's Figure 30 shows. (4 CoCs in all: 2 PROGRAM, 1 VERIFY, 1 ERASE.)
        t.Run(board1, "VERIFY").ShouldSucceed();
        t.Run(board1, "ERASE").ShouldSucceed();
        Assert.Equal(["0", "1", "1"], Left(t.CmScript("FlashProExpress_Export_Job_Status").ShouldSucceed()));
        Assert.Equal("blank", (string)t.Cm.Boards(board1).Single()["state"]!);

        Tutorial.Send(t.Cm, t.Oe, "MyJobStatus");
        var check = t.OeScript("JobManager_Check_Job_Status").ShouldSucceed();
        Assert.Contains("Certificates of Conformance: 4 valid, 0 invalid, 4 in all", check.Stdout);
        Assert.Contains("Job status is VALID.", check.Stdout);

        t.CmScript("FlashProExpress_Complete_Job").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatusEnd");
        var end = t.OeScript("JobManager_Check_Job_End_Status").ShouldSucceed();
        Assert.Equal(3, Regex.Matches(end.Stdout, "End certifier: valid").Count);
        Assert.Contains("Devices authorized: 2 of 2; codes left: 0; state: ended", end.Stdout);
        Assert.Contains("Devices authorized: 1 of 2; codes left: 0; state: terminated", end.Stdout);
        Assert.Contains("Certificates of Conformance: 4 valid, 0 invalid, 4 in all", end.Stdout);
    }

    [Fact]
    public void Complete_without_terminate_refuses_while_codes_remain()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();
        var refused = t.Cm.Station("complete-prog-job", "--project", Tutorial.JobProject, "--job-status-file", "End");
        refused.ShouldFail(4, "SPPS4013");
        Assert.Contains("-terminate", refused.Stderr);
        Assert.False(File.Exists(t.Cm.PathOf("End")));
        Assert.Equal(2, t.CodesLeft()["PROGRAM"]);
    }

    [Fact]
    public void The_committed_tutorial_scripts_are_the_seeds()
    {
        var shared = Path.GetFullPath(Path.Combine(RepositoryRoot(), "..", "shared", "spps", "tutorial"));
        if (!Directory.Exists(shared)) return; // outside this workplace only the committed copy exists
        foreach (var file in Directory.GetFiles(shared, "*.tcl", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(shared, file);
            Assert.Equal(File.ReadAllText(file), File.ReadAllText(Path.Combine(Tutorial.Scripts, relative)));
        }
    }

    private static string[] Left(ToolRun status) =>
        Regex.Matches(status.Stdout, @"Number of authorization codes left: (\d+)").Select(m => m.Groups[1].Value).ToArray();

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Spps.Build.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
