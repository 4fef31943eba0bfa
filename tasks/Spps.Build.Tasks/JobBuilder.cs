using Newtonsoft.Json.Linq;
using Spps.Build.Tasks.Manifest;
using Spps.Core;
using Spps.Core.Domain;
using Spps.Core.Formats;
using Spps.Core.Owner;
using Spps.Core.Crypto;
using Spps.Core.Identifiers;
using Spps.Core.Protocol;
using Spps.Core.Site;

namespace Spps.Build.Tasks;

/// <summary>
/// Does what a manifest describes through the OE service (in process, typed; nothing is written to the
/// site's settings), in a fresh OE project under the state folder, and publishes the results only when
/// every step succeeded:
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
    private readonly OwnerService _owner = new(env);

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
            At(data.KeysetLocation, () => _owner.CreateKeyset(data.Keyset, overwrite: false));
            say($"Created keyset {data.Keyset} in U-HSM {hsm.Locator} (SppsCreateKeysetIfMissing): commit it; later builds must use the same keyset.");
        }

        At(job.Location, () => _owner.NewProject(stateDirectory, manifest.ProjectName));
        foreach (var data in manifest.ProgData)
        {
            // The build's OE project is throwaway and the JDC is a tracked input: reference it instead of copying it.
            var imported = At(data.Location, () => _owner.ImportProgData(data.Name, data.Jdc, data.Keyset, link: true));
            detail($"Imported design {imported.Jdc.Design} for {imported.Jdc.Device} as programming data {data.Name} (design digest {imported.Jdc.DesignDigestHex}).");
            foreach (var update in data.EnvmUpdates)
                At(update.Location, () => _owner.SetEnvmUpdate(data.Name, update.Client, update.File, overwrite: false));
            foreach (var b in data.Bitstreams)
            {
                var features = b.Features?.Select(f => Enum.TryParse<ComponentType>(f, ignoreCase: true, out var t) ? t
                    : throw new SppsException(TaskErrorCodes.ManifestInvalidValue, $"'{f}' is not SECURITY, FABRIC or ENVM.", b.Location)).Distinct().ToList();
                var keyMode = KeyMode.Parse(b.KeyMode, what => new SppsException(TaskErrorCodes.ManifestInvalidValue, $"key_mode must be {what}.", b.Location));
                var entry = At(b.Location, () => _owner.InitBitstream(new BitstreamOptions(data.Name, b.Name, b.Type.ToUpperInvariant(), features, b.Protocol.ToUpperInvariant(), keyMode, b.GenerateCoc, b.EnvmClients)));
                detail($"Initialized bitstream {entry.Name}: {string.Join(", ", entry.Features)}, key mode {keyMode}, {entry.PlaintextLength} bytes encrypted under a fresh KIP.");
            }
        }
        At(job.Location, () => _owner.NewJob(job.Name, job.Type));
        foreach (var d in job.Devices)
            At(d.Location, () => _owner.AddDevice(job.Name, d.Name, d.HwLocation, d.ProgData, d.Bitstream));
        foreach (var task in job.HsmTasks)
        {
            At(task.Location, () => _owner.AddHsmTask(job.Name, task.Name, task.CmRequestType));
            foreach (var t in task.Tickets)
                At(t.Location, () => _owner.AddTicket(job.Name, task.Name, t.Name, t.Device, t.Spec.Action, t.MaxDevice));
        }

        foreach (var task in job.HsmTasks)
        {
            uhsmFingerprint = SetHsmParams(task.MHsm);
            if (task.HasReply) publish.AddRange(Export(manifest, task, staging, outputDirectory, uhsmFingerprint));
            else publish.AddRange(Request(job, task, staging, outputDirectory, uhsmFingerprint));
        }
        _owner.CloseProject(save: true);

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
            At(data.KeysetLocation, () => _owner.CreateKeyset(data.Keyset, overwrite));
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
        At(task.Location, () => _owner.WriteRequest(job.Name, task.Name, staged));
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
        var replied = At(task.Location, () => _owner.ImportReply(job.Name, task.Name, task.ReplyFile, task.RequestFile));
        var jobFile = Path.Combine(staging, task.OutputName + ".job");
        var exported = At(task.Location, () => _owner.Export(job.Name, task.Name, jobFile));
        _owner.SaveOpenProject();
        var summary = Path.Combine(staging, task.OutputName + ".json");
        JobSummary.Write(summary, manifest, task, _owner.Project!, exported.Digest, hsm.Uuid, uhsmFingerprint);
        say($"Job {task.OutputName}.job is bound to M-HSM {replied.Task.Reply!.MHsmUuid}: send it to the CM; keep {task.OutputName}.json with it for the post-production check.");
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

    /// <summary>The U-HSM of this build and the M-HSM of one task, for this build only: nothing is saved in the site's settings.</summary>
    private string SetHsmParams(MHsmSpec mhsm)
    {
        var settings = SiteSettings.Load(hsm.Home);
        var pinned = mhsm.Fingerprint ?? (HsmUuid.TryNormalize(mhsm.Uuid, out var uuid) ? settings.PinnedManufacturerKeys.GetValueOrDefault(uuid) : null);
        return At(mhsm.Location, () => _owner.Configure(new OwnerHsmParameters(hsm.Locator, hsm.Uuid, mhsm.Uuid, hsm.MasterUuid, settings.JobManager?.HsmKeysetDir, pinned))).IdentityFingerprint;
    }

    /// <summary>Runs one step; an error without a place of its own is placed at the manifest entry that asked for the step.</summary>
    private static T At<T>(SourceLocation location, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (SppsException e)
        {
            throw e.At(location);
        }
    }
}
