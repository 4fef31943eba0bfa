using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Spps.Flow.Tests;

namespace Spps.Service.Tests;

/// <summary>
/// A remote M-HSM: the M-HSM (software HSM, ledger, service) lives at a third site with its own SPPS_HOME, as the
/// OE's or a trusted provisioning site would run it; the CM's station reaches it over mutual TLS only. The whole
/// tutorial runs through it, and the station's SPPS_HOME never holds an HSM, a ledger or a key.
/// </summary>
public sealed class RemoteMhsmFlowTests
{
    private const string SetParameters = "FlashProExpress_Set_HSM_Parameters.tcl";

    [Fact]
    public void The_tutorial_runs_against_an_M_HSM_at_another_site_and_the_station_holds_no_HSM_and_no_ticket_key()
    {
        using var t = new Tutorial();
        var (mhsm, line1) = MhsmSite(t);
        // A second station's credentials, enrolled for another job only.
        var other = t.Cm.PathOf("line-9");
        mhsm.Station("mhsm", "enroll", "--station", "line-9", "--job", "OtherJob", "--out", other).ShouldSucceed();
        using var replica = ServeTo(t, mhsm, line1);

        // Tutorial steps 1-10: the CM's set_hsm_params, process_job_request and create_job_project are service calls.
        t.RunUntilJobLoaded();
        var keysAtService = Directory.GetFiles(Path.Combine(mhsm.Home, "hsm"), "*.key", SearchOption.AllDirectories).Length;
        Assert.True(keysAtService > 0, "the M-HSM's software HSM keeps its keys under the M-HSM site's SPPS_HOME/hsm");
        StationHomeHoldsNoHsm(t.Cm);

        // Production: 2 PROGRAM codes, the third device refused by the policy at the service.
        var boards = t.NewBoards(2); // made by the simulated silicon vendor, a third party whose home is in no site
        var extra = t.NewBoards(1);
        Assert.Contains($"authorization codes from the M-HSM service at {replica.Url}", t.CmScript("FlashProExpress_Run_Program", boards).ShouldSucceed().Stdout);
        t.CmScript("FlashProExpress_Run_Program", extra).ShouldFail(4, "SPPS4008");
        Assert.Equal("blank", (string)t.Cm.Boards(extra).Single()["state"]!);

        // Replay: the job loads once at the service, wherever the CM asks from.
        t.Cm.Station("create-job-project", "--job-project-location", "again", "--job-file", "MyProgJob.job").ShouldFail(4, "SPPS4006");
        // Stolen job: the CM's own M-HSM (same name and UUID, made without the service) cannot unwrap its tickets.
        var thief = new Site(t.Root, "cm-own-hsm");
        foreach (var script in Directory.GetFiles(t.Cm.Work, "*.tcl")) File.Copy(script, thief.PathOf(Path.GetFileName(script)));
        thief.Station("script", SetParameters).ShouldSucceed();
        File.Copy(t.Cm.PathOf("MyProgJob.job"), thief.PathOf("MyProgJob.job"));
        thief.Station("script", "FlashProExpress_Create_Job_Project.tcl").ShouldFail(4, "SPPS4003");

        // The operator window's M-HSM page reads the counts through the service too.
        var page = OperatorWindowMhsmPage(t.Cm);
        Assert.Equal(replica.Url, ((string)page["codesFrom"]!).Split(' ').Last());
        Assert.Equal(2, (long)page["tickets"]!.Single(x => (string)x["action"]! == "PROGRAM")["issued"]!);
        StationHomeHoldsNoHsm(t.Cm);

        // The intermediate status, signed at the service, checked by the OE.
        t.CmScript("FlashProExpress_Export_Job_Status").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatus");
        Assert.Contains("Devices authorized: 2 of 2; codes left: 0; state: active", t.OeScript("JobManager_Check_Job_Status").ShouldSucceed().Stdout);

        // A station enrolled for another job cannot end this one.
        t.Cm.Environment["SPPS_MHSM_CREDENTIALS"] = other;
        t.CmScript("FlashProExpress_Complete_Job").ShouldFail(4, "SPPS4020");
        Assert.DoesNotContain(LedgerRecords(mhsm), r => (string)r["type"]! == "end");

        t.Cm.Environment["SPPS_MHSM_CREDENTIALS"] = line1;
        t.CmScript("FlashProExpress_Complete_Job").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatusEnd");
        var end = t.OeScript("JobManager_Check_Job_End_Status").ShouldSucceed();
        Assert.Equal(3, Regex.Matches(end.Stdout, "End certifier: valid").Count);
        Assert.Contains("Devices authorized: 2 of 2; codes left: 0; state: ended", end.Stdout);
        Assert.Contains("Certificates of Conformance: 2 valid, 0 invalid, 2 in all", end.Stdout);

        // Every record the station caused names it: reservations, loads, codes, ends.
        var records = LedgerRecords(mhsm);
        Assert.Equal(["end", "issue", "load", "reserve"], records.Select(r => (string)r["type"]!).Distinct().Order(StringComparer.Ordinal));
        Assert.All(records, r => Assert.Equal("line-1", (string?)r["data"]!["station"]));
        StationHomeHoldsNoHsm(t.Cm);

        // A silicon vendor of the CM's own, its root in the CM's trust folder: its devices are not the job's vendor's.
        var rogue = t.Cm.PathOf("cm-vendor");
        t.Cm.Station("sim", "create-boards", "--dir", "boards-rogue", "--count", "1", "--vendor", rogue).ShouldSucceed();
        Directory.CreateDirectory(Path.Combine(t.Cm.Home, "trust"));
        File.Copy(Path.Combine(rogue, "root.cer"), Path.Combine(t.Cm.Home, "trust", "cm-root.cer"));
        var fake = "boards-rogue";
        t.Run(fake, "PROGRAM").ShouldFail(4, "SPPS4010"); // refused before the ticket's state is even looked at
    }

