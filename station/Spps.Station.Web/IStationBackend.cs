using Spps.Core.Manufacturer;

namespace Spps.Station.Web;

/// <summary>
/// What the web UI needs from a station, and nothing more. <see cref="StationServiceBackend"/> implements
/// it over the CM's typed <see cref="StationService"/>. Calls come one at a time (the host serializes them), except the read-only
/// <see cref="Job"/>, <see cref="Tickets"/> and <see cref="Mhsm"/>, which may come while <see cref="Run"/> works.
/// </summary>
public interface IStationBackend
{
    /// <summary>The open job project, or null.</summary>
    JobView? Job { get; }

    /// <summary>Programmer connections offered to the operator (e.g. sim:./boards).</summary>
    IReadOnlyList<string> Programmers { get; }

    JobView Open(string projectPath);

    /// <summary>Runs <paramref name="action"/> on every device each programmer finds, one programmer after another.</summary>
    RunOutcome Run(string action, IReadOnlyList<string> programmers, IProgress<ProductionProgress> progress, CancellationToken stop);

    /// <summary>The job's tickets as the M-HSM counts them now.</summary>
    IReadOnlyList<TicketView> Tickets();

    /// <summary>Writes the signed intermediate job status; returns its path.</summary>
    string ExportStatus();

    /// <summary>Ends every ticket (destroying its keys) and writes the final status; returns its path and the M-HSM's words.</summary>
    (string Path, IReadOnlyList<string> Lines) Complete(bool terminate);

    MhsmView Mhsm();
}

public sealed record JobView(string Project, string Job, string MHsmUuid, IReadOnlyList<string> Actions, string SelectedAction, IReadOnlyList<TicketView> Tickets);

/// <summary>One ticket; <see cref="Left"/> is -1 when unlimited.</summary>
public sealed record TicketView(string Id, string Name, string Device, string Action, long MaxDevice, long Issued, long Left, string State);

public sealed record RunOutcome(IReadOnlyList<BoardResult> Boards, IReadOnlyList<string> Lines, ErrorCode? ErrorCode, string? Error);

/// <summary>The M-HSM as this station sees it: its tickets for the open job, and the issue rate from the ledger's times.</summary>
public sealed record MhsmView(string Uuid, string CodesFrom, IReadOnlyList<TicketView> Tickets, long IssuedLastHour, double? DevicesPerHour, long LedgerRecords);
