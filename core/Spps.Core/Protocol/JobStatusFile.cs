using Newtonsoft.Json.Linq;
using Spps.Core.Crypto;
using Spps.Core.Domain;
using Spps.Core.Formats;
using Spps.Core.Manufacturer;
using Spps.Device.Reference;

namespace Spps.Core.Protocol;

/// <summary>One ticket in a status file: its spec, counts, its full ledger chain and (when ended) its certifier.</summary>
public sealed record StatusTicket(TicketId Id, TicketSpec Spec, long Issued, string State, IReadOnlyList<LedgerRecord> Records, EndCertifier? Certifier);

/// <summary>
/// A job status (intermediate from get_job_status, final from complete_prog_job): per ticket the ledger
/// records that prove its count, the devices' Certificates of Conformance, and for a final status the
/// ticket-end certifiers. Signed by the M-HSM identity key.
/// </summary>
public sealed record JobStatusFile(SppsFile File, bool Final, string Job, string JobDigest, string HsmTask, string MHsmUuid, byte[] MHsmIdentityKey, IReadOnlyList<StatusTicket> Tickets, IReadOnlyList<Coc> Cocs)
{
    public const string Kind = "job-status";
    public const int Version = 1;

    public static void Write(string path, bool final, JobFile job, ManufacturerHsm mhsm, IReadOnlyList<StatusTicket> tickets, IEnumerable<Coc> cocs)
    {
        var header = new JObject
        {
            ["version"] = Version,
            ["final"] = final,
            ["job"] = job.Job,
            ["job_digest"] = job.Digest,
            ["hsm_task"] = job.HsmTask,
            ["m_hsm"] = new JObject { ["uuid"] = mhsm.Uuid, ["identity_key"] = Convert.ToBase64String(mhsm.IdentityPublicKey) },
            ["generated"] = DateTimeOffset.UtcNow.ToString("O"),
            ["ledger"] = new JObject { ["count"] = mhsm.Ledger.Count, ["head"] = mhsm.Ledger.Head },
            ["tickets"] = new JArray(tickets.Select(t => new JObject
            {
                ["ticket_id"] = t.Id.Value,
                ["name"] = t.Spec.Name,
                ["device"] = t.Spec.Device,
                ["action"] = t.Spec.Action.Name,
                ["max_device"] = t.Spec.MaxDevice,
                ["issued"] = t.Issued,
                ["state"] = t.State,
                ["records"] = new JArray(t.Records.Select(r => r.ToJson())),
                ["end_certifier"] = t.Certifier is null ? null : new JObject
                {
                    ["count"] = t.Certifier.Count, ["chain_head"] = t.Certifier.ChainHead, ["mode"] = t.Certifier.Mode, ["mac"] = t.Certifier.Mac,
                },
            })),
            ["cocs"] = new JArray(cocs.Select(c => new JObject
            {
                ["dsn"] = c.Dsn, ["design_digest"] = c.DesignDigest, ["ticket_id"] = c.TicketId, ["action"] = c.Action,
                ["nonce"] = c.Nonce, ["result"] = c.Result, ["mac"] = c.Mac,
            })),
        };
        SppsFile.Write(path, Kind, header, mhsm.Sign);
    }

    /// <summary>Reads a status and checks it is signed by the M-HSM key the OE pinned.</summary>
    public static JobStatusFile Read(string path, byte[] expectedMHsmKey) => From(SppsFile.Read(path, Kind, signed: true), expectedMHsmKey);

    /// <summary>Checks and decodes a status file already read (its header tells which task, hence which key, it needs).</summary>
    public static JobStatusFile From(SppsFile file, byte[] expectedMHsmKey)
    {
        HeaderFields.ExpectVersion(file, Version);
        PublicKeys.VerifyFile(file, expectedMHsmKey, "bound M-HSM");
        var h = file.Header;
        var mhsm = HeaderFields.Object(file, h, "m_hsm");
        var tickets = new List<StatusTicket>();
        foreach (var t in HeaderFields.Objects(file, h, "tickets"))
        {
            var records = HeaderFields.Objects(file, t, "records")
                .Select(r => LedgerRecord.FromJson(r) ?? throw new SppsException(ErrorCodes.InvalidField, "A ledger record is malformed.", file.Where(r)))
                .ToList();
            EndCertifier? certifier = null;
            if (t["end_certifier"] is JObject c)
                certifier = new EndCertifier(HeaderFields.TicketId(file, t, "ticket_id"), HeaderFields.Long(file, c, "count", 0),
                    HeaderFields.Hex(file, c, "chain_head", 32), HeaderFields.String(file, c, "mode"), HeaderFields.Hex(file, c, "mac", 16));
            tickets.Add(new StatusTicket(HeaderFields.TicketId(file, t, "ticket_id"), JobRequest.ReadTicket(file, t), HeaderFields.Long(file, t, "issued", 0),
                HeaderFields.String(file, t, "state"), records, certifier));
        }
        var cocs = HeaderFields.Objects(file, h, "cocs").Select(c => new Coc(
            HeaderFields.String(file, c, "dsn"), HeaderFields.String(file, c, "design_digest"), HeaderFields.String(file, c, "ticket_id"),
            HeaderFields.String(file, c, "action"), HeaderFields.String(file, c, "nonce"), HeaderFields.String(file, c, "result"),
            HeaderFields.String(file, c, "mac"))).ToList();
        return new JobStatusFile(file, HeaderFields.Bool(file, h, "final"), HeaderFields.String(file, h, "job"), HeaderFields.String(file, h, "job_digest"),
            HeaderFields.String(file, h, "hsm_task"), HeaderFields.String(file, mhsm, "uuid"), HeaderFields.Base64(file, mhsm, "identity_key"), tickets, cocs);
    }
}
