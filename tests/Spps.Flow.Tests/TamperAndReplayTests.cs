namespace Spps.Flow.Tests;

/// <summary>Any change to a file that crosses between the sites is detected; jobs and tickets cannot be replayed.</summary>
public sealed class TamperAndReplayTests
{
    /// <summary>Byte positions to flip: the first and last bytes and an even spread in between, so every region (preamble, header, signature, payload) is hit.</summary>
    private static IEnumerable<long> Positions(long length, int samples = 24)
    {
        var set = new SortedSet<long> { 0, 1, 5, length - 2, length - 1 };
        for (var i = 0; i < samples; i++) set.Add(length * i / samples);
        return set.Where(p => p >= 0 && p < length);
    }

    private static void FlipEachPositionAndExpectRefusal(Site site, string file, Func<ToolRun> consume)
    {
        var path = site.PathOf(file);
        var original = File.ReadAllBytes(path);
        try
        {
            foreach (var position in Positions(original.Length))
            {
                var tampered = (byte[])original.Clone();
                tampered[position] ^= 0x01;
                File.WriteAllBytes(path, tampered);
                var run = consume();
                Assert.True(run.ExitCode != 0, $"{file}: flipping byte {position} of {original.Length} was not detected\n{run.All}");
                Assert.Matches(@"error SPPS[14]\d{3}:", run.All);
                Assert.DoesNotContain("   at ", run.All);
            }
        }
        finally
        {
            File.WriteAllBytes(path, original);
        }
    }

    [Fact]
    public void One_changed_byte_anywhere_in_a_request_reply_job_or_status_is_refused()
    {
        using var t = new Tutorial();
        t.RunUntilRequestSent(fabricBytes: 3000);

        FlipEachPositionAndExpectRefusal(t.Cm, "MyProgJobRequest.req",
            () => t.Cm.Station("process-job-request", "--request-file", "MyProgJobRequest.req", "--reply-file", "tampered.rep"));
        Assert.False(File.Exists(t.Cm.PathOf("tampered.rep")), "a refused request must leave no reply");

        t.CmScript("FlashProExpress_Process_Job_Request").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyProgJobReply.rep");
        FlipEachPositionAndExpectRefusal(t.Oe, "MyProgJobReply.rep",
            () => t.Oe.Spps("hsmtask-m-reply", "--project", "MyProject/MyProject.jprj", "--job-name", "MyProgJob", "--hsmtask-name", "MyHSMTask", "--reply-file", "MyProgJobReply.rep"));

        t.OeScript("JobManager_Import_Job_Reply").ShouldSucceed();
        t.OeScript("JobManager_Export_HSM_Task").ShouldSucceed();
        Tutorial.Send(t.Oe, t.Cm, "MyProgJob.job");
        FlipEachPositionAndExpectRefusal(t.Cm, "MyProgJob.job",
            () => t.Cm.Station("create-job-project", "--job-project-location", "tampered", "--job-file", "MyProgJob.job"));
        Assert.False(Directory.Exists(t.Cm.PathOf("tampered/MyProgJob")), "a refused job must leave no project");

        t.CmScript("FlashProExpress_Create_Job_Project").ShouldSucceed();
        var boards = t.NewBoards(1);
        t.CmScript("FlashProExpress_Run_Program", boards).ShouldSucceed();
        t.Cm.Station("complete-prog-job", "--project", Tutorial.JobProject, "--terminate", "--job-status-file", "MyJobStatusEnd").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatusEnd");
        t.OeScript("JobManager_Check_Job_End_Status").ShouldSucceed();
        FlipEachPositionAndExpectRefusal(t.Oe, "MyJobStatusEnd",
            () => t.Oe.Spps("import-job-status", "--project", "MyProject/MyProject.jprj", "--job-status-file", "MyJobStatusEnd"));
    }

    [Fact]
    public void A_job_is_loaded_once_into_one_M_HSM_and_its_counters_are_never_reset()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();
        var boards = t.NewBoards(1);
        t.CmScript("FlashProExpress_Run_Program", boards).ShouldSucceed();
        Assert.Equal(1, t.CodesLeft()["PROGRAM"]);

        // Loaded twice: elsewhere, and over the same project with -overwrite 1.
        t.Cm.Station("create-job-project", "--job-project-location", "again", "--job-file", "MyProgJob.job").ShouldFail(4, "SPPS4006");
        t.Cm.Station("create-job-project", "--job-project-location", ".", "--job-file", "MyProgJob.job", "--overwrite", "1").ShouldFail(4, "SPPS4006");
        Assert.Equal(1, t.CodesLeft()["PROGRAM"]);
        Assert.True(File.Exists(t.Cm.PathOf(Tutorial.JobProject)), "the refused overwrite must keep the project");

