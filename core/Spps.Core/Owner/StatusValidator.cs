using Spps.Contracts.Hsm;
using Spps.Core.Identifiers;
using Spps.Core.Domain;
using Spps.Core.Manufacturer;
using Spps.Core.Manufacturer.Policy;
using Spps.Core.Protocol;
using Spps.Core.Site;
using Spps.Device.Reference;

namespace Spps.Core.Owner;

/// <summary>What kind of warning the post-production check raised (callers decide on the kind, never on the text).</summary>
public enum WarningKind
{
    /// <summary>A device received a code but returned no CoC (interrupted, or not yet reported).</summary>
    DeviceWithoutCoc,
    /// <summary>A device reported a result other than success.</summary>
    DeviceResult,
    /// <summary>The CM removed a ticket that was still active (remove_hsm_tickets -force): its codes left were given up.</summary>
    TicketRemovedByForce,
}

/// <summary>A warning of the post-production check.</summary>
public sealed record ValidationWarning(WarningKind Kind, string Message);

/// <summary>One ticket as the check counted it from its verified ledger chain.</summary>
public sealed record TicketCount(TicketId Id, string Name, ProgrammingAction Action, long MaxDevice, long Issued, string State);

/// <summary>The outcome of checking one status file: the report lines, and the same facts typed.</summary>
public sealed class ValidationReport
{
    public List<string> Lines { get; } = new();
    public List<string> Failures { get; } = new();
    public List<ValidationWarning> Warnings { get; } = new();
    public List<TicketCount> Tickets { get; } = new();
    public string Job { get; set; } = "";
    public string HsmTask { get; set; } = "";
    public bool Final { get; set; }
    public int CocsValid { get; set; }
    public int CocsInvalid { get; set; }
    public int CocsTotal { get; set; }
    public bool Valid => Failures.Count == 0;

    public void Fail(string message) { Failures.Add(message); Lines.Add("  FAILED: " + message); }
    public void Warn(WarningKind kind, string message) { Warnings.Add(new ValidationWarning(kind, message)); Lines.Add("  warning: " + message); }
}

/// <summary>
/// Post-production checks (seed §3.10) with the U-HSM: the M-HSM's signature (pinned key), each
/// ticket's ledger chain, counts against max_device, unique DSNs, every CoC's MAC (key derived from KIP
/// inside the U-HSM) and every end certifier's MAC (under K_end).
/// </summary>
public static class StatusValidator
{
    public static ValidationReport Validate(OwnerProject project, RoleKeys uhsm, string statusPath, Action<WorkProgress>? work = null)
    {
        var file = Formats.SppsFile.Read(statusPath, JobStatusFile.Kind, signed: true);
        var jobName = (string?)file.Header["job"];
        var taskName = (string?)file.Header["hsm_task"];
        var job = project.Job(jobName ?? "");
        var task = job.Task(taskName ?? "");
        var reply = task.Reply ?? throw new SppsException(ErrorCodes.WrongOrder, $"HSM task {task.Name} has no reply: this status cannot belong to it.");
        var status = JobStatusFile.From(file, Convert.FromBase64String(reply.IdentityKey));
        var report = new ValidationReport();
        var hsm = uhsm.Hsm;
        var master = uhsm.RequireMaster();

        report.Lines.Add($"Job status of job {status.Job}, HSM task {status.HsmTask}, from M-HSM {status.MHsmUuid} ({(status.Final ? "final: job ended" : "intermediate")})");
        report.Lines.Add("M-HSM signature: valid (pinned key)");
        if (!HsmUuid.Same(status.MHsmUuid, reply.MHsmUuid)) report.Fail($"status is from M-HSM {status.MHsmUuid}, the task is bound to {reply.MHsmUuid}");
        if (task.Exports.All(e => e.Digest != status.JobDigest))
            report.Fail("the status is for a job file this project never exported");

        var issuedByTicket = new Dictionary<string, HashSet<string>>();
        foreach (var st in status.Tickets)
        {
            var entry = task.Tickets.FirstOrDefault(t => t.TicketId == st.Id.Value);
            report.Lines.Add("");
            report.Lines.Add($"Ticket ID: {st.Id.Display}");
            report.Lines.Add($"Ticket Name: {st.Spec.Name}");
            report.Lines.Add($"Device Name: {st.Spec.Device}");
            report.Lines.Add($"Action: {st.Spec.Action}");
            if (entry is null || entry.Spec != st.Spec)
            {
                report.Fail($"ticket {st.Spec.Name} ({st.Id}) is not a ticket of this HSM task as requested");
                continue;
            }
            var dsns = CheckChain(st, report, task.Exports.FirstOrDefault(e => e.Digest == status.JobDigest)?.TrustDigest);
            CheckExtendsSeen(st, entry, report);
            issuedByTicket[st.Id.Value] = dsns;
            var left = st.Spec.MaxDevice < 0 ? "unlimited" : Math.Max(0, st.Spec.MaxDevice - dsns.Count).ToString(System.Globalization.CultureInfo.InvariantCulture);
            report.Lines.Add($"Devices authorized: {dsns.Count} of {st.Spec.MaxText}; codes left: {(st.State == "active" ? left : "0")}; state: {st.State}");
            if (st.Issued != dsns.Count) report.Fail($"ticket {st.Spec.Name} claims {st.Issued} devices but its ledger records {dsns.Count}");
            if (st.Spec.MaxDevice >= 0 && dsns.Count > st.Spec.MaxDevice) report.Fail($"ticket {st.Spec.Name}: {dsns.Count} devices, more than max_device {st.Spec.MaxDevice} (overbuild)");
            if (status.Final) CheckCertifier(st, entry, hsm, master, reply.MHsmUuid, report);
            report.Tickets.Add(new TicketCount(st.Id, st.Spec.Name, st.Spec.Action, st.Spec.MaxDevice, dsns.Count, st.State));
        }
        foreach (var missing in task.Tickets.Where(t => status.Tickets.All(s => s.Id.Value != t.TicketId)))
            report.Fail($"ticket {missing.Name} is missing from the status");

        var (valid, invalid) = CheckCocs(project, job, task, status, issuedByTicket, hsm, master, report, work);
        report.Lines.Add("");
        report.Lines.Add($"Certificates of Conformance: {valid} valid, {invalid} invalid, {status.Cocs.Count} in all");
        report.Lines.Add(report.Valid ? "Job status is VALID." : $"Job status is INVALID: {report.Failures.Count} problem(s).");
        if (report.Valid) RememberChains(status, task);
        report.Job = status.Job;
        report.HsmTask = status.HsmTask;
        report.Final = status.Final;
        (report.CocsValid, report.CocsInvalid, report.CocsTotal) = (valid, invalid, status.Cocs.Count);
        return report;
    }

