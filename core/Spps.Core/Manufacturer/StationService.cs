using Spps.Contracts.Programmers;
using Spps.Core.Crypto;
using Spps.Core.Domain;
using Spps.Core.Identifiers;
using Spps.Core.Manufacturer.Policy;
using Spps.Core.Protocol;
using Spps.Core.Site;

namespace Spps.Core.Manufacturer;

/// <summary>The M-HSM parameters a CM site saved.</summary>
public sealed record MhsmParameters(string ServerName, string Uuid, string IdentityFingerprint, bool FtpPasswordIgnored);

/// <summary>A reply written for a request: the ticket IDs reserved per ticket name.</summary>
public sealed record RequestAnswered(JobRequest Request, string ReplyPath, IReadOnlyDictionary<string, TicketId> TicketIds);

/// <summary>A job loaded and its project created; <see cref="Recovered"/> when an interrupted load was completed.</summary>
public sealed record JobProjectCreated(JobFile Job, JobProject Project, string MHsmUuid, bool Recovered, IReadOnlyList<string> Notices);

/// <summary>One ticket of a job as the M-HSM counts it.</summary>
public sealed record TicketStatus(JobTicket Ticket, TicketState State, TicketChain Chain, EndCertifier? Certifier)
{
    public long Left => State.Ended ? 0 : State.Unlimited ? -1 : State.Left;

    /// <summary>The ticket as a status file carries it: its whole ledger chain, and its certifier once ended.</summary>
    public StatusTicket ForFile() => new(Ticket.Id, Ticket.Spec, State.Issued, State.StateName, Chain.Records, Certifier);
}

/// <summary>A job's status, as exported (intermediate or final).</summary>
public sealed record JobStatus(JobFile Job, IReadOnlyList<TicketStatus> Tickets, string? StatusFile);

/// <summary>What a production run did: one result per board, in port order.</summary>
public sealed record ProductionRun(ProgrammingAction Action, string Programmer, string Issuer, IReadOnlyList<BoardResult> Boards, bool Cancelled)
{
    public IReadOnlyList<BoardResult> Failed => Boards.Where(b => b.Failed).ToList();

    public IReadOnlyList<BoardResult> Skipped => Boards.Where(b => b.Skipped).ToList();
}

/// <summary>Where a production run is: sent once before the work (no board yet) and after each board.</summary>
public sealed record ProductionProgress(ProgrammingAction Action, string Programmer, string Issuer, int Done, int Total, BoardResult? Board);

/// <summary>
/// The CM site's application service (FlashPro Express): M-HSM parameters, job requests, job projects,
/// production and job status. Scripts, subcommands and the operator UI are adapters over it; it holds
/// the open project and the M-HSM for one session.
/// </summary>
public sealed class StationService(SppsEnvironment env) : IDisposable
{
    private ManufacturerHsm? _mhsm;

    public JobProject? Project { get; private set; }

    public ManufacturerHsm Mhsm => _mhsm ??= ManufacturerHsm.Open(env);

    public JobProject RequireProject() =>
        Project ?? throw new SppsException(ErrorCodes.NoProjectOpen, "No job project is open: run open_project -project {FOLDER/NAME.pro} first.");

    public MhsmParameters SetHsmParameters(string serverName, string uuidText, string? ftpUsername, bool ftpPasswordGiven, bool useUserHsm)
    {
        var uuid = HsmUuid.Normalize(uuidText, "-m_hsm_uuid");
        if (useUserHsm)
            throw new SppsException(ErrorCodes.InvalidOptionValue, "-hsm_type_u TRUE (using the U-HSM as manufacturer HSM) is not supported: production needs a separate M-HSM. Use -hsm_type_u FALSE.");
        var settings = env.LoadSettings();
        settings.FlashPro = new ManufacturerHsmSettings { HsmServerName = serverName, MHsmUuid = uuid, FtpUsername = ftpUsername };
        _mhsm?.Dispose();
        _mhsm = null;
        settings.Save(env.Home);
        return new MhsmParameters(serverName, Mhsm.Uuid, PublicKeys.Fingerprint(Mhsm.IdentityPublicKey), ftpPasswordGiven);
    }

    public RequestAnswered ProcessRequest(string requestPath, string replyPath, bool overwrite)
    {
        if (File.Exists(replyPath) && !overwrite)
            throw new SppsException(ErrorCodes.OptionNotAllowed, $"{replyPath} exists: add -overwrite_reply TRUE to replace it.");
        var request = JobRequest.Read(requestPath);
        return new RequestAnswered(request, replyPath, Mhsm.ProcessRequest(request, replyPath));
    }

