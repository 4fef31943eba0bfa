using Newtonsoft.Json.Linq;
using Spps.Flow.Tests;

namespace Spps.Service.Tests;

/// <summary>The tutorial's job loaded at the CM (PROGRAM for up to <c>max</c> devices), a site CA, and one replica over mutual TLS.</summary>
public sealed class ServiceFixture : IDisposable
{
    public ServiceFixture() : this(maxDevice: 20, ledger: null) { }

    public ServiceFixture(int maxDevice, PostgresCluster? ledger)
    {
        var environment = ledger is null ? null : new Dictionary<string, string> { ["SPPS_LEDGER"] = ledger.ConnectionString };
        Tutorial = new Tutorial(environment: environment);
        Tutorial.RunUntilJobLoaded(beforeProject: () =>
        {
            var task = Tutorial.Oe.PathOf("JobManager_Create_HSM_Task.tcl");
            File.WriteAllText(task, File.ReadAllText(task).Replace("-actions {PROGRAM}\\\n-max_device {2}", $"-actions {{PROGRAM}}\\\n-max_device {{{maxDevice}}}"));
        });
        Tutorial.Cm.Station("set-programming-action", "--project", Tutorial.JobProject, "--action", "PROGRAM").ShouldSucceed();
        Site = new ServiceSite(Tutorial);
    }

    public Tutorial Tutorial { get; }
    public ServiceSite Site { get; }

    public static HashSet<string> Programmed(Site cm, string dir) =>
        cm.Boards(dir).Where(b => (string)b["state"]! == "programmed").Select(b => (string)b["dsn"]!).ToHashSet();

    /// <summary>The issue records of the embedded (file) ledger.</summary>
    public List<JObject> FileLedgerIssues() =>
        File.ReadAllLines(Directory.GetFiles(Path.Combine(Tutorial.Cm.Home, "mhsm"), "ledger.jsonl", SearchOption.AllDirectories).Single())
            .Where(l => l.Length > 0).Select(JObject.Parse).Where(r => (string)r["type"]! == "issue").ToList();

    public void Dispose()
    {
        Site.Dispose();
        Tutorial.Dispose();
    }
}
