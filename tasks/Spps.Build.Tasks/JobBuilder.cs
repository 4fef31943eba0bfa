using Newtonsoft.Json.Linq;
using Spps.Build.Tasks.Manifest;
using Spps.Core;
using Spps.Core.Commands;
using Spps.Core.Crypto;
using Spps.Core.Identifiers;
using Spps.Core.Protocol;
using Spps.Core.Site;

namespace Spps.Build.Tasks;

/// <summary>
/// Runs the Job Manager commands a manifest describes, in a fresh OE project under the state folder,
/// and publishes the results only when every step succeeded:
///
/// | task state                  | writes                                                        |
/// |-----------------------------|---------------------------------------------------------------|
/// | no reply, kept request fits | OUT/NAME.req (the kept request, unchanged)                    |
/// | no reply, no fitting request| REQUEST_FILE beside the manifest (to commit) and OUT/NAME.req |
/// | reply present               | OUT/NAME.job and OUT/NAME.json (summary + post-production record) |
///
/// The kept request is what makes a reply usable by any later build: the reply answers that request's
/// digest, and hsmtask_m_reply -request_file adopts it in a project that never made it.
/// </summary>
public sealed class JobBuilder(SppsEnvironment env, UserHsmOptions hsm, Action<string> say, Action<string> detail, Action<SppsException> warn)
{
    private readonly JobManagerCommands _jm = new(env);

