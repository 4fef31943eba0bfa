using Newtonsoft.Json.Linq;
using Spps.Contracts.Programmers;
using Spps.Core.Domain;
using Spps.Core.Manufacturer;
using Spps.Core.Protocol;
using Spps.Core.Site;

namespace Spps.Core.Commands;

/// <summary>
/// The FlashPro Express commands of the CM site (seed §3.2, 3.6, 3.8, 3.9), run by spps-station scripts
/// and subcommands alike. One session holds the open job project and the M-HSM.
/// </summary>
public sealed partial class FlashProCommands : CommandSet, IDisposable
{
    private readonly CancellationToken _cancel;
    public const string ProgrammerVariable = SiteOptions.ProgrammerVariable;
    private readonly SppsEnvironment _env;
    private readonly StationService _station;

    public FlashProCommands(SppsEnvironment env, CancellationToken cancel = default)
    {
        _env = env;
        _station = new StationService(env);
        _cancel = cancel;
        Commands =
        [
            new("set_hsm_params", "Save this site's M-HSM parameters (persist until changed); creates an embedded M-HSM on first use.",
            [
                new("hsm_server_name", "M-HSM: embedded instance name, or a pkcs11: URI", Required: true),
                new("m_hsm_uuid", "M-HSM UUID (hex; leading zeros do not matter)", Required: true),
                new("hsm_type_u", "TRUE: the HSM named is this site's U-HSM, acting as the M-HSM for IHP (in-house programming) jobs"),
                new("ftp_username", "legacy HSM file-server user (accepted, not used)"),
                new("ftp_password", "legacy HSM file-server password (ignored and never stored; secrets come from the environment)"),
            ], SetHsmParams),
            new("process_job_request", "Reserve ticket IDs in the M-HSM for a job request and write the signed reply.",
            [
                new("request_file", "job request (.req) from the OE", Required: true),
                new("reply_file", "reply (.rep) to write", Required: true),
                new("overwrite_reply", "TRUE to replace an existing reply file"),
            ], ProcessJobRequest),
            new("save_log", "Write this session's messages to a file.", [new("file", "log file to write", Required: true)], SaveLog),
            new("create_job_project", "Load a job into the M-HSM (once) and create its job project folder.",
            [
                new("job_project_location", "folder in which the project folder is created", Required: true),
                new("job_file", "the .job file from the OE", Required: true),
                new("overwrite", "1 to replace an existing project folder (kept as a backup); never resets counters"),
            ], CreateJobProject),
            new("open_project", "Open a job project.", [new("project", "the .pro file", Required: true)], OpenProject),
            new("close_project", "Close the job project.", [new("save", "TRUE (default) to save")], CloseProject),
            new("set_programming_action", "Select the action RUN performs.",
            [
                new("action", "PROGRAM, VERIFY or ERASE (spend a code per device), or DEVICE_INFO, READ_IDCODE or VERIFY_DIGEST (read only: no ticket, no code)", Required: true),
                new("name", "device name (optional; the chain's device by default)"),
            ], SetProgrammingAction, NeedsProject: true),
            new("run_selected_actions", $"Run the selected action on every device the programmer finds ({ProgrammerVariable} or -programmer).",
            [
                new("programmer", $"programmer connection, e.g. sim:./boards; several (gang programming) separated by ';' or listed in @FILE (default: ${ProgrammerVariable})"),
                new("parallel", "boards programmed at once (default: all)"),
                new("reprogram", "program devices that already hold this design again (default: skip them, using no code)", IsFlag: true),
                new("mhsm", "M-HSM service address(es), unix:PATH or https://HOST:PORT, comma-separated for failover (default: $SPPS_MHSM)"),
            ], RunSelectedActions, NeedsProject: true),
            new("get_job_status", "Print the codes left per ticket and export the signed intermediate job status.",
            [new("job_status_file", "status file to write")], GetJobStatus, NeedsProject: true),
            new("complete_prog_job", "End every ticket (destroying its keys) and export the final status with end certifiers.",
            [
                new("terminate", "end the job even though codes remain", IsFlag: true),
                new("job_status_file", "final status file to write", Required: true),
            ], CompleteProgJob, NeedsProject: true),
            new("import_dfk_db", "Import a silicon vendor's DFK database (wrapped to this M-HSM) for DFK key mode.",
            [new("file", "DFK database file", Required: true)], ImportDfkDb),
            .. ProgrammerCommands(), // FlashProProgrammerCommands.cs
            .. TicketCommands(), // FlashProTicketCommands.cs
        ];
    }

    public override string ToolName => "FlashPro Express (spps-station)";
    public override IReadOnlyList<CommandSpec> Commands { get; }
    public StationService Station => _station;
    public JobProject? Project => _station.Project;
    public ManufacturerHsm Mhsm => _station.Mhsm;

    /// <summary>
    /// A host's presenter for run_selected_actions (e.g. a live line on a terminal); without one, one notice per
    /// board. The run header is a notice either way.
    /// </summary>
    public IProgress<ProductionProgress>? Progress { get; set; }

