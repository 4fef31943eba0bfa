using System.Security.Cryptography;
using Spps.Core.Crypto;
using Spps.Core.Domain;
using Spps.Core.Formats;
using Spps.Core.Identifiers;
using Spps.Core.IO;
using Spps.Core.Protocol;
using Spps.Core.Site;

namespace Spps.Core.Owner;

/// <summary>The U-HSM and the M-HSM its jobs go to: what set_hsm_params says (or a build's properties).</summary>
public sealed record OwnerHsmParameters(string ServerName, string UHsmUuid, string MHsmUuid, string MasterUuid, string? KeysetDir = null, string? PinnedMHsmFingerprint = null);

/// <summary>A programming data import: the design and where its files went.</summary>
public sealed record ProgDataImported(JdcFile Jdc, ProgData Data);

/// <summary>An eNVM client's new content.</summary>
public sealed record EnvmUpdated(string Client, int Length, long Capacity);

/// <summary>A reply imported: the task is bound; <see cref="PinnedNow"/> when the M-HSM key was pinned on first use.</summary>
public sealed record ReplyImported(HsmTask Task, string Fingerprint, bool PinnedNow);

/// <summary>What a bitstream is built from (init_bitstream's options, parsed).</summary>
public sealed record BitstreamOptions(string DataName, string Name, string Type, IReadOnlyList<ComponentType>? Features, string Protocol, KeyMode KeyMode, bool GenerateCoc, IReadOnlyList<string>? EnvmClients);

/// <summary>
/// The OE site's application service (Job Manager): HSM parameters, keysets, projects, programming data,
/// bitstreams, jobs, the request/reply handshake, export and post-production. Scripts, subcommands and the
/// MSBuild tasks are adapters over it. A build passes its parameters in (<see cref="Configure"/>) and nothing
/// is written to the site's settings; set_hsm_params saves them.
/// </summary>
public sealed class OwnerService(SppsEnvironment env)
{
    private RoleKeys? _uhsm;
    private OwnerHsmParameters? _parameters;
    private bool _persistPins = true;

    public OwnerProject? Project { get; private set; }

    public OwnerProject RequireProject() => Project ?? throw new SppsException(ErrorCodes.NoProjectOpen, "No project is open: run new_project or open_project first.");

    private OwnerHsmParameters Parameters
    {
        get
        {
            if (_parameters is not null) return _parameters;
            var settings = env.LoadSettings();
            var saved = settings.RequireJobManager();
            return new OwnerHsmParameters(saved.HsmServerName, saved.UHsmUuid, saved.MHsmUuid, saved.UMasterHsmUuid, saved.HsmKeysetDir,
                settings.PinnedManufacturerKeys.GetValueOrDefault(saved.MHsmUuid));
        }
    }

    /// <summary>The U-HSM's keys (identity, master), opened once.</summary>
    public RoleKeys Uhsm()
    {
        if (_uhsm is not null) return _uhsm;
        var p = Parameters;
        var hsm = env.OpenHsm(p.ServerName, p.UHsmUuid, create: true);
        if (!HsmUuid.Same(hsm.Info.Uuid, p.UHsmUuid))
            throw new SppsException(ErrorCodes.WrongHsm, $"HSM '{p.ServerName}' has UUID {hsm.Info.Uuid}, but set_hsm_params says the U-HSM is {p.UHsmUuid}.");
        return _uhsm = RoleKeys.ForOwner(hsm, p.MasterUuid);
    }

    /// <summary>Uses these parameters for this session only (a build): nothing is saved, no key is pinned in the site's settings.</summary>
    public RoleKeys Configure(OwnerHsmParameters parameters)
    {
        _parameters = Normalized(parameters);
        _persistPins = false;
        _uhsm = null;
        return Uhsm();
    }

    /// <summary>set_hsm_params: saves the parameters (and a pinned M-HSM key) in the site's settings.</summary>
    public RoleKeys SaveHsmParameters(OwnerHsmParameters parameters)
    {
        var p = Normalized(parameters);
        var settings = env.LoadSettings();
        if (p.PinnedMHsmFingerprint is { } pin) settings.PinnedManufacturerKeys[p.MHsmUuid] = pin;
        settings.JobManager = new OwnerHsmSettings
        {
            HsmServerName = p.ServerName, UHsmUuid = p.UHsmUuid, MHsmUuid = p.MHsmUuid, UMasterHsmUuid = p.MasterUuid, HsmKeysetDir = p.KeysetDir,
        };
        settings.Save(env.Home);
        _parameters = null;
        _persistPins = true;
        _uhsm = null;
        if (p.KeysetDir is not null) Directory.CreateDirectory(p.KeysetDir);
        return Uhsm();
    }

