using System.Globalization;
using Spps.Core.Domain;
using Spps.Core.Manufacturer;
using Spps.Core.Manufacturer.Policy;
using Spps.Core.Protocol;
using Spps.Core.Site;

namespace Spps.Station.Web;

/// <summary>
/// <see cref="IStationBackend"/> over the CM's typed service (<see cref="StationService"/>), the same one the
/// FlashPro Express commands call, so the window does exactly what <c>open_project</c>,
/// <c>set_programming_action</c>, <c>run_selected_actions</c>, <c>get_job_status</c> and
/// <c>complete_prog_job</c> do, without going through the command table.
/// </summary>
public sealed class StationServiceBackend(SppsEnvironment env, IReadOnlyList<string> programmers) : IStationBackend, IDisposable
{
    private readonly StationService _station = new(env);
    private JobFile? _job;

    public IReadOnlyList<string> Programmers { get; } = programmers;

    public JobView? Job => _station.Project is null || _job is null ? null : View();

    public JobView Open(string projectPath)
    {
        var project = _station.OpenProject(projectPath);
        _job = project.OpenJob();
        return View();
    }

    public RunOutcome Run(string action, IReadOnlyList<string> programmers, IProgress<ProductionProgress> progress, CancellationToken stop)
    {
        RequireJob();
        var boards = new List<BoardResult>();
        var lines = new List<string>();
        try
        {
            var selected = _station.SetAction(ProgrammingAction.Parse(action, what => new SppsException(ErrorCodes.InvalidOptionValue, $"The action must be {what}.")));
            foreach (var programmer in programmers)
            {
                if (stop.IsCancellationRequested) break;
                var run = _station.Run(programmer, null, progress, stop);
                boards.AddRange(run.Boards);
                lines.Add($"Ran {run.Action} on {run.Boards.Count} device(s) through {run.Programmer}; authorization codes from {run.Issuer}.");
                var passed = run.Boards.Count(b => b.Succeeded);
                lines.Add($"{passed} of {run.Boards.Count} device(s) succeeded" + (run.Skipped.Count > 0 ? $", {run.Skipped.Count} skipped (state did not fit {run.Action}; no code used)." : "."));
                if (run.Cancelled)
                    return new RunOutcome(boards, lines, ErrorCodes.Cancelled,
                        $"Cancelled: {run.Boards.Count(b => b.ErrorCode == ErrorCodes.Cancelled)} device(s) were not started and used no code; the devices in flight finished. Run again to continue.");
                if (run.Failed is [var first, ..] failed)
                    return new RunOutcome(boards, lines, first.ErrorCode ?? ErrorCodes.DeviceRefused, $"{failed.Count} of {run.Boards.Count} device(s) failed {selected}.");
            }
            return new RunOutcome(boards, lines, null, null);
        }
        catch (SppsException e)
        {
            return new RunOutcome(boards, lines, e.Code, e.Message);
        }
    }

    public IReadOnlyList<TicketView> Tickets()
    {
        var job = RequireJob();
        if (_station.Remote is not null) // the counts as the service's M-HSM signs them; no HSM opens here
            return _station.GetJobStatus(null).Tickets.Select(s => TicketOf(s.Ticket, s.State)).ToList();
        var mhsm = _station.Mhsm;
        return mhsm.Ledger.Locked(() => job.Tickets.Select(t => TicketOf(t, mhsm.Ticket(t.Id))).ToList());
    }

    public string ExportStatus()
    {
        var project = RequireProject();
        return _station.GetJobStatus(Path.Combine(project.Folder, $"{RequireJob().Job}Status")).StatusFile!;
    }

    public (string Path, IReadOnlyList<string> Lines) Complete(bool terminate)
    {
        var project = RequireProject();
        var status = _station.CompleteJob(terminate, Path.Combine(project.Folder, $"{RequireJob().Job}StatusEnd"));
        var lines = status.Tickets.Select(t => t.Certifier is { } c
            ? $"Ticket {t.Ticket.Spec.Name} ({t.Ticket.Id.Display}) {c.Mode}: {c.Count} device(s); ticket keys destroyed; end certifier issued."
            : $"Ticket {t.Ticket.Spec.Name} ({t.Ticket.Id.Display}): {t.State.StateName}.").ToList();
        lines.Add($"Exported the job end status file '{status.StatusFile}'.");
        return (status.StatusFile!, lines);
    }

