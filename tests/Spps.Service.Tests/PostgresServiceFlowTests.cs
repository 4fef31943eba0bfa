using System.Diagnostics;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Spps.Core.Manufacturer;
using Spps.Core.Service;
using Spps.Core.Storage;
using Spps.Flow.Tests;

namespace Spps.Service.Tests;

/// <summary>
/// The tutorial's production through M-HSM service replicas over TCP with mutual TLS, the ledger in a real
/// PostgreSQL cluster; and failover: a replica killed with SIGKILL and PostgreSQL crashed and restarted mid-load.
/// </summary>
public sealed class PostgresServiceFlowTests
{
    private static List<JObject> Issues(PostgresCluster pg) =>
        pg.Lines("SELECT line FROM spps_ledger ORDER BY seq").Select(JObject.Parse).Where(r => (string)r["type"]! == "issue").ToList();

    /// <summary>The whole chain, read back through the ledger's own checks from the PostgreSQL store.</summary>
    private static void LedgerIsConsistent(PostgresCluster pg)
    {
        using var ledger = new Ledger(new PostgresLedgerStore(pg.ConnectionString, "10"));
        ledger.Refresh(); // throws SPPS4011 on any break in either hash chain
        Assert.Equal(pg.Scalar("SELECT count(*) FROM spps_ledger"), ledger.Count);
        Assert.Equal(0, pg.Scalar("SELECT count(*) FROM (SELECT ticket, device FROM spps_ledger WHERE device IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) d"));
    }

    [Fact]
    public void The_tutorial_runs_through_the_service_over_mutual_TLS_with_the_ledger_on_PostgreSQL()
    {
        using var pg = new PostgresCluster();
        using var job = new ServiceFixture(maxDevice: 2, ledger: pg);
        var t = job.Tutorial;
        var replica = job.Site.StartReplica();
        var credentials = job.Site.Enroll("line-1", "MyProgJob");
        job.Site.UseService(credentials, replica);
        Assert.False(File.Exists(Path.Combine(t.Cm.Home, "mhsm", "10", "ledger.jsonl")) && new FileInfo(Path.Combine(t.Cm.Home, "mhsm", "10", "ledger.jsonl")).Length > 0,
            "the ledger went to the file instead of PostgreSQL");

        var board1 = t.NewBoards(1);
        var board2 = t.NewBoards(1);
        var board3 = t.NewBoards(1);
        Assert.Contains($"authorization codes from the M-HSM service at {replica.Url}", t.CmScript("FlashProExpress_Run_Program", board1).ShouldSucceed().Stdout);
        t.CmScript("FlashProExpress_Run_Program", board2).ShouldSucceed();
        var refused = t.CmScript("FlashProExpress_Run_Program", board3);
        refused.ShouldFail(4, "SPPS4008");
        Assert.Contains("no authorization codes left", refused.Stderr);
        Assert.Equal("blank", (string)t.Cm.Boards(board3).Single()["state"]!);
        t.Run(board1, "VERIFY").ShouldSucceed();

        var issues = Issues(pg);
        Assert.Equal(3, issues.Count); // 2 PROGRAM, 1 VERIFY
        Assert.All(issues, r => Assert.Equal("line-1", (string?)r["data"]!["station"]));
        LedgerIsConsistent(pg);

        // The service's other calls: the job's counters as its ledger tells them, and CoC upload.
        using (var client = new MhsmClient([MhsmAddress.Parse(replica.Url)], TlsFiles.Load(credentials)))
        {
            var program = ProgramTicket(t);
            var status = client.GetJobStatus([program]).Tickets.Single();
            Assert.Equal((2L, 2L, 0L, "active", "MyProgJob"), (status.MaxDevice, status.Issued, status.Left, status.State, status.Job));
            var coc = new Spps.Device.Reference.Coc("DSN", "digest", program, "PROGRAM", "00", "PASS", "mac");
            Assert.Equal(1u, client.UploadCocs("MyProgJob", [coc]).Stored);
            var stored = File.ReadAllText(Path.Combine(t.Cm.Home, "mhsm", "10", "uploads", "MyProgJob", "cocs.jsonl"));
            Assert.Contains("\"station\":\"line-1\"", stored);
        }

        // With SPPS_MHSM set, complete_prog_job is a service call too: the end records name the station.
        t.CmScript("FlashProExpress_Complete_Job").ShouldSucceed();
        Assert.All(pg.Lines("SELECT line FROM spps_ledger ORDER BY seq").Select(JObject.Parse).Where(r => (string)r["type"]! == "end"),
            r => Assert.Equal("line-1", (string?)r["data"]!["station"]));
        // The end certifiers are in PostgreSQL, where every replica finds them, and not in this replica's home.
        Assert.Equal(3, pg.Scalar("SELECT count(*) FROM spps_certifiers"));
        Assert.False(Directory.Exists(Path.Combine(t.Cm.Home, "mhsm", "10", "certifiers")), "a certifier was kept in one replica's home");
        Assert.Equal(0, replica.Terminate()); // SIGTERM: a graceful stop
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatusEnd");
        var end = t.OeScript("JobManager_Check_Job_End_Status").ShouldSucceed();
        Assert.Equal(3, Regex.Matches(end.Stdout, "End certifier: valid").Count);
        Assert.Contains("Devices authorized: 2 of 2; codes left: 0; state: ended", end.Stdout);
        Assert.Contains("Certificates of Conformance: 3 valid, 0 invalid, 3 in all", end.Stdout);
    }

