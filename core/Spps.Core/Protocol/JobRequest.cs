using Newtonsoft.Json.Linq;
using Spps.Core.Crypto;
using Spps.Core.Domain;
using Spps.Core.Formats;

namespace Spps.Core.Protocol;

/// <summary>The OE's job request (.req): which tickets it wants, for which M-HSM; signed by the U-HSM.</summary>
public sealed record JobRequest(SppsFile File, string Job, string HsmTask, string UHsmUuid, byte[] UHsmIdentityKey, string MHsmUuid, string Nonce, IReadOnlyList<TicketSpec> Tickets)
{
    public const string Kind = "job-request";
    public const int Version = 1;

    public static void Write(string path, string job, string task, string uhsmUuid, byte[] uhsmKey, string mhsmUuid, IEnumerable<TicketSpec> tickets, Func<byte[], (string, byte[])> sign)
    {
        var header = new JObject
        {
            ["version"] = Version,
            ["job"] = job,
            ["hsm_task"] = task,
            ["u_hsm"] = new JObject { ["uuid"] = uhsmUuid, ["identity_key"] = Convert.ToBase64String(uhsmKey) },
            ["m_hsm_uuid"] = mhsmUuid,
            ["nonce"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            ["tickets"] = new JArray(tickets.Select(t => new JObject { ["name"] = t.Name, ["device"] = t.Device, ["action"] = t.Action.Name, ["max_device"] = t.MaxDevice })),
            ["created"] = DateTimeOffset.UtcNow.ToString("O"),
        };
        SppsFile.Write(path, Kind, header, sign);
    }

    /// <summary>Reads a request and checks it is signed by the U-HSM key it names.</summary>
    public static JobRequest Read(string path)
    {
        var file = SppsFile.Read(path, Kind, signed: true);
        HeaderFields.ExpectVersion(file, Version);
        var h = file.Header;
        var uhsm = HeaderFields.Object(file, h, "u_hsm");
        var key = HeaderFields.Base64(file, uhsm, "identity_key");
        PublicKeys.VerifyFile(file, key, "U-HSM named in the request");
        var tickets = HeaderFields.Objects(file, h, "tickets").Select(t => ReadTicket(file, t)).ToList();
        if (tickets.Count == 0) throw new SppsException(ErrorCodes.MissingField, "The request has no tickets.", file.Where(h["tickets"]));
        return new JobRequest(file, HeaderFields.String(file, h, "job"), HeaderFields.String(file, h, "hsm_task"),
            HeaderFields.String(file, uhsm, "uuid"), key, HeaderFields.String(file, h, "m_hsm_uuid"), HeaderFields.Hex(file, h, "nonce", 16), tickets);
    }

    public static TicketSpec ReadTicket(SppsFile file, JObject t)
    {
        var action = HeaderFields.String(file, t, "action");
        if (!ProgrammingAction.TryParse(action, out var parsed) || parsed.Name != action) throw HeaderFields.Invalid(file, t["action"], "action", "PROGRAM, VERIFY or ERASE");
        var max = HeaderFields.Long(file, t, "max_device", -1);
        if (max == 0) throw HeaderFields.Invalid(file, t["max_device"], "max_device", "a positive count or -1 (unlimited)");
        return new TicketSpec(HeaderFields.String(file, t, "name"), HeaderFields.String(file, t, "device"), parsed, max);
    }
}
