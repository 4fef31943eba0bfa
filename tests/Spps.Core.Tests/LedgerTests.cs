using System.Text;
using Newtonsoft.Json.Linq;
using Spps.Core.Domain;
using Spps.Core.Manufacturer;
using Spps.Core.Manufacturer.Policy;

namespace Spps.Core.Tests;

public sealed class LedgerTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Reads a ledger line as the M-HSM does (times stay strings: they are hashed as written).</summary>
    private static JObject Parse(string line)
    {
        using var reader = new Newtonsoft.Json.JsonTextReader(new StringReader(line)) { DateParseHandling = Newtonsoft.Json.DateParseHandling.None };
        return JObject.Load(reader);
    }

    private string LedgerDir => Path.Combine(_dir.Path, "mhsm", "10");

    internal static TicketId Id(string hex) => TicketId.Parse(hex, what => new SppsException(ErrorCodes.InvalidField, what));

    internal static Dsn D(string dsn) => Dsn.Parse(dsn, what => new SppsException(ErrorCodes.InvalidField, what));

    private static void Reserve(Ledger ledger, string ticket, long max) =>
        ledger.Locked(() => ledger.Append(new TicketReserved(Id(ticket), "t" + ticket, "dev", ProgrammingAction.Program, max, "job", "task", "req", "uhsm")));

    private static void LoadTicket(Ledger ledger, string ticket, long max) =>
        ledger.Locked(() => ledger.Append(new TicketLoaded(Id(ticket), "job", "jobdigest", "t" + ticket, "dev", ProgrammingAction.Program, max, KeyMode.Dfk, "bs", "p.pro")));

    /// <summary>What the M-HSM does per device: the ticket policy decides, and a counted device is appended under the lock.</summary>
    private static bool Issue(Ledger ledger, string ticket, string dsn) => ledger.Locked(() =>
    {
        switch (TicketPolicy.Decide(ledger.Ticket(Id(ticket)), new IssueRequest(Id(ticket), ProgrammingAction.Program, D(dsn), false, false)))
        {
            case IssueDecision.Count count: ledger.Append(count.Event); return true;
            case IssueDecision.Retry: return true;
            default: return false;
        }
    });

    private static List<string> IssuedDevices(Ledger ledger, string ticket) =>
        ledger.Chain(Id(ticket)).Records.Select(r => r.Event).OfType<CodeIssued>().Select(i => i.Dsn.Value).ToList();

    private void Populate()
    {
        using var ledger = new Ledger(LedgerDir);
        Reserve(ledger, "a1", 3);
        Reserve(ledger, "b2", -1);
        LoadTicket(ledger, "a1", 3);
        LoadTicket(ledger, "b2", -1);
        Assert.True(Issue(ledger, "a1", "DSN-1"));
        Assert.True(Issue(ledger, "b2", "DSN-1"));
        Assert.True(Issue(ledger, "a1", "DSN-2"));
        Assert.True(Issue(ledger, "a1", "DSN-2")); // a retry on the same device
        Assert.True(Issue(ledger, "a1", "DSN-3"));
        Assert.False(Issue(ledger, "a1", "DSN-4")); // overbuild refused
        ledger.Locked(() => ledger.Append(new TicketEnded(Id("b2"), 1, ledger.Chain(Id("b2")).Head, TicketEndMode.Terminated)));
    }

    private static string Summary(Ledger ledger, string ticket)
    {
        var t = ledger.Ticket(Id(ticket))!;
        return $"issued={t.Issued} left={(t.Unlimited ? "unlimited" : t.Left.ToString())} loaded={t.Loaded} ended={t.Ended} " +
               $"dsn1={t.HasDevice(D("DSN-1"))} dsn3={t.HasDevice(D("DSN-3"))} dsn4={t.HasDevice(D("DSN-4"))}";
    }

    [Fact]
    public void A_removal_record_is_read_back_after_a_restart_with_what_it_gave_up()
    {
        Populate();
        using (var ledger = new Ledger(LedgerDir))
            ledger.Locked(() => ledger.Append(new TicketRemoved(Id("b2"), Forced: true, CodesLost: -1)));
        using var reopened = new Ledger(LedgerDir);
        reopened.Refresh();
        var removed = reopened.Ticket(Id("b2"))!;
        Assert.True(removed.Removed);
        Assert.Equal(new TicketRemoved(Id("b2"), true, -1), removed.Removal);
        Assert.False(reopened.Ticket(Id("a1"))!.Removed);
        Assert.IsType<TicketRemoved>(reopened.Chain(Id("b2")).Records[^1].Event);
    }

    [Fact]
    public void Counts_survive_a_restart()
    {
        Populate();

        using var reopened = new Ledger(LedgerDir);
        reopened.Refresh();

        Assert.Equal(9, reopened.Count);
        Assert.Equal("issued=3 left=0 loaded=True ended=False dsn1=True dsn3=True dsn4=False", Summary(reopened, "a1"));
        Assert.Equal("issued=1 left=unlimited loaded=True ended=True dsn1=True dsn3=False dsn4=False", Summary(reopened, "b2"));
        Assert.Null(reopened.Ticket(Id("c3")));
        Assert.Equal(9, File.ReadAllLines(reopened.FilePath).Length);
    }

    [Fact]
    public void A_reopened_ledger_has_the_same_head_and_continues_the_chain()
    {
        string head;
        using (var first = new Ledger(LedgerDir))
        {
            Reserve(first, "a1", 2);
            LoadTicket(first, "a1", 2);
            head = first.Head;
        }

        using (var second = new Ledger(LedgerDir))
        {
            second.Refresh();
            Assert.Equal(head, second.Head);
            Assert.True(Issue(second, "a1", "D1"));
            Assert.NotEqual(head, second.Head);
            head = second.Head;
        }

        using var third = new Ledger(LedgerDir);
        third.Refresh();
        Assert.Equal(3, third.Count);
        Assert.Equal(head, third.Head);
        Assert.Equal(1, third.Ticket(Id("a1"))!.Issued);
        Assert.Equal([TicketReserved.TypeName, TicketLoaded.TypeName, CodeIssued.TypeName], third.Chain(Id("a1")).Records.Select(r => r.Type));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(40)]
    [InlineData(-1)] // everything but the newline: written, but the fsync never returned
    public void A_torn_last_line_is_dropped_on_the_next_locked_call(int tornBytes)
    {
        using (var ledger = new Ledger(LedgerDir))
        {
            Reserve(ledger, "a1", 5);
            LoadTicket(ledger, "a1", 5);
            Issue(ledger, "a1", "D1");
        }
        var path = Path.Combine(LedgerDir, "ledger.jsonl");
        var good = File.ReadAllBytes(path);
        // The record the killed process was writing: the same shape as a real next record.
        var next = Encoding.UTF8.GetBytes(LedgerRecord.Create(4, new CodeIssued(Id("a1"), D("D2"), 2), "x", "y").ToJson().ToString(Newtonsoft.Json.Formatting.None));
        var torn = tornBytes < 0 ? next : next[..tornBytes];
        File.WriteAllBytes(path, [.. good, .. torn]);

        using var reopened = new Ledger(LedgerDir);
        reopened.Refresh();

        Assert.Equal(3, reopened.Count);
        Assert.Equal(1, reopened.Ticket(Id("a1"))!.Issued);
        Assert.False(reopened.Ticket(Id("a1"))!.HasDevice(D("D2")));
        Assert.Equal(good, File.ReadAllBytes(path));

        // Production continues, and the next process reads a clean chain.
        Assert.True(Issue(reopened, "a1", "D2"));
        using var later = new Ledger(LedgerDir);
        later.Refresh();
        Assert.Equal(4, later.Count);
        Assert.Equal(2, later.Ticket(Id("a1"))!.Issued);
    }

    public static TheoryData<string, int> Edits() => new()
    {
        { "change a device in record 7", 7 },
        { "change a device in record 7 and fix its hash", 8 },
        { "delete record 4", 4 },
        { "swap records 5 and 6", 5 },
        { "duplicate record 5", 6 },
        { "garbage line 3", 3 },
        { "empty line 2", 2 },
    };

    [Theory]
    [MemberData(nameof(Edits))]
    public void An_edited_record_is_refused_as_ledger_corrupt(string edit, int line)
    {
        Populate();
        var path = Path.Combine(LedgerDir, "ledger.jsonl");
        var lines = File.ReadAllLines(path).ToList();
        var original = lines.ToList();
        switch (edit)
        {
            case "change a device in record 7":
                lines[6] = lines[6].Replace("DSN-2", "DSN-9");
                break;
            case "change a device in record 7 and fix its hash":
                var o = Parse(lines[6]);
                o["data"]!["dsn"] = "DSN-9";
                o["hash"] = RecomputedHash(o);
                lines[6] = o.ToString(Newtonsoft.Json.Formatting.None);
                break;
            case "delete record 4": lines.RemoveAt(3); break;
            case "swap records 5 and 6": (lines[4], lines[5]) = (lines[5], lines[4]); break;
            case "duplicate record 5": lines.Insert(5, lines[4]); break;
            case "garbage line 3": lines[2] = "{\"seq\": 3"; break;
            case "empty line 2": lines.Insert(1, ""); break;
        }
        Assert.NotEqual(original, lines);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");

        using var reopened = new Ledger(LedgerDir);
        var e = Assert.Throws<SppsException>(() => reopened.Refresh());

        Assert.Equal(ErrorCodes.LedgerCorrupt, e.Code);
        Assert.Equal("SPPS4011", e.Code);
        Assert.Equal(new SourceLocation(path, line), e.Location);
        // Refusing again: a corrupt ledger does not become usable by retrying.
        Assert.Equal(ErrorCodes.LedgerCorrupt, Assert.Throws<SppsException>(() => reopened.Locked(() => 0)).Code);
    }

    [Fact]
    public void Two_instances_on_two_threads_share_the_count_and_never_overbuild()
    {
        const int max = 40;
        using (var setup = new Ledger(LedgerDir))
        {
            Reserve(setup, "7", max);
            LoadTicket(setup, "7", max);
        }
        using var a = new Ledger(LedgerDir);
        using var b = new Ledger(LedgerDir);
        // Both stations see the same devices (retries, a board moved between stations) and some of their own.
        var shared = Enumerable.Range(0, 30).Select(i => $"S{i}").ToList();
        var listA = shared.Concat(Enumerable.Range(0, 20).Select(i => $"A{i}")).ToList();
        var listB = Enumerable.Range(0, 20).Select(i => $"B{i}").Concat(Enumerable.Reverse(shared)).ToList();
        var grantedA = new List<string>();
        var grantedB = new List<string>();
        var start = new Barrier(2);

        void Station(Ledger ledger, List<string> devices, List<string> granted)
        {
            start.SignalAndWait();
            foreach (var dsn in devices)
                if (Issue(ledger, "7", dsn)) granted.Add(dsn);
        }

        var ta = new Thread(() => Station(a, listA, grantedA));
        var tb = new Thread(() => Station(b, listB, grantedB));
        ta.Start();
        tb.Start();
        Assert.True(ta.Join(TimeSpan.FromSeconds(30)), "station A hung");
        Assert.True(tb.Join(TimeSpan.FromSeconds(30)), "station B hung");

        a.Refresh();
        b.Refresh();
        using var auditor = new Ledger(LedgerDir);
        auditor.Refresh();
        var issued = IssuedDevices(auditor, "7");

        Assert.Equal(max, issued.Count);
        Assert.Equal(max, issued.Distinct().Count());
        Assert.Equal(max, auditor.Ticket(Id("7"))!.Issued);
        Assert.Equal(0, auditor.Ticket(Id("7"))!.Left);
        Assert.Equal(auditor.Head, a.Head);
        Assert.Equal(auditor.Head, b.Head);
        Assert.Equal(max, a.Ticket(Id("7"))!.Issued);
        Assert.Equal(max, b.Ticket(Id("7"))!.Issued);
        // Every device a station was granted is in the ledger.
        Assert.All(grantedA.Concat(grantedB).Distinct(), dsn => Assert.Contains(dsn, issued));
    }

    [Fact]
    public void A_second_instance_waits_for_the_lock_and_then_sees_the_first_s_record()
    {
        using (var setup = new Ledger(LedgerDir))
        {
            Reserve(setup, "7", 1);
            LoadTicket(setup, "7", 1);
        }
        using var a = new Ledger(LedgerDir);
        using var b = new Ledger(LedgerDir);
        using var holding = new ManualResetEventSlim();
        var released = DateTime.MinValue;
        var entered = DateTime.MinValue;
        bool? bGranted = null;

        var ta = new Thread(() => a.Locked(() =>
        {
            a.Append(new CodeIssued(Id("7"), D("FIRST"), 1));
            holding.Set();
            Thread.Sleep(300);
            released = DateTime.UtcNow;
            return 0;
        }));
        var tb = new Thread(() =>
        {
            holding.Wait();
            bGranted = b.Locked(() =>
            {
                entered = DateTime.UtcNow;
                if (TicketPolicy.Decide(b.Ticket(Id("7")), new IssueRequest(Id("7"), ProgrammingAction.Program, D("SECOND"), false, false)) is not IssueDecision.Count count) return false;
                b.Append(count.Event);
                return true;
            });
        });
        ta.Start();
        tb.Start();
        Assert.True(ta.Join(TimeSpan.FromSeconds(30)) && tb.Join(TimeSpan.FromSeconds(30)), "a station hung");

        Assert.False(bGranted); // the one device the ticket allowed went to station A
        Assert.True(entered >= released, "station B ran while station A held the lock");
        Assert.True(b.Ticket(Id("7"))!.HasDevice(D("FIRST")));
        Assert.Equal(3, b.Count);
    }

    [Fact]
    public void Records_are_hash_chained()
    {
        Populate();
        using var ledger = new Ledger(LedgerDir);
        ledger.Refresh();
        var records = File.ReadAllLines(ledger.FilePath).Select(l => LedgerRecord.FromJson(Parse(l))!).ToList();

        Assert.Equal(LedgerRecord.Genesis, records[0].Prev);
        for (var i = 1; i < records.Count; i++)
        {
            Assert.Equal(i + 1, records[i].Seq);
            Assert.Equal(records[i - 1].Hash, records[i].Prev);
            Assert.True(records[i].HashIsValid);
        }
        Assert.Equal(records[^1].Hash, ledger.Head);
        var a1 = records.Where(r => r.Ticket == Id("a1")).ToList();
        Assert.Equal(LedgerRecord.Genesis, a1[0].TicketPrev);
        for (var i = 1; i < a1.Count; i++) Assert.Equal(a1[i - 1].Hash, a1[i].TicketPrev);
    }

    /// <summary>What an attacker who edits a record does next: recompute its hash as docs/formats.md describes it.</summary>
    private static string RecomputedHash(JObject record)
    {
        var canonical = new JObject
        {
            ["seq"] = record["seq"], ["type"] = record["type"], ["ticket"] = record["ticket"], ["prev"] = record["prev"],
            ["tprev"] = record["tprev"], ["time"] = record["time"], ["data"] = record["data"],
        }.ToString(Newtonsoft.Json.Formatting.None);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
