using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Core.Domain;
using Spps.Core.Manufacturer.Policy;

namespace Spps.Core.Manufacturer;

/// <summary>
/// One ledger entry: a typed <see cref="LedgerEvent"/> in its place in two hash chains. <see cref="Prev"/>
/// chains every record of the M-HSM; <see cref="TicketPrev"/> chains the records of one ticket (reserve →
/// load → issue… → end), which is what a status file carries and the OE checks. <see cref="Hash"/> =
/// SHA-256 of the canonical JSON of all other fields. <see cref="DataJson"/> is the event's canonical JSON
/// as it was hashed, kept so that records written by any version re-serialize to the same bytes.
/// </summary>
public sealed record LedgerRecord(long Seq, LedgerEvent Event, string Prev, string TicketPrev, string Time, string DataJson, string Hash)
{
    public static readonly string Genesis = new('0', 64);

    public string Type => Event.Type;

    /// <summary>Whether <see cref="Hash"/> is the hash of the other fields (false: the record was altered).</summary>
    public bool HashIsValid => ComputeHash(Seq, Type, Ticket.Value, Prev, TicketPrev, Time, DataJson) == Hash;
    public TicketId Ticket => Event.Ticket;

    public static LedgerRecord Create(long seq, LedgerEvent e, string prev, string ticketPrev)
    {
        var time = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        var data = LedgerEventCodec.Encode(e).ToString(Formatting.None);
        return new LedgerRecord(seq, e, prev, ticketPrev, time, data, ComputeHash(seq, e.Type, e.Ticket.Value, prev, ticketPrev, time, data));
    }

    private static string ComputeHash(long seq, string type, string ticket, string prev, string ticketPrev, string time, string data)
    {
        var canonical = new JObject
        {
            ["seq"] = seq, ["type"] = type, ["ticket"] = ticket, ["prev"] = prev, ["tprev"] = ticketPrev, ["time"] = time, ["data"] = new JRaw(data),
        }.ToString(Formatting.None);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    public JObject ToJson() => new()
    {
        ["seq"] = Seq, ["type"] = Type, ["ticket"] = Ticket.Value, ["prev"] = Prev, ["tprev"] = TicketPrev, ["time"] = Time,
        ["data"] = new JRaw(DataJson), ["hash"] = Hash,
    };

    /// <summary>Reads a record; null when it is not well-formed. Its hash is checked by <see cref="HashIsValid"/>.</summary>
    public static LedgerRecord? FromJson(JToken token)
    {
        if (token is not JObject o || o.Count != 8) return null;
        if (o["seq"] is not JValue { Type: JTokenType.Integer, Value: long seq } || o["data"] is not JObject data) return null;
        var type = Text(o, "type");
        var ticket = Text(o, "ticket");
        var prev = Text(o, "prev");
        var tprev = Text(o, "tprev");
        var time = Text(o, "time");
        var hash = Text(o, "hash");
        if (type is null || ticket is null || prev is null || tprev is null || time is null || hash is null) return null;
        if (!TicketId.TryParse(ticket, out var id) || id.Value != ticket) return null;
        var dataJson = data.ToString(Formatting.None);
        var e = LedgerEventCodec.Decode(type, id, data);
        return e is null ? null : new LedgerRecord(seq, e, prev, tprev, time, dataJson, hash);
    }

    private static string? Text(JObject o, string name) => o[name] is JValue { Type: JTokenType.String } v ? (string?)v : null;
}

/// <summary>
/// The ledger's JSON for each event type, at the file edge only. Field names and order are those every
/// ledger since v1 holds; decoding is strict (a missing, extra or mistyped field makes the record invalid).
/// </summary>
internal static class LedgerEventCodec
{
    public static JObject Encode(LedgerEvent e) => WithStation(e switch
    {
        TicketReserved r => new JObject
        {
            ["name"] = r.Name, ["device"] = r.Device, ["action"] = r.Action.Name, ["max_device"] = r.MaxDevice,
            ["job"] = r.Job, ["hsm_task"] = r.HsmTask, ["request_digest"] = r.RequestDigest, ["u_hsm_key"] = r.UHsmKey,
        },
        TicketLoaded l => Loaded(l),
        CodeIssued i => new JObject { ["dsn"] = i.Dsn.Value, ["n"] = i.N },
        TicketEnded end => new JObject { ["count"] = end.Count, ["chain_head"] = end.ChainHead, ["mode"] = end.ModeName },
        TicketRemoved removed => new JObject { ["forced"] = removed.Forced, ["codes_lost"] = removed.CodesLost },
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "unknown ledger event"),
    }, StationOf(e));

    // "station" last and only when set, so records written without a service keep their bytes and hashes.
    private static JObject WithStation(JObject data, string? station)
    {
        if (station is not null) data["station"] = station;
        return data;
    }

