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

/// <summary>
/// A ticket removed by remove_hsm_tickets: its state after the removal, whether -force ended it while active,
/// the codes that gave up (-1: unlimited), its end certifier (null for a ticket never loaded), or that an earlier call removed it.
/// </summary>
public sealed record TicketRemoval(TicketState Ticket, bool Forced, long CodesLost, EndCertifier? Certifier, bool AlreadyRemoved = false);

/// <summary>A job's status, as exported (intermediate or final).</summary>
public sealed record JobStatus(JobFile Job, IReadOnlyList<TicketStatus> Tickets, string? StatusFile);

/// <summary>What a production run did: one result per site that could not be opened, then one per device, chain by chain.</summary>
public sealed record ProductionRun(ProgrammingAction Action, string Programmer, string Issuer, IReadOnlyList<BoardResult> Boards, bool Cancelled)
{
    public IReadOnlyList<BoardResult> Failed => Boards.Where(b => b.Failed).ToList();

    public IReadOnlyList<BoardResult> Skipped => Boards.Where(b => b.Skipped).ToList();
}

/// <summary>
/// Where a production run is: sent once before the work (<see cref="IsHeader"/>: no board yet), as work on a
/// board begins (<see cref="Starting"/> names it) and after each board (<see cref="Board"/>). Reports for
/// different boards come from different threads; presenters count passes and failures from <see cref="Board"/>.
/// </summary>
public sealed record ProductionProgress(ProgrammingAction Action, string Programmer, string Issuer, int Done, int Total, BoardResult? Board, string? Starting = null)
{
    public bool IsHeader => Board is null && Starting is null;
}

/// <summary>
/// The CM site's application service (FlashPro Express): M-HSM parameters, job requests, job projects,
/// production and job status. Scripts, subcommands and the operator UI are adapters over it; it holds
/// the open project and the M-HSM for one session.
/// </summary>
public sealed partial class StationService(SppsEnvironment env) : IDisposable
{
    private ManufacturerHsm? _mhsm;
    private Service.MhsmClient? _remote;
    private bool _remoteResolved;

    public JobProject? Project { get; private set; }

    /// <summary>The M-HSM in this process (SPPS_HOME's HSM and ledger). Not used when <see cref="Remote"/> is set.</summary>
    public ManufacturerHsm Mhsm => _mhsm ??= ManufacturerHsm.Open(env);

    /// <summary>
    /// The M-HSM service this site uses (SPPS_MHSM), or null. When set, every M-HSM step — parameters, job request,
    /// job load, codes, status, completion, DFK import — is a call to it, and this process never opens an HSM:
    /// the station holds no ticket key (docs/deployment.md, "A remote M-HSM").
    /// </summary>
    public Service.MhsmClient? Remote
    {
        get
        {
            if (_remoteResolved) return _remote;
            _remote = Service.MhsmClient.FromSettings(env.Options.Mhsm, env.Options.MhsmCredentials, env.Resolve);
            _remoteResolved = true;
            return _remote;
        }
    }

    public JobProject RequireProject() =>
        Project ?? throw new SppsException(ErrorCodes.NoProjectOpen, "No job project is open: run open_project -project {FOLDER/NAME.pro} first.");

    public MhsmParameters SetHsmParameters(string serverName, string uuidText, string? ftpUsername, bool ftpPasswordGiven, bool useUserHsm)
    {
        var uuid = HsmUuid.Normalize(uuidText, "-m_hsm_uuid");
        var settings = env.LoadSettings();
        if (useUserHsm) RequireOwnUserHsm(settings, serverName, uuid);
        settings.FlashPro = new ManufacturerHsmSettings { HsmServerName = serverName, MHsmUuid = uuid, HsmTypeU = useUserHsm, FtpUsername = ftpUsername };
        if (Remote is { } remote)
        {
            // The HSM is the service's: nothing is created here, the UUID given must be the service's.
            var identity = remote.Describe();
            if (!HsmUuid.Same(identity.Uuid, uuid))
                throw new SppsException(ErrorCodes.WrongHsm, $"{remote.Description} holds M-HSM {HsmUuid.Normalize(identity.Uuid)}, but -m_hsm_uuid says {uuid}: fix -m_hsm_uuid, or {Service.MhsmClient.AddressVariable}.");
            settings.Save(env.Home);
            return new MhsmParameters(serverName, HsmUuid.Normalize(identity.Uuid), PublicKeys.Fingerprint(identity.IdentityKey.Span), ftpPasswordGiven);
        }
        _mhsm?.Dispose();
        _mhsm = null;
        settings.Save(env.Home);
        return new MhsmParameters(serverName, Mhsm.Uuid, PublicKeys.Fingerprint(Mhsm.IdentityPublicKey), ftpPasswordGiven);
    }

