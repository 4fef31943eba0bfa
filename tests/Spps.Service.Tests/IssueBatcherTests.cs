using Spps.Contracts.Hsm;
using Spps.Core;
using Spps.Core.Domain;
using Spps.Core.Manufacturer;
using Spps.Core.Manufacturer.Policy;
using Spps.Core.Plugins;
using Spps.Core.Site;
using Spps.Core.Storage;
using Spps.Flow.Tests;

namespace Spps.Service.Tests;

/// <summary>
/// Group commit (<see cref="IssueBatcher"/>), one class on a real ledger file and a real software HSM: the store is
/// wrapped only to hold the first commit while more requests arrive, and to count commits and fsyncs.
/// </summary>
public sealed class IssueBatcherTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Requests_that_arrive_during_a_commit_share_the_next_one_and_each_device_counts_once()
    {
        var store = new HeldStore(new FileLedgerStore(Path.Combine(_temp.Path, "ledger")));
        using var ledger = new Ledger(store);
        using var hsm = PluginCatalog.ForHost(null).HsmProviderFor("batch").Open(new HsmOpenOptions("batch", "10", _temp.Path, true, _ => null, _ => { }));
        var ticketKeys = new TicketKeys(RoleKeys.ForManufacturer(hsm), "10");
        var ticket = TicketId.Parse("a1", w => new SppsException(ErrorCodes.InvalidField, w));
        ledger.Locked(() =>
        {
            ledger.Append(new TicketReserved(ticket, "t", "dev", ProgrammingAction.Program, 5, "job", "task", "req", "uhsm"));
            return ledger.Append(new TicketLoaded(ticket, "job", "digest", "t", "dev", ProgrammingAction.Program, 5, KeyMode.Dfk, "bs", "p.pro"));
        });
        ticketKeys.StartCount(ticket);
        var batcher = new IssueBatcher(ledger, ticketKeys);
        IssueRequest Ask(string dsn) => new(ticket, ProgrammingAction.Program, Dsn.Parse(dsn, w => new SppsException(ErrorCodes.InvalidField, w)), false, false, "line-1");

        store.HoldNextScope();
        var first = Task.Run(() => batcher.Decide(Ask("D0"))); // leads; its scope is held open
        store.Held.Wait();
        // Eight more while the first commit is held: D1 to D7, then D1 again. Each is queued when the call returns.
        var rest = new[] { "D1", "D2", "D3", "D4", "D5", "D6", "D7", "D1" }.Select(d => batcher.DecideAsync(Ask(d))).ToList();
        Assert.All(rest, t => Assert.False(t.IsCompleted));
        store.Release();

        var decisions = new List<object> { await first };
        foreach (var t in rest)
        {
            try { decisions.Add(await t); }
            catch (SppsException e) { decisions.Add(e.Code); }
        }
        // D0-D4 counted 1 to 5, D5-D7 refused (max_device 5), D1 asked twice: the second is a retry, never a count.
        Assert.Equal([1L, 2, 3, 4, 5], decisions.OfType<IssueDecision.Count>().Select(c => c.Event.N));
        Assert.Equal(["D0", "D1", "D2", "D3", "D4"], decisions.OfType<IssueDecision.Count>().Select(c => c.Event.Dsn.Value));
        Assert.Equal(3, decisions.OfType<IssueDecision.Refuse>().Count(r => r.Error.Code == ErrorCodes.Overbuild));
        Assert.IsType<IssueDecision.Retry>(decisions[^1]);

        // Two commits for five records: D0 alone, then the eight that waited, in one scope and one fsync.
        Assert.Equal([1, 4], store.AppendsPerScope.Where(n => n > 0));
        Assert.Equal(2, store.Fsyncs);
        Assert.Equal((2L, 5L), batcher.Committed); // what the service's metrics report
        // The HSM-held count followed the commits: at 5, the earlier markers gone.
        Assert.NotNull(hsm.FindKey(TicketKeys.CountLabel(ticket, 5)));
        Assert.Null(hsm.FindKey(TicketKeys.CountLabel(ticket, 4)));
        Assert.Null(hsm.FindKey(TicketKeys.CountLabel(ticket, 1)));
        ledger.Refresh();
        Assert.Equal(5, ledger.Ticket(ticket)!.Issued);
    }

    [Fact]
    public void The_marker_moves_from_where_the_batch_checked_it_follows_another_replica_and_never_goes_back()
    {
        HsmOpenOptions Options() => new("batch", "10", _temp.Path, true, _ => null, _ => { });
        using var hsm = PluginCatalog.ForHost(null).HsmProviderFor("batch").Open(Options());
        using var otherReplicasHsm = PluginCatalog.ForHost(null).HsmProviderFor("batch").Open(Options()); // the same HSM, another handle
        var keys = new TicketKeys(RoleKeys.ForManufacturer(hsm), "10");
        var otherReplica = new TicketKeys(RoleKeys.ForManufacturer(otherReplicasHsm), "10");
        var ticket = TicketId.Parse("a2", w => new SppsException(ErrorCodes.InvalidField, w));
        bool MarkerAt(long count) => hsm.FindKeyNow(TicketKeys.CountLabel(ticket, count)) is not null;

        keys.StartCount(ticket);
        keys.MoveCount(ticket, "t", from: 0, ledgerCount: 3); // a batch of three
        Assert.True(MarkerAt(3));
        Assert.False(MarkerAt(0));

        otherReplica.MoveCount(ticket, "t", from: 3, ledgerCount: 5); // another replica's batch, in between
        keys.MoveCount(ticket, "t", from: 3, ledgerCount: 6); // not where this batch left it: the full check finds 5
        Assert.True(MarkerAt(6));
        Assert.False(MarkerAt(5));

        // A move that crashed between creating its marker and destroying the old one left both: the next move
        // makes no second marker, and leaves one.
        hsm.Generate(new KeySpec(TicketKeys.CountLabel(ticket, 8), KeyKind.Aes256, KeyUsage.Mac, Persistent: true));
        keys.MoveCount(ticket, "t", from: 6, ledgerCount: 8);
        Assert.True(MarkerAt(8));
        Assert.False(MarkerAt(6));
        keys.MoveCount(ticket, "t", from: 8, ledgerCount: 9);
        Assert.False(MarkerAt(8)); // no second count/8 left behind to accept a ledger rolled back to 8

        // A count behind the marker (the ledger went back) is refused, and the marker stays where it is.
        var refused = Assert.Throws<SppsException>(() => keys.MoveCount(ticket, "t", from: 9, ledgerCount: 2));
        Assert.Equal(ErrorCodes.LedgerRolledBack, refused.Code);
        Assert.True(MarkerAt(9));
        Assert.False(MarkerAt(2));
    }

    /// <summary>The file store, with its next scope held open on request, and its scopes' appends and fsyncs counted.</summary>
    private sealed class HeldStore(ILedgerStore inner) : ILedgerStore
    {
        private readonly ManualResetEventSlim _release = new(true);
        private bool _hold;

        public ManualResetEventSlim Held { get; } = new(false);
        public List<int> AppendsPerScope { get; } = [];
        public int Fsyncs { get; private set; }
        public string Location => inner.Location;
        public void SaveCertifier(string ticket, string json) => inner.SaveCertifier(ticket, json);
        public string? ReadCertifier(string ticket) => inner.ReadCertifier(ticket);

        public void HoldNextScope()
        {
            AppendsPerScope.Clear();
            Fsyncs = 0;
            _release.Reset();
            _hold = true;
        }

        public void Release() => _release.Set();

        public ILedgerTransaction Begin()
        {
            var scope = inner.Begin();
            if (_hold)
            {
                _hold = false;
                Held.Set();
                _release.Wait();
            }
            lock (AppendsPerScope) AppendsPerScope.Add(0);
            return new Counted(scope, this, AppendsPerScope.Count - 1);
        }

        public void MakeDurable()
        {
            Fsyncs++;
            inner.MakeDurable();
        }

        public void Dispose() => inner.Dispose();

        private sealed class Counted(ILedgerTransaction scope, HeldStore store, int index) : ILedgerTransaction
        {
            public IEnumerable<string> ReadAfter(long seq) => scope.ReadAfter(seq);

            public void Append(long seq, string ticket, string? device, string line)
            {
                scope.Append(seq, ticket, device, line);
                store.AppendsPerScope[index]++;
            }

            public void Commit() => scope.Commit();

            public void Dispose() => scope.Dispose();
        }
    }
}
