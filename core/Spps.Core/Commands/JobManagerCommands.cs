using Newtonsoft.Json.Linq;
using Spps.Core.Domain;
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
    private readonly OwnerService _owner;

    public JobManagerCommands(SppsEnvironment env)
    {
        _env = env;
        _owner = new OwnerService(env);
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
                new("link", "reference the JDC where it is and check its bytes only when a bitstream is made (builds)", IsFlag: true),
                new("keep_plaintext", "copy the JDC (the plaintext design) into the project; by default it is referenced where it is, and must stay there until init_bitstream", IsFlag: true),
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
            [new("job_name", "job name", Required: true), new("job_type", "FPExpress (default: a CM programs it) or IHP (in-house: one device, programmed here with this site's U-HSM as the M-HSM)")], NewProgJob, NeedsProject: true),
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
    public OwnerService Owner => _owner;
    public OwnerProject? Project => _owner.Project;

    /// <summary>Where init_bitstream and import_job_status report how far they are (a host's progress view); null: text notices only.</summary>
    public Action<WorkProgress>? WorkProgress { get; set; }

    /// <summary>The folder new_project made in this session (it did not exist before), for a host that undoes a failed script.</summary>
    public string? CreatedProjectFolder { get; private set; }

    /// <summary>Saves the open project (scripts call this when they end without error).</summary>
    public void SaveOpenProject() => _owner.SaveOpenProject();

    private CommandResult SetHsmParams(CommandCall call)
    {
        var uhsm = _owner.SaveHsmParameters(new OwnerHsmParameters(call.Get("hsm_server_name"), call.Get("u_hsm_uuid"), call.Get("m_hsm_uuid"),
            call.Get("u_master_hsm_uuid"), call.Optional("hsm_keyset_dir"), call.Optional("m_hsm_fingerprint")));
        var p = _owner.CurrentParameters;
        var result = new CommandResult()
            .Say($"U-HSM parameters saved: server {p.ServerName}, U-HSM {p.UHsmUuid}, master key {p.MasterUuid}, M-HSM {p.MHsmUuid}.")
            .Say($"U-HSM identity key fingerprint: {uhsm.IdentityFingerprint}");
        result.Data["u_hsm_uuid"] = p.UHsmUuid;
        result.Data["m_hsm_uuid"] = p.MHsmUuid;
        result.Data["identity_fingerprint"] = uhsm.IdentityFingerprint;
        return result;
    }

    private CommandResult CreateKeyset(CommandCall call)
    {
        var path = _env.Resolve(call.Get("file"));
        var keyset = _owner.CreateKeyset(path, call.Flag("overwrite"));
        var result = new CommandResult().Say($"Generated keyset {path} in U-HSM {keyset.UHsmUuid}: {string.Join(", ", Keyset.KeyNames)} (wrapped under {keyset.MasterLabel}).");
        result.Data["file"] = path;
        return result;
    }

    private CommandResult NewProject(CommandCall call)
    {
        var location = _env.Resolve(call.Get("location"));
        var name = call.Get("name");
        var fresh = !Directory.Exists(Path.Combine(location, name));
        var project = _owner.NewProject(location, name);
        if (fresh) CreatedProjectFolder = Path.GetDirectoryName(project.FilePath);
        var result = new CommandResult().Say($"Created project {project.FilePath}");
        result.Data["project"] = project.FilePath;
        return result;
    }

    private CommandResult OpenProject(CommandCall call) =>
        new CommandResult().Say($"Opened '{_owner.OpenProject(_env.Resolve(call.Get("project"))).FilePath}'");

    private CommandResult CloseProject(CommandCall call)
    {
        var save = call.Flag("save", fallback: true);
        var result = new CommandResult();
        if (_owner.CloseProject(save) is not { } closed) return result.Say("No project was open.");
        return result.Say(save ? $"Saved and closed '{closed.FilePath}'" : $"Closed '{closed.FilePath}' without saving");
    }

    private CommandResult NewProgData(CommandCall call)
    {
        var keepPlaintext = call.Flag("keep_plaintext");
        var imported = _owner.ImportProgData(call.Get("data_name"), _env.Resolve(call.Get("import_file")), call.Get("keyset_file"), call.Flag("link"), keepPlaintext);
        var jdc = imported.Jdc;
        var result = new CommandResult().Say($"Imported design {jdc.Design} for {jdc.Device} as programming data {imported.Data.Name} (design digest {jdc.DesignDigestHex}).");
        result.Say(keepPlaintext
            ? $"  The plaintext design is kept in the project ({imported.Data.JdcFile}, mode 0600): whoever reads the project reads the design."
            : $"  The JDC is referenced where it is ({imported.Data.JdcFile}), not copied: keep it there until init_bitstream has run.");
        foreach (var c in jdc.Components) result.Say($"  {c.Type} {c.Name}: {c.Length} bytes");
        result.Data["design"] = jdc.Design;
        result.Data["design_digest"] = jdc.DesignDigestHex;
        return result;
    }

    private CommandResult SetEnvmUpdate(CommandCall call)
    {
        var updated = _owner.SetEnvmUpdate(call.Get("data_name"), call.Get("client_name"), _env.Resolve(call.Get("file")), call.Flag("overwrite"));
        return new CommandResult().Say($"eNVM client {updated.Client} of {call.Get("data_name")} will be programmed with {updated.Length} bytes from {call.Get("file")} (client size {updated.Capacity}).");
    }

    private CommandResult InitBitstream(CommandCall call)
    {
        var type = (call.Optional("bitstream_type") ?? "MASTER").ToUpperInvariant();
        var protocol = (call.Optional("use_protocol") ?? "AUTH_CODE").ToUpperInvariant();
        var keyMode = call.Optional("auth_keymode") is { } mode
            ? KeyMode.Parse(mode, what => new SppsException(ErrorCodes.InvalidOptionValue, $"-auth_keymode must be {what}.", call.Location))
            : KeyMode.Default;
        var features = call.Optional("features") is { } f
            ? SplitList(f).Select(x => Enum.TryParse<ComponentType>(x.ToUpperInvariant(), out var t) ? t : throw new SppsException(ErrorCodes.InvalidOptionValue, $"-features: '{x}' is not SECURITY, FABRIC or ENVM.", call.Location)).Distinct().ToList()
            : null;
        var clients = call.Optional("envm_clients") is { } e ? SplitList(e).ToList() : null;
        var entry = _owner.InitBitstream(new BitstreamOptions(call.Get("data_name"), call.Get("bitstream_name"), type, features, protocol, keyMode, call.Flag("generate_coc"), clients), WorkProgress);
        var result = new CommandResult().Say($"Initialized {type} bitstream {entry.Name}: {string.Join(", ", entry.Features)}, key mode {keyMode}, {(entry.GenerateCoc ? "with" : "without")} CoC, {entry.PlaintextLength} bytes encrypted under a fresh KIP.");
        result.Data["design_digest"] = entry.DesignDigest;
        result.Data["plaintext_length"] = entry.PlaintextLength;
        return result;
    }

    private CommandResult NewProgJob(CommandCall call)
    {
        var job = _owner.NewJob(call.Get("job_name"), call.Optional("job_type"));
        return new CommandResult().Say($"Created programming job {job.Name} ({job.Type}).");
    }

    private CommandResult AddDevice(CommandCall call)
    {
        var location = (int)(call.Long("device_hw_location", 1, 1024) ?? 1);
        var device = _owner.AddDevice(call.Get("job_name"), call.Get("device_name"), location, call.Get("data_name"), call.Get("bitstream_name"));
        return new CommandResult().Say($"Added device {device.Name} at chain position {location} to job {call.Get("job_name")}, programmed with {device.BitstreamName}.");
    }

    private CommandResult AddHsmTask(CommandCall call)
    {
        var task = _owner.AddHsmTask(call.Get("job_name"), call.Get("hsmtask_name"), call.Optional("cm_request_type"));
        return new CommandResult().Say($"Added HSM task {task.Name} to job {call.Get("job_name")}.");
    }

    private CommandResult NewTicket(CommandCall call)
    {
        var action = ProgrammingAction.ParseTicketed(call.Get("actions"), what => new SppsException(ErrorCodes.InvalidOptionValue, $"-actions must be {what} (one ticket per action).", call.Location));
        var maxText = call.Get("max_device");
        var max = maxText.Equals("unlimited", StringComparison.OrdinalIgnoreCase) ? -1 : call.Long("max_device", 1, 1_000_000_000)!.Value;
        var ticket = _owner.AddTicket(call.Get("job_name"), call.Get("hsmtask_name"), call.Get("ticket_name"), call.Get("device_name"), action, max);
        return new CommandResult().Say($"Added ticket {ticket.Name}: {action} on {ticket.Device}, max_device {(max < 0 ? "unlimited (no overbuild protection)" : max)}.");
    }

    private CommandResult Request(CommandCall call)
    {
        var path = _env.Resolve(call.Get("request_file"));
        var request = _owner.WriteRequest(call.Get("job_name"), call.Get("hsmtask_name"), path);
        var result = new CommandResult().Say($"Wrote job request {path} for M-HSM {request.MHsmUuid} ({request.Tickets.Count} tickets). Send it to the CM.");
        result.Data["request_file"] = path;
        result.Data["request_digest"] = request.File.Digest;
        return result;
    }

    private CommandResult Reply(CommandCall call)
    {
        var imported = _owner.ImportReply(call.Get("job_name"), call.Get("hsmtask_name"), _env.Resolve(call.Get("reply_file")),
            call.Optional("request_file") is { } requestFile ? _env.Resolve(requestFile) : null);
        var task = imported.Task;
        var result = new CommandResult();
        if (imported.PinnedNow)
            result.Say($"Pinned M-HSM {task.Reply!.MHsmUuid} identity key {imported.Fingerprint} (first use). Compare it with the fingerprint the CM's set_hsm_params printed.");
        result.Say($"Imported job reply: HSM task {task.Name} is bound to M-HSM {task.Reply!.MHsmUuid}.");
        foreach (var t in task.Tickets) result.Say($"  {t.Name}: ticket ID {HsmUuid.Display(t.TicketId!)}");
        result.Data["m_hsm_uuid"] = task.Reply.MHsmUuid;
        result.Data["tickets"] = new JObject(task.Tickets.Select(t => new JProperty(t.Name, t.TicketId)));
        return result;
    }

    private CommandResult Export(CommandCall call)
    {
        var path = Path.Combine(_env.Resolve(call.Get("location")), call.Get("name") + ".job");
        var record = _owner.Export(call.Get("job_name"), call.Get("hsmtask_name"), path);
        var task = _owner.RequireProject().Job(call.Get("job_name")).Task(call.Get("hsmtask_name"));
        var result = new CommandResult().Say($"Exported HSM task {task.Name} of job {call.Get("job_name")} to {path}, bound to M-HSM {task.Reply!.MHsmUuid}. Send it to the CM.");
        result.Data["job_file"] = path;
        result.Data["job_digest"] = record.Digest;
        return result;
    }

    private CommandResult ImportJobStatus(CommandCall call)
    {
        var report = _owner.ValidateStatus(_env.Resolve(call.Get("job_status_file")), WorkProgress);
        var result = new CommandResult();
        result.Lines.AddRange(report.Lines);
        foreach (var p in ReportJson.From(report).Properties()) result.Data[p.Name] = p.Value;
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
