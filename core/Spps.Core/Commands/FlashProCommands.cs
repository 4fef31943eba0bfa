using Newtonsoft.Json.Linq;
using Spps.Contracts.Programmers;
using Spps.Core.Identifiers;
using Spps.Core.Manufacturer;
using Spps.Core.Protocol;
using Spps.Core.Site;

namespace Spps.Core.Commands;

/// <summary>
/// The FlashPro Express commands of the CM site (seed §3.2, 3.6, 3.8, 3.9), run by spps-station scripts
/// and subcommands alike. One session holds the open job project and the M-HSM.
/// </summary>
public sealed class FlashProCommands : CommandSet, IDisposable
{
    public const string ProgrammerVariable = "SPPS_PROGRAMMER";
    private readonly SppsEnvironment _env;
    private ManufacturerHsm? _mhsm;
    private JobProject? _project;

    public FlashProCommands(SppsEnvironment env)
    {
        _env = env;
        Commands =
        [
            new("set_hsm_params", "Save this site's M-HSM parameters (persist until changed); creates an embedded M-HSM on first use.",
            [
                new("hsm_server_name", "M-HSM: embedded instance name, or a pkcs11: URI", Required: true),
                new("m_hsm_uuid", "M-HSM UUID (hex; leading zeros do not matter)", Required: true),
                new("hsm_type_u", "TRUE to use the U-HSM's manufacturer features (not supported: an M-HSM is always used)"),
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
                new("action", "PROGRAM, VERIFY or ERASE", Required: true),
                new("name", "device name (optional; the chain's device by default)"),
            ], SetProgrammingAction, NeedsProject: true),
            new("run_selected_actions", $"Run the selected action on every device the programmer finds ({ProgrammerVariable} or -programmer).",
            [
                new("programmer", $"programmer connection, e.g. sim:./boards (default: ${ProgrammerVariable})"),
                new("parallel", "boards programmed at once (default: all)"),
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
        ];
    }

    public override string ToolName => "FlashPro Express (spps-station)";
    public override IReadOnlyList<CommandSpec> Commands { get; }
    public JobProject? Project => _project;

    public ManufacturerHsm Mhsm => _mhsm ??= ManufacturerHsm.Open(_env);

    private JobProject RequireProject() => _project ?? throw new SppsException(ErrorCodes.NoProjectOpen, "No job project is open: run open_project -project {FOLDER/NAME.pro} first.");

    private CommandResult SetHsmParams(CommandCall call)
    {
        var result = new CommandResult();
        var settings = _env.LoadSettings();
        var uuid = HsmUuid.Normalize(call.Get("m_hsm_uuid"), "-m_hsm_uuid");
        if (call.Flag("hsm_type_u"))
            throw new SppsException(ErrorCodes.InvalidOptionValue, "-hsm_type_u TRUE (using the U-HSM as manufacturer HSM) is not supported: production needs a separate M-HSM. Use -hsm_type_u FALSE.", call.Location);
        if (call.Optional("ftp_password") is not null)
            result.Say("Note: -ftp_password is ignored and not stored; this system reaches its HSMs without an FTP server, and secrets come only from the environment or files.");
        settings.FlashPro = new ManufacturerHsmSettings { HsmServerName = call.Get("hsm_server_name"), MHsmUuid = uuid, FtpUsername = call.Optional("ftp_username") };
        _mhsm?.Dispose();
        _mhsm = null;
        settings.Save(_env.Home);
        var mhsm = Mhsm;
        result.Say($"M-HSM parameters saved: server {settings.FlashPro.HsmServerName}, UUID {uuid}.");
        result.Say($"M-HSM identity key fingerprint: {Crypto.PublicKeys.Fingerprint(mhsm.IdentityPublicKey)}");
        result.Data["m_hsm_uuid"] = mhsm.Uuid;
        result.Data["identity_fingerprint"] = Crypto.PublicKeys.Fingerprint(mhsm.IdentityPublicKey);
        return result;
    }

    private CommandResult ProcessJobRequest(CommandCall call)
    {
        var requestPath = _env.Resolve(call.Get("request_file"));
        var replyPath = _env.Resolve(call.Get("reply_file"));
        if (File.Exists(replyPath) && !call.Flag("overwrite_reply"))
            throw new SppsException(ErrorCodes.OptionNotAllowed, $"{replyPath} exists: add -overwrite_reply TRUE to replace it.", call.Location);
        var request = JobRequest.Read(requestPath);
        var ids = Mhsm.ProcessRequest(request, replyPath);
        var result = new CommandResult().Say($"Processed job request for job {request.Job}, HSM task {request.HsmTask} from U-HSM {request.UHsmUuid}.");
        foreach (var (name, id) in ids) result.Say($"Reserved ticket {name}: {HsmUuid.Display(id)}");
        result.Say($"Wrote job reply {replyPath}");
        result.Data["reply_file"] = replyPath;
        result.Data["tickets"] = JObject.FromObject(ids);
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
        var jobPath = _env.Resolve(call.Get("job_file"));
        var location = _env.Resolve(call.Get("job_project_location"));
        var job = JobFile.Read(jobPath, verifyPayload: true);
        var folder = Path.Combine(location, Path.GetFileNameWithoutExtension(jobPath));
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !call.Flag("overwrite"))
            throw new SppsException(ErrorCodes.ProjectExists, $"{folder} already exists: use -overwrite 1 to replace it (the old folder is kept as a backup), or another -job_project_location.", call.Location);
        var projectPath = Path.Combine(folder, Path.GetFileNameWithoutExtension(jobPath) + JobProject.Extension);
        var result = new CommandResult();
        if (!File.Exists(projectPath) && Mhsm.LoadedFor(job, projectPath))
            result.Say($"Job {job.Job} was loaded into M-HSM {Mhsm.Uuid} for this project, which was never written (interrupted): re-creating it; the counters are unchanged.");
        else
            Mhsm.LoadJob(job, projectPath);
        _project = JobProject.Create(location, jobPath, job, Mhsm.Uuid, call.Flag("overwrite"), line => result.Say(line));
        result.Say($"Loaded job {job.Job} ({job.Tickets.Count} tickets) into M-HSM {Mhsm.Uuid}.");
        result.Say($"Created job project {_project.FilePath}");
        result.Data["project"] = _project.FilePath;
        return result;
    }

    private CommandResult OpenProject(CommandCall call)
    {
        _project = JobProject.Load(_env.Resolve(call.Get("project")));
        return new CommandResult().Say($"Opened '{_project.FilePath}'");
    }

    private CommandResult CloseProject(CommandCall call)
    {
        var result = new CommandResult();
        if (_project is not null)
        {
            if (call.Flag("save", fallback: true)) _project.Save();
            result.Say($"Closed '{_project.FilePath}'");
        }
        _project = null;
        return result;
    }

    private CommandResult SetProgrammingAction(CommandCall call)
    {
        var project = RequireProject();
        var action = call.Get("action").ToUpperInvariant();
        if (!Actions.All.Contains(action))
            throw new SppsException(ErrorCodes.InvalidOptionValue, $"-action must be PROGRAM, VERIFY or ERASE, not '{call.Get("action")}'.", call.Location);
        project.ProgrammingAction = action;
        project.Save();
        return new CommandResult().Say($"Programming action set to {action}.");
    }

    private CommandResult RunSelectedActions(CommandCall call)
    {
        var project = RequireProject();
        var connection = call.Optional("programmer") ?? _env.Variable(ProgrammerVariable)
            ?? throw new SppsException(ErrorCodes.ProgrammerInvalid, $"No programmer: set {ProgrammerVariable} (e.g. sim:./boards) or pass -programmer.", call.Location);
        var colon = connection.IndexOf(':');
        if (colon <= 0) throw new SppsException(ErrorCodes.ProgrammerInvalid, $"'{connection}' is not a programmer connection: write NAME:ARGUMENT, e.g. sim:./boards.", call.Location);
        var provider = _env.Plugins.ProgrammerProvider(connection[..colon]);
        var argument = connection[(colon + 1)..];
        if (provider.Name == "sim") argument = _env.Resolve(argument);
        IReadOnlyList<IJtagPort> ports;
        try { ports = provider.Discover(argument); }
        catch (ProgrammerException e) { throw new SppsException(e.Code, e.Message, call.Location); }
        var job = project.OpenJob();
        var parallel = (int)(call.Long("parallel", 1, 1024) ?? ports.Count);
        // A configured service (--mhsm, SPPS_MHSM) is the only issuer, with failover between its addresses; else the
        // service on this machine's socket if one answers; else the M-HSM in this process.
        using var remote = Spps.Core.Service.MhsmClient.FromSettings(call.Optional("mhsm"), _env.Variable, _env.Resolve);
        using var service = remote is null ? Spps.Core.Service.MhsmClient.FindLocal(Spps.Core.Service.MhsmClient.DefaultSocketPath(_env.Home, project.MHsmUuid)) : null;
        IAuthCodeIssuer issuer = (IAuthCodeIssuer?)remote ?? (IAuthCodeIssuer?)service ?? Mhsm;
        var result = new CommandResult().Say($"Running {project.ProgrammingAction} on {ports.Count} device(s) through {provider.Name}; authorization codes from {issuer.Description}.");
        var runner = new StationRunner(issuer, project, job);
        var boards = runner.Run(project.ProgrammingAction, ports, parallel, board =>
            _env.Notice(board.Succeeded ? $"{board.Location}: {board.Message}" : $"{board.Location}: error {board.ErrorCode}: {board.Message}"));
        var failed = boards.Where(b => !b.Succeeded).ToList();
        result.Data["action"] = project.ProgrammingAction;
        result.Data["boards"] = JArray.FromObject(boards.Select(b => new { location = b.Location, dsn = b.Dsn, succeeded = b.Succeeded, message = b.Message, error_code = b.ErrorCode }));
        result.Say($"{boards.Count - failed.Count} of {boards.Count} device(s) succeeded.");
        if (failed.Count > 0)
            throw new CommandFailedException(result, new SppsException(failed[0].ErrorCode ?? ErrorCodes.DeviceRefused,
                $"{failed.Count} of {boards.Count} device(s) failed {project.ProgrammingAction}: " + string.Join("; ", failed.Select(f => $"{Path.GetFileName(f.Location)}: {f.Message}")), call.Location));
        return result;
    }

    private CommandResult GetJobStatus(CommandCall call)
    {
        var project = RequireProject();
        var job = project.OpenJob();
        Mhsm.Refresh();
        var result = new CommandResult().Say("Getting job status ...").Say("");
        var tickets = StatusTickets(job, result);
        if (call.Optional("job_status_file") is { } file)
        {
            var path = _env.Resolve(file);
            JobStatusFile.Write(path, final: false, job, Mhsm, tickets, project.Cocs());
            result.Say($"Successfully exported job status file: '{path}'");
            result.Data["job_status_file"] = path;
        }
        return result;
    }

    private CommandResult CompleteProgJob(CommandCall call)
    {
        var project = RequireProject();
        var job = project.OpenJob();
        var certifiers = Mhsm.EndTickets(job.Tickets.Select(t => t.Id).ToList(), call.Flag("terminate"));
        var result = new CommandResult();
        var tickets = StatusTickets(job, result, certifiers.ToDictionary(c => c.TicketId));
        var path = _env.Resolve(call.Get("job_status_file"));
        JobStatusFile.Write(path, final: true, job, Mhsm, tickets, project.Cocs());
        foreach (var c in certifiers)
            result.Say($"Ticket {HsmUuid.Display(c.TicketId)} {c.Mode}: {c.Count} device(s); ticket keys destroyed; end certifier issued.");
        result.Say($"Successfully exported job end status file: '{path}'");
        result.Data["job_status_file"] = path;
        return result;
    }

    private List<StatusTicket> StatusTickets(JobFile job, CommandResult result, IReadOnlyDictionary<string, EndCertifier>? certifiers = null)
    {
        var tickets = new List<StatusTicket>();
        var data = new JArray();
        foreach (var t in job.Tickets)
        {
            var state = Mhsm.Ticket(t.Id) ?? throw new SppsException(ErrorCodes.TicketNotActive, $"Ticket {t.Spec.Name} is unknown to this M-HSM.");
            var stateName = state.Ended ? (string)state.EndData!["mode"]! : "active";
            var left = state.Unlimited ? "unlimited" : state.Left.ToString(System.Globalization.CultureInfo.InvariantCulture);
            result.Say($"Ticket ID: {HsmUuid.Display(t.Id)}").Say($"Ticket Name: {t.Spec.Name}").Say($"Device Name: {t.Spec.Device}")
                .Say($"Action: {t.Spec.Action}").Say($"Number of authorization codes left: {(state.Ended ? "0" : left)}").Say("");
            tickets.Add(new StatusTicket(t.Id, t.Spec, state.Issued, stateName, state.Records.ToList(), certifiers?.GetValueOrDefault(t.Id)));
            data.Add(new JObject
            {
                ["ticket_id"] = t.Id, ["name"] = t.Spec.Name, ["device"] = t.Spec.Device, ["action"] = t.Spec.Action,
                ["max_device"] = t.Spec.MaxDevice, ["issued"] = state.Issued, ["left"] = state.Ended ? 0 : state.Unlimited ? -1 : state.Left, ["state"] = stateName,
            });
        }
        result.Data["tickets"] = data;
        return tickets;
    }

    private CommandResult ImportDfkDb(CommandCall call)
    {
        var path = _env.Resolve(call.Get("file"));
        if (!File.Exists(path)) throw new SppsException(ErrorCodes.FileNotFound, $"{path} does not exist.", call.Location);
        var lot = Mhsm.ImportFactoryKeyDatabase(File.ReadAllText(path), path);
        return new CommandResult().Say($"Imported the DFK database of factory lot {lot} into M-HSM {Mhsm.Uuid}.");
    }

    public void Dispose() => _mhsm?.Dispose();
}
