using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Core.Domain;
using Spps.Core.Manufacturer.Policy;
using Spps.Core.Storage;

namespace Spps.Core.Manufacturer;

/// <summary>
/// The M-HSM's append-only, hash-chained ledger: every ticket reservation, job load, issued authorization
/// code and ticket end. It is the only source of the counters, so they survive any crash: a record is
/// durable before the code it authorizes leaves. The records live in an <see cref="ILedgerStore"/>
/// (SPPS_HOME/mhsm/UUID/ledger.jsonl under an flock, or PostgreSQL when SPPS_LEDGER is set); several
/// processes share it, and each catches up on what the others appended.
/// </summary>
public sealed class Ledger : IDisposable
{
    private readonly ILedgerStore _store;
    private readonly object _gate = new();
    private TicketBook _book = new();
    private Dictionary<TicketId, TicketChain> _chains = new();
    private ILedgerTransaction? _scope;
    private bool _stale;

    public Ledger(string directory, string? ledgerConnection = null) : this(LedgerStores.Open(directory, ledgerConnection)) { }

    public Ledger(ILedgerStore store) => _store = store;

    /// <summary>Where the records are (the file's path for the embedded store), for messages.</summary>
    public string FilePath => _store.Location;
    public long Count { get; private set; }
    public string Head { get; private set; } = LedgerRecord.Genesis;

    public TicketState? Ticket(TicketId id) => _book[id];

    public IEnumerable<TicketState> Tickets => _book.All;

    /// <summary>The records of one ticket, in order, and the head of its chain.</summary>
    public TicketChain Chain(TicketId id) => _chains.GetValueOrDefault(id) ?? TicketChain.Empty;

    /// <summary>
    /// Runs <paramref name="work"/> in the store's exclusive scope, after reading every record other processes
    /// appended. If the scope fails after an append (the store may have kept or dropped it), the next call
    /// re-reads the ledger from its start, so what this process believes is always what the store holds.
    /// </summary>
    public T Locked<T>(Func<T> work)
    {
        // Threads of this process take turns here; the store's scope excludes other processes. (A PostgreSQL
        // scope releases its lock at COMMIT, before this method returns: the gate keeps _scope this thread's.)
        lock (_gate) return LockedInStore(work);
    }

    private T LockedInStore<T>(Func<T> work)
    {
        using var scope = _store.Begin();
        var count = Count;
        try
        {
            _scope = scope;
            if (_stale) StartOver();
            CatchUp(scope);
            count = Count;
            var result = work();
            scope.Commit();
            return result;
        }
        catch
        {
            if (Count != count) _stale = true;
            throw;
        }
        finally
        {
            _scope = null;
        }
    }

    /// <summary>Catches up on records other processes appended (takes the lock briefly).</summary>
    public void Refresh() => Locked(() => 0);

    /// <summary>
    /// Appends a record (under <see cref="Locked{T}"/>). With <paramref name="durable"/> false the caller
    /// must call <see cref="MakeDurable"/> after releasing the lock and before acting on the record: other
    /// processes may already count it, which is safe, and concurrent fsyncs share one journal commit.
    /// </summary>
    public LedgerRecord Append(LedgerEvent e, bool durable = true)
    {
        var scope = _scope ?? throw new InvalidOperationException("Ledger.Append outside Ledger.Locked.");
        var record = LedgerRecord.Create(Count + 1, e, Head, Chain(e.Ticket).Head);
        scope.Append(record.Seq, e.Ticket.Value, e is CodeIssued issued ? issued.Dsn.Value : null, record.ToJson().ToString(Formatting.None));
        if (durable) MakeDurable();
        Apply(record);
        return record;
    }

    /// <summary>Everything appended so far, by any process, is durable when this returns (fdatasync for the file store).</summary>
    public void MakeDurable() => _store.MakeDurable();

    /// <summary>Keeps a ticket's end certifier durably, once, where every replica on this ledger reads it.</summary>
    public void SaveCertifier(TicketId ticket, string json) => _store.SaveCertifier(ticket.Value, json);

    public string? ReadCertifier(TicketId ticket) => _store.ReadCertifier(ticket.Value);

    private void StartOver()
    {
        _book = new TicketBook();
        _chains = new Dictionary<TicketId, TicketChain>();
        Count = 0;
        Head = LedgerRecord.Genesis;
        _stale = false;
    }

    private void CatchUp(ILedgerTransaction scope)
    {
        foreach (var line in scope.ReadAfter(Count))
            ApplyLine(line);
    }

    private void ApplyLine(string line)
    {
        LedgerRecord? record;
        try
        {
            using var reader = new JsonTextReader(new StringReader(line)) { DateParseHandling = DateParseHandling.None };
            record = LedgerRecord.FromJson(JToken.ReadFrom(reader));
        }
        catch (Exception e) when (e is JsonException or FormatException or OverflowException or InvalidCastException or ArgumentException)
        {
            record = null;
        }
        if (record is null || !record.HashIsValid || record.Seq != Count + 1 || record.Prev != Head || record.TicketPrev != Chain(record.Ticket).Head)
            throw new SppsException(ErrorCodes.LedgerCorrupt,
                $"Ledger record {Count + 1} is damaged or out of chain: the ledger was edited. Stop production and keep the ledger for audit.",
                new SourceLocation(_store.Location, (int)Count + 1));
        Apply(record);
    }

    private void Apply(LedgerRecord record)
    {
        Count = record.Seq;
        Head = record.Hash;
        _book.Apply(record.Event);
        _chains[record.Ticket] = Chain(record.Ticket).Add(record);
    }

    public void Dispose() => _store.Dispose();
}

/// <summary>One ticket's records in order; <see cref="Head"/> is the hash of the last (what its end certifier signs).</summary>
public sealed record TicketChain(System.Collections.Immutable.ImmutableList<LedgerRecord> Records)
{
    public static readonly TicketChain Empty = new(System.Collections.Immutable.ImmutableList<LedgerRecord>.Empty);

    public string Head => Records.Count == 0 ? LedgerRecord.Genesis : Records[^1].Hash;

    public TicketChain Add(LedgerRecord record) => new(Records.Add(record));
}
