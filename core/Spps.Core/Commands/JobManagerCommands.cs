using Newtonsoft.Json.Linq;
using Spps.Core.Formats;
using Spps.Core.Identifiers;
using Spps.Core.Owner;
using Spps.Core.Protocol;
using Spps.Core.Site;

namespace Spps.Core.Commands;

/// <summary>
/// The Job Manager commands of the OE site (seed §3.2-3.10), run by spps scripts, spps subcommands and
/// the MSBuild tasks. One session holds the open project; it is written only by close_project -save
/// (or a script that ends without error), so a failing script leaves the project as it was.
/// </summary>
public sealed class JobManagerCommands : CommandSet
{
    private readonly SppsEnvironment _env;
    private OwnerProject? _project;
    private RoleKeys? _uhsm;

    public JobManagerCommands(SppsEnvironment env)
    {
        _env = env;
        Commands =
        [
            new("set_hsm_params", "Save this site's U-HSM parameters (persist until changed); creates an embedded U-HSM on first use.",
            [
                new("hsm_server_name", "U-HSM: embedded instance name, or a pkcs11: URI", Required: true),
                new("u_hsm_uuid", "U-HSM UUID (hex)", Required: true),
                new("m_hsm_uuid", "the M-HSM jobs will be bound to (hex)", Required: true),
                new("u_master_hsm_uuid", "UUID naming the U-HSM master key", Required: true),
                new("hsm_keyset_dir", "default folder for keyset files"),
                new("m_hsm_fingerprint", "pin the M-HSM identity key (SHA-384 fingerprint) instead of trusting its first reply"),
            ], SetHsmParams),
            new("create_keyset", "Generate a keyset (UEK1-3, UPK1-2, DPK) in the U-HSM and write it wrapped under the master key.",
            [new("file", "keyset file to write", Required: true), new("overwrite", "TRUE to replace an existing file")], CreateKeyset),
            new("new_project", "Create a project LOCATION/NAME/NAME.jprj and open it.",
            [new("location", "folder to create the project in", Required: true), new("name", "project name", Required: true)], NewProject),
            new("open_project", "Open a project.", [new("project", "the .jprj file", Required: true)], OpenProject),
            new("close_project", "Close the project, saving it unless -save FALSE.", [new("save", "TRUE (default) or FALSE")], CloseProject),
            new("new_prog_data", "Import a JDC as programming data, tied to a keyset (the HSM flow).",
            [
                new("data_name", "programming data name", Required: true),
                new("import_file", "the .jdc file", Required: true),
                new("keyset_file", "keyset (a bare name is looked up in -hsm_keyset_dir)", Required: true),
                new("link", "reference the JDC where it is instead of copying it (builds): its bytes are checked when a bitstream is made", IsFlag: true),
            ], NewProgData, NeedsProject: true),
            new("set_envm_update", "Replace an eNVM client's content (Intel HEX or raw binary, at most the client's size).",
            [
                new("data_name", "programming data name", Required: true),
                new("client_name", "eNVM client name", Required: true),
                new("file", "Intel HEX (.hex) or binary file", Required: true),
                new("overwrite", "YES to replace an earlier update"),
            ], SetEnvmUpdate, NeedsProject: true),
            new("init_bitstream", "Encrypt a master bitstream under a fresh KIP (streaming).",
            [
                new("data_name", "programming data name", Required: true),
                new("bitstream_name", "bitstream name", Required: true),
                new("bitstream_type", "MASTER (default)"),
                new("features", "what it programs: any of SECURITY FABRIC ENVM (default: all the design has)"),
                new("use_protocol", "AUTH_CODE (default)"),
                new("generate_coc", "devices return Certificates of Conformance", IsFlag: true),
                new("auth_keymode", "KFPE (default), KFP or DFK"),
                new("envm_clients", "only these eNVM clients (default: all)"),
            ], InitBitstream, NeedsProject: true),
            new("new_prog_job", "Create a programming job.",
            [new("job_name", "job name", Required: true), new("job_type", "FPExpress (default)")], NewProgJob, NeedsProject: true),
            new("add_microsemi_prog_device", "Add a device to the job's JTAG chain, programmed with a bitstream.",
            [
                new("job_name", "job name", Required: true),
                new("device_name", "device name", Required: true),
                new("device_hw_location", "position in the chain (1 = first)"),
                new("data_name", "programming data name", Required: true),
                new("bitstream_name", "bitstream name", Required: true),
            ], AddDevice, NeedsProject: true),
            new("add_hsmtask_to_job", "Add an HSM task (one CM's share of the job).",
            [new("job_name", "job name", Required: true), new("hsmtask_name", "HSM task name", Required: true), new("cm_request_type", "request type (informational)")],
            AddHsmTask, NeedsProject: true),
            new("new_hsmtask_ticket", "Add a ticket: one action on one device, for up to -max_device devices.",
            [
                new("job_name", "job name", Required: true),
                new("hsmtask_name", "HSM task name", Required: true),
                new("ticket_name", "ticket name", Required: true),
                new("device_name", "device in the chain", Required: true),
                new("actions", "PROGRAM, VERIFY or ERASE", Required: true),
                new("max_device", "device count, or 'unlimited'", Required: true),
            ], NewTicket, NeedsProject: true),
            new("hsmtask_m_request", "Write the signed job request (.req) for the CM.",
            [new("job_name", "job name", Required: true), new("hsmtask_name", "HSM task name", Required: true), new("request_file", "request file to write", Required: true)],
            Request, NeedsProject: true),
            new("hsmtask_m_reply", "Import the CM's job reply (.rep): ticket IDs and M-HSM binding.",
            [
                new("job_name", "job name", Required: true),
                new("hsmtask_name", "HSM task name", Required: true),
                new("reply_file", "reply file from the CM", Required: true),
                new("request_file", "the request the reply answers, when it was made by another project (CI)"),
            ], Reply, NeedsProject: true),
            new("export_hsmtask", "Export the signed job (.job) bound to the M-HSM of the reply.",
            [
                new("job_name", "job name", Required: true),
                new("hsmtask_name", "HSM task name", Required: true),
                new("location", "folder to write to", Required: true),
                new("name", "job file name (without .job)", Required: true),
            ], Export, NeedsProject: true),
            new("import_job_status", "Validate a job status from the CM with the U-HSM (post-production checks).",
            [new("job_status_file", "status file from the CM", Required: true)], ImportJobStatus, NeedsProject: true),
        ];
    }