    private CommandResult SetHsmParams(CommandCall call)
    {
        var saved = _station.SetHsmParameters(call.Get("hsm_server_name"), call.Get("m_hsm_uuid"), call.Optional("ftp_username"),
            call.Optional("ftp_password") is not null, call.Flag("hsm_type_u"));
        var result = new CommandResult();
        if (saved.FtpPasswordIgnored)
            result.Say("Note: -ftp_password is ignored and not stored; this system reaches its HSMs without an FTP server, and secrets come only from the environment or files.");
        result.Say($"M-HSM parameters saved: server {saved.ServerName}, UUID {saved.Uuid}.");
        result.Say($"M-HSM identity key fingerprint: {saved.IdentityFingerprint}");
        result.Data["m_hsm_uuid"] = saved.Uuid;
        result.Data["identity_fingerprint"] = saved.IdentityFingerprint;
        return result;
    }

    private CommandResult ProcessJobRequest(CommandCall call)
    {
        var answered = _station.ProcessRequest(_env.Resolve(call.Get("request_file")), _env.Resolve(call.Get("reply_file")), call.Flag("overwrite_reply"));
        var request = answered.Request;
        var result = new CommandResult().Say($"Processed job request for job {request.Job}, HSM task {request.HsmTask} from U-HSM {request.UHsmUuid}.");
        foreach (var (name, id) in answered.TicketIds) result.Say($"Reserved ticket {name}: {id.Display}");
        result.Say($"Wrote job reply {answered.ReplyPath}");
        result.Data["reply_file"] = answered.ReplyPath;
        result.Data["tickets"] = new JObject(answered.TicketIds.Select(t => new JProperty(t.Key, t.Value.Value)));
        return result;
    }

    private CommandResult SaveLog(CommandCall call)
    {
        var path = _env.Resolve(call.Get("file"));
        IO.AtomicFile.WriteAllText(path, string.Join("\n", Log) + "\n");
        return new CommandResult().Say($"Saved log to {path}");
    }

    private CommandResult CreateJobProject(CommandCall call)
    {
        var created = _station.CreateJobProject(_env.Resolve(call.Get("job_project_location")), _env.Resolve(call.Get("job_file")), call.Flag("overwrite"));
        var result = new CommandResult();
        if (created.Recovered)
            result.Say($"Job {created.Job.Job} was loaded into M-HSM {created.MHsmUuid} for this project, which was never written (interrupted): re-creating it; the counters are unchanged.");
        foreach (var notice in created.Notices) result.Say(notice);
        result.Say($"Loaded job {created.Job.Job} ({created.Job.Tickets.Count} tickets) into M-HSM {created.MHsmUuid}.");
        result.Say($"Created job project {created.Project.FilePath}");
        result.Data["project"] = created.Project.FilePath;
        return result;
    }

    private CommandResult OpenProject(CommandCall call) =>
        new CommandResult().Say($"Opened '{_station.OpenProject(_env.Resolve(call.Get("project"))).FilePath}'");

    private CommandResult CloseProject(CommandCall call)
    {
        var result = new CommandResult();
        if (_station.CloseProject(call.Flag("save", fallback: true)) is { } closed) result.Say($"Closed '{closed.FilePath}'");
        return result;
    }

    private CommandResult SetProgrammingAction(CommandCall call)
    {
        var action = ProgrammingAction.Parse(call.Get("action"), what => new SppsException(ErrorCodes.InvalidOptionValue, $"-action must be {what}.", call.Location));
        return new CommandResult().Say($"Programming action set to {_station.SetAction(action)}.");
    }

    private CommandResult RunSelectedActions(CommandCall call)
    {
        var connection = call.Optional("programmer") ?? _env.Options.Programmer
            ?? throw new SppsException(ErrorCodes.ProgrammerInvalid, $"No programmer: set {ProgrammerVariable} (e.g. sim:./boards) or pass -programmer.", call.Location);
        var parallel = (int?)call.Long("parallel", 1, 1024);
        var run = _station.Run(connection, parallel, new RunNotices(_env.Notice, Progress), _cancel, call.Flag("reprogram"), call.Optional("mhsm"));
        var failed = run.Failed;
        var result = new CommandResult().Say($"Ran {run.Action} on {run.Boards.Count} device(s) through {run.Programmer}; authorization codes from {run.Issuer}.");
        result.Data["action"] = run.Action.Name;
        result.Data["codes_from"] = run.Issuer;
        result.Data["cancelled"] = run.Cancelled;
        result.Data["boards"] = new JArray(run.Boards.Select(b => new JObject
        {
            ["location"] = b.Location, ["dsn"] = b.Dsn, ["succeeded"] = b.Succeeded, ["skipped"] = b.Skipped, ["message"] = b.Message, ["error_code"] = b.ErrorCode?.Id,
            ["device"] = b.Reading is { } r ? Reading(r) : null,
        }));
        var skipped = run.Skipped;
        result.Say($"{run.Boards.Count(b => b.Succeeded)} of {run.Boards.Count} device(s) succeeded" + (skipped.Count > 0 ? $", {skipped.Count} skipped (state did not fit {run.Action}; no code used)." : "."));
        result.Data["skipped"] = skipped.Count;
        if (run.Cancelled)
            throw new CommandFailedException(result, new SppsException(ErrorCodes.Cancelled,
                $"Cancelled: {run.Boards.Count(b => b.ErrorCode == ErrorCodes.Cancelled)} device(s) were not started and used no code; the devices in flight finished. Run again to continue.", call.Location));
        if (failed.Count > 0)
            throw new CommandFailedException(result, new SppsException(failed[0].ErrorCode ?? ErrorCodes.DeviceRefused,
                $"{failed.Count} of {run.Boards.Count} device(s) failed {run.Action}:\n" + BoardResultGroups.Summary(failed), call.Location));
        return result;
    }

