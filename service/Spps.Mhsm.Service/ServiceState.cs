using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Spps.Core;
using Spps.Core.Domain;
using Spps.Core.Manufacturer;
using V1 = Spps.Mhsm.V1;

namespace Spps.Mhsm.Service;

/// <summary>What every request of one service replica shares: the M-HSM, who may ask, and the counters.</summary>
public sealed partial class ServiceState(ManufacturerHsm mhsm, IAuthCodeIssuer issuer, StationAuthorizer? authorizer, string stateDirectory)
{
    private readonly ConcurrentDictionary<string, string> _jobs = new(StringComparer.Ordinal);

    public IAuthCodeIssuer Issuer => issuer;
    public StationAuthorizer? Authorizer => authorizer;
    public ServiceMetrics Metrics { get; } = new();

    /// <summary>The M-HSM steps of a remote M-HSM other than codes: job request, load, status, completion, DFK import.</summary>
    public StationJobs Jobs { get; } = new(mhsm, stateDirectory);

    /// <summary>
    /// Code requests being worked on at once (the rest wait asynchronously): enough for one group commit to fill
    /// while the previous one commits (<see cref="IssueBatcher"/>); the HSM part runs in parallel.
    /// </summary>
    public SemaphoreSlim IssueGate { get; } = new(2 * TicketKeys.LagAllowed);

    /// <summary>One device's code, through the M-HSM's group commit (waiting holds no thread).</summary>
    public Task<Spps.Device.Reference.AuthCode> IssueAsync(DeviceEvidence evidence) =>
        issuer is ManufacturerHsm m ? m.IssueAuthCodeAsync(evidence) : Task.FromResult(issuer.IssueAuthCode(evidence));
    public string MhsmUuid => mhsm.Uuid;
    public string Replica { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>The job a ticket belongs to (from its ledger records; a ticket never changes job), or null when unknown here.</summary>
    public string? JobOf(string ticketId)
    {
        if (_jobs.TryGetValue(ticketId, out var job)) return job;
        if (!TicketId.TryParse(ticketId, out var id)) return null; // the issue itself refuses it with its code
        job = mhsm.Ledger.Locked(() => mhsm.Ledger.Ticket(id) is { } t ? t.Load?.Job ?? t.Reservation?.Job : null);
        if (job is not null) _jobs[ticketId] = job;
        return job;
    }

    public V1.JobStatus JobStatus(IEnumerable<string> ticketIds) => mhsm.Ledger.Locked(() =>
    {
        var status = new V1.JobStatus { LedgerCount = mhsm.Ledger.Count, LedgerHead = mhsm.Ledger.Head };
        foreach (var id in ticketIds)
        {
            var t = (TicketId.TryParse(id, out var ticket) ? mhsm.Ledger.Ticket(ticket) : null)
                ?? throw new SppsException(ErrorCodes.TicketNotActive, $"Ticket {id} is unknown to M-HSM {mhsm.Uuid}.");
            status.Tickets.Add(new V1.TicketStatus
            {
                TicketId = t.Id.Value, Name = t.Name, Job = t.Load?.Job ?? t.Reservation?.Job ?? "",
                Action = t.Load?.Action.Name ?? t.Reservation?.Action.Name ?? "",
                MaxDevice = t.MaxDevice, Issued = t.Issued, Left = t.Ended ? 0 : t.Unlimited ? -1 : t.Left,
                State = t.Ended || t.Loaded ? t.StateName : "reserved",
            });
        }
        return status;
    });

    public V1.HealthReply Health()
    {
        var reply = new V1.HealthReply { MhsmUuid = mhsm.Uuid, Replica = Replica };
        try
        {
            mhsm.Refresh(); // the ledger store answers
            _ = mhsm.Hsm.Info; // the HSM session is open
            reply.Status = V1.HealthReply.Types.Status.Serving;
        }
        catch (Exception e) when (e is SppsException or Spps.Contracts.Hsm.HsmException)
        {
            reply.Status = V1.HealthReply.Types.Status.NotServing;
            reply.Detail = e.Message;
        }
        return reply;
    }

    public string UploadDirectory(string job)
    {
        if (!JobName().IsMatch(job))
            throw new SppsException(ErrorCodes.InvalidField, $"'{job}' is not a job name.");
        return Directory.CreateDirectory(Path.Combine(stateDirectory, "uploads", job)).FullName;
    }

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex JobName();
}
