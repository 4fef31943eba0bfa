using Newtonsoft.Json.Linq;
using Spps.Core.Crypto;
using Spps.Core.Formats;

namespace Spps.Core.Protocol;

/// <summary>
/// The M-HSM's reply (.rep): the digest of the request it answers, its identity and transport keys, and
/// a fresh ticket ID per requested ticket (reserved in its ledger); signed by the M-HSM identity key.
/// </summary>
public sealed record JobReply(SppsFile File, string RequestDigest, string MHsmUuid, byte[] IdentityKey, byte[] TransportKey, IReadOnlyDictionary<string, string> TicketIds)
{
    public const string Kind = "job-reply";
    public const int Version = 1;

    public static void Write(string path, JobRequest request, string mhsmUuid, byte[] identityKey, byte[] transportKey, IReadOnlyDictionary<string, Domain.TicketId> ticketIds, Func<byte[], (string, byte[])> sign)
    {
        var header = new JObject
        {
            ["version"] = Version,
            ["request_digest"] = request.File.Digest,
            ["job"] = request.Job,
            ["hsm_task"] = request.HsmTask,
            ["m_hsm"] = new JObject
            {
                ["uuid"] = mhsmUuid,
                ["identity_key"] = Convert.ToBase64String(identityKey),
                ["transport_key"] = Convert.ToBase64String(transportKey),
            },
            ["tickets"] = new JArray(request.Tickets.Select(t => new JObject { ["name"] = t.Name, ["ticket_id"] = ticketIds[t.Name].Value })),
            ["created"] = DateTimeOffset.UtcNow.ToString("O"),
        };
        SppsFile.Write(path, Kind, header, sign);
    }

    public static JobReply Read(string path)
    {
        var file = SppsFile.Read(path, Kind, signed: true);
        HeaderFields.ExpectVersion(file, Version);
        var h = file.Header;
        var mhsm = HeaderFields.Object(file, h, "m_hsm");
        var identity = HeaderFields.Base64(file, mhsm, "identity_key");
        PublicKeys.VerifyFile(file, identity, "M-HSM named in the reply");
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in HeaderFields.Objects(file, h, "tickets"))
            ids[HeaderFields.String(file, t, "name")] = HeaderFields.String(file, t, "ticket_id");
        return new JobReply(file, HeaderFields.Hex(file, h, "request_digest", 48), HeaderFields.String(file, mhsm, "uuid"), identity,
            HeaderFields.Base64(file, mhsm, "transport_key"), ids);
    }
}