    private OwnerHsmParameters Normalized(OwnerHsmParameters p)
    {
        if (p.PinnedMHsmFingerprint is { } pin && (pin.Length != 96 || !pin.All(Uri.IsHexDigit)))
            throw new SppsException(ErrorCodes.InvalidOptionValue, "-m_hsm_fingerprint must be the 96-hex-digit SHA-384 fingerprint the CM's set_hsm_params printed.");
        return p with
        {
            UHsmUuid = HsmUuid.Normalize(p.UHsmUuid, "-u_hsm_uuid"),
            MHsmUuid = HsmUuid.Normalize(p.MHsmUuid, "-m_hsm_uuid"),
            MasterUuid = HsmUuid.Normalize(p.MasterUuid, "-u_master_hsm_uuid"),
            KeysetDir = p.KeysetDir is { } dir ? env.Resolve(dir) : null,
            PinnedMHsmFingerprint = p.PinnedMHsmFingerprint?.ToLowerInvariant(),
        };
    }

    public OwnerHsmParameters CurrentParameters => Parameters;

    public Keyset CreateKeyset(string path, bool overwrite)
    {
        if (File.Exists(path) && !overwrite)
            throw new SppsException(ErrorCodes.OptionNotAllowed, $"{path} exists: keysets are not replaced by accident. Add -overwrite TRUE, or choose another -file.");
        return Keyset.Create(path, Uhsm());
    }

    public OwnerProject NewProject(string location, string name)
    {
        Project = OwnerProject.Create(location, name);
        Project.Save();
        return Project;
    }

    public OwnerProject OpenProject(string path) => Project = OwnerProject.Load(path);

    /// <summary>Closes the project, saving it first when <paramref name="save"/>; returns what was open.</summary>
    public OwnerProject? CloseProject(bool save)
    {
        var closed = Project;
        if (closed is not null && save) closed.Save();
        Project = null;
        return closed;
    }

    public void SaveOpenProject() => Project?.Save();

    /// <summary>
    /// Imports a JDC. The project references it where it is (no plaintext design in the project) unless
    /// <paramref name="keepPlaintext"/> copies it in (mode 0600); <paramref name="link"/> also skips the payload check (builds).
    /// </summary>
    public ProgDataImported ImportProgData(string name, string jdcPath, string keysetGiven, bool link, bool keepPlaintext = false)
    {
        var project = RequireProject();
        if (project.ProgData.Any(d => d.Name == name)) throw new SppsException(ErrorCodes.NameExists, $"Programming data '{name}' already exists in this project.");
        if (link && keepPlaintext)
            throw new SppsException(ErrorCodes.InvalidOptionValue, "-link references the JDC where it is, -keep_plaintext copies it into the project: give one of them.");
        var jdc = JdcFile.Open(jdcPath, verifyPayload: !link);
        var keyset = Keyset.Open(ResolveKeyset(keysetGiven), Uhsm());
        var jdcCopy = keepPlaintext ? Path.Combine("data", name + ".jdc") : Path.GetFullPath(jdc.Path);
        var keysetCopy = Path.Combine("data", name + ".keyset");
        if (keepPlaintext) AtomicFile.Write(project.Absolute(jdcCopy), o => { using var i = File.OpenRead(jdc.Path); i.CopyTo(o, 1 << 20); }, AtomicFile.OwnerOnly);
        AtomicFile.WriteAllBytes(project.Absolute(keysetCopy), File.ReadAllBytes(keyset.Path));
        var data = new ProgData { Name = name, JdcFile = jdcCopy, KeysetFile = keysetCopy, Design = jdc.Design, Device = jdc.Device, DesignDigest = jdc.DesignDigestHex };
        project.ProgData.Add(data);
        return new ProgDataImported(jdc, data);
    }

    private string ResolveKeyset(string given)
    {
        var direct = env.Resolve(given);
        if (File.Exists(direct)) return direct;
        var dir = Parameters.KeysetDir;
        if (dir is not null && File.Exists(Path.Combine(dir, given))) return Path.Combine(dir, given);
        throw new SppsException(ErrorCodes.FileNotFound, $"Keyset {given} not found in {env.WorkingDirectory}" + (dir is null ? "" : $" nor in the keyset folder {dir}") + ": run create_keyset first.");
    }

