using Spps.Core.Domain;
using Spps.Core.Manufacturer;
using Spps.Core.Manufacturer.Policy;
using static Spps.Core.Tests.LedgerTests;

namespace Spps.Core.Tests;

/// <summary>
/// The station the M-HSM service authenticated is recorded in the issue record, and only then: records issued
/// in process keep the bytes (and so the hashes) every ledger before the service had.
/// </summary>
public sealed class LedgerStationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string LedgerDir => Path.Combine(_dir.Path, "mhsm", "10");

    private static void Setup(Ledger ledger) => ledger.Locked(() =>
    {
        ledger.Append(new TicketReserved(Id("a1"), "ta1", "dev", ProgrammingAction.Program, 5, "job", "task", "req", "uhsm"));
        return ledger.Append(new TicketLoaded(Id("a1"), "job", "jobdigest", "ta1", "dev", ProgrammingAction.Program, 5, KeyMode.Dfk, "bs", "p.pro"));
    });

    private static CodeIssued Decide(Ledger ledger, string dsn, string? station) =>
        Assert.IsType<IssueDecision.Count>(TicketPolicy.Decide(ledger.Ticket(Id("a1")), new IssueRequest(Id("a1"), ProgrammingAction.Program, D(dsn), false, false, station))).Event;

    [Fact]
    public void A_station_is_written_only_when_the_service_named_one_and_both_forms_read_back()
    {
        using (var ledger = new Ledger(LedgerDir))
        {
            Setup(ledger);
            ledger.Locked(() => ledger.Append(Decide(ledger, "D1", null)));
            ledger.Locked(() => ledger.Append(Decide(ledger, "D2", "line-1")));
        }
        var lines = File.ReadAllLines(Path.Combine(LedgerDir, "ledger.jsonl"));
        Assert.Equal("{\"dsn\":\"D1\",\"n\":1}", Data(lines[2]));
        Assert.Equal("{\"dsn\":\"D2\",\"n\":2,\"station\":\"line-1\"}", Data(lines[3]));

        using var reopened = new Ledger(LedgerDir);
        reopened.Refresh();
        var issued = reopened.Chain(Id("a1")).Records.Select(r => r.Event).OfType<CodeIssued>().ToList();
        Assert.Equal([null, "line-1"], issued.Select(i => i.Station));
        Assert.Equal(2, reopened.Ticket(Id("a1"))!.Issued);
    }

    [Fact]
    public void An_issue_record_with_any_other_extra_field_is_still_refused()
    {
        var data = Newtonsoft.Json.Linq.JObject.Parse("{\"dsn\":\"D1\",\"n\":1,\"operator\":\"x\"}");
        Assert.Null(LedgerEventCodec.Decode(CodeIssued.TypeName, Id("a1"), data));
        Assert.Null(LedgerEventCodec.Decode(CodeIssued.TypeName, Id("a1"), Newtonsoft.Json.Linq.JObject.Parse("{\"dsn\":\"D1\",\"n\":1,\"station\":7}")));
    }

    [Fact]
    public void Reserve_load_and_end_records_name_the_station_only_when_the_service_named_one()
    {
        var reserve = new TicketReserved(Id("a1"), "ta1", "dev", ProgrammingAction.Program, 5, "job", "task", "req", "uhsm");
        var load = new TicketLoaded(Id("a1"), "job", "jobdigest", "ta1", "dev", ProgrammingAction.Program, 5, KeyMode.Dfk, "bs", "p.pro");
        var end = new TicketEnded(Id("a1"), 2, new string('0', 64), TicketEndMode.Terminated);
        foreach (var e in new LedgerEvent[] { reserve, load, end })
        {
            var plain = LedgerEventCodec.Encode(e);
            Assert.False(plain.ContainsKey("station"));
            Assert.Equal(e, LedgerEventCodec.Decode(e.Type, e.Ticket, plain));
            LedgerEvent named = e switch
            {
                TicketReserved r => r with { Station = "line-1" },
                TicketLoaded l => l with { Station = "line-1" },
                TicketEnded x => x with { Station = "line-1" },
                _ => throw new InvalidOperationException(),
            };
            var data = LedgerEventCodec.Encode(named);
            Assert.Equal("line-1", (string?)((Newtonsoft.Json.Linq.JProperty)data.Last!).Value); // last, after the fields every ledger has
            Assert.Equal(named, LedgerEventCodec.Decode(e.Type, e.Ticket, data));
            data["operator"] = "x";
            Assert.Null(LedgerEventCodec.Decode(e.Type, e.Ticket, data));
        }
    }

    private static string Data(string line)
    {
        using var reader = new Newtonsoft.Json.JsonTextReader(new StringReader(line)) { DateParseHandling = Newtonsoft.Json.DateParseHandling.None };
        return Newtonsoft.Json.Linq.JObject.Load(reader)["data"]!.ToString(Newtonsoft.Json.Formatting.None);
    }
}