    /// <summary>What a read-only action read, for --json (fields it did not read are null).</summary>
    private static JObject Reading(DeviceReading r) => new()
    {
        ["idcode"] = r.IdCodeText, ["reference_family"] = r.ReferenceFamily, ["dsn"] = r.Dsn, ["programmed"] = r.Programmed, ["design"] = r.Design,
        ["design_digest"] = r.DesignDigest, ["cycle_count"] = r.CycleCount, ["factory_lot"] = r.FactoryLot, ["certificate_subject"] = r.CertificateSubject,
        ["certificate_issuer"] = r.CertificateIssuer, ["expected_design_digest"] = r.ExpectedDesignDigest, ["digest_matches"] = r.DigestMatches,
    };

    /// <summary>Prints the header before the work; then the host's presenter, or one line per board as it finishes.</summary>
    private sealed class RunNotices(Action<string> notice, IProgress<ProductionProgress>? presenter) : IProgress<ProductionProgress>
    {
        public void Report(ProductionProgress value)
        {
            if (value.IsHeader)
                notice($"Running {value.Action} on {value.Total} device(s) through {value.Programmer}; authorization codes from {value.Issuer} ...");
            if (presenter is not null)
            {
                presenter.Report(value);
                return;
            }
            if (value.Board is not { } board) return;
            notice(board.Succeeded || board.Skipped
                ? $"[{value.Done}/{value.Total}] {board.Location}: {(board.Skipped ? "skipped: " : "")}{board.Message}"
                : $"[{value.Done}/{value.Total}] {board.Location}: error {board.ErrorCode}: {board.Message}");
        }
    }

    private CommandResult GetJobStatus(CommandCall call)
    {
        var status = _station.GetJobStatus(call.Optional("job_status_file") is { } file ? _env.Resolve(file) : null);
        var result = new CommandResult().Say("Getting job status ...").Say("");
        Describe(status, result);
        if (status.StatusFile is { } path)
        {
            result.Say($"Successfully exported job status file: '{path}'");
            result.Data["job_status_file"] = path;
        }
        return result;
    }

    private CommandResult CompleteProgJob(CommandCall call)
    {
        var status = _station.CompleteJob(call.Flag("terminate"), _env.Resolve(call.Get("job_status_file")));
        var result = new CommandResult();
        Describe(status, result);
        foreach (var t in status.Tickets.Where(t => t.Certifier is not null))
            result.Say($"Ticket {t.Ticket.Id.Display} {t.Certifier!.Mode}: {t.Certifier.Count} device(s); ticket keys destroyed; end certifier issued.");
        result.Say($"Successfully exported job end status file: '{status.StatusFile}'");
        result.Data["job_status_file"] = status.StatusFile;
        return result;
    }

    private static void Describe(JobStatus status, CommandResult result)
    {
        foreach (var t in status.Tickets)
            result.Say($"Ticket ID: {t.Ticket.Id.Display}").Say($"Ticket Name: {t.Ticket.Spec.Name}").Say($"Device Name: {t.Ticket.Spec.Device}")
                .Say($"Action: {t.Ticket.Spec.Action}").Say($"Number of authorization codes left: {(t.Left < 0 ? "unlimited" : t.Left.ToString(System.Globalization.CultureInfo.InvariantCulture))}").Say("");
        result.Data["tickets"] = new JArray(status.Tickets.Select(t => new JObject
        {
            ["ticket_id"] = t.Ticket.Id.Value, ["name"] = t.Ticket.Spec.Name, ["device"] = t.Ticket.Spec.Device, ["action"] = t.Ticket.Spec.Action.Name,
            ["max_device"] = t.Ticket.Spec.MaxDevice, ["issued"] = t.State.Issued, ["left"] = t.Left, ["state"] = t.State.StateName,
        }));
    }

    private CommandResult ImportDfkDb(CommandCall call)
    {
        var (import, mhsm) = _station.ImportFactoryKeyDatabase(_env.Resolve(call.Get("file")));
        var result = new CommandResult().Say($"Imported the DFK database of factory lot {import.Lot}, signed by {import.Subject}, into {mhsm}. It serves the jobs that name this signer.");
        result.Data["lot"] = import.Lot;
        result.Data["signer_id"] = import.SignerId;
        result.Data["signer"] = import.Subject;
        return result;
    }

    public void Dispose() => _station.Dispose();
}
