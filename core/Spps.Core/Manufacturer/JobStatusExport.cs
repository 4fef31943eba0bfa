using System.Collections.Immutable;
using Spps.Core.Crypto;
using Spps.Core.Domain;
using Spps.Core.Formats;
using Spps.Core.Manufacturer.Policy;
using Spps.Core.Protocol;
using Spps.Device.Reference;

namespace Spps.Core.Manufacturer;

/// <summary>
/// A job's status as the M-HSM counts it: built from the ledger where the M-HSM is (the station's process, or
/// the M-HSM service), and read back, typed, from the signed status file the service returns to a station.
/// </summary>
public static class JobStatusExport
{
    /// <summary>Each ticket of the job as the M-HSM's ledger tells it (read after a refresh, or under the ledger's lock).</summary>
    public static List<TicketStatus> Statuses(ManufacturerHsm mhsm, JobFile job, IReadOnlyDictionary<TicketId, EndCertifier>? certifiers) =>
        job.Tickets.Select(t => new TicketStatus(t,
            mhsm.Ticket(t.Id) ?? throw new SppsException(ErrorCodes.TicketNotActive, $"Ticket {t.Spec.Name} is unknown to this M-HSM."),
            mhsm.Chain(t.Id), certifiers?.GetValueOrDefault(t.Id))).ToList();

    /// <summary>Writes the status file, signed by the M-HSM's identity key.</summary>
    public static void Write(string path, bool final, JobFile job, ManufacturerHsm mhsm, IReadOnlyList<TicketStatus> tickets, IEnumerable<Coc> cocs) =>
        JobStatusFile.Write(path, final, job, mhsm, tickets.Select(t => t.ForFile()).ToList(), cocs);

    /// <summary>
    /// Reads a status file the M-HSM service returned for <paramref name="job"/>: it must be signed by the M-HSM the job
    /// is bound to, be for this job, and be final or not as asked. Each ticket's state is replayed from its ledger chain.
    /// </summary>
    public static IReadOnlyList<TicketStatus> Read(string path, JobFile job, bool final)
    {
        var file = SppsFile.Read(path, JobStatusFile.Kind, signed: true);
        var key = HeaderFields.Base64(file, HeaderFields.Object(file, file.Header, "m_hsm"), "identity_key");
        if (PublicKeys.Fingerprint(key) != job.MHsmIdentityFingerprint)
            throw new SppsException(ErrorCodes.WrongHsm, $"The M-HSM service signed this status with key {PublicKeys.Short(PublicKeys.Fingerprint(key))}, but job {job.Job} is bound to M-HSM key {PublicKeys.Short(job.MHsmIdentityFingerprint)}: SPPS_MHSM names another M-HSM's service.", new SourceLocation(path));
        var status = JobStatusFile.From(file, key);
        if (status.JobDigest != job.Digest || status.Final != final)
            throw new SppsException(ErrorCodes.StatusInvalid, $"The M-HSM service returned a status for another job or of another kind (job {status.Job}, final {status.Final}).", new SourceLocation(path));
        return job.Tickets.Select(t =>
        {
            var st = status.Tickets.FirstOrDefault(s => s.Id == t.Id)
                ?? throw new SppsException(ErrorCodes.StatusInvalid, $"The M-HSM service's status has no ticket {t.Spec.Name}.", new SourceLocation(path));
            var state = TicketBook.Replay(st.Records.Select(r => r.Event))[t.Id]
                ?? throw new SppsException(ErrorCodes.StatusInvalid, $"The M-HSM service's status has no ledger records for ticket {t.Spec.Name}.", new SourceLocation(path));
            return new TicketStatus(t, state, new TicketChain(st.Records.ToImmutableList()), st.Certifier);
        }).ToList();
    }
}
