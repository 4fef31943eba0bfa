namespace Spps.Flow.Tests;

/// <summary>
/// The IHP (in-house programming) job type: the OE programs at its own site, its U-HSM acting as the M-HSM
/// (spps-station set_hsm_params -hsm_type_u TRUE), for a single target device. The tutorial's scripts run at the
/// OE site only, with -job_type {IHP} and -max_device {1}; the real spps and spps-station throughout.
/// </summary>
public sealed class InHouseProgrammingTests
{
    [Fact]
    public void An_IHP_job_programs_its_one_device_in_house_and_the_OE_validates_it_and_a_second_device_is_refused()
    {
        using var t = new Tutorial();
        var oe = t.Oe;
        Edit(oe, "JobManager_Create_Project.tcl", "-job_type {FPExpress}", "-job_type {IHP}");
        Edit(oe, "JobManager_Create_HSM_Task.tcl", "-max_device {2}", "-max_device {1}");
        foreach (var script in Directory.GetFiles(Path.Combine(Tutorial.Scripts, "cm"), "*.tcl"))
            File.Copy(script, oe.PathOf(Path.GetFileName(script)));
        // The station's M-HSM is the OE's own U-HSM (the one JobManager_Set_HSM_Parameters.tcl names).
        File.WriteAllText(oe.PathOf("FlashProExpress_Set_HSM_Parameters.tcl"),
            "set_hsm_params -hsm_server_name {SJSOCPRGW7P1} -m_hsm_uuid {000000000000000000000000000001} -hsm_type_u {TRUE}\n");

        t.OeScript("JobManager_Set_HSM_Parameters").ShouldSucceed();
        oe.Station("script", "FlashProExpress_Set_HSM_Parameters.tcl").ShouldSucceed();
        t.OeScript("JobManager_Create_Keyset").ShouldSucceed();
        t.MakeJdc();
        t.OeScript("JobManager_Create_Project").ShouldSucceed();

        // A single target device: a second device in the chain is refused.
        var second = oe.Spps("add-microsemi-prog-device", "--project", "MyProject/MyProject.jprj", "--job-name", "MyProgJob", "--device-name", "Other",
            "--device-hw-location", "2", "--data-name", "MyProgData0", "--bitstream-name", "MyBistream");
        second.ShouldFail(1, "SPPS2019");
        Assert.Contains("IHP job: it programs a single target device", second.Stderr);

        t.OeScript("JobManager_Create_HSM_Task").ShouldSucceed();
        oe.Spps("add-hsmtask-to-job", "--project", "MyProject/MyProject.jprj", "--job-name", "MyProgJob", "--hsmtask-name", "More").ShouldSucceed();
        oe.Spps("new-hsmtask-ticket", "--project", "MyProject/MyProject.jprj", "--job-name", "MyProgJob", "--hsmtask-name", "More",
            "--ticket-name", "Many", "--device-name", "MyDevice", "--actions", "PROGRAM", "--max-device", "5").ShouldFail(1, "SPPS2019");
        t.OeScript("JobManager_Create_HSM_Job_Request").ShouldSucceed();

        // A CM's M-HSM will not answer it: the request is for the OE's own U-HSM.
        t.CmScript("FlashProExpress_Set_HSM_Parameters").ShouldSucceed();
        Tutorial.Send(oe, t.Cm, "MyProgJobRequest.req");
        t.CmScript("FlashProExpress_Process_Job_Request").ShouldFail(4, "SPPS4003");

        // In house: the U-HSM answers as the M-HSM, the OE binds and exports the job, and the station loads it.
        oe.Station("script", "FlashProExpress_Process_Job_Request.tcl").ShouldSucceed();
        t.OeScript("JobManager_Import_Job_Reply").ShouldSucceed();
        t.OeScript("JobManager_Export_HSM_Task").ShouldSucceed();
        oe.Station("script", "FlashProExpress_Create_Job_Project.tcl").ShouldSucceed();

        // The exported job loads nowhere else: the CM's M-HSM refuses it.
        Tutorial.Send(oe, t.Cm, "MyProgJob.job");
        t.CmScript("FlashProExpress_Create_Job_Project").ShouldFail(4, "SPPS4003");

        oe.Station("sim", "create-boards", "--dir", "boards", "--count", "1").ShouldSucceed();
        oe.Station("script", "FlashProExpress_Run_Program.tcl", "--programmer", "sim:boards").ShouldSucceed();
        Assert.Equal("programmed", (string)oe.Boards("boards").Single()["state"]!);
        oe.Station("sim", "create-boards", "--dir", "second", "--count", "1").ShouldSucceed();
        var refused = oe.Station("script", "FlashProExpress_Run_Program.tcl", "--programmer", "sim:second");
        refused.ShouldFail(4, "SPPS4008");
        Assert.Contains("no authorization codes left (1 of 1 used)", refused.Stderr);
        Assert.Equal("blank", (string)oe.Boards("second").Single()["state"]!);

        oe.Station("script", "FlashProExpress_Export_Job_Status.tcl").ShouldSucceed();
        var check = t.OeScript("JobManager_Check_Job_Status").ShouldSucceed();
        Assert.Contains("Devices authorized: 1 of 1; codes left: 0; state: active", check.Stdout);
        Assert.Contains("Certificates of Conformance: 1 valid, 0 invalid, 1 in all", check.Stdout);
        Assert.Contains("Job status is VALID.", check.Stdout);

        oe.Station("script", "FlashProExpress_Complete_Job.tcl").ShouldSucceed();
        var end = t.OeScript("JobManager_Check_Job_End_Status").ShouldSucceed();
        Assert.Contains("Devices authorized: 1 of 1; codes left: 0; state: ended", end.Stdout);
        Assert.Contains("End certifier: valid (ended, 1 device(s)", end.Stdout);
        Assert.Contains("Job status is VALID.", end.Stdout);
    }

    [Fact]
    public void The_U_HSM_acts_as_the_M_HSM_only_where_it_is_this_sites_U_HSM()
    {
        using var t = new Tutorial();
        // A CM site has no U-HSM: -hsm_type_u TRUE is refused, and says what it needs.
        var noUhsm = t.Cm.Station("set-hsm-params", "--hsm-server-name", "SJSOCPRGW7E1", "--m-hsm-uuid", "10", "--hsm-type-u", "TRUE");
        noUhsm.ShouldFail(1, "SPPS2011");
        Assert.Contains("this site has no U-HSM", noUhsm.Stderr);
        // At the OE site, naming another HSM than its U-HSM is refused.
        t.OeScript("JobManager_Set_HSM_Parameters").ShouldSucceed();
        t.Oe.Station("set-hsm-params", "--hsm-server-name", "Other", "--m-hsm-uuid", "10", "--hsm-type-u", "TRUE").ShouldFail(4, "SPPS4003");
    }

    private static void Edit(Site site, string file, string from, string to)
    {
        var text = File.ReadAllText(site.PathOf(file));
        Assert.Contains(from, text);
        File.WriteAllText(site.PathOf(file), text.Replace(from, to));
    }
}