    public override string ToolName => "Job Manager (spps)";
    public override IReadOnlyList<CommandSpec> Commands { get; }
    public OwnerProject? Project => _project;

    /// <summary>Where init_bitstream and import_job_status report how far they are (a host's progress view); null: text notices only.</summary>
    public Action<WorkProgress>? WorkProgress { get; set; }

    /// <summary>The folder new_project made in this session (it did not exist before), for a host that undoes a failed script.</summary>
    public string? CreatedProjectFolder { get; private set; }

    private OwnerProject RequireProject() => _project ?? throw new SppsException(ErrorCodes.NoProjectOpen, "No project is open: run new_project or open_project first.");

    private RoleKeys Uhsm()
    {
        if (_uhsm is not null) return _uhsm;
        var settings = _env.LoadSettings().RequireJobManager();
        var hsm = _env.OpenHsm(settings.HsmServerName, settings.UHsmUuid, create: true);
        if (!HsmUuid.Same(hsm.Info.Uuid, settings.UHsmUuid))
            throw new SppsException(ErrorCodes.WrongHsm, $"HSM '{settings.HsmServerName}' has UUID {hsm.Info.Uuid}, but set_hsm_params says the U-HSM is {settings.UHsmUuid}.");
        return _uhsm = RoleKeys.ForOwner(hsm, settings.UMasterHsmUuid);
    }

    /// <summary>Saves the open project (scripts call this when they end without error).</summary>
    public void SaveOpenProject() => _project?.Save();

