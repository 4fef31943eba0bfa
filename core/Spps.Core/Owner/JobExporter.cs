using System.Security.Cryptography;
using Newtonsoft.Json.Linq;
using Spps.Contracts.Hsm;
using Spps.Core.Crypto;
using Spps.Core.Domain;
using Spps.Core.Formats;
using Spps.Core.Protocol;
using Spps.Core.Site;
using Spps.Device.Reference;

namespace Spps.Core.Owner;

/// <summary>
/// export_hsmtask: writes the signed .job. Each ticket carries KIP and its end key K_end wrapped to the
/// M-HSM that answered the request (ECDH-ES inside the U-HSM); the bitstream ciphertexts are the payload.
/// K_end is made once per ticket and kept wrapped under the master key, so re-exporting keeps the
/// certifiers verifiable. The job names, under the U-HSM's signature, the silicon vendors its devices must
/// come from (<see cref="SiliconTrust"/>); the M-HSM trusts nothing else.
/// </summary>
public static class JobExporter
{
    public static ExportRecord Export(OwnerProject project, ProgJob job, HsmTask task, RoleKeys uhsm, SiliconTrust trust, string path)
    {
        var reply = task.Reply ?? throw new SppsException(ErrorCodes.WrongOrder,
            $"HSM task {task.Name} has no job reply yet: run hsmtask_m_request, have the CM process it, then hsmtask_m_reply.");
        if (job.Devices.Count == 0) throw new SppsException(ErrorCodes.WrongOrder, $"Job {job.Name} has no devices: run add_microsemi_prog_device.");
        var hsm = uhsm.Hsm;
        var master = uhsm.RequireMaster();
        var transport = Convert.FromBase64String(reply.TransportKey);
        var used = job.Devices.Select(d => project.Bitstream(d.DataName, d.BitstreamName)).Distinct().ToList();

        var tickets = new JArray();
        foreach (var ticket in task.Tickets)
        {
            var device = job.Devices.FirstOrDefault(d => d.Name == ticket.Device)
                ?? throw new SppsException(ErrorCodes.NameNotFound, $"Ticket {ticket.Name} is for device {ticket.Device}, which is not in job {job.Name}.");
            var bitstream = project.Bitstream(device.DataName, device.BitstreamName);
            var id = ticket.TicketId ?? throw new SppsException(ErrorCodes.WrongOrder, $"Ticket {ticket.Name} has no ID: import the job reply first.");
            var session = new List<IKeyHandle>();
            try
            {
                var kip = Keep(session, hsm.Unwrap(master, Convert.FromBase64String(bitstream.WrappedKip), new KeySpec("session/kip", KeyKind.Aes256, KeyUsage.None, false, Wrappable: true)));
                IKeyHandle endKey;
                if (ticket.WrappedEndKey is null)
                {
                    endKey = Keep(session, hsm.Generate(new KeySpec("session/kend", KeyKind.Aes256, KeyUsage.Mac, false, Wrappable: true)));
                    ticket.WrappedEndKey = Convert.ToBase64String(hsm.Wrap(master, endKey));
                }
                else
                {
                    endKey = Keep(session, hsm.Unwrap(master, Convert.FromBase64String(ticket.WrappedEndKey), new KeySpec("session/kend", KeyKind.Aes256, KeyUsage.Mac, false, Wrappable: true)));
                }
                var ephemeral = Keep(session, hsm.Generate(new KeySpec("session/ephemeral", KeyKind.EcP384, KeyUsage.Derive, false)));
                var kek = Keep(session, hsm.Derive(new EcdhHkdf([new EcdhAgreement(ephemeral, transport)], [], ProtocolLabels.TicketKek(id, reply.MHsmUuid)),
                    new KeySpec("session/kek", KeyKind.Aes256, KeyUsage.Wrap, false)));
                tickets.Add(new JObject
                {
                    ["ticket_id"] = id,
                    ["name"] = ticket.Name,
                    ["device"] = ticket.Device,
                    ["action"] = ticket.Action,
                    ["max_device"] = ticket.MaxDevice,
                    ["bitstream"] = bitstream.Name,
                    ["key_mode"] = bitstream.KeyMode,
                    ["generate_coc"] = bitstream.GenerateCoc,
                    ["ephemeral"] = Convert.ToBase64String(hsm.GetPublicKey(ephemeral)),
                    ["wrapped_kip"] = Convert.ToBase64String(hsm.Wrap(kek, kip)),
                    ["wrapped_end_key"] = Convert.ToBase64String(hsm.Wrap(kek, endKey)),
                });
            }
            finally
            {
                foreach (var key in session) hsm.Destroy(key);
            }
        }

        long offset = 0;
        var bitstreams = new JArray();
        foreach (var b in used)
        {
            bitstreams.Add(new JObject
            {
                ["name"] = b.Name, ["header"] = b.HeaderJson, ["design"] = b.Design, ["design_digest"] = b.DesignDigest,
                ["offset"] = offset, ["length"] = b.CiphertextLength, ["plaintext_length"] = b.PlaintextLength, ["segment_size"] = b.SegmentSize,
            });
            offset += b.CiphertextLength;
        }
        var header = new JObject
        {
            ["version"] = JobFile.Version,
            ["job"] = new JObject { ["name"] = job.Name, ["type"] = job.Type },
            ["hsm_task"] = task.Name,
            ["u_hsm"] = new JObject { ["uuid"] = hsm.Info.Uuid, ["identity_key"] = Convert.ToBase64String(uhsm.IdentityPublicKey) },
            ["m_hsm"] = new JObject
            {
                ["uuid"] = reply.MHsmUuid,
                ["identity_fingerprint"] = PublicKeys.Fingerprint(Convert.FromBase64String(reply.IdentityKey)),
                ["transport_fingerprint"] = PublicKeys.Fingerprint(transport),
            },
            ["device_trust"] = new JObject
            {
                ["vendor_roots"] = new JArray(trust.VendorRoots.Select(Convert.ToBase64String)),
                ["dfk_signers"] = new JArray(trust.DfkSigners.Select(Convert.ToBase64String)),
            },
            ["request_digest"] = task.Request!.Digest,
            ["reply_digest"] = reply.Digest,
            ["devices"] = new JArray(job.Devices.Select(d => new JObject { ["name"] = d.Name, ["hw_location"] = d.HwLocation, ["bitstream"] = d.BitstreamName })),
            ["bitstreams"] = bitstreams,
            ["tickets"] = tickets,
            ["created"] = DateTimeOffset.UtcNow.ToString("O"),
            ["payload"] = new JObject { ["length"] = offset, ["sha256"] = PayloadHash(project, used) },
        };
        SppsFile.Write(path, JobFile.Kind, header, uhsm.Sign, output =>
        {
            foreach (var b in used)
            {
                using var input = File.OpenRead(project.Absolute(b.CiphertextFile));
                input.CopyTo(output, 1 << 20);
            }
        });
        var record = new ExportRecord { File = path, Digest = SppsFile.Read(path, JobFile.Kind, signed: true).Digest, Created = DateTimeOffset.UtcNow.ToString("O"), TrustDigest = trust.Digest };
        task.Exports.Add(record);
        return record;
    }

    private static IKeyHandle Keep(List<IKeyHandle> session, IKeyHandle key)
    {
        session.Add(key);
        return key;
    }

    private static string PayloadHash(OwnerProject project, IReadOnlyList<BitstreamEntry> used)
    {
        if (used.Count == 1) return used[0].CiphertextSha256;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (var b in used)
        {
            using var input = File.OpenRead(project.Absolute(b.CiphertextFile));
            int n;
            while ((n = input.Read(buffer)) > 0) hash.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