    public RequestAnswered ProcessRequest(string requestPath, string replyPath, bool overwrite)
    {
        if (File.Exists(replyPath) && !overwrite)
            throw new SppsException(ErrorCodes.OptionNotAllowed, $"{replyPath} exists: add -overwrite_reply TRUE to replace it.");
        RequireNotInMaintenance("answer job requests");
        var request = JobRequest.Read(requestPath);
        if (Remote is { } remote)
        {
            var answer = remote.AnswerJobRequest(File.ReadAllBytes(requestPath));
            IO.AtomicFile.WriteAllBytes(replyPath, answer.ReplyFile.ToByteArray());
            var ids = answer.TicketIds.ToDictionary(t => t.Key, t => TicketId.Parse(t.Value,
                what => new SppsException(ErrorCodes.InvalidField, $"The M-HSM service answered ticket ID '{t.Value}' for {t.Key}; it must be {what}.")), StringComparer.Ordinal);
            return new RequestAnswered(request, replyPath, ids);
        }
        if (env.LoadSettings().FlashPro is { HsmTypeU: true } && PublicKeys.Fingerprint(request.UHsmIdentityKey) != PublicKeys.Fingerprint(Mhsm.IdentityPublicKey))
            throw new SppsException(ErrorCodes.WrongHsm, $"This station's M-HSM is the site's own U-HSM (-hsm_type_u TRUE, in-house programming): it answers only the requests it signed itself, not one from U-HSM {request.UHsmUuid}. A CM's job request goes to a CM's M-HSM.", new SourceLocation(request.File.Path));
        return new RequestAnswered(request, replyPath, Mhsm.ProcessRequest(request, replyPath));
    }

    public JobProjectCreated CreateJobProject(string location, string jobPath, bool overwrite)
    {
        RequireNotInMaintenance("load jobs");
        var job = JobFile.Read(jobPath, verifyPayload: true);
        var folder = Path.Combine(location, Path.GetFileNameWithoutExtension(jobPath));
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !overwrite)
            throw new SppsException(ErrorCodes.ProjectExists, $"{folder} already exists: use -overwrite 1 to replace it (the old folder is kept as a backup), or another -job_project_location.");
        var projectPath = Path.Combine(folder, Path.GetFileNameWithoutExtension(jobPath) + JobProject.Extension);
        bool recovered;
        string uuid;
        if (Remote is { } remote)
        {
            // Only the signed head travels: the M-HSM needs the wrapped tickets, not the bitstreams.
            var loaded = remote.LoadJob(job.File.SignedHead(), projectPath, recover: !File.Exists(projectPath));
            (recovered, uuid) = (loaded.Recovered, HsmUuid.Normalize(loaded.MhsmUuid));
        }
        else
        {
            recovered = !File.Exists(projectPath) && Mhsm.LoadedFor(job, projectPath);
            if (!recovered) Mhsm.LoadJob(job, projectPath);
            uuid = Mhsm.Uuid;
        }
        var notices = new List<string>();
        Project = JobProject.Create(location, jobPath, job, uuid, overwrite, notices.Add);
        return new JobProjectCreated(job, Project, uuid, recovered, notices);
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
    /// Runs the selected action on the job's devices of every chain <paramref name="programmer"/> reaches:
    /// one connection, or several (gang programming) separated by ';' or listed in @FILE
    /// (<see cref="ProgrammerConnections"/>); a site that cannot be opened is that site's failed result
    /// when there are several. Cancellation stops new devices from starting; a device in flight finishes
    /// (or fails) cleanly, so project and ledger stay consistent, and the result says it was cancelled.
    /// </summary>
    /// <param name="mhsm">The M-HSM service address(es) for this run (--mhsm); default the site's SPPS_MHSM.</param>
    public ProductionRun Run(string programmer, int? parallel, IProgress<ProductionProgress>? progress, CancellationToken cancel, bool reprogram = false, string? mhsm = null)
    {
        var project = RequireProject();
        var action = project.Action;
        var (ports, unreachable, names) = ProgrammerConnections.Open(env, programmer, action);
        var job = project.OpenJob();
        // A configured service (--mhsm, SPPS_MHSM) is the only issuer, with failover between its addresses; else the
        // service on this machine's socket if one answers; else the M-HSM in this process.
        // An action that only reads devices (DEVICE_INFO, READ_IDCODE, VERIFY_DIGEST) opens no M-HSM at all.
        var codes = action.NeedsAuthorizationCode;
        using var remote = codes ? Service.MhsmClient.FromSettings(mhsm ?? env.Options.Mhsm, env.Options.MhsmCredentials, env.Resolve) : null;
        using var local = codes && remote is null ? Service.MhsmClient.FindLocal(Service.MhsmClient.DefaultSocketPath(env.Home, project.MHsmUuid)) : null;
        IAuthCodeIssuer issuer = (IAuthCodeIssuer?)remote ?? (IAuthCodeIssuer?)local ?? (codes ? Mhsm : new NoCodesIssuer(action));
        var plan = ChainPlan.For(job, action, ports);
        var total = unreachable.Count + plan.Count;
        progress?.Report(new ProductionProgress(action, names, issuer.Description, 0, total, null));
        var done = 0;
        void Report(BoardResult board) =>
            progress?.Report(new ProductionProgress(action, names, issuer.Description, Interlocked.Increment(ref done), total, board));
        foreach (var site in unreachable) Report(site);
        var boards = unreachable.Concat(new StationRunner(issuer, project, job, reprogram).Run(action, plan, parallel ?? plan.Chains.Count, Report, cancel,
            progress is null ? null : location => progress.Report(new ProductionProgress(action, names, issuer.Description, Volatile.Read(ref done), total, null, location)))).ToList();
        return new ProductionRun(action, names, issuer.Description, boards, cancel.IsCancellationRequested);
    }

