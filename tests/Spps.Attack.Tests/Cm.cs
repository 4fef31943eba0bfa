using System.Text;
using Newtonsoft.Json.Linq;

namespace Spps.Attack.Tests;

/// <summary>What a dishonest CM does with the files it holds: copy them, edit them, read them.</summary>
public static class Cm
{
    /// <summary>The folder of the site's M-HSM state (ledger, certifiers): SPPS_HOME/mhsm/UUID.</summary>
    public static string MhsmFolder(Site cm) => Directory.GetDirectories(Path.Combine(cm.Home, "mhsm")).Single();

    public static string Ledger(Site cm) => Path.Combine(MhsmFolder(cm), "ledger.jsonl");

    /// <summary>Copies a folder tree as it is now (what a CM's backup holds).</summary>
    public static string Snapshot(string folder, string into)
    {
        CopyTree(folder, into);
        return into;
    }

    /// <summary>Puts a snapshot back over a folder: the folder ends up exactly as the snapshot.</summary>
    public static void Restore(string snapshot, string folder)
    {
        Directory.Delete(folder, recursive: true);
        CopyTree(snapshot, folder);
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
    }

    /// <summary>The JSON header of an SPPS container (<c>SPPS/1 KIND LENGTH\n{header}</c>), which anyone can read.</summary>
    public static JObject Header(string path)
    {
        using var stream = File.OpenRead(path);
        var preamble = new List<byte>();
        int b;
        while ((b = stream.ReadByte()) is not '\n' and not -1) preamble.Add((byte)b);
        var length = int.Parse(Encoding.ASCII.GetString([.. preamble]).Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
        var header = new byte[length];
        stream.ReadExactly(header);
        return JObject.Parse(Encoding.UTF8.GetString(header));
    }

    /// <summary>Ticket IDs by ticket name, from a reply or a job.</summary>
    public static Dictionary<string, string> TicketIds(string path) =>
        ((JArray)Header(path)["tickets"]!).ToDictionary(t => (string)t["name"]!, t => (string)t["ticket_id"]!);

    /// <summary>Installs the dishonest programmer plugin (programmer <c>attack:DIR</c>) with the given tricks.</summary>
    public static void UseAttackProgrammer(Site cm, string? relabel = null, string? claimState = null, string? replay = null)
    {
        if (replay is not null) cm.Environment["SPPS_ATTACK_REPLAY"] = replay;
        cm.Environment["SPPS_PLUGIN_PATH"] = Path.Combine(AppContext.BaseDirectory, "attack-plugins");
        if (relabel is not null) cm.Environment["SPPS_ATTACK_RELABEL"] = relabel;
        if (claimState is not null) cm.Environment["SPPS_ATTACK_CLAIM_STATE"] = claimState;
    }

    /// <summary>Runs one action over a board folder through a named programmer plugin.</summary>
    public static ToolRun Run(Tutorial t, string boards, string action, string programmer = "sim")
    {
        t.Cm.Station("set-programming-action", "--project", Tutorial.JobProject, "--action", action).ShouldSucceed();
        return t.Cm.Station("run-selected-actions", "--project", Tutorial.JobProject, "--programmer", programmer + ":" + boards);
    }

    /// <summary>Every board's state in a folder, as sim inspect reports it.</summary>
    public static List<(string Dsn, string State, int Cycles)> Boards(Site cm, string dir) =>
        cm.Boards(dir).Select(b => ((string)b["dsn"]!, (string)b["state"]!, (int)b["cycle_count"]!)).ToList();

    public static void AllBlank(Site cm, string dir) => Assert.All(Boards(cm, dir), b => Assert.Equal("blank", b.State));

    /// <summary>A job whose bitstream uses another key mode than the tutorial's KFPE.</summary>
    public static Tutorial WithKeyMode(string keyMode)
    {
        var t = new Tutorial();
        t.RunUntilJobLoaded(beforeProject: () =>
        {
            var script = t.Oe.PathOf("JobManager_Create_Project.tcl");
            File.WriteAllText(script, File.ReadAllText(script).Replace("-auth_keymode {KFPE}", "-auth_keymode {" + keyMode + "}"));
        });
        return t;
    }
}