    public MhsmView Mhsm()
    {
        if (_station.Remote is { } remote) return RemoteMhsm(remote);
        var mhsm = _station.Mhsm;
        var job = _job;
        var tickets = job is null ? [] : Tickets();
        var hourAgo = DateTimeOffset.UtcNow.AddHours(-1);
        var issues = job is null ? [] : mhsm.Ledger.Locked(() => job.Tickets
            .SelectMany(t => mhsm.Chain(t.Id).Records)
            .Where(r => r.Event is CodeIssued)
            .Select(r => DateTimeOffset.Parse(r.Time, CultureInfo.InvariantCulture))
            .Where(t => t >= hourAgo).Order().ToList());
        double? rate = issues.Count >= 2 && issues[^1] > issues[0] ? (issues.Count - 1) / (issues[^1] - issues[0]).TotalHours : null;
        string codesFrom;
        using (var service = Spps.Core.Service.MhsmClient.FindLocal(Spps.Core.Service.MhsmClient.DefaultSocketPath(env.Home, mhsm.Uuid)))
            codesFrom = service?.Description ?? mhsm.Description;
        return new MhsmView(mhsm.Uuid, codesFrom, tickets, issues.Count, rate, mhsm.Ledger.Count);
    }

    /// <summary>The M-HSM page for a remote M-HSM: the job's chains from a status the service signs, the ledger's size from GetJobStatus.</summary>
    private MhsmView RemoteMhsm(Spps.Core.Service.MhsmClient remote)
    {
        var statuses = _job is null ? [] : _station.GetJobStatus(null).Tickets;
        var hourAgo = DateTimeOffset.UtcNow.AddHours(-1);
        var issues = statuses.SelectMany(t => t.Chain.Records).Where(r => r.Event is CodeIssued)
            .Select(r => DateTimeOffset.Parse(r.Time, CultureInfo.InvariantCulture)).Where(t => t >= hourAgo).Order().ToList();
        double? rate = issues.Count >= 2 && issues[^1] > issues[0] ? (issues.Count - 1) / (issues[^1] - issues[0]).TotalHours : null;
        var tickets = statuses.Select(t => TicketOf(t.Ticket, t.State)).ToList();
        return new MhsmView(remote.Describe().Uuid, remote.Description, tickets, issues.Count, rate, remote.GetJobStatus([]).LedgerCount);
    }

    public void Dispose() => _station.Dispose();

    private JobView View()
    {
        var project = RequireProject();
        var job = RequireJob();
        return new JobView(project.FilePath, job.Job, project.MHsmUuid, job.Tickets.Select(t => t.Spec.Action.Name).Distinct().ToList(), project.ProgrammingAction, Tickets());
    }

    private static TicketView TicketOf(JobTicket t, TicketState? state)
    {
        if (state is null) return new TicketView(t.Id.Value, t.Spec.Name, t.Spec.Device, t.Spec.Action.Name, t.Spec.MaxDevice, 0, 0, "unknown to this M-HSM");
        var left = state.Ended ? 0 : state.Unlimited ? -1 : state.Left;
        return new TicketView(t.Id.Value, t.Spec.Name, t.Spec.Device, t.Spec.Action.Name, t.Spec.MaxDevice, state.Issued, left, state.StateName);
    }

    private JobProject RequireProject() => _station.Project
        ?? throw new SppsException(ErrorCodes.NoProjectOpen, "No job project is open: open one first (its .pro file).");

    private JobFile RequireJob() => RequireProject() is not null && _job is not null ? _job
        : throw new SppsException(ErrorCodes.NoProjectOpen, "No job project is open: open one first (its .pro file).");
}
