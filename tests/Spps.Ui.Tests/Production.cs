namespace Spps.Ui.Tests;

/// <summary>
/// The tutorial's two sites in a temp folder, up to a loaded job at the CM: the OE's scripts from
/// <c>spps tutorial init</c> with the PROGRAM ticket raised to <paramref name="maxDevice"/> (default
/// <see cref="MaxDevice"/>), and that many blank simulated boards plus one (one more than the ticket allows).
/// Both sites share one simulated silicon vendor in the temp folder.
/// </summary>
public sealed class Production : IDisposable
{
    public const int MaxDevice = 20;
    public const int Boards = MaxDevice + 1;

    public Production(int maxDevice = MaxDevice)
    {
        Root = Directory.CreateTempSubdirectory("spps-ui-").FullName;
        Oe = Path.Combine(Root, "oe");
        Cm = Path.Combine(Root, "cm");
        OeHome = Path.Combine(Root, "oe-home");
        CmHome = Path.Combine(Root, "cm-home");
        Tool.Spps.Succeed(Root, OeHome, "tutorial", "init", ".");
        var task = Path.Combine(Oe, "JobManager_Create_HSM_Task.tcl");
        File.WriteAllText(task, File.ReadAllText(task).Replace("-max_device {2}", $"-max_device {{{maxDevice}}}", StringComparison.Ordinal));
        Tool.Spps.Succeed(Oe, OeHome, "jdc", "create", "--design", "hello_world_sb", "--device", "M2S090TS", "--fabric", "fabric.bin",
            "--envm-client", "MyClient1=client.hex", "-o", "hello_world_sb.jdc");
        foreach (var step in new[] { "Set_HSM_Parameters", "Create_Keyset", "Create_Project", "Create_HSM_Task", "Create_HSM_Job_Request" })
            Tool.Spps.Succeed(Oe, OeHome, "script", $"JobManager_{step}.tcl");
        Send("MyProgJobRequest.req", Oe, Cm);
        Tool.Station.Succeed(Cm, CmHome, "script", "FlashProExpress_Set_HSM_Parameters.tcl");
        Tool.Station.Succeed(Cm, CmHome, "script", "FlashProExpress_Process_Job_Request.tcl");
        Send("MyProgJobReply.rep", Cm, Oe);
        Tool.Spps.Succeed(Oe, OeHome, "script", "JobManager_Import_Job_Reply.tcl");
        Tool.Spps.Succeed(Oe, OeHome, "script", "JobManager_Export_HSM_Task.tcl");
        Send("MyProgJob.job", Oe, Cm);
        Tool.Station.Succeed(Cm, CmHome, "script", "FlashProExpress_Create_Job_Project.tcl");
        Tool.Station.Succeed(Cm, CmHome, "sim", "create-boards", "--dir", "boards", "--count", (maxDevice + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public string Root { get; }
    public string Oe { get; }
    public string Cm { get; }
    public string OeHome { get; }
    public string CmHome { get; }
    public string ProjectFile => Path.Combine(Cm, "MyProgJob", "MyProgJob.pro");

    public static void Send(string file, string from, string to) => File.Copy(Path.Combine(from, file), Path.Combine(to, file), overwrite: true);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