        // Into another M-HSM: a second CM site with its own M-HSM (even with the same UUID).
        var other = new Site(t.Root, "cm2");
        foreach (var script in Directory.GetFiles(t.Cm.Work, "*.tcl")) File.Copy(script, other.PathOf(Path.GetFileName(script)));
        other.Station("script", "FlashProExpress_Set_HSM_Parameters.tcl").ShouldSucceed();
        File.Copy(t.Cm.PathOf("MyProgJob.job"), other.PathOf("MyProgJob.job"));
        var refused = other.Station("script", "FlashProExpress_Create_Job_Project.tcl");
        refused.ShouldFail(4, "SPPS4003");
        Assert.Contains("bound to M-HSM", refused.Stderr);

        // A ticket used after it has ended.
        t.Cm.Station("complete-prog-job", "--project", Tutorial.JobProject, "--terminate", "--job-status-file", "End").ShouldSucceed();
        var after = t.Run(t.NewBoards(1), "PROGRAM");
        after.ShouldFail(4, "SPPS4007");
        Assert.Contains("has ended", after.Stderr);
    }

    [Fact]
    public void A_reply_from_an_unexpected_M_HSM_or_for_another_request_is_refused()
    {
        using var t = new Tutorial();
        t.OeScript("JobManager_Set_HSM_Parameters").ShouldSucceed();
        t.OeScript("JobManager_Create_Keyset").ShouldSucceed();
        t.MakeJdc(fabricBytes: 1000);
        t.OeScript("JobManager_Create_Project").ShouldSucceed();
        t.OeScript("JobManager_Create_HSM_Task").ShouldSucceed();
        t.OeScript("JobManager_Create_HSM_Job_Request").ShouldSucceed();

        // The CM's M-HSM has UUID 11, not the 10 the OE expects.
        t.Cm.Station("set-hsm-params", "--hsm-server-name", "Other", "--m-hsm-uuid", "11").ShouldSucceed();
        Tutorial.Send(t.Oe, t.Cm, "MyProgJobRequest.req");
        t.Cm.Station("process-job-request", "--request-file", "MyProgJobRequest.req", "--reply-file", "x.rep").ShouldFail(4, "SPPS4003");

        // A different M-HSM that claims UUID 10 after the OE pinned the first one's key.
        t.CmScript("FlashProExpress_Set_HSM_Parameters").ShouldSucceed();
        t.CmScript("FlashProExpress_Process_Job_Request").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyProgJobReply.rep");
        t.OeScript("JobManager_Import_Job_Reply").ShouldSucceed();

        var impostor = new Site(t.Root, "impostor");
        impostor.Station("set-hsm-params", "--hsm-server-name", "Fake", "--m-hsm-uuid", "0010").ShouldSucceed();
        File.Copy(t.Oe.PathOf("MyProgJobRequest.req"), impostor.PathOf("r.req"));
        impostor.Station("process-job-request", "--request-file", "r.req", "--reply-file", "fake.rep").ShouldSucceed();
        File.Copy(impostor.PathOf("fake.rep"), t.Oe.PathOf("fake.rep"));
        var run = t.Oe.Spps("hsmtask-m-reply", "--project", "MyProject/MyProject.jprj", "--job-name", "MyProgJob", "--hsmtask-name", "MyHSMTask", "--reply-file", "fake.rep");
        run.ShouldFail(4, "SPPS4015");
    }

    [Fact]
    public void A_CM_cannot_forge_proofs_the_M_HSM_signs()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();
        t.CmScript("FlashProExpress_Run_Program", t.NewBoards(1)).ShouldSucceed();

        // The CM edits the CoC log its stations keep: the M-HSM signs the status, but the CoC MAC gives it away.
        var cocs = t.Cm.PathOf("MyProgJob/cocs.jsonl");
        var line = File.ReadAllText(cocs);
        var mac = System.Text.RegularExpressions.Regex.Match(line, "\"mac\":\"([0-9a-f]{32})\"").Groups[1].Value;
        File.WriteAllText(cocs, line.Replace(mac, new string('0', 32)));
        t.CmScript("FlashProExpress_Export_Job_Status").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatus");
        var report = t.OeScript("JobManager_Check_Job_Status");
        report.ShouldFail(3, "SPPS4014");
        Assert.Contains("invalid MAC", report.All);
        Assert.Contains("Certificates of Conformance: 0 valid, 1 invalid", report.Stdout);
        File.WriteAllText(cocs, line);

        // The CM edits the M-HSM's ledger to win back a code: the M-HSM stops.
        var ledger = Directory.GetFiles(Path.Combine(t.Cm.Home, "mhsm"), "ledger.jsonl", SearchOption.AllDirectories).Single();
        var records = File.ReadAllLines(ledger);
        var issue = Array.FindLastIndex(records, r => r.Contains("\"type\":\"issue\""));
        records[issue] = records[issue].Replace("\"n\":1", "\"n\":0");
        File.WriteAllLines(ledger, records);
        t.CmScript("FlashProExpress_Run_Program", t.NewBoards(1)).ShouldFail(4, "SPPS4011");
    }
}