    public JobStatus GetJobStatus(string? statusPath)
    {
        var project = RequireProject();
        var job = project.OpenJob();
        if (Remote is { } remote)
            return new JobStatus(job, FromService(remote.ExportJobStatus(job.File.SignedHead(), project.Cocs()), statusPath, job, final: false), statusPath);
        Mhsm.Refresh();
        var tickets = JobStatusExport.Statuses(Mhsm, job, null);
        if (statusPath is not null) JobStatusExport.Write(statusPath, final: false, job, Mhsm, tickets, project.Cocs());
        return new JobStatus(job, tickets, statusPath);
    }

    public JobStatus CompleteJob(bool terminate, string statusPath)
    {
        var project = RequireProject();
        var job = project.OpenJob();
        if (Remote is { } remote)
            return new JobStatus(job, FromService(remote.CompleteJob(job.File.SignedHead(), project.Cocs(), terminate), statusPath, job, final: true), statusPath);
        var certifiers = Mhsm.EndTickets(job.Tickets.Select(t => t.Id).ToList(), terminate);
        var tickets = JobStatusExport.Statuses(Mhsm, job, certifiers.ToDictionary(c => c.TicketId));
        JobStatusExport.Write(statusPath, final: true, job, Mhsm, tickets, project.Cocs());
        return new JobStatus(job, tickets, statusPath);
    }

    /// <summary>
    /// The M-HSM a silicon vendor wraps this site's DFK database to: its UUID and transport public key (SPKI DER),
    /// asked of the service when there is one.
    /// </summary>
    public (string Uuid, byte[] TransportKey) MhsmTransportKey()
    {
        if (Remote is not { } remote) return (Mhsm.Uuid, Mhsm.TransportPublicKey);
        var identity = remote.Describe();
        return (identity.Uuid, identity.TransportKey.ToByteArray());
    }

    /// <summary>Imports a DFK database; returns what was imported and the M-HSM it went into.</summary>
    public (FactoryKeyImport Import, string MHsm) ImportFactoryKeyDatabase(string path)
    {
        if (!File.Exists(path)) throw new SppsException(ErrorCodes.FileNotFound, $"{path} does not exist.");
        if (Remote is { } remote) return (remote.ImportFactoryKeys(File.ReadAllBytes(path)), remote.Description);
        return (Mhsm.ImportFactoryKeyDatabase(File.ReadAllText(path), path), $"M-HSM {Mhsm.Uuid}");
    }

    /// <summary>
    /// A status file the service signed: written where asked (a temporary file when only the counts are wanted), then
    /// read back with the checks a status file gets (signed by the job's M-HSM, for this job), as typed statuses.
    /// </summary>
    private static IReadOnlyList<TicketStatus> FromService(byte[] statusFile, string? statusPath, JobFile job, bool final)
    {
        var path = statusPath ?? Path.Combine(Path.GetTempPath(), $"spps-status-{Guid.NewGuid():N}.status");
        IO.AtomicFile.WriteAllBytes(path, statusFile);
        try { return JobStatusExport.Read(path, job, final); }
        finally { if (statusPath is null) File.Delete(path); }
    }

    /// <summary>-hsm_type_u TRUE (IHP): the HSM named must be this site's U-HSM, as the Job Manager's set_hsm_params named it.</summary>
    private static void RequireOwnUserHsm(Site.SiteSettings settings, string serverName, string uuid)
    {
        var owner = settings.JobManager ?? throw new SppsException(ErrorCodes.HsmParamsMissing,
            "-hsm_type_u TRUE uses this site's U-HSM as the M-HSM (in-house programming), but this site has no U-HSM: run the Job Manager's set_hsm_params (spps) on this site first, or use -hsm_type_u FALSE with an M-HSM.");
        if (owner.HsmServerName != serverName || !HsmUuid.Same(owner.UHsmUuid, uuid))
            throw new SppsException(ErrorCodes.WrongHsm,
                $"-hsm_type_u TRUE: the HSM named ({serverName}, UUID {uuid}) is not this site's U-HSM ({owner.HsmServerName}, UUID {HsmUuid.Normalize(owner.UHsmUuid)}). Name the U-HSM, or use -hsm_type_u FALSE.");
    }

    public void Dispose()
    {
        _mhsm?.Dispose();
        _remote?.Dispose();
    }
}
