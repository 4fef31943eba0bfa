using Newtonsoft.Json.Linq;
using Spps.Contracts.Programmers;
using Spps.Core.Commands;
using Spps.Core.Formats;
using Spps.Core.Site;
using static Spps.Benchmarks.Util;

namespace Spps.Benchmarks;

/// <summary>The OE site: its own SPPS_HOME with an embedded U-HSM, a keyset and an open project.</summary>
internal sealed class OwnerSite : IDisposable
{
    public const string MHsmUuid = "10";

    /// <param name="vendorHome">The simulated silicon vendor the jobs name (null: the default one).</param>
    public OwnerSite(string root, string? vendorHome = null)
    {
        Work = Path.Combine(root, "oe");
        Env = Util.Env(Path.Combine(root, "oe-home"), Work, simVendor: vendorHome);
        Jm = new JobManagerCommands(Env);
        Jm.Run("set_hsm_params", ("hsm_server_name", "U1"), ("u_hsm_uuid", "1"), ("m_hsm_uuid", MHsmUuid), ("u_master_hsm_uuid", "30"));
        Jm.Run("create_keyset", ("file", Path.Combine(Work, "user.keyset")));
        Jm.Run("new_project", ("location", Work), ("name", "bench"));
    }

    public string Work { get; }
    public SppsEnvironment Env { get; }
    public JobManagerCommands Jm { get; }

    /// <summary>A small design (security policy + a few KiB of fabric) as programming data.</summary>
    public void SmallDesign(string dataName, int fabricBytes = 4096)
    {
        var fabric = Path.Combine(Work, dataName + ".fabric.bin");
        FillRandomFile(fabric, fabricBytes, 7);
        var jdc = Path.Combine(Work, dataName + ".jdc");
        JdcFile.Create(jdc, "bench_" + dataName, "M2S090TS", fabric, null, []);
        Jm.Run("new_prog_data", ("data_name", dataName), ("import_file", jdc), ("keyset_file", Path.Combine(Work, "user.keyset")));
    }

    public void Dispose() => Env.Dispose();
}

/// <summary>The CM site: its own SPPS_HOME, the M-HSM (software instance or a pkcs11: URI), with the simulated vendor's signed DFK database.</summary>
internal sealed class ManufacturerSite : IDisposable
{
    public ManufacturerSite(string root, string hsmServerName, string vendorHome, string? ledger = null)
    {
        Home = Path.Combine(root, "cm-home");
        Work = Path.Combine(root, "cm");
        VendorHome = vendorHome;
        Env = Util.Env(Home, Work, ledger);
        Fp = new FlashProCommands(Env);
        Fp.Run("set_hsm_params", ("hsm_server_name", hsmServerName), ("m_hsm_uuid", OwnerSite.MHsmUuid));
        // As spps-station `sim export-dfk-db` then `import-dfk-db`.
        var mhsm = Fp.Mhsm;
        var transport = mhsm.Hsm.GetPublicKey(mhsm.Hsm.FindKey(RoleKeys.TransportLabel)!);
        var farm = (IVirtualBoardFarm)Env.Plugins.ProgrammerProvider("sim");
        var db = farm.ExportFactoryKeyDatabase(vendorHome, transport, mhsm.Uuid);
        FactoryLot = (string)JObject.Parse(db)["lot"]!;
        DfkSignerId = Spps.Core.Domain.SiliconTrust.SignerId(Convert.FromBase64String((string)JObject.Parse(db)["signer"]!));
        var dbPath = Path.Combine(Work, "dfk-db.json");
        File.WriteAllText(dbPath, db);
        Fp.Run("import_dfk_db", ("file", dbPath));
    }

    public string Home { get; }
    public string Work { get; }
    public string VendorHome { get; }
    public string FactoryLot { get; }
    public string DfkSignerId { get; }
    public SppsEnvironment Env { get; }
    public FlashProCommands Fp { get; }

    public void Dispose()
    {
        Fp.Dispose();
        Env.Dispose();
    }
}

internal sealed record JobDevice(string Device, string DataName, string Bitstream, long MaxDevice);

internal static class Jobs
{
    /// <summary>
    /// The whole handshake (seed §3.5-3.8): job, chain, HSM task, one PROGRAM ticket per device, request,
    /// CM reply, OE reply import, export, CM job project (loads the tickets into the M-HSM).
    /// Returns the ticket ID per device; the CM's session has the job project open.
    /// </summary>
    public static Dictionary<string, string> Build(OwnerSite oe, ManufacturerSite cm, string job, IReadOnlyList<JobDevice> devices)
    {
        var jm = oe.Jm;
        jm.Run("new_prog_job", ("job_name", job));
        for (var i = 0; i < devices.Count; i++)
            jm.Run("add_microsemi_prog_device", ("job_name", job), ("device_name", devices[i].Device), ("device_hw_location", (i + 1).ToString(Inv)),
                ("data_name", devices[i].DataName), ("bitstream_name", devices[i].Bitstream));
        jm.Run("add_hsmtask_to_job", ("job_name", job), ("hsmtask_name", "T"));
        foreach (var d in devices)
            jm.Run("new_hsmtask_ticket", ("job_name", job), ("hsmtask_name", "T"), ("ticket_name", "tk_" + d.Device), ("device_name", d.Device),
                ("actions", "PROGRAM"), ("max_device", d.MaxDevice < 0 ? "unlimited" : d.MaxDevice.ToString(Inv)));
        var request = Path.Combine(oe.Work, job + ".req");
        var reply = Path.Combine(cm.Work, job + ".rep");
        jm.Run("hsmtask_m_request", ("job_name", job), ("hsmtask_name", "T"), ("request_file", request));
        cm.Fp.Run("process_job_request", ("request_file", request), ("reply_file", reply));
        var imported = jm.Run("hsmtask_m_reply", ("job_name", job), ("hsmtask_name", "T"), ("reply_file", reply));
        jm.Run("export_hsmtask", ("job_name", job), ("hsmtask_name", "T"), ("location", oe.Work), ("name", job));
        cm.Fp.Run("create_job_project", ("job_project_location", Path.Combine(cm.Work, "projects")), ("job_file", Path.Combine(oe.Work, job + ".job")));
        var tickets = (JObject)imported.Data["tickets"]!;
        return devices.ToDictionary(d => d.Device, d => (string)tickets["tk_" + d.Device]!);
    }
}