    public IReadOnlyList<string> Build(JobManifest manifest, string stateDirectory, string outputDirectory, bool createKeysetIfMissing)
    {
        if (Directory.Exists(stateDirectory)) Directory.Delete(stateDirectory, recursive: true);
        var staging = Path.Combine(stateDirectory, "out");
        Directory.CreateDirectory(staging);
        var publish = new List<(string From, string To)>();
        var job = manifest.Job;

        var uhsmFingerprint = SetHsmParams(job.HsmTasks[0].MHsm);
        foreach (var data in manifest.ProgData.Where(d => !File.Exists(d.Keyset)).DistinctBy(d => d.Keyset))
        {
            if (!createKeysetIfMissing) throw new SppsException(TaskErrorCodes.KeysetMissing, $"Keyset {data.Keyset} does not exist: run 'dotnet build -t:SppsCreateKeyset'.", data.KeysetLocation);
            Run("create_keyset", data.KeysetLocation, ("file", data.Keyset));
            say($"Created keyset {data.Keyset} in U-HSM {hsm.Locator} (SppsCreateKeysetIfMissing): commit it; later builds must use the same keyset.");
        }

        Run("new_project", job.Location, ("location", stateDirectory), ("name", manifest.ProjectName));
        foreach (var data in manifest.ProgData)
        {
            // The build's OE project is throwaway and the JDC is a tracked input: reference it instead of copying it.
            Run("new_prog_data", data.Location, ("data_name", data.Name), ("import_file", data.Jdc), ("keyset_file", data.Keyset), ("link", "TRUE"));
            foreach (var update in data.EnvmUpdates)
                Run("set_envm_update", update.Location, ("data_name", data.Name), ("client_name", update.Client), ("file", update.File));
            foreach (var b in data.Bitstreams)
            {
                var options = Options(("data_name", data.Name), ("bitstream_name", b.Name), ("bitstream_type", b.Type), ("use_protocol", b.Protocol), ("auth_keymode", b.KeyMode));
                if (b.Features is not null) options["features"] = string.Join(" ", b.Features);
                if (b.EnvmClients is not null) options["envm_clients"] = string.Join(" ", b.EnvmClients);
                if (b.GenerateCoc) options["generate_coc"] = null;
                Run("init_bitstream", b.Location, options);
            }
        }
        Run("new_prog_job", job.Location, ("job_name", job.Name), ("job_type", job.Type));
        foreach (var d in job.Devices)
            Run("add_microsemi_prog_device", d.Location, ("job_name", job.Name), ("device_name", d.Name), ("device_hw_location", d.HwLocation.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("data_name", d.ProgData), ("bitstream_name", d.Bitstream));
        foreach (var task in job.HsmTasks)
        {
            var options = Options(("job_name", job.Name), ("hsmtask_name", task.Name));
            if (task.CmRequestType is not null) options["cm_request_type"] = task.CmRequestType;
            Run("add_hsmtask_to_job", task.Location, options);
            foreach (var t in task.Tickets)
                Run("new_hsmtask_ticket", t.Location, ("job_name", job.Name), ("hsmtask_name", task.Name), ("ticket_name", t.Name), ("device_name", t.Device),
                    ("actions", t.Action), ("max_device", t.MaxDevice < 0 ? "unlimited" : t.MaxDevice.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        foreach (var task in job.HsmTasks)
        {
            uhsmFingerprint = SetHsmParams(task.MHsm);
            if (task.HasReply) publish.AddRange(Export(manifest, task, staging, outputDirectory, uhsmFingerprint));
            else publish.AddRange(Request(job, task, staging, outputDirectory, uhsmFingerprint));
        }
        _jm.Execute("close_project", Options(("save", "TRUE")));

        foreach (var (from, to) in publish)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to, overwrite: true);
            // File.Copy keeps the source's time; a kept request is old, and the target's up-to-date check needs "written now".
            File.SetLastWriteTimeUtc(to, DateTime.UtcNow);
        }
        return publish.Select(p => p.To).ToList();
    }

    /// <summary>create_keyset for the manifest's keysets (missing ones, or all with overwrite), with the manifest's first M-HSM as set_hsm_params.</summary>
    public IReadOnlyList<string> CreateKeysets(JobManifest manifest, bool overwrite)
    {
        SetHsmParams(manifest.Job.HsmTasks[0].MHsm);
        var created = new List<string>();
        foreach (var data in manifest.ProgData.DistinctBy(d => d.Keyset))
        {
            if (File.Exists(data.Keyset) && !overwrite)
            {
                say($"Keyset {data.Keyset} exists: kept (set SppsOverwriteKeyset=true to replace it; jobs built with it can then no longer be re-exported).");
                continue;
            }
            var options = Options(("file", data.Keyset));
            if (overwrite) options["overwrite"] = "TRUE";
            Run("create_keyset", data.KeysetLocation, options);
            say($"Created keyset {data.Keyset} in U-HSM {hsm.Locator}: commit it; it holds keys only wrapped by the U-HSM.");
            created.Add(data.Keyset);
        }
        return created;
    }

    private IEnumerable<(string, string)> Request(JobSpec job, HsmTaskSpec task, string staging, string outputDirectory, string uhsmFingerprint)
    {
        var output = Path.Combine(outputDirectory, task.OutputName + ".req");
        if (File.Exists(task.RequestFile))
        {
            var mismatch = RequestMismatch(task.RequestFile, job, task, uhsmFingerprint);
            if (mismatch is null)
            {
                say($"Job request {task.RequestFile} still fits HSM task {task.Name}: send it to the CM (M-HSM {task.MHsm.Uuid}) and put its reply at {task.ReplyFile}.");
                return [(task.RequestFile, output)];
            }
            warn(new SppsException(TaskErrorCodes.RequestReplaced, $"Replacing job request {task.RequestFile}: {mismatch}. A reply to the old request cannot be used; send the new request to the CM.", task.Location));
        }
        var staged = Path.Combine(staging, task.OutputName + ".req");
        Run("hsmtask_m_request", task.Location, ("job_name", job.Name), ("hsmtask_name", task.Name), ("request_file", staged));
        say($"Wrote job request {task.RequestFile} for M-HSM {task.MHsm.Uuid}: commit it, send it to the CM, and put the CM's reply at {task.ReplyFile}.");
        return [(staged, task.RequestFile), (staged, output)];
    }

    private IEnumerable<(string, string)> Export(JobManifest manifest, HsmTaskSpec task, string staging, string outputDirectory, string uhsmFingerprint)
    {
        var job = manifest.Job;
        if (!File.Exists(task.RequestFile))
            throw new SppsException(TaskErrorCodes.RequestMissingForReply,
                $"The reply {task.ReplyFile} answers a job request, but {task.RequestFile} is gone. Restore it from source control (the request is committed beside the manifest), or delete the reply and build to make a new request.", task.Location);
        if (RequestMismatch(task.RequestFile, job, task, uhsmFingerprint) is { } mismatch)
            throw new SppsException(TaskErrorCodes.ReplyForOtherRequest,
                $"The reply {Path.GetFileName(task.ReplyFile)} answers request {Path.GetFileName(task.RequestFile)}, but {mismatch}. Restore the manifest as it was when the request was sent, or delete {Path.GetFileName(task.RequestFile)} and {Path.GetFileName(task.ReplyFile)} and build to start a new handshake.", task.Location);
        if (task.MHsm.Fingerprint is null)
            warn(new SppsException(TaskErrorCodes.FingerprintNotPinned,
                $"m_hsm of HSM task {task.Name} has no 'fingerprint': the M-HSM's identity key is trusted on first use from this site's settings. Pin the fingerprint the CM's set_hsm_params printed.", task.MHsm.Location));
        var replied = Run("hsmtask_m_reply", task.Location, ("job_name", job.Name), ("hsmtask_name", task.Name), ("reply_file", task.ReplyFile), ("request_file", task.RequestFile));
        var exported = Run("export_hsmtask", task.Location, ("job_name", job.Name), ("hsmtask_name", task.Name), ("location", staging), ("name", task.OutputName));
        _jm.SaveOpenProject();
        var jobFile = (string)exported.Data["job_file"]!;
        var summary = Path.Combine(staging, task.OutputName + ".json");
        JobSummary.Write(summary, manifest, task, _jm.Project!, (string)exported.Data["job_digest"]!, hsm.Uuid, uhsmFingerprint);
        say($"Job {task.OutputName}.job is bound to M-HSM {(string?)replied.Data["m_hsm_uuid"]}: send it to the CM; keep {task.OutputName}.json with it for the post-production check.");
        return [(jobFile, Path.Combine(outputDirectory, task.OutputName + ".job")), (summary, Path.Combine(outputDirectory, task.OutputName + ".json"))];
    }

    /// <summary>Why a kept request does not fit the manifest's HSM task (null when it fits).</summary>
    private static string? RequestMismatch(string path, JobSpec job, HsmTaskSpec task, string uhsmFingerprint)
    {
        JobRequest request;
        try
        {
            request = JobRequest.Read(path);
        }
        catch (SppsException e)
        {
            return $"it cannot be read ({e.Code}: {e.Message})";
        }
        if (PublicKeys.Fingerprint(request.UHsmIdentityKey) != uhsmFingerprint) return "it was signed by another U-HSM than this build uses";
        if (request.Job != job.Name || request.HsmTask != task.Name) return $"it is for job {request.Job}, HSM task {request.HsmTask}";
        if (!HsmUuid.Same(request.MHsmUuid, task.MHsm.Uuid)) return $"it is for M-HSM {request.MHsmUuid}, the manifest now names {task.MHsm.Uuid}";
        if (!request.Tickets.SequenceEqual(task.Tickets.Select(t => t.Spec)))
            return $"it asks for other tickets ({Describe(request.Tickets)}) than the manifest states ({Describe(task.Tickets.Select(t => t.Spec))})";
        return null;
    }

    private static string Describe(IEnumerable<TicketSpec> tickets) => string.Join(", ", tickets.Select(t => $"{t.Name}: {t.Action} {t.Device} max {t.MaxText}"));

    private string SetHsmParams(MHsmSpec mhsm)
    {
        var saved = SiteSettings.Load(hsm.Home).JobManager;
        var options = Options(("hsm_server_name", hsm.Locator), ("u_hsm_uuid", hsm.Uuid), ("m_hsm_uuid", mhsm.Uuid), ("u_master_hsm_uuid", hsm.MasterUuid));
        if (saved?.HsmKeysetDir is { } keysetDir) options["hsm_keyset_dir"] = keysetDir;
        if (mhsm.Fingerprint is not null) options["m_hsm_fingerprint"] = mhsm.Fingerprint;
        return (string)Run("set_hsm_params", mhsm.Location, options).Data["identity_fingerprint"]!;
    }

    private CommandResult Run(string command, SourceLocation location, params (string Name, string? Value)[] options) => Run(command, location, Options(options));

    private CommandResult Run(string command, SourceLocation location, Dictionary<string, string?> options)
    {
        var result = _jm.Execute(command, options, location);
        foreach (var line in result.Lines) detail(line);
        return result;
    }

    private static Dictionary<string, string?> Options(params (string Name, string? Value)[] options) =>
        options.ToDictionary(o => o.Name, o => o.Value, StringComparer.Ordinal);
}