    private CommandResult SetHsmParams(CommandCall call)
    {
        var settings = _env.LoadSettings();
        var owner = new OwnerHsmSettings
        {
            HsmServerName = call.Get("hsm_server_name"),
            UHsmUuid = HsmUuid.Normalize(call.Get("u_hsm_uuid"), "-u_hsm_uuid"),
            MHsmUuid = HsmUuid.Normalize(call.Get("m_hsm_uuid"), "-m_hsm_uuid"),
            UMasterHsmUuid = HsmUuid.Normalize(call.Get("u_master_hsm_uuid"), "-u_master_hsm_uuid"),
            HsmKeysetDir = call.Optional("hsm_keyset_dir") is { } dir ? _env.Resolve(dir) : null,
        };
        if (call.Optional("m_hsm_fingerprint") is { } pin)
        {
            if (pin.Length != 96 || !pin.All(Uri.IsHexDigit))
                throw new SppsException(ErrorCodes.InvalidOptionValue, "-m_hsm_fingerprint must be the 96-hex-digit SHA-384 fingerprint the CM's set_hsm_params printed.", call.Location);
            settings.PinnedManufacturerKeys[owner.MHsmUuid] = pin.ToLowerInvariant();
        }
        settings.JobManager = owner;
        settings.Save(_env.Home);
        _uhsm = null;
        if (owner.HsmKeysetDir is not null) Directory.CreateDirectory(owner.HsmKeysetDir);
        var uhsm = Uhsm();
        var result = new CommandResult()
            .Say($"U-HSM parameters saved: server {owner.HsmServerName}, U-HSM {owner.UHsmUuid}, master key {owner.UMasterHsmUuid}, M-HSM {owner.MHsmUuid}.")
            .Say($"U-HSM identity key fingerprint: {uhsm.IdentityFingerprint}");
        result.Data["u_hsm_uuid"] = owner.UHsmUuid;
        result.Data["m_hsm_uuid"] = owner.MHsmUuid;
        result.Data["identity_fingerprint"] = uhsm.IdentityFingerprint;
        return result;
    }

    private CommandResult CreateKeyset(CommandCall call)
    {
        var path = _env.Resolve(call.Get("file"));
        if (File.Exists(path) && !call.Flag("overwrite"))
            throw new SppsException(ErrorCodes.OptionNotAllowed, $"{path} exists: keysets are not replaced by accident. Add -overwrite TRUE, or choose another -file.", call.Location);
        var keyset = Keyset.Create(path, Uhsm());
        var result = new CommandResult().Say($"Generated keyset {path} in U-HSM {keyset.UHsmUuid}: {string.Join(", ", Keyset.KeyNames)} (wrapped under {keyset.MasterLabel}).");
        result.Data["file"] = path;
        return result;
    }

    private CommandResult NewProject(CommandCall call)
    {
        _project = OwnerProject.Create(_env.Resolve(call.Get("location")), call.Get("name"));
        var folder = Path.GetDirectoryName(_project.FilePath)!;
        var fresh = !Directory.Exists(folder);
        _project.Save();
        if (fresh) CreatedProjectFolder = folder;
        var result = new CommandResult().Say($"Created project {_project.FilePath}");
        result.Data["project"] = _project.FilePath;
        return result;
    }

    private CommandResult OpenProject(CommandCall call)
    {
        _project = OwnerProject.Load(_env.Resolve(call.Get("project")));
        return new CommandResult().Say($"Opened '{_project.FilePath}'");
    }

    private CommandResult CloseProject(CommandCall call)
    {
        var result = new CommandResult();
        if (_project is null) return result.Say("No project was open.");
        if (call.Flag("save", fallback: true)) { _project.Save(); result.Say($"Saved and closed '{_project.FilePath}'"); }
        else result.Say($"Closed '{_project.FilePath}' without saving");
        _project = null;
        return result;
    }

