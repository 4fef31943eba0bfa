using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Core.Crypto;
using Spps.Core.Domain;
using Spps.Core.Identifiers;
using Spps.Core.IO;
using Spps.Core.Manufacturer.Policy;
using Spps.Core.Protocol;

namespace Spps.Core.Manufacturer;

/// <summary>One ticket the M-HSM holds, as list_all_hsm_tickets shows it.</summary>
public sealed record HsmTicket(TicketState State)
{
    public TicketId Id => State.Id;
    public string Name => State.Name;
    public string Job => State.Load?.Job ?? State.Reservation?.Job ?? "";
    public string HsmTask => State.Reservation?.HsmTask ?? "";
    public string Device => State.Load?.Device ?? State.Reservation?.Device ?? "";
    public string Action => (State.Load?.Action ?? State.Reservation?.Action)?.Name ?? "";

    /// <summary>The job project the job was loaded for; null while only reserved.</summary>
    public string? Project => State.Load?.Project;

    /// <summary>reserved (a reply was written, the job never loaded), active, ended, terminated, or removed.</summary>
    public string StateName => State.Removed ? "removed" : !State.Loaded && !State.Ended ? "reserved" : State.StateName;

    /// <summary>Codes left: 0 once ended, -1 for unlimited.</summary>
    public long Left => State.Ended ? 0 : State.Unlimited ? -1 : State.Left;
}

/// <summary>A job whose tickets the M-HSM still holds unfinished (not ended): maintenance would make it unusable.</summary>
public sealed record UnfinishedJob(string Job, string? Project, IReadOnlyList<HsmTicket> Tickets);

/// <summary>
/// The M-HSM's maintenance state (mhsm maintenance check|begin|end): whether maintenance is on, since when,
/// the identity key fingerprint now and when maintenance began, and the jobs that block it.
/// </summary>
public sealed record MaintenanceState(string MHsmUuid, string IdentityFingerprint, bool InMaintenance, string? Since, string? FingerprintAtBegin, IReadOnlyList<UnfinishedJob> Unfinished)
{
    public bool Clear => Unfinished.Count == 0;
}

/// <summary>The HSM-ticket commands and the M-HSM maintenance procedure of the CM site.</summary>
public sealed partial class StationService
{
    /// <summary>Every ticket the M-HSM holds (its ledger), oldest first; removed ones only when asked.</summary>
    public IReadOnlyList<HsmTicket> ListTickets(bool includeRemoved)
    {
        RequireLocalMhsm("list_all_hsm_tickets");
        Mhsm.Refresh();
        return Mhsm.Ledger.Tickets.Where(t => includeRemoved || !t.Removed).Select(t => new HsmTicket(t)).ToList();
    }

    /// <summary>remove_hsm_tickets: by ID, or every ticket of a reply file. Active ones need <paramref name="force"/> (see <see cref="ManufacturerHsm.RemoveTickets"/>).</summary>
    public IReadOnlyList<TicketRemoval> RemoveTickets(IReadOnlyList<TicketId> ids, string? replyPath, bool force)
    {
        RequireLocalMhsm("remove_hsm_tickets");
        var all = new List<TicketId>(ids);
        if (replyPath is not null)
        {
            var reply = JobReply.Read(replyPath);
            if (!HsmUuid.Same(reply.MHsmUuid, Mhsm.Uuid))
                throw new SppsException(ErrorCodes.WrongHsm, $"The reply was written by M-HSM {HsmUuid.Normalize(reply.MHsmUuid)}, not by this one ({Mhsm.Uuid}).", new SourceLocation(replyPath));
            all.AddRange(reply.TicketIds.Values.Select(v => TicketId.Parse(v, what => new SppsException(ErrorCodes.InvalidField, $"The reply's ticket ID must be {what}.", new SourceLocation(replyPath)))));
        }
        if (all.Count == 0)
            throw new SppsException(ErrorCodes.MissingOption, "remove_hsm_tickets needs -ticket_ids \"ID ...\" or -reply_file FILE (list_all_hsm_tickets lists the tickets).");
        return Mhsm.RemoveTickets(all, force);
    }

    private string MaintenanceFile => Path.Combine(env.Home, "mhsm", HsmUuid.Normalize(env.LoadSettings().RequireFlashPro().MHsmUuid), "maintenance.json");

    /// <summary>Where maintenance stands and which jobs block it.</summary>
    public MaintenanceState MaintenanceCheck()
    {
        RequireLocalMhsm("mhsm maintenance");
        var unfinished = ListTickets(includeRemoved: false).Where(t => !t.State.Ended)
            .GroupBy(t => (t.Job, t.Project))
            .Select(g => new UnfinishedJob(g.Key.Job, g.Key.Project, g.ToList())).ToList();
        var (since, fingerprint) = ReadMaintenance();
        return new MaintenanceState(Mhsm.Uuid, PublicKeys.Fingerprint(Mhsm.IdentityPublicKey), since is not null, since, fingerprint, unfinished);
    }