    [Fact]
    public void A_DFK_job_runs_against_the_remote_M_HSM_once_the_vendor_database_is_imported_through_the_service()
    {
        using var t = new Tutorial();
        var (mhsm, line1) = MhsmSite(t);
        using var replica = ServeTo(t, mhsm, line1);
        t.RunUntilJobLoaded(beforeProject: () =>
        {
            var script = t.Oe.PathOf("JobManager_Create_Project.tcl");
            File.WriteAllText(script, File.ReadAllText(script).Replace("-auth_keymode {KFPE}", "-auth_keymode {DFK}"));
        });
        var boards = t.NewBoards(1);
        t.CmScript("FlashProExpress_Run_Program", boards).ShouldFail(4, "SPPS4016"); // no lot key at the service yet
        Assert.Equal("blank", (string)t.Cm.Boards(boards).Single()["state"]!);

        // The vendor wraps its database to the service's M-HSM (its transport key asked of the service), and the
        // station sends it there: the station's home still holds no HSM.
        t.Cm.Station("sim", "export-dfk-db", "-o", "lot.dfk").ShouldSucceed();
        var import = t.Cm.Station("import-dfk-db", "--file", "lot.dfk", "--json").ShouldSucceed();
        Assert.Contains(replica.Url, import.Stdout);
        StationHomeHoldsNoHsm(t.Cm);

        // A database whose signature does not hold is refused at the service, and replaces nothing.
        // The same lot, another wrapped key: were it accepted, it would replace the genuine lot key.
        var tampered = JObject.Parse(File.ReadAllText(t.Cm.PathOf("lot.dfk")));
        tampered["wrapped"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(Convert.FromBase64String((string)tampered["wrapped"]!).Length));
        File.WriteAllText(t.Cm.PathOf("forged.dfk"), tampered.ToString());
        t.Cm.Station("import-dfk-db", "--file", "forged.dfk").ShouldFail(4, "SPPS4019");

        t.CmScript("FlashProExpress_Run_Program", boards).ShouldSucceed();
        Assert.Equal("programmed", (string)t.Cm.Boards(boards).Single()["state"]!);
        Assert.Equal(1, t.CodesLeft()["PROGRAM"]);
        Assert.Contains(LedgerRecords(mhsm), r => (string)r["type"]! == "issue" && (string?)r["data"]!["station"] == "line-1");
        StationHomeHoldsNoHsm(t.Cm);
    }