    private CommandResult NewProgData(CommandCall call)
    {
        var project = RequireProject();
        var name = call.Get("data_name");
        if (project.ProgData.Any(d => d.Name == name)) throw new SppsException(ErrorCodes.NameExists, $"Programming data '{name}' already exists in this project.", call.Location);
        var link = call.Flag("link");
        var jdc = JdcFile.Open(_env.Resolve(call.Get("import_file")), verifyPayload: !link);
        var keysetPath = ResolveKeyset(call.Get("keyset_file"));
        var keyset = Keyset.Open(keysetPath, Uhsm());
        var jdcCopy = link ? Path.GetFullPath(jdc.Path) : Path.Combine("data", name + ".jdc");
        var keysetCopy = Path.Combine("data", name + ".keyset");
        if (!link) IO.AtomicFile.Write(project.Absolute(jdcCopy), o => { using var i = File.OpenRead(jdc.Path); i.CopyTo(o, 1 << 20); });
        IO.AtomicFile.WriteAllBytes(project.Absolute(keysetCopy), File.ReadAllBytes(keyset.Path));
        project.ProgData.Add(new ProgData { Name = name, JdcFile = jdcCopy, KeysetFile = keysetCopy, Design = jdc.Design, Device = jdc.Device, DesignDigest = jdc.DesignDigestHex });
        var result = new CommandResult().Say($"Imported design {jdc.Design} for {jdc.Device} as programming data {name} (design digest {jdc.DesignDigestHex}).");
        foreach (var c in jdc.Components) result.Say($"  {c.Type} {c.Name}: {c.Length} bytes");
        result.Data["design"] = jdc.Design;
        result.Data["design_digest"] = jdc.DesignDigestHex;
        return result;
    }

    private string ResolveKeyset(string given)
    {
        var direct = _env.Resolve(given);
        if (File.Exists(direct)) return direct;
        var dir = _env.LoadSettings().JobManager?.HsmKeysetDir;
        if (dir is not null && File.Exists(Path.Combine(dir, given))) return Path.Combine(dir, given);
        throw new SppsException(ErrorCodes.FileNotFound, $"Keyset {given} not found in {_env.WorkingDirectory}" + (dir is null ? "" : $" nor in the keyset folder {dir}") + ": run create_keyset first.");
    }