    private static string? StationOf(LedgerEvent e) => e switch
    {
        TicketReserved r => r.Station,
        TicketLoaded l => l.Station,
        CodeIssued i => i.Station,
        TicketEnded end => end.Station,
        _ => null,
    };

    public static LedgerEvent? Decode(string type, TicketId ticket, JObject d)
    {
        try
        {
            // An optional "station" (a string) after each type's own fields; any other extra field makes the record invalid.
            string? station = null;
            if (d.ContainsKey("station"))
            {
                station = S(d, "station");
                d = (JObject)d.DeepClone();
                d.Remove("station");
            }
            return type switch
            {
                TicketReserved.TypeName when Fields(d, "name", "device", "action", "max_device", "job", "hsm_task", "request_digest", "u_hsm_key") =>
                    new TicketReserved(ticket, S(d, "name"), S(d, "device"), Action(d), L(d, "max_device"), S(d, "job"), S(d, "hsm_task"), S(d, "request_digest"), S(d, "u_hsm_key"), station),
                TicketLoaded.TypeName when Fields(d, "job", "job_digest", "name", "device", "action", "max_device", "key_mode", "bitstream", "project") =>
                    new TicketLoaded(ticket, S(d, "job"), S(d, "job_digest"), S(d, "name"), S(d, "device"), Action(d), L(d, "max_device"),
                        KeyMode.TryParse(S(d, "key_mode"), out var mode) ? mode : throw new FormatException(), S(d, "bitstream"), S(d, "project"), null, station),
                TicketLoaded.TypeName when Fields(d, "job", "job_digest", "name", "device", "action", "max_device", "key_mode", "bitstream", "project", "vendor_roots", "dfk_signers") =>
                    new TicketLoaded(ticket, S(d, "job"), S(d, "job_digest"), S(d, "name"), S(d, "device"), Action(d), L(d, "max_device"),
                        KeyMode.TryParse(S(d, "key_mode"), out var trustedMode) ? trustedMode : throw new FormatException(), S(d, "bitstream"), S(d, "project"),
                        new SiliconTrust(Certificates(d, "vendor_roots"), Certificates(d, "dfk_signers")), station),
                CodeIssued.TypeName when Fields(d, "dsn", "n") =>
                    new CodeIssued(ticket, Dsn.TryParse(S(d, "dsn"), out var dsn) ? dsn : throw new FormatException(), L(d, "n"), station),
                TicketEnded.TypeName when Fields(d, "count", "chain_head", "mode") =>
                    new TicketEnded(ticket, L(d, "count"), S(d, "chain_head"), S(d, "mode") switch
                    {
                        "ended" => TicketEndMode.Ended,
                        "terminated" => TicketEndMode.Terminated,
                        _ => throw new FormatException(),
                    }, station),
                TicketRemoved.TypeName when Fields(d, "forced", "codes_lost") =>
                    new TicketRemoved(ticket, d["forced"] is JValue { Type: JTokenType.Boolean, Value: bool forced } ? forced : throw new FormatException(), L(d, "codes_lost")),
                _ => null,
            };
        }
        catch (FormatException)
        {
            return null;
        }
    }

    // The trust fields only when set, so load records written before jobs named their trust keep their bytes and hashes.
    private static JObject Loaded(TicketLoaded l)
    {
        var o = new JObject
        {
            ["job"] = l.Job, ["job_digest"] = l.JobDigest, ["name"] = l.Name, ["device"] = l.Device, ["action"] = l.Action.Name,
            ["max_device"] = l.MaxDevice, ["key_mode"] = l.KeyMode.Name, ["bitstream"] = l.Bitstream, ["project"] = l.Project,
        };
        if (l.Trust is { } trust)
        {
            o["vendor_roots"] = new JArray(trust.VendorRoots.Select(Convert.ToBase64String));
            o["dfk_signers"] = new JArray(trust.DfkSigners.Select(Convert.ToBase64String));
        }
        return o;
    }

    private static List<byte[]> Certificates(JObject d, string name) =>
        d[name] is JArray array ? array.Select(item => item is JValue { Type: JTokenType.String, Value: string s } ? Convert.FromBase64String(s) : throw new FormatException()).ToList() : throw new FormatException();

    private static bool Fields(JObject d, params string[] names) => d.Count == names.Length && names.All(d.ContainsKey);

    private static string S(JObject d, string name) => d[name] is JValue { Type: JTokenType.String, Value: string s } ? s : throw new FormatException();

    private static long L(JObject d, string name) => d[name] is JValue { Type: JTokenType.Integer, Value: long v } ? v : throw new FormatException();

    private static ProgrammingAction Action(JObject d) => ProgrammingAction.TryParse(S(d, "action"), out var a) ? a : throw new FormatException();
}