    public JobProjectCreated CreateJobProject(string location, string jobPath, bool overwrite)
    {
        var job = JobFile.Read(jobPath, verifyPayload: true);
        var folder = Path.Combine(location, Path.GetFileNameWithoutExtension(jobPath));
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !overwrite)
            throw new SppsException(ErrorCodes.ProjectExists, $"{folder} already exists: use -overwrite 1 to replace it (the old folder is kept as a backup), or another -job_project_location.");
        var projectPath = Path.Combine(folder, Path.GetFileNameWithoutExtension(jobPath) + JobProject.Extension);
        var recovered = !File.Exists(projectPath) && Mhsm.LoadedFor(job, projectPath);
        if (!recovered) Mhsm.LoadJob(job, projectPath);
        var notices = new List<string>();
        Project = JobProject.Create(location, jobPath, job, Mhsm.Uuid, overwrite, notices.Add);
        return new JobProjectCreated(job, Project, Mhsm.Uuid, recovered, notices);
    }

    public JobProject OpenProject(string path) => Project = JobProject.Load(path);

    public JobProject? CloseProject(bool save)
    {
        var closed = Project;
        if (closed is not null && save) closed.Save();
        Project = null;
        return closed;
    }

    public ProgrammingAction SetAction(ProgrammingAction action)
    {
        var project = RequireProject();
        project.ProgrammingAction = action.Name;
        project.Save();
        return action;
    }

    /// <summary>
    /// Runs the selected action on every device <paramref name="programmer"/> finds. Cancellation stops
    /// new boards from starting; a board in flight finishes (or fails) cleanly, so project and ledger stay
    /// consistent, and the result says it was cancelled.
    /// </summary>
    /// <param name="mhsm">The M-HSM service address(es) for this run (--mhsm); default the site's SPPS_MHSM.</param>
    public ProductionRun Run(string programmer, int? parallel, IProgress<ProductionProgress>? progress, CancellationToken cancel, bool reprogram = false, string? mhsm = null)
    {
        var project = RequireProject();
        var colon = programmer.IndexOf(':');
        if (colon <= 0) throw new SppsException(ErrorCodes.ProgrammerInvalid, $"'{programmer}' is not a programmer connection: write NAME:ARGUMENT, e.g. sim:./boards.");
        var provider = env.Plugins.ProgrammerProvider(programmer[..colon]);
        var argument = programmer[(colon + 1)..];
        if (provider.Name == "sim") argument = env.Resolve(argument);
        var ports = provider.Discover(argument);
        var job = project.OpenJob();
        var action = project.Action;
        // A configured service (--mhsm, SPPS_MHSM) is the only issuer, with failover between its addresses; else the
        // service on this machine's socket if one answers; else the M-HSM in this process.
        using var remote = Service.MhsmClient.FromSettings(mhsm ?? env.Options.Mhsm, env.Options.MhsmCredentials, env.Resolve);
        using var local = remote is null ? Service.MhsmClient.FindLocal(Service.MhsmClient.DefaultSocketPath(env.Home, project.MHsmUuid)) : null;
        IAuthCodeIssuer issuer = (IAuthCodeIssuer?)remote ?? (IAuthCodeIssuer?)local ?? Mhsm;
        progress?.Report(new ProductionProgress(action, provider.Name, issuer.Description, 0, ports.Count, null));
        var done = 0;
        var boards = new StationRunner(issuer, project, job, reprogram).Run(action, ports, parallel ?? ports.Count, board =>
            progress?.Report(new ProductionProgress(action, provider.Name, issuer.Description, Interlocked.Increment(ref done), ports.Count, board)), cancel);
        return new ProductionRun(action, provider.Name, issuer.Description, boards, cancel.IsCancellationRequested);
    }

    public JobStatus GetJobStatus(string? statusPath)
    {
        var project = RequireProject();
        var job = project.OpenJob();
        Mhsm.Refresh();
        var tickets = Statuses(job, null);
        if (statusPath is not null) JobStatusFile.Write(statusPath, final: false, job, Mhsm, tickets.Select(t => t.ForFile()).ToList(), project.Cocs());
        return new JobStatus(job, tickets, statusPath);
    }

    public JobStatus CompleteJob(bool terminate, string statusPath)
    {
        var project = RequireProject();
        var job = project.OpenJob();
        var certifiers = Mhsm.EndTickets(job.Tickets.Select(t => t.Id).ToList(), terminate);
        var tickets = Statuses(job, certifiers.ToDictionary(c => c.TicketId));
        JobStatusFile.Write(statusPath, final: true, job, Mhsm, tickets.Select(t => t.ForFile()).ToList(), project.Cocs());
        return new JobStatus(job, tickets, statusPath);
    }

    public string ImportFactoryKeyDatabase(string path)
    {
        if (!File.Exists(path)) throw new SppsException(ErrorCodes.FileNotFound, $"{path} does not exist.");
        return Mhsm.ImportFactoryKeyDatabase(File.ReadAllText(path), path);
    }

    private List<TicketStatus> Statuses(JobFile job, IReadOnlyDictionary<TicketId, EndCertifier>? certifiers) =>
        job.Tickets.Select(t => new TicketStatus(t,
            Mhsm.Ticket(t.Id) ?? throw new SppsException(ErrorCodes.TicketNotActive, $"Ticket {t.Spec.Name} is unknown to this M-HSM."),
            Mhsm.Chain(t.Id), certifiers?.GetValueOrDefault(t.Id))).ToList();

    public void Dispose() => _mhsm?.Dispose();
}