    /// <summary>
    /// A later status must extend the chain the OE saw before: a CM that restores every file (the whole
    /// home, a software HSM's store included) rolls the ledger back, and the chain it then reports forks.
    /// </summary>
    private static void CheckExtendsSeen(StatusTicket st, TicketEntry entry, ValidationReport report)
    {
        if (entry.SeenRecords is not { } seen || entry.SeenHead is not { } head) return;
        if (st.Records.Count < seen || st.Records[(int)seen - 1].Hash != head)
            report.Fail($"ticket {st.Spec.Name}: its ledger chain does not extend the one an earlier status showed ({seen} record(s), head {head[..16]}…): the CM's M-HSM state was rolled back");
    }

    /// <summary>Remembers each ticket's chain once a whole status validated, so a later one must extend it.</summary>
    private static void RememberChains(JobStatusFile status, HsmTask task)
    {
        foreach (var st in status.Tickets)
            if (task.Tickets.FirstOrDefault(t => t.TicketId == st.Id.Value) is { } entry && st.Records.Count > 0 && st.Records.Count >= (entry.SeenRecords ?? 0))
                (entry.SeenRecords, entry.SeenHead) = (st.Records.Count, st.Records[^1].Hash);
    }

    /// <param name="exportedTrust">The silicon trust the exported job named (<see cref="ExportRecord.TrustDigest"/>); its load record must show the same.</param>
    private static HashSet<string> CheckChain(StatusTicket st, ValidationReport report, string? exportedTrust)
    {
        var dsns = new HashSet<string>(StringComparer.Ordinal);
        var head = LedgerRecord.Genesis;
        var sawLoad = false;
        var sawEnd = false;
        var hashValid = st.Records.AsParallel().AsOrdered().Select(r => r.HashIsValid).ToArray();
        for (var i = 0; i < st.Records.Count; i++)
        {
            var r = st.Records[i];
            if (!hashValid[i] || r.TicketPrev != head || r.Ticket != st.Id)
            {
                report.Fail($"ticket {st.Spec.Name}: ledger record {r.Seq} is altered or out of chain");
                return dsns;
            }
            head = r.Hash;
            switch (r.Event)
            {
                case TicketLoaded load:
                    sawLoad = true;
                    if (exportedTrust is not null && load.Trust?.Digest != exportedTrust)
                        report.Fail($"ticket {st.Spec.Name}: the M-HSM's load record trusts other silicon vendors than the job named: devices the OE never accepted may have received codes");
                    break;
                case TicketEnded: sawEnd = true; break;
                case TicketRemoved when !sawEnd:
                    report.Fail($"ticket {st.Spec.Name}: its ledger chain records a removal without an end record");
                    break;
                case TicketRemoved { Forced: true } removed:
                    report.Warn(WarningKind.TicketRemovedByForce, $"ticket {st.Spec.Name} was removed from the M-HSM by force while active (remove_hsm_tickets -force): " +
                        (removed.CodesLost < 0 ? "its unlimited codes were" : $"{removed.CodesLost} unused code(s) were") + " given up");
                    break;
                case TicketRemoved:
                    report.Lines.Add("Removed from the M-HSM after it ended (remove_hsm_tickets).");
                    break;
                case CodeIssued when sawEnd:
                    report.Fail($"ticket {st.Spec.Name}: a code was issued after the ticket ended");
                    break;
                case CodeIssued issued:
                    if (!dsns.Add(issued.Dsn.Value)) report.Fail($"ticket {st.Spec.Name}: device {issued.Dsn} was counted twice");
                    break;
            }
        }
        if (st.Records.Count == 0 || st.Records[0].Event is not TicketReserved) report.Fail($"ticket {st.Spec.Name}: its ledger chain does not start with the reservation");
        if (!sawLoad) report.Fail($"ticket {st.Spec.Name}: its ledger chain has no job load");
        if (st.State != "active" && !sawEnd) report.Fail($"ticket {st.Spec.Name} is {st.State} but its chain has no end record");
        return dsns;
    }