    /// <summary>
    /// Begins maintenance (swap, upgrade, erase of the M-HSM): refused while any job is unfinished, since those
    /// jobs' keys and counts live in this M-HSM. Until <see cref="EndMaintenance"/> the M-HSM answers no request
    /// and loads no job, so nothing new starts.
    /// </summary>
    public MaintenanceState BeginMaintenance()
    {
        var state = MaintenanceCheck();
        if (!state.Clear) throw MaintenanceBlocked(state);
        if (state.InMaintenance) return state;
        var since = DateTimeOffset.UtcNow.ToString("O");
        AtomicFile.WriteAllText(MaintenanceFile, new JObject { ["since"] = since, ["m_hsm_uuid"] = state.MHsmUuid, ["identity_fingerprint"] = state.IdentityFingerprint }.ToString(Formatting.Indented) + "\n");
        return state with { InMaintenance = true, Since = since, FingerprintAtBegin = state.IdentityFingerprint };
    }

    /// <summary>Ends maintenance: the M-HSM (perhaps a new one) is opened again; the result says whether its identity key changed.</summary>
    public MaintenanceState EndMaintenance()
    {
        var (since, fingerprint) = ReadMaintenance();
        if (File.Exists(MaintenanceFile)) File.Delete(MaintenanceFile);
        _mhsm?.Dispose();
        _mhsm = null;
        return MaintenanceCheck() with { InMaintenance = false, Since = since, FingerprintAtBegin = fingerprint };
    }

    /// <summary>
    /// The ticket commands and maintenance work on an M-HSM in this process. With SPPS_MHSM the M-HSM is the
    /// service's, so they are refused here rather than run against an empty local one.
    /// </summary>
    private void RequireLocalMhsm(string command)
    {
        if (Remote is { } remote)
            throw new SppsException(ErrorCodes.OptionNotAllowed,
                $"{command} works on the M-HSM itself, and this station uses {remote.Description} ({Service.MhsmClient.AddressVariable}): run it on the service's machine, without {Service.MhsmClient.AddressVariable}.");
    }

    private void RequireNotInMaintenance(string what)
    {
        if (ReadMaintenance().Since is { } since)
            throw new SppsException(ErrorCodes.MhsmInMaintenance,
                $"The M-HSM is in maintenance since {since}: it does not {what} now. Finish the maintenance, then run 'spps-station mhsm maintenance end'.");
    }

    private (string? Since, string? Fingerprint) ReadMaintenance()
    {
        var path = MaintenanceFile;
        if (!File.Exists(path)) return (null, null);
        try
        {
            var o = JObject.Parse(File.ReadAllText(path));
            return ((string?)o["since"] ?? "an unknown time", (string?)o["identity_fingerprint"]);
        }
        catch (JsonException)
        {
            return ("an unknown time (its marker file is damaged)", null);
        }
    }

    /// <summary>The refusal while jobs are unfinished: each job, its project, and the commands that end it.</summary>
    public static SppsException MaintenanceBlocked(MaintenanceState state)
    {
        var lines = new List<string>
        {
            $"M-HSM {state.MHsmUuid} holds {state.Unfinished.Count} unfinished job(s); swapping, upgrading or erasing it now would make them unusable (their ticket keys and counts live in it). End them first:",
        };
        foreach (var job in state.Unfinished)
        {
            var tickets = string.Join("; ", job.Tickets.Select(t => $"{t.Name} {t.Action} ({t.StateName}, {PolicyErrors.Lost(t.State)})"));
            if (job.Project is { } project)
            {
                lines.Add($"  job {job.Job}, project {project}: {tickets}");
                lines.Add($"    spps-station get-job-status --project {project} --job-status-file {job.Job}Status");
                lines.Add($"    spps-station complete-prog-job --project {project} --job-status-file {job.Job}StatusEnd{(job.Tickets.Any(t => TicketPolicy.IsActive(t.State)) ? " --terminate" : "")}");
                lines.Add("    then send both status files to the OE;");
            }
            else
            {
                lines.Add($"  job {job.Job}, reserved by a reply but never loaded: {tickets}");
                lines.Add($"    load it (create_job_project) and complete it as above, or give it up: spps-station remove-hsm-tickets --ticket-ids \"{string.Join(' ', job.Tickets.Select(t => t.Id.Value))}\" --force");
            }
        }
        lines.Add("Or remove any job's tickets with remove_hsm_tickets -force (their codes are lost; the OE's check shows it). Then run 'spps-station mhsm maintenance begin' again.");
        return new SppsException(ErrorCodes.JobsActive, string.Join("\n", lines));
    }
}