    [Fact]
    public async Task Killing_a_replica_and_restarting_PostgreSQL_mid_load_loses_no_count_and_overbuilds_nothing()
    {
        const int max = 30;
        using var pg = new PostgresCluster();
        using var job = new ServiceFixture(maxDevice: max, ledger: pg);
        var t = job.Tutorial;
        var a = job.Site.StartReplica();
        var b = job.Site.StartReplica();

        // Wave 1: 8 station processes, 4 boards each, one board at a time; half prefer replica A, half B.
        var dirs = new List<string>();
        var stations = new List<Process>();
        for (var i = 0; i < 8; i++)
        {
            var dir = t.NewBoards(4);
            dirs.Add(dir);
            var credentials = job.Site.Enroll($"st-{i}", "MyProgJob");
            stations.Add(StartStation(t.Cm, dir, job.Site.StationEnvironment(credentials, i % 2 == 0 ? [a, b] : [b, a])));
        }
        var clock = Stopwatch.StartNew();
        while (pg.Scalar("SELECT count(*) FROM spps_ledger WHERE device IS NOT NULL") < 6)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), "the stations issued no codes");
            Thread.Sleep(20); // polling for a condition, not waiting out a race
        }
        a.Kill(); // SIGKILL, mid-load
        pg.CrashAndRestart();
        var atKill = Issues(pg).Count;
        Assert.True(atKill < max, $"the load was over ({atKill} codes) before the replica was killed; the test did not exercise failover");

        // Wave 2, after the kill: stations whose first address is the dead replica fail over to B.
        var wave2 = new List<(Process Process, string Dir)>();
        for (var i = 8; i < 10; i++)
        {
            var dir = t.NewBoards(2);
            dirs.Add(dir);
            var credentials = job.Site.Enroll($"st-{i}", "MyProgJob");
            wave2.Add((StartStation(t.Cm, dir, job.Site.StationEnvironment(credentials, a, b)), dir));
        }
        var outputs = stations.Concat(wave2.Select(w => w.Process)).Select(p => (Process: p, Out: p.StandardOutput.ReadToEndAsync(), Err: p.StandardError.ReadToEndAsync())).ToList();
        var texts = new Dictionary<Process, string>();
        foreach (var o in outputs)
        {
            texts[o.Process] = await o.Out + await o.Err;
            await o.Process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(5)).Token);
        }
        foreach (var (process, _) in wave2)
        {
            // Every board got an answer from replica B: a code, or the overbuild refusal; never "no service answered".
            Assert.DoesNotContain("SPPS5007", texts[process]);
            Assert.True(process.ExitCode is 0 or 4, $"exit {process.ExitCode}: {texts[process]}");
        }

        // The clean final pass: A is back; every board is tried again, each station in turn.
        a.Start();
        var finalEnv = job.Site.StationEnvironment(job.Site.Enroll("final", "MyProgJob"), a, b);
        foreach (var dir in dirs)
        {
            var run = job.Site.RunAs(finalEnv, dir);
            Assert.True(run.ExitCode is 0 or 4, run.All);
            if (run.ExitCode == 4) Assert.Contains("error SPPS4008:", run.All);
        }

        var programmed = dirs.SelectMany(d => ServiceFixture.Programmed(t.Cm, d)).ToHashSet();
        Assert.Equal(max, programmed.Count);
        Assert.Equal(programmed, Issues(pg).Where(r => (string)r["ticket"]! == ProgramTicket(t)).Select(r => (string)r["data"]!["dsn"]!).ToHashSet());
        Assert.Equal(max, Issues(pg).Count);
        LedgerIsConsistent(pg);
        Assert.Equal(0, t.CodesLeft()["PROGRAM"]);

        t.CmScript("FlashProExpress_Complete_Job").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatusEnd");
        var end = t.OeScript("JobManager_Check_Job_End_Status").ShouldSucceed();
        Assert.Contains($"Devices authorized: {max} of {max}; codes left: 0; state: ended", end.Stdout);
        Assert.Matches(@"Certificates of Conformance: \d+ valid, 0 invalid", end.Stdout);
    }

    [Fact]
    public void A_completion_retried_on_a_replica_of_another_host_gets_the_same_end_certifiers()
    {
        using var pg = new PostgresCluster();
        using var job = new ServiceFixture(maxDevice: 2, ledger: pg);
        var t = job.Tutorial;
        var a = job.Site.StartReplica();
        // Replica B on "another host": a home of its own, sharing only the HSM (as a network HSM would be
        // shared: here the software HSM's folder, linked), the site CA and PostgreSQL.
        var hostB = new Site(t.Root, "host-b");
        File.Copy(Path.Combine(t.Cm.Home, "settings.json"), Path.Combine(hostB.Home, "settings.json"));
        Directory.CreateSymbolicLink(Path.Combine(hostB.Home, "hsm"), Path.Combine(t.Cm.Home, "hsm"));
        Directory.CreateSymbolicLink(Path.Combine(hostB.Home, "site"), Path.Combine(t.Cm.Home, "site"));
        hostB.Environment["SPPS_LEDGER"] = pg.ConnectionString;
        using var b = new Replica(hostB, ServiceSite.FreePort(), job.Site.ServiceCredentials);
        var credentials = job.Site.Enroll("line-1", "MyProgJob");

        job.Site.UseService(credentials, a);
        t.CmScript("FlashProExpress_Run_Program", t.NewBoards(2)).ShouldSucceed();
        t.CmScript("FlashProExpress_Complete_Job").ShouldSucceed(); // at A: end records, certifiers, end keys destroyed
        File.Delete(t.Cm.PathOf("MyJobStatusEnd")); // lost on the way to the OE, say

        job.Site.UseService(credentials, b);
        t.CmScript("FlashProExpress_Complete_Job").ShouldSucceed(); // retried at B, which never saw the end keys
        Assert.False(Directory.Exists(Path.Combine(hostB.Home, "mhsm", "10", "certifiers")));
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatusEnd");
        var end = t.OeScript("JobManager_Check_Job_End_Status").ShouldSucceed();
        Assert.Equal(3, Regex.Matches(end.Stdout, "End certifier: valid").Count);
        Assert.Contains("Devices authorized: 2 of 2; codes left: 0; state: ended", end.Stdout);
    }

    [Fact]
    public void Certifiers_an_earlier_version_kept_in_the_state_folder_are_read_and_moved_into_PostgreSQL()
    {
        using var pg = new PostgresCluster();
        using var job = new ServiceFixture(maxDevice: 2, ledger: pg);
        var t = job.Tutorial;
        var replica = job.Site.StartReplica();
        job.Site.UseService(job.Site.Enroll("line-1", "MyProgJob"), replica);
        t.CmScript("FlashProExpress_Run_Program", t.NewBoards(2)).ShouldSucceed();
        t.CmScript("FlashProExpress_Complete_Job").ShouldSucceed();

        // As an earlier version left them: files in the M-HSM's state folder, nothing in the table.
        var folder = Directory.CreateDirectory(Path.Combine(t.Cm.Home, "mhsm", "10", "certifiers")).FullName;
        foreach (var row in pg.Lines("SELECT ticket || '|' || certifier FROM spps_certifiers"))
            File.WriteAllText(Path.Combine(folder, row.Split('|')[0] + ".json"), row.Split('|', 2)[1]);
        pg.Scalar("DELETE FROM spps_certifiers");

        t.CmScript("FlashProExpress_Complete_Job").ShouldSucceed(); // the end keys are gone: only those files can answer
        Assert.Equal(3, pg.Scalar("SELECT count(*) FROM spps_certifiers"));
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatusEnd");
        Assert.Equal(3, Regex.Matches(t.OeScript("JobManager_Check_Job_End_Status").ShouldSucceed().Stdout, "End certifier: valid").Count);
    }

    private static string ProgramTicket(Tutorial t) =>
        (string)t.Cm.Json("spps-station", "get-job-status", "--project", Tutorial.JobProject)["tickets"]!.First(x => (string)x["action"]! == "PROGRAM")["ticket_id"]!;

    private static Process StartStation(Site cm, string dir, Dictionary<string, string> environment)
    {
        foreach (var (k, v) in environment) cm.Environment[k] = v;
        try { return cm.Start("spps-station", "run-selected-actions", "--project", Tutorial.JobProject, "--programmer", "sim:" + dir, "--parallel", "1"); }
        finally { foreach (var k in environment.Keys) cm.Environment.Remove(k); }
    }
}
