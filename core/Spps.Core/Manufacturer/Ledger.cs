using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
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
    private readonly Dictionary<string, TicketState> _tickets = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private ILedgerTransaction? _scope;
    private bool _stale;

    public Ledger(string directory) : this(LedgerStores.Open(directory)) { }

    public Ledger(ILedgerStore store) => _store = store;

    /// <summary>Where the records are (the file's path for the embedded store).</summary>
    public string FilePath => _store.Location;
    public long Count { get; private set; }
    public string Head { get; private set; } = LedgerRecord.Genesis;

    public TicketState? Ticket(string id) => _tickets.GetValueOrDefault(id);

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
    public LedgerRecord Append(string type, string ticket, JObject data, bool durable = true)
    {
        var scope = _scope ?? throw new InvalidOperationException("Ledger.Append outside Ledger.Locked.");
        var state = _tickets.GetValueOrDefault(ticket);
        var record = LedgerRecord.Create(Count + 1, type, ticket, Head, state?.ChainHead ?? LedgerRecord.Genesis, data);
        scope.Append(record.Seq, ticket, type == LedgerRecord.Issue ? (string?)data["dsn"] : null, record.ToJson().ToString(Formatting.None));
        if (durable) MakeDurable();
        Apply(record);
        return record;
    }

    /// <summary>Everything appended so far, by any process, is durable when this returns (fdatasync for the file store).</summary>
    public void MakeDurable() => _store.MakeDurable();

    private void StartOver()
    {
        _tickets.Clear();
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
        catch (JsonException)
        {
            record = null;
        }
        if (record is null || !record.HashIsValid || record.Seq != Count + 1 || record.Prev != Head ||
            record.TicketPrev != (_tickets.GetValueOrDefault(record.Ticket)?.ChainHead ?? LedgerRecord.Genesis))
            throw new SppsException(ErrorCodes.LedgerCorrupt,
                $"Ledger record {Count + 1} is damaged or out of chain: the ledger was edited. Stop production and keep the ledger for audit.",
                new SourceLocation(_store.Location, (int)Count + 1));
        Apply(record);
    }

    private void Apply(LedgerRecord record)
    {
        Count = record.Seq;
        Head = record.Hash;
        if (!_tickets.TryGetValue(record.Ticket, out var state))
            _tickets[record.Ticket] = state = new TicketState(record.Ticket);
        state.Apply(record);
    }

    public void Dispose() => _store.Dispose();
}

/// <summary>A ticket as the ledger tells it.</summary>
public sealed class TicketState(string id)
{
    private readonly HashSet<string> _devices = new(StringComparer.Ordinal);

    public string Id { get; } = id;
    public string ChainHead { get; private set; } = LedgerRecord.Genesis;
    public List<LedgerRecord> Records { get; } = new();
    public JObject? Reservation { get; private set; }
    public JObject? LoadData { get; private set; }
    public JObject? EndData { get; private set; }
    public bool Loaded => LoadData is not null;
    public bool Ended => EndData is not null;
    public long Issued => _devices.Count;
    public long MaxDevice => (long?)LoadData?["max_device"] ?? (long?)Reservation?["max_device"] ?? 0;
    public bool Unlimited => MaxDevice < 0;
    public long Left => Unlimited ? long.MaxValue : Math.Max(0, MaxDevice - Issued);

    public bool HasDevice(string dsn) => _devices.Contains(dsn);

    public void Apply(LedgerRecord record)
    {
        ChainHead = record.Hash;
        Records.Add(record);
        switch (record.Type)
        {
            case LedgerRecord.Reserve: Reservation = record.Data; break;
            case LedgerRecord.Load: LoadData = record.Data; break;
            case LedgerRecord.Issue: _devices.Add((string)record.Data["dsn"]!); break;
            case LedgerRecord.End: EndData = record.Data; break;
        }
    }
}