    private static void CheckCertifier(StatusTicket st, TicketEntry entry, IHsm hsm, IKeyHandle master, string mhsmUuid, ValidationReport report)
    {
        var endRecord = st.Records.LastOrDefault(r => r.Event is TicketEnded);
        if (st.Certifier is not { } c || endRecord?.Event is not TicketEnded end)
        {
            report.Fail($"ticket {st.Spec.Name}: no end certifier");
            return;
        }
        if (c.Count != end.Count || c.ChainHead != end.ChainHead || c.Mode != end.ModeName || c.ChainHead != endRecord.TicketPrev)
        {
            report.Fail($"ticket {st.Spec.Name}: the end certifier does not match the ledger");
            return;
        }
        var endKey = hsm.Unwrap(master, Convert.FromBase64String(entry.WrappedEndKey!), new KeySpec("session/kend", KeyKind.Aes256, KeyUsage.Mac, Persistent: false));
        try
        {
            var expected = Convert.ToHexStringLower(hsm.Mac(endKey, ProtocolLabels.EndCertifierMessage(st.Id.Value, c.Count, c.ChainHead, c.Mode, mhsmUuid)));
            if (expected != c.Mac) report.Fail($"ticket {st.Spec.Name}: the end certifier's MAC is invalid (forged or altered)");
            else report.Lines.Add($"End certifier: valid ({c.Mode}, {c.Count} device(s); ticket keys destroyed in the M-HSM)");
        }
        finally
        {
            hsm.Destroy(endKey);
        }
    }

