using Newtonsoft.Json.Linq;

namespace Spps.Flow.Tests;

/// <summary>
/// The seed tutorial's two sites with its scripts copied in unchanged (only -hsm_server_name may be
/// replaced, to name PKCS#11 HSMs). Only the tutorial's files cross between the sites.
/// </summary>
public sealed class Tutorial : IDisposable
{
    public static string Scripts => Path.Combine(AppContext.BaseDirectory, "tutorial");
    private readonly TempFolder _temp = new();

    public Tutorial(string? userHsm = null, string? manufacturerHsm = null, IDictionary<string, string>? environment = null)
    {
        Oe = new Site(_temp.Path, "oe");
        Cm = new Site(_temp.Path, "cm");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) { Oe.Environment[k] = v; Cm.Environment[k] = v; }
        CopyScripts("oe", Oe, "SJSOCPRGW7P1", userHsm);
        CopyScripts("cm", Cm, "SJSOCPRGW7E1", manufacturerHsm);
    }

    public Site Oe { get; }
    public Site Cm { get; }
    public string Root => _temp.Path;
    public const string JobProject = "MyProgJob/MyProgJob.pro";

    private static void CopyScripts(string side, Site site, string serverName, string? replacement)
    {
        foreach (var script in Directory.GetFiles(Path.Combine(Scripts, side), "*.tcl"))
        {
            var text = File.ReadAllText(script);
            if (replacement is not null) text = text.Replace("{" + serverName + "}", "{" + replacement + "}");
            File.WriteAllText(Path.Combine(site.Work, Path.GetFileName(script)), text);
        }
    }

    public ToolRun OeScript(string name) => Oe.Spps("script", name + ".tcl");

    public ToolRun CmScript(string name, string? programmer = null)
    {
        if (programmer is not null) Cm.Environment["SPPS_PROGRAMMER"] = "sim:" + programmer;
        try { return Cm.Station("script", name + ".tcl"); }
        finally { Cm.Environment.Remove("SPPS_PROGRAMMER"); }
    }

    public static void Send(Site from, Site to, string file) => File.Copy(from.PathOf(file), to.PathOf(file), overwrite: true);

    /// <summary>The designer's hand-off: a JDC made with spps jdc create from a random fabric and one eNVM client.</summary>
    public void MakeJdc(int fabricBytes = 200_000, string keyModeFile = "hello_world_sb.jdc")
    {
        File.WriteAllBytes(Oe.PathOf("fabric.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(fabricBytes));
        File.WriteAllText(Oe.PathOf("client.hex"), ":10000000000102030405060708090A0B0C0D0E0F78\n:00000001FF\n");
        Oe.Spps("jdc", "create", "--design", "hello_world_sb", "--device", "M2S090TS", "--fabric", "fabric.bin",
            "--envm-client", "MyClient1=client.hex", "-o", keyModeFile).ShouldSucceed();
    }

    /// <summary>Tutorial steps until the request reaches the CM: both sites' parameters, keyset, JDC, project, task, request.</summary>
    public void RunUntilRequestSent(Action? beforeProject = null, int fabricBytes = 200_000)
    {
        OeScript("JobManager_Set_HSM_Parameters").ShouldSucceed();
        CmScript("FlashProExpress_Set_HSM_Parameters").ShouldSucceed();
        OeScript("JobManager_Create_Keyset").ShouldSucceed();
        MakeJdc(fabricBytes);
        beforeProject?.Invoke();
        OeScript("JobManager_Create_Project").ShouldSucceed();
        OeScript("JobManager_Create_HSM_Task").ShouldSucceed();
        OeScript("JobManager_Create_HSM_Job_Request").ShouldSucceed();
        Send(Oe, Cm, "MyProgJobRequest.req");
    }

    /// <summary>Tutorial steps 1-10 (README order): parameters, keyset, project, task, request/reply, export, job project.</summary>
    public void RunUntilJobLoaded(Action? beforeProject = null)
    {
        RunUntilRequestSent(beforeProject);
        CmScript("FlashProExpress_Process_Job_Request").ShouldSucceed();
        Send(Cm, Oe, "MyProgJobReply.rep");
        OeScript("JobManager_Import_Job_Reply").ShouldSucceed();
        OeScript("JobManager_Export_HSM_Task").ShouldSucceed();
        Send(Oe, Cm, "MyProgJob.job");
        CmScript("FlashProExpress_Create_Job_Project").ShouldSucceed();
    }

    public string NewBoards(int count)
    {
        var dir = "boards-" + Guid.NewGuid().ToString("N")[..8];
        Cm.Station("sim", "create-boards", "--dir", dir, "--count", count.ToString()).ShouldSucceed();
        return dir;
    }

    public ToolRun Run(string boards, string action)
    {
        Cm.Station("set-programming-action", "--project", JobProject, "--action", action).ShouldSucceed();
        return Cm.Station("run-selected-actions", "--project", JobProject, "--programmer", "sim:" + boards);
    }

    /// <summary>Codes left per action, from get_job_status --json.</summary>
    public Dictionary<string, long> CodesLeft()
    {
        var data = Cm.Json("spps-station", "get-job-status", "--project", JobProject);
        return ((JArray)data["tickets"]!).ToDictionary(t => (string)t["action"]!, t => (long)t["left"]!);
    }

    public void Dispose() => _temp.Dispose();
}