    public EnvmUpdated SetEnvmUpdate(string dataName, string client, string file, bool overwrite)
    {
        var project = RequireProject();
        var data = project.Data(dataName);
        var jdc = JdcFile.Open(project.Absolute(data.JdcFile), verifyPayload: false);
        var component = jdc.Components.FirstOrDefault(c => c.Type == ComponentType.ENVM && c.Name == client)
            ?? throw new SppsException(ErrorCodes.NameNotFound, $"Design {jdc.Design} has no eNVM client '{client}' (have: {string.Join(", ", jdc.Components.Where(c => c.Type == ComponentType.ENVM).Select(c => c.Name).DefaultIfEmpty("none"))}).");
        var existing = data.EnvmUpdates.FirstOrDefault(u => u.Client == client);
        if (existing is not null && !overwrite)
            throw new SppsException(ErrorCodes.NameExists, $"Client {client} already has an update: add -overwrite YES to replace it.");
        var image = IntelHex.ReadClientFile(file, component.Capacity);
        var relative = Path.Combine("data", $"{data.Name}.envm.{client}.bin");
        AtomicFile.WriteAllBytes(project.Absolute(relative), image);
        if (existing is not null) data.EnvmUpdates.Remove(existing);
        data.EnvmUpdates.Add(new EnvmUpdate { Client = client, File = relative, Length = image.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(image)) });
        return new EnvmUpdated(client, image.Length, component.Capacity);
    }

    public BitstreamEntry InitBitstream(BitstreamOptions options, Action<WorkProgress>? progress = null)
    {
        var project = RequireProject();
        var data = project.Data(options.DataName);
        if (options.Type != "MASTER") throw new SppsException(ErrorCodes.InvalidOptionValue, $"-bitstream_type {options.Type} is not supported: the HSM flow programs MASTER bitstreams.");
        if (options.Protocol != "AUTH_CODE") throw new SppsException(ErrorCodes.InvalidOptionValue, $"-use_protocol {options.Protocol} is not supported: use AUTH_CODE.");
        var jdc = JdcFile.Open(project.Absolute(data.JdcFile), verifyPayload: false);
        var features = options.Features ?? jdc.Components.Select(c => c.Type).Distinct().ToList();
        var existing = project.Bitstreams.FirstOrDefault(b => b.DataName == data.Name && b.Name == options.Name);
        var entry = BitstreamBuilder.Build(project, new BitstreamRequest(data.Name, options.Name, options.Type, features, options.Protocol, options.KeyMode.Name,
            options.GenerateCoc, options.EnvmClients), Uhsm(), env.Notice, progress);
        if (existing is not null) project.Bitstreams.Remove(existing);
        project.Bitstreams.Add(entry);
        return entry;
    }

    public ProgJob NewJob(string name, string? type)
    {
        var project = RequireProject();
        if (project.Jobs.Any(j => j.Name == name)) throw new SppsException(ErrorCodes.NameExists, $"Job '{name}' already exists.");
        type ??= JobTypes.FlashProExpress;
        var normal = new[] { JobTypes.FlashProExpress, JobTypes.InHouse }.FirstOrDefault(t => t.Equals(type, StringComparison.OrdinalIgnoreCase))
            ?? throw new SppsException(ErrorCodes.InvalidOptionValue, $"-job_type {type} is not supported: use FPExpress (a CM's FlashPro Express) or IHP (in-house programming on this site's U-HSM).");
        var job = new ProgJob { Name = name, Type = normal };
        project.Jobs.Add(job);
        return job;
    }

    public JobDeviceEntry AddDevice(string jobName, string deviceName, int hwLocation, string dataName, string bitstreamName)
    {
        var project = RequireProject();
        var job = project.Job(jobName);
        if (job.Devices.Any(d => d.Name == deviceName)) throw new SppsException(ErrorCodes.NameExists, $"Job {job.Name} already has device {deviceName}.");
        if (JobTypes.IsInHouse(job) && job.Devices.Count > 0)
            throw new SppsException(ErrorCodes.IhpSingleDevice, $"Job {job.Name} is an IHP job: it programs a single target device, and has {job.Devices[0].Name}. Use an FPExpress job for a chain of devices.");
        var bitstream = project.Bitstream(dataName, bitstreamName);
        var device = new JobDeviceEntry { Name = deviceName, HwLocation = hwLocation, DataName = bitstream.DataName, BitstreamName = bitstream.Name };
        job.Devices.Add(device);
        return device;
    }

    public HsmTask AddHsmTask(string jobName, string taskName, string? cmRequestType)
    {
        var job = RequireProject().Job(jobName);
        if (job.Tasks.Any(t => t.Name == taskName)) throw new SppsException(ErrorCodes.NameExists, $"Job {job.Name} already has HSM task {taskName}.");
        var task = new HsmTask { Name = taskName, CmRequestType = cmRequestType };
        job.Tasks.Add(task);
        return task;
    }

    public TicketEntry AddTicket(string jobName, string taskName, string ticketName, string device, ProgrammingAction action, long maxDevice)
    {
        var job = RequireProject().Job(jobName);
        var task = job.Task(taskName);
        if (task.Request is not null) throw new SppsException(ErrorCodes.WrongOrder, $"HSM task {task.Name} already has a request: its tickets are fixed. Add a new HSM task for more tickets.");
        if (task.Tickets.Any(t => t.Name == ticketName)) throw new SppsException(ErrorCodes.NameExists, $"HSM task {task.Name} already has ticket {ticketName}.");
        if (job.Devices.All(d => d.Name != device)) throw new SppsException(ErrorCodes.NameNotFound, $"Job {job.Name} has no device {device}: run add_microsemi_prog_device first.");
        if (task.Tickets.Any(t => t.Action == action.Name && t.Device == device)) throw new SppsException(ErrorCodes.NameExists, $"HSM task {task.Name} already has a {action} ticket for {device}.");
        if (JobTypes.IsInHouse(job) && maxDevice != 1)
            throw new SppsException(ErrorCodes.IhpSingleDevice, $"Job {job.Name} is an IHP job: it programs a single target device, so its tickets take -max_device 1, not {(maxDevice < 0 ? "unlimited" : maxDevice)}.");
        var ticket = new TicketEntry { Name = ticketName, Device = device, Action = action.Name, MaxDevice = maxDevice };
        task.Tickets.Add(ticket);
        return ticket;
    }

    public JobRequest WriteRequest(string jobName, string taskName, string path)
    {
        var job = RequireProject().Job(jobName);
        var task = job.Task(taskName);
        if (task.Tickets.Count == 0) throw new SppsException(ErrorCodes.WrongOrder, $"HSM task {task.Name} has no tickets: run new_hsmtask_ticket first.");
        if (task.Reply is not null) throw new SppsException(ErrorCodes.WrongOrder, $"HSM task {task.Name} is already bound by a reply; make a new HSM task for another M-HSM.");
        var uhsm = Uhsm();
        // An IHP job is made for this site's own U-HSM acting as the M-HSM (spps-station set_hsm_params -hsm_type_u TRUE).
        var mhsmUuid = JobTypes.IsInHouse(job) ? HsmUuid.Normalize(uhsm.Hsm.Info.Uuid) : Parameters.MHsmUuid;
        JobRequest.Write(path, job.Name, task.Name, uhsm.Hsm.Info.Uuid, uhsm.IdentityPublicKey, mhsmUuid, task.Tickets.Select(t => t.Spec), uhsm.Sign);
        var request = JobRequest.Read(path);
        task.Request = new RequestRecord { File = path, Digest = request.File.Digest, Created = DateTimeOffset.UtcNow.ToString("O") };
        return request;
    }

    public ReplyImported ImportReply(string jobName, string taskName, string replyPath, string? requestPath)
    {
        var job = RequireProject().Job(jobName);
        var task = job.Task(taskName);
        var uhsm = Uhsm();
        if (requestPath is not null)
        {
            var adopted = JobRequest.Read(requestPath);
            if (PublicKeys.Fingerprint(adopted.UHsmIdentityKey) != uhsm.IdentityFingerprint)
                throw new SppsException(ErrorCodes.UnexpectedSigner, "-request_file was not made by this site's U-HSM.");
            if (adopted.Job != job.Name || adopted.HsmTask != task.Name || !adopted.Tickets.SequenceEqual(task.Tickets.Select(t => t.Spec)))
                throw new SppsException(ErrorCodes.ReplyMismatch, "-request_file asks for other tickets than this HSM task has.");
            task.Request = new RequestRecord { File = adopted.File.Path, Digest = adopted.File.Digest, Created = DateTimeOffset.UtcNow.ToString("O") };
        }
        var request = task.Request ?? throw new SppsException(ErrorCodes.WrongOrder, $"HSM task {task.Name} has no request: run hsmtask_m_request first.");
        var reply = JobReply.Read(replyPath);
        var where = new SourceLocation(reply.File.Path);
        var parameters = Parameters;
        if (reply.RequestDigest != request.Digest)
            throw new SppsException(ErrorCodes.ReplyMismatch, $"This reply answers another request (digest {reply.RequestDigest[..16]}…), not HSM task {task.Name}'s ({request.Digest[..16]}…).", where);
        if (JobTypes.IsInHouse(job))
        {
            // IHP: the reply must come from this site's own U-HSM; its key is known, so nothing is pinned.
            if (!HsmUuid.Same(reply.MHsmUuid, uhsm.Hsm.Info.Uuid) || PublicKeys.Fingerprint(reply.IdentityKey) != uhsm.IdentityFingerprint)
                throw new SppsException(ErrorCodes.WrongHsm, $"Job {job.Name} is an IHP job: its reply must come from this site's U-HSM ({HsmUuid.Normalize(uhsm.Hsm.Info.Uuid)}, key {PublicKeys.Short(uhsm.IdentityFingerprint)}) acting as the M-HSM, not from M-HSM {HsmUuid.Normalize(reply.MHsmUuid)} (key {PublicKeys.Short(PublicKeys.Fingerprint(reply.IdentityKey))}).", where);
            parameters = parameters with { MHsmUuid = HsmUuid.Normalize(uhsm.Hsm.Info.Uuid), PinnedMHsmFingerprint = uhsm.IdentityFingerprint };
        }
        if (!HsmUuid.Same(reply.MHsmUuid, parameters.MHsmUuid))
            throw new SppsException(ErrorCodes.WrongHsm, $"The reply comes from M-HSM {reply.MHsmUuid}, but jobs of this site go to M-HSM {parameters.MHsmUuid} (set_hsm_params -m_hsm_uuid).", where);
        var fingerprint = PublicKeys.Fingerprint(reply.IdentityKey);
        var pinnedNow = false;
        if (parameters.PinnedMHsmFingerprint is { } pinned)
        {
            if (pinned != fingerprint)
                throw new SppsException(ErrorCodes.KeyFingerprintMismatch, $"M-HSM {parameters.MHsmUuid} answered with key {fingerprint[..16]}…, but this site pinned {pinned[..16]}…: the reply comes from another HSM. Check with the CM before trusting it.", where);
        }
        else
        {
            _parameters = parameters with { PinnedMHsmFingerprint = fingerprint };
            if (_persistPins)
            {
                var settings = env.LoadSettings();
                settings.PinnedManufacturerKeys[parameters.MHsmUuid] = fingerprint;
                settings.Save(env.Home);
                _parameters = null;
            }
            pinnedNow = true;
        }
        var ids = task.Tickets.ToDictionary(t => t.Name, t => reply.TicketIds.TryGetValue(t.Name, out var id) ? HsmUuid.Normalize(id, "ticket ID")
            : throw new SppsException(ErrorCodes.ReplyMismatch, $"The reply has no ticket ID for {t.Name}.", where));
        // Once a task is exported, its tickets are fixed: a second reply with other IDs would make a second loadable job.
        if (task.Exports.Count > 0 && task.Tickets.Any(t => t.TicketId != ids[t.Name]))
            throw new SppsException(ErrorCodes.SecondReply, $"HSM task {task.Name} was already exported with the ticket IDs of an earlier reply; this reply names other tickets and would make a second job. Use the job already exported, or make a new HSM task.", where);
        foreach (var ticket in task.Tickets) ticket.TicketId = ids[ticket.Name];
        task.Reply = new ReplyRecord { MHsmUuid = HsmUuid.Normalize(reply.MHsmUuid), IdentityKey = Convert.ToBase64String(reply.IdentityKey), TransportKey = Convert.ToBase64String(reply.TransportKey), Digest = reply.File.Digest };
        return new ReplyImported(task, fingerprint, pinnedNow);
    }

    public ExportRecord Export(string jobName, string taskName, string path)
    {
        var project = RequireProject();
        var job = project.Job(jobName);
        return JobExporter.Export(project, job, job.Task(taskName), Uhsm(), SiliconVendors.For(env.Options), path);
    }

    public ValidationReport ValidateStatus(string statusPath, Action<WorkProgress>? progress = null) => StatusValidator.Validate(RequireProject(), Uhsm(), statusPath, progress);
}