    private static (int Valid, int Invalid) CheckCocs(OwnerProject project, ProgJob job, HsmTask task, JobStatusFile status, Dictionary<string, HashSet<string>> issued, IHsm hsm, IKeyHandle master, ValidationReport report, Action<WorkProgress>? work)
    {
        var valid = 0;
        var invalid = 0;
        var tickets = task.Tickets.Where(t => t.TicketId is not null).ToDictionary(t => t.TicketId!);
        var bitstreams = tickets.Values.ToDictionary(t => t.TicketId!, t =>
        {
            var device = job.Devices.First(d => d.Name == t.Device);
            return project.Bitstream(device.DataName, device.BitstreamName);
        });
        var cocKeys = new Dictionary<string, IKeyHandle>();
        var covered = new HashSet<(string, string)>();
        try
        {
            foreach (var ticketId in status.Cocs.Select(c => c.TicketId).Distinct().Where(tickets.ContainsKey))
            {
                var kip = hsm.Unwrap(master, Convert.FromBase64String(bitstreams[ticketId].WrappedKip), new KeySpec("session/kip", KeyKind.Aes256, KeyUsage.Derive, Persistent: false));
                cocKeys[ticketId] = hsm.Derive(new KeyHkdf(kip, [], ProtocolLabels.CocKey(ticketId)), new KeySpec("session/coc", KeyKind.Aes256, KeyUsage.Mac, Persistent: false));
                hsm.Destroy(kip);
            }
            // The MACs are independent: check them on every core, then report in the status's order.
            var macValid = new bool[status.Cocs.Count];
            var checkedCount = 0L;
            var reportEvery = Math.Max(1, status.Cocs.Count / 100);
            Parallel.For(0, status.Cocs.Count, i =>
            {
                var coc = status.Cocs[i];
                macValid[i] = cocKeys.TryGetValue(coc.TicketId, out var key) &&
                    Convert.ToHexStringLower(hsm.Mac(key, ProtocolLabels.CocMessage(coc.Dsn, coc.DesignDigest, coc.TicketId, coc.Action, coc.Nonce, coc.Result))) == coc.Mac;
                if (work is not null && Interlocked.Increment(ref checkedCount) % reportEvery == 0)
                    work(new WorkProgress("import_job_status: CoC MACs", Interlocked.Read(ref checkedCount), status.Cocs.Count, WorkProgress.Cocs));
            });
            work?.Invoke(new WorkProgress("import_job_status: CoC MACs", status.Cocs.Count, status.Cocs.Count, WorkProgress.Cocs));
            for (var i = 0; i < status.Cocs.Count; i++)
            {
                var coc = status.Cocs[i];
                if (!tickets.TryGetValue(coc.TicketId, out var ticket)) { invalid++; report.Fail($"CoC of device {coc.Dsn} names ticket {coc.TicketId}, not one of this task"); continue; }
                if (!macValid[i]) { invalid++; report.Fail($"CoC of device {coc.Dsn} ({coc.Action}) has an invalid MAC: forged or altered"); continue; }
                if (coc.DesignDigest != bitstreams[coc.TicketId].DesignDigest) { invalid++; report.Fail($"CoC of device {coc.Dsn} reports design digest {coc.DesignDigest[..Math.Min(16, coc.DesignDigest.Length)]}…, not the job's"); continue; }
                if (coc.Action != ticket.Action) { invalid++; report.Fail($"CoC of device {coc.Dsn} is for {coc.Action} under a {ticket.Action} ticket"); continue; }
                if (!issued.TryGetValue(coc.TicketId, out var dsns) || !dsns.Contains(coc.Dsn)) { invalid++; report.Fail($"CoC of device {coc.Dsn} has no authorization code in the ledger"); continue; }
                if (coc.Result is not ("PROGRAMMED" or "VERIFIED" or "ERASED")) report.Warn(WarningKind.DeviceResult, $"device {coc.Dsn}: {coc.Action} result {coc.Result}");
                covered.Add((coc.TicketId, coc.Dsn));
                valid++;
            }
        }
        finally
        {
            foreach (var key in cocKeys.Values) hsm.Destroy(key);
        }
        // One PROGRAM code, one device, one CoC: more means a device was programmed more than once.
        bool IsProgram(string ticketId) => tickets.TryGetValue(ticketId, out var t) && t.Action == ProgrammingAction.Program.Name;
        foreach (var group in status.Cocs.Where(c => IsProgram(c.TicketId)).GroupBy(c => (c.TicketId, c.Dsn)).Where(g => g.Count() > 1))
            report.Fail($"device {group.Key.Dsn} returned {group.Count()} CoCs under one code of ticket {tickets.GetValueOrDefault(group.Key.TicketId)?.Name ?? group.Key.TicketId}: it was programmed more than once");
        foreach (var (ticketId, dsns) in issued.Where(i => IsProgram(i.Key)))
        {
            var cocCount = status.Cocs.Count(c => c.TicketId == ticketId);
            if (cocCount > dsns.Count)
                report.Fail($"ticket {task.Tickets.First(t => t.TicketId == ticketId).Name}: {cocCount} CoCs for {dsns.Count} device(s) with a code");
        }
        foreach (var (ticketId, dsns) in issued)
        {
            var ticket = task.Tickets.First(t => t.TicketId == ticketId);
            foreach (var dsn in dsns.Where(d => !covered.Contains((ticketId, d))))
                report.Warn(WarningKind.DeviceWithoutCoc, $"ticket {ticket.Name}: device {dsn} received a code but returned no CoC (interrupted, or not yet reported)");
        }
        return (valid, invalid);
    }
}
