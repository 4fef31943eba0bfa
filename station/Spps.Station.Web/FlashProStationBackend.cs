using System.Globalization;
using Spps.Core;
using Spps.Core.Commands;
using Spps.Core.Manufacturer;
using Spps.Core.Protocol;
using Spps.Core.Site;

namespace Spps.Station.Web;

/// <summary>
/// <see cref="IStationBackend"/> over today's FlashPro Express commands (the same ones scripts run), so
/// the UI does exactly what <c>open_project</c>, <c>set_programming_action</c>, <c>run_selected_actions</c>,
/// <c>get_job_status</c> and <c>complete_prog_job</c> do. The one place to re-point at typed services.
/// </summary>
public sealed class FlashProStationBackend(SppsEnvironment env, IReadOnlyList<string> programmers) : IStationBackend, IDisposable
{
    private readonly FlashProCommands _commands = new(env);
    private JobFile? _job;

    public IReadOnlyList<string> Programmers { get; } = programmers;

    public JobView? Job => _commands.Project is null || _job is null ? null : View();

    public JobView Open(string projectPath)
    {
        _commands.Execute("open_project", new Dictionary<string, string?> { ["project"] = projectPath });
        _job = _commands.Project!.OpenJob();
        return View();
    }

    public RunOutcome Run(string action, IReadOnlyList<string> programmers, Action<StationProgress> progress, CancellationToken stop)
    {
        RequireJob();
        var boards = new List<BoardResult>();
        var lines = new List<string>();
        _commands.Execute("set_programming_action", new Dictionary<string, string?> { ["action"] = action });
        _commands.Progress = e =>
        {
            if (e is StationProgress.DeviceFinished f) lock (boards) boards.Add(f.Result);
            progress(e);
        };
        _commands.Stop = stop;
        try
        {
            foreach (var programmer in programmers)
            {
                if (stop.IsCancellationRequested) break;
                try
                {
                    lines.AddRange(_commands.Execute("run_selected_actions", new Dictionary<string, string?> { ["programmer"] = programmer }).Lines);
                }
                catch (CommandFailedException failed)
                {
                    lines.AddRange(failed.Result.Lines);
                    return new RunOutcome(boards, lines, failed.Error.Code, failed.Error.Message);
                }
                catch (SppsException e)
                {
                    return new RunOutcome(boards, lines, e.Code, e.Message);
                }
            }
            return new RunOutcome(boards, lines, null, null);
        }
        finally
        {
            _commands.Progress = null;
            _commands.Stop = CancellationToken.None;
        }
    }

    public IReadOnlyList<TicketView> Tickets()
    {
        var job = RequireJob();
        var mhsm = _commands.Mhsm;
        return mhsm.Ledger.Locked(() => job.Tickets.Select(t => TicketOf(t, mhsm.Ticket(t.Id))).ToList());
    }

    public string ExportStatus()
    {
        var project = RequireProject();
        var path = Path.Combine(project.Folder, $"{_job!.Job}Status");
        _commands.Execute("get_job_status", new Dictionary<string, string?> { ["job_status_file"] = path });
        return path;
    }

    public (string Path, IReadOnlyList<string> Lines) Complete(bool terminate)
    {
        var project = RequireProject();
        var path = Path.Combine(project.Folder, $"{_job!.Job}StatusEnd");
        var options = new Dictionary<string, string?> { ["job_status_file"] = path };
        if (terminate) options["terminate"] = null;
        var result = _commands.Execute("complete_prog_job", options);
        return (path, result.Lines);
    }

    public MhsmView Mhsm()
    {
        var mhsm = _commands.Mhsm;
        var tickets = _job is null ? [] : Tickets();
        var hourAgo = DateTimeOffset.UtcNow.AddHours(-1);
        var issues = _job is null ? [] : mhsm.Ledger.Locked(() => _job.Tickets
            .SelectMany(t => mhsm.Ticket(t.Id)?.Records ?? [])
            .Where(r => r.Type == LedgerRecord.Issue)
            .Select(r => DateTimeOffset.Parse(r.Time, CultureInfo.InvariantCulture))
            .Where(t => t >= hourAgo).Order().ToList());
        double? rate = issues.Count >= 2 && issues[^1] > issues[0] ? (issues.Count - 1) / (issues[^1] - issues[0]).TotalHours : null;
        string codesFrom;
        using (var service = MhsmServiceClient.Find(env.Home, mhsm.Uuid))
            codesFrom = service?.Description ?? mhsm.Description;
        return new MhsmView(mhsm.Uuid, codesFrom, tickets, issues.Count, rate, mhsm.Ledger.Count);
    }

    public void Dispose() => _commands.Dispose();

    private JobView View()
    {
        var project = RequireProject();
        var job = RequireJob();
        return new JobView(project.FilePath, job.Job, project.MHsmUuid, job.Tickets.Select(t => t.Spec.Action).Distinct().ToList(), project.ProgrammingAction, Tickets());
    }

    private static TicketView TicketOf(JobTicket t, TicketState? state)
    {
        if (state is null) return new TicketView(t.Id, t.Spec.Name, t.Spec.Device, t.Spec.Action, t.Spec.MaxDevice, 0, 0, "unknown to this M-HSM");
        var left = state.Ended ? 0 : state.Unlimited ? -1 : state.Left;
        var name = state.Ended ? (string?)state.EndData!["mode"] ?? "ended" : "active";
        return new TicketView(t.Id, t.Spec.Name, t.Spec.Device, t.Spec.Action, t.Spec.MaxDevice, state.Issued, left, name);
    }

    private JobProject RequireProject() => _commands.Project
        ?? throw new SppsException(ErrorCodes.NoProjectOpen, "No job project is open: open one first (its .pro file).");

    private JobFile RequireJob() => RequireProject() is not null && _job is not null ? _job
        : throw new SppsException(ErrorCodes.NoProjectOpen, "No job project is open: open one first (its .pro file).");
}
