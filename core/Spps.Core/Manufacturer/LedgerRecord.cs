using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Spps.Core.Manufacturer;

/// <summary>
/// One ledger entry. <see cref="Prev"/> chains every record of the M-HSM; <see cref="TicketPrev"/> chains
/// the records of one ticket (reserve → load → issue… → end), which is what a status file carries and
/// the OE checks. <see cref="Hash"/> = SHA-256 of the canonical JSON of all other fields.
/// </summary>
public sealed record LedgerRecord(
    long Seq,
    string Type,
    string Ticket,
    string Prev,
    string TicketPrev,
    string Time,
    JObject Data,
    string Hash)
{
    public const string Reserve = "reserve";
    public const string Load = "load";
    public const string Issue = "issue";
    public const string End = "end";
    public static readonly string Genesis = new('0', 64);

    public static LedgerRecord Create(long seq, string type, string ticket, string prev, string ticketPrev, JObject data)
    {
        var time = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        return new LedgerRecord(seq, type, ticket, prev, ticketPrev, time, data, ComputeHash(seq, type, ticket, prev, ticketPrev, time, data));
    }

    public static string ComputeHash(long seq, string type, string ticket, string prev, string ticketPrev, string time, JObject data)
    {
        var canonical = new JObject
        {
            ["seq"] = seq, ["type"] = type, ["ticket"] = ticket, ["prev"] = prev, ["tprev"] = ticketPrev, ["time"] = time, ["data"] = data,
        }.ToString(Formatting.None);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    public bool HashIsValid => ComputeHash(Seq, Type, Ticket, Prev, TicketPrev, Time, Data) == Hash;

    public JObject ToJson() => new()
    {
        ["seq"] = Seq, ["type"] = Type, ["ticket"] = Ticket, ["prev"] = Prev, ["tprev"] = TicketPrev, ["time"] = Time, ["data"] = Data, ["hash"] = Hash,
    };

    /// <summary>Reads a record; null when the JSON does not have the record's shape.</summary>
    public static LedgerRecord? FromJson(JToken token)
    {
        if (token is not JObject o) return null;
        try
        {
            return new LedgerRecord((long)o["seq"]!, (string)o["type"]!, (string)o["ticket"]!, (string)o["prev"]!, (string)o["tprev"]!,
                (string)o["time"]!, (JObject)o["data"]!, (string)o["hash"]!);
        }
        catch (Exception e) when (e is InvalidCastException or ArgumentException or NullReferenceException or FormatException)
        {
            return null;
        }
    }
}