    /// <summary>
    /// The M-HSM's own site: the tutorial's M-HSM (software HSM, UUID 10), a site CA, the service's certificate,
    /// and the credentials of station line-1, enrolled for the tutorial's job and handed to the CM.
    /// </summary>
    private static (Site Mhsm, string Line1) MhsmSite(Tutorial t)
    {
        var mhsm = new Site(t.Root, "mhsm-site");
        File.Copy(Path.Combine(Tutorial.Scripts, "cm", SetParameters), mhsm.PathOf(SetParameters));
        mhsm.Station("script", SetParameters).ShouldSucceed();
        mhsm.Environment["SPPS_SITE_CA_PASSPHRASE"] = ServiceSite.Passphrase;
        mhsm.Station("mhsm", "create-ca", "--name", "Provisioning site CA").ShouldSucceed();
        mhsm.Station("mhsm", "enroll-service", "--name", "mhsm", "--host", "127.0.0.1", "--out", mhsm.PathOf("service-tls")).ShouldSucceed();
        var line1 = t.Cm.PathOf("line-1");
        mhsm.Station("mhsm", "enroll", "--station", "line-1", "--job", "MyProgJob", "--out", line1).ShouldSucceed();
        return (mhsm, line1);
    }

    /// <summary>Serves the M-HSM site's M-HSM over mutual TLS and points the CM's station at it, as station line-1.</summary>
    private static Replica ServeTo(Tutorial t, Site mhsm, string line1)
    {
        var replica = new Replica(mhsm, ServiceSite.FreePort(), mhsm.PathOf("service-tls"));
        t.Cm.Environment["SPPS_MHSM"] = replica.Url;
        t.Cm.Environment["SPPS_MHSM_CREDENTIALS"] = line1;
        return replica;
    }

    /// <summary>
    /// The software HSM keeps its store (descriptor, store key, one file per key) under SPPS_HOME/hsm/NAME and the
    /// M-HSM its ledger, count markers and certifiers under SPPS_HOME/mhsm/UUID: the station's home has neither, and
    /// nothing in it but its settings.
    /// </summary>
    private static void StationHomeHoldsNoHsm(Site cm)
    {
        Assert.False(Directory.Exists(Path.Combine(cm.Home, "hsm")), "the station created an HSM store");
        Assert.False(Directory.Exists(Path.Combine(cm.Home, "mhsm")), "the station created M-HSM state (ledger, markers, certifiers)");
        var files = Directory.GetFiles(cm.Home, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(cm.Home, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["settings.json"], files);
    }

    /// <summary>Starts spps-station ui on the job project, reads /api/mhsm once, and stops it.</summary>
    private static JObject OperatorWindowMhsmPage(Site cm)
    {
        var port = ServiceSite.FreePort();
        using var ui = cm.Start("spps-station", "ui", "--listen", $"http://127.0.0.1:{port}", "--project", Tutorial.JobProject);
        try
        {
            var stderr = ui.StandardError.ReadToEndAsync();
            var serving = Task.Run(() =>
            {
                while (ui.StandardOutput.ReadLine() is { } line)
                    if (line.Contains("Serving the operator UI", StringComparison.Ordinal)) return true;
                return false;
            });
            Assert.True(serving.Wait(TimeSpan.FromSeconds(60)) && serving.Result, $"the UI did not start: {(stderr.IsCompleted ? stderr.Result : "")}");
            using var http = new HttpClient();
            var body = http.GetStringAsync($"http://127.0.0.1:{port}/api/mhsm").GetAwaiter().GetResult();
            return (JObject)JObject.Parse(body)["mhsm"]!;
        }
        finally
        {
            ui.Kill();
            ui.WaitForExit();
        }
    }

    private static List<JObject> LedgerRecords(Site mhsm) =>
        File.ReadAllLines(Path.Combine(mhsm.Home, "mhsm", "10", "ledger.jsonl")).Where(l => l.Length > 0).Select(JObject.Parse).ToList();
}