    private CommandResult SetEnvmUpdate(CommandCall call)
    {
        var project = RequireProject();
        var data = project.Data(call.Get("data_name"));
        var client = call.Get("client_name");
        var jdc = JdcFile.Open(project.Absolute(data.JdcFile), verifyPayload: false);
        var component = jdc.Components.FirstOrDefault(c => c.Type == ComponentType.ENVM && c.Name == client)
            ?? throw new SppsException(ErrorCodes.NameNotFound, $"Design {jdc.Design} has no eNVM client '{client}' (have: {string.Join(", ", jdc.Components.Where(c => c.Type == ComponentType.ENVM).Select(c => c.Name).DefaultIfEmpty("none"))}).", call.Location);
        var existing = data.EnvmUpdates.FirstOrDefault(u => u.Client == client);
        if (existing is not null && !call.Flag("overwrite"))
            throw new SppsException(ErrorCodes.NameExists, $"Client {client} already has an update: add -overwrite YES to replace it.", call.Location);
        var image = IntelHex.ReadClientFile(_env.Resolve(call.Get("file")), component.Capacity);
        var relative = Path.Combine("data", $"{data.Name}.envm.{client}.bin");
        IO.AtomicFile.WriteAllBytes(project.Absolute(relative), image);
        if (existing is not null) data.EnvmUpdates.Remove(existing);
        data.EnvmUpdates.Add(new EnvmUpdate { Client = client, File = relative, Length = image.Length, Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(image)) });
        return new CommandResult().Say($"eNVM client {client} of {data.Name} will be programmed with {image.Length} bytes from {call.Get("file")} (client size {component.Capacity}).");
    }

    private CommandResult InitBitstream(CommandCall call)
    {
        var project = RequireProject();
        var data = project.Data(call.Get("data_name"));
        var name = call.Get("bitstream_name");
        var type = (call.Optional("bitstream_type") ?? "MASTER").ToUpperInvariant();
        if (type != "MASTER") throw new SppsException(ErrorCodes.InvalidOptionValue, $"-bitstream_type {type} is not supported: the HSM flow programs MASTER bitstreams.", call.Location);
        var protocol = (call.Optional("use_protocol") ?? "AUTH_CODE").ToUpperInvariant();
        if (protocol != "AUTH_CODE") throw new SppsException(ErrorCodes.InvalidOptionValue, $"-use_protocol {protocol} is not supported: use AUTH_CODE.", call.Location);
        var keyMode = (call.Optional("auth_keymode") ?? "KFPE").ToUpperInvariant();
        if (keyMode is not ("KFPE" or "KFP" or "DFK")) throw new SppsException(ErrorCodes.InvalidOptionValue, $"-auth_keymode must be KFPE, KFP or DFK, not '{keyMode}'.", call.Location);
        var jdc = JdcFile.Open(project.Absolute(data.JdcFile), verifyPayload: false);
        var features = call.Optional("features") is { } f
            ? SplitList(f).Select(x => Enum.TryParse<ComponentType>(x.ToUpperInvariant(), out var t) ? t : throw new SppsException(ErrorCodes.InvalidOptionValue, $"-features: '{x}' is not SECURITY, FABRIC or ENVM.", call.Location)).Distinct().ToList()
            : jdc.Components.Select(c => c.Type).Distinct().ToList();
        var clients = call.Optional("envm_clients") is { } e ? SplitList(e).ToList() : null;
        var existing = project.Bitstreams.FirstOrDefault(b => b.DataName == data.Name && b.Name == name);
        var entry = BitstreamBuilder.Build(project, new BitstreamRequest(data.Name, name, type, features, protocol, keyMode, call.Flag("generate_coc"), clients), Uhsm(), _env.Notice, WorkProgress);
        if (existing is not null) project.Bitstreams.Remove(existing);
        project.Bitstreams.Add(entry);
        var result = new CommandResult().Say($"Initialized {type} bitstream {name}: {string.Join(", ", entry.Features)}, key mode {keyMode}, {(entry.GenerateCoc ? "with" : "without")} CoC, {entry.PlaintextLength} bytes encrypted under a fresh KIP.");
        result.Data["design_digest"] = entry.DesignDigest;
        result.Data["plaintext_length"] = entry.PlaintextLength;
        return result;
    }

    private CommandResult NewProgJob(CommandCall call)
    {
        var project = RequireProject();
        var name = call.Get("job_name");
        if (project.Jobs.Any(j => j.Name == name)) throw new SppsException(ErrorCodes.NameExists, $"Job '{name}' already exists.", call.Location);
        var type = call.Optional("job_type") ?? "FPExpress";
        if (!type.Equals("FPExpress", StringComparison.OrdinalIgnoreCase)) throw new SppsException(ErrorCodes.InvalidOptionValue, $"-job_type {type} is not supported: use FPExpress.", call.Location);
        project.Jobs.Add(new ProgJob { Name = name, Type = "FPExpress" });
        return new CommandResult().Say($"Created programming job {name} ({type}).");
    }

    private CommandResult AddDevice(CommandCall call)
    {
        var project = RequireProject();
        var job = project.Job(call.Get("job_name"));
        var name = call.Get("device_name");
        if (job.Devices.Any(d => d.Name == name)) throw new SppsException(ErrorCodes.NameExists, $"Job {job.Name} already has device {name}.", call.Location);
        var bitstream = project.Bitstream(call.Get("data_name"), call.Get("bitstream_name"));
        var location = (int)(call.Long("device_hw_location", 1, 1024) ?? 1);
        job.Devices.Add(new JobDeviceEntry { Name = name, HwLocation = location, DataName = bitstream.DataName, BitstreamName = bitstream.Name });
        return new CommandResult().Say($"Added device {name} at chain position {location} to job {job.Name}, programmed with {bitstream.Name}.");
    }

    private CommandResult AddHsmTask(CommandCall call)
    {
        var job = RequireProject().Job(call.Get("job_name"));
        var name = call.Get("hsmtask_name");
        if (job.Tasks.Any(t => t.Name == name)) throw new SppsException(ErrorCodes.NameExists, $"Job {job.Name} already has HSM task {name}.", call.Location);
        job.Tasks.Add(new HsmTask { Name = name, CmRequestType = call.Optional("cm_request_type") });
        return new CommandResult().Say($"Added HSM task {name} to job {job.Name}.");
    }

    private CommandResult NewTicket(CommandCall call)
    {
        var job = RequireProject().Job(call.Get("job_name"));
        var task = job.Task(call.Get("hsmtask_name"));
        if (task.Request is not null) throw new SppsException(ErrorCodes.WrongOrder, $"HSM task {task.Name} already has a request: its tickets are fixed. Add a new HSM task for more tickets.", call.Location);
        var name = call.Get("ticket_name");
        if (task.Tickets.Any(t => t.Name == name)) throw new SppsException(ErrorCodes.NameExists, $"HSM task {task.Name} already has ticket {name}.", call.Location);
        var device = call.Get("device_name");
        if (job.Devices.All(d => d.Name != device)) throw new SppsException(ErrorCodes.NameNotFound, $"Job {job.Name} has no device {device}: run add_microsemi_prog_device first.", call.Location);
        var action = call.Get("actions").ToUpperInvariant();
        if (!Actions.All.Contains(action)) throw new SppsException(ErrorCodes.InvalidOptionValue, $"-actions must be PROGRAM, VERIFY or ERASE, not '{call.Get("actions")}' (one ticket per action).", call.Location);
        if (task.Tickets.Any(t => t.Action == action && t.Device == device)) throw new SppsException(ErrorCodes.NameExists, $"HSM task {task.Name} already has a {action} ticket for {device}.", call.Location);
        var maxText = call.Get("max_device");
        var max = maxText.Equals("unlimited", StringComparison.OrdinalIgnoreCase) ? -1 : call.Long("max_device", 1, 1_000_000_000)!.Value;
        task.Tickets.Add(new TicketEntry { Name = name, Device = device, Action = action, MaxDevice = max });
        return new CommandResult().Say($"Added ticket {name}: {action} on {device}, max_device {(max < 0 ? "unlimited (no overbuild protection)" : max)}.");
    }

    private CommandResult Request(CommandCall call)
    {
        var job = RequireProject().Job(call.Get("job_name"));
        var task = job.Task(call.Get("hsmtask_name"));
        if (task.Tickets.Count == 0) throw new SppsException(ErrorCodes.WrongOrder, $"HSM task {task.Name} has no tickets: run new_hsmtask_ticket first.", call.Location);
        if (task.Reply is not null) throw new SppsException(ErrorCodes.WrongOrder, $"HSM task {task.Name} is already bound by a reply; make a new HSM task for another M-HSM.", call.Location);
        var uhsm = Uhsm();
        var settings = _env.LoadSettings().RequireJobManager();
        var path = _env.Resolve(call.Get("request_file"));
        JobRequest.Write(path, job.Name, task.Name, uhsm.Hsm.Info.Uuid, uhsm.IdentityPublicKey, settings.MHsmUuid, task.Tickets.Select(t => t.Spec), uhsm.Sign);
        var request = JobRequest.Read(path);
        task.Request = new RequestRecord { File = path, Digest = request.File.Digest, Created = DateTimeOffset.UtcNow.ToString("O") };
        var result = new CommandResult().Say($"Wrote job request {path} for M-HSM {settings.MHsmUuid} ({task.Tickets.Count} tickets). Send it to the CM.");
        result.Data["request_file"] = path;
        result.Data["request_digest"] = request.File.Digest;
        return result;
    }

    private CommandResult Reply(CommandCall call)
    {
        var job = RequireProject().Job(call.Get("job_name"));
        var task = job.Task(call.Get("hsmtask_name"));
        var uhsm = Uhsm();
        if (call.Optional("request_file") is { } requestFile)
        {
            var adopted = JobRequest.Read(_env.Resolve(requestFile));
            if (Crypto.PublicKeys.Fingerprint(adopted.UHsmIdentityKey) != uhsm.IdentityFingerprint)
                throw new SppsException(ErrorCodes.UnexpectedSigner, "-request_file was not made by this site's U-HSM.", call.Location);
            if (adopted.Job != job.Name || adopted.HsmTask != task.Name || !adopted.Tickets.SequenceEqual(task.Tickets.Select(t => t.Spec)))
                throw new SppsException(ErrorCodes.ReplyMismatch, "-request_file asks for other tickets than this HSM task has.", call.Location);
            task.Request = new RequestRecord { File = adopted.File.Path, Digest = adopted.File.Digest, Created = DateTimeOffset.UtcNow.ToString("O") };
        }
        var request = task.Request ?? throw new SppsException(ErrorCodes.WrongOrder, $"HSM task {task.Name} has no request: run hsmtask_m_request first.", call.Location);
        var reply = JobReply.Read(_env.Resolve(call.Get("reply_file")));
        var where = new SourceLocation(reply.File.Path);
        var settings = _env.LoadSettings();
        var owner = settings.RequireJobManager();
        if (reply.RequestDigest != request.Digest)
            throw new SppsException(ErrorCodes.ReplyMismatch, $"This reply answers another request (digest {reply.RequestDigest[..16]}…), not HSM task {task.Name}'s ({request.Digest[..16]}…).", where);
        if (!HsmUuid.Same(reply.MHsmUuid, owner.MHsmUuid))
            throw new SppsException(ErrorCodes.WrongHsm, $"The reply comes from M-HSM {reply.MHsmUuid}, but jobs of this site go to M-HSM {owner.MHsmUuid} (set_hsm_params -m_hsm_uuid).", where);
        var fingerprint = Crypto.PublicKeys.Fingerprint(reply.IdentityKey);
        var result = new CommandResult();
        if (settings.PinnedManufacturerKeys.TryGetValue(owner.MHsmUuid, out var pinned))
        {
            if (pinned != fingerprint)
                throw new SppsException(ErrorCodes.KeyFingerprintMismatch, $"M-HSM {owner.MHsmUuid} answered with key {fingerprint[..16]}…, but this site pinned {pinned[..16]}…: the reply comes from another HSM. Check with the CM before trusting it.", where);
        }
        else
        {
            settings.PinnedManufacturerKeys[owner.MHsmUuid] = fingerprint;
            settings.Save(_env.Home);
            result.Say($"Pinned M-HSM {owner.MHsmUuid} identity key {fingerprint} (first use). Compare it with the fingerprint the CM's set_hsm_params printed.");
        }
        foreach (var ticket in task.Tickets)
            ticket.TicketId = reply.TicketIds.TryGetValue(ticket.Name, out var id) ? HsmUuid.Normalize(id, "ticket ID")
                : throw new SppsException(ErrorCodes.ReplyMismatch, $"The reply has no ticket ID for {ticket.Name}.", where);
        task.Reply = new ReplyRecord { MHsmUuid = HsmUuid.Normalize(reply.MHsmUuid), IdentityKey = Convert.ToBase64String(reply.IdentityKey), TransportKey = Convert.ToBase64String(reply.TransportKey), Digest = reply.File.Digest };
        result.Say($"Imported job reply: HSM task {task.Name} is bound to M-HSM {task.Reply.MHsmUuid}.");
        foreach (var t in task.Tickets) result.Say($"  {t.Name}: ticket ID {HsmUuid.Display(t.TicketId!)}");
        result.Data["m_hsm_uuid"] = task.Reply.MHsmUuid;
        result.Data["tickets"] = new JObject(task.Tickets.Select(t => new JProperty(t.Name, t.TicketId)));
        return result;
    }

    private CommandResult Export(CommandCall call)
    {
        var project = RequireProject();
        var job = project.Job(call.Get("job_name"));
        var task = job.Task(call.Get("hsmtask_name"));
        var path = Path.Combine(_env.Resolve(call.Get("location")), call.Get("name") + ".job");
        var record = JobExporter.Export(project, job, task, Uhsm(), path);
        var result = new CommandResult().Say($"Exported HSM task {task.Name} of job {job.Name} to {path}, bound to M-HSM {task.Reply!.MHsmUuid}. Send it to the CM.");
        result.Data["job_file"] = path;
        result.Data["job_digest"] = record.Digest;
        return result;
    }

    private CommandResult ImportJobStatus(CommandCall call)
    {
        var report = StatusValidator.Validate(RequireProject(), Uhsm(), _env.Resolve(call.Get("job_status_file")), WorkProgress);
        var result = new CommandResult();
        result.Lines.AddRange(report.Lines);
        foreach (var p in report.Data.Properties()) result.Data[p.Name] = p.Value;
        result.Failed = !report.Valid;
        if (!report.Valid)
            throw new CommandFailedException(result, new SppsException(ErrorCodes.StatusInvalid, $"The job status failed validation: {string.Join("; ", report.Failures)}", call.Location));
        return result;
    }

    private static IEnumerable<string> SplitList(string text) =>
        text.Split([' ', ',', '\t', '+', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>A command that produced a report and then failed: hosts print the report, then the error.</summary>
public sealed class CommandFailedException(CommandResult result, SppsException error) : Exception(error.Message, error)
{
    public CommandResult Result { get; } = result;
    public SppsException Error { get; } = error;
}
