using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Core.Domain;
using Spps.Core.IO;
using Spps.Core.Manufacturer.Policy;

namespace Spps.Core.Manufacturer;

/// <summary>
/// The M-HSM's append-only, hash-chained ledger (SPPS_HOME/mhsm/UUID/ledger.jsonl): every ticket
/// reservation, job load, issued authorization code and ticket end. It is the only source of the
/// counters, so they survive any crash: a record is fsync'd before the code it authorizes leaves.
/// Several processes share it under an flock; each catches up on what the others appended.
/// </summary>
public sealed class Ledger : IDisposable
{
    private readonly string _path;
    private readonly string _lockPath;
    private readonly FileStream _file;
    private readonly TicketBook _book = new();
    private readonly Dictionary<TicketId, TicketChain> _chains = new();
    private long _readOffset;

    public Ledger(string directory)
    {
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, "ledger.jsonl");
        _lockPath = Path.Combine(directory, "ledger.lock");
        _file = new FileStream(_path, AtomicFile.AppendOptions(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1)); // 0640 at most, whatever the umask
    }

    public string FilePath => _path;
    public long Count { get; private set; }
    public string Head { get; private set; } = LedgerRecord.Genesis;

    public TicketState? Ticket(TicketId id) => _book[id];

    public IEnumerable<TicketState> Tickets => _book.All;

    /// <summary>The records of one ticket, in order, and the head of its chain.</summary>
    public TicketChain Chain(TicketId id) => _chains.GetValueOrDefault(id) ?? TicketChain.Empty;

    /// <summary>Runs <paramref name="work"/> holding the ledger lock, after reading every record other processes appended.</summary>
    public T Locked<T>(Func<T> work)
    {
        using var gate = FileLock.Acquire(_lockPath);
        CatchUp();
        return work();
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
        var record = LedgerRecord.Create(Count + 1, e, Head, Chain(e.Ticket).Head);
        var line = Encoding.UTF8.GetBytes(record.ToJson().ToString(Formatting.None) + "\n");
        _file.Seek(0, SeekOrigin.End);
        _file.Write(line);
        _readOffset = _file.Position;
        if (durable) MakeDurable();
        Apply(record);
        return record;
    }

    /// <summary>fdatasync: everything written so far, by any process, is on disk when this returns.</summary>
    public void MakeDurable()
    {
        if (OperatingSystem.IsWindows()) { _file.Flush(flushToDisk: true); return; }
        if (FileSync.DataSync(_file.SafeFileHandle) != 0)
            throw new IOException($"fdatasync of {_path} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}): the ledger cannot be made durable.");
    }

    private void CatchUp()
    {
        var length = _file.Length;
        if (length == _readOffset) return;
        _file.Seek(_readOffset, SeekOrigin.Begin);
        var buffer = new byte[length - _readOffset];
        _file.ReadExactly(buffer);
        var start = 0;
        for (var i = 0; i < buffer.Length; i++)
        {
            if (buffer[i] != (byte)'\n') continue;
            ApplyLine(buffer.AsSpan(start, i - start), _readOffset + start);
            start = i + 1;
        }
        if (start < buffer.Length)
        {
            // A record without its newline was being written when its process died; it was never
            // acknowledged (the fsync had not returned), so no code left for it. Drop it.
            _file.SetLength(_readOffset + start);
            _file.Flush(flushToDisk: true);
        }
        _readOffset += start;
    }

    private void ApplyLine(ReadOnlySpan<byte> line, long offset)
    {
        LedgerRecord? record;
        try
        {
            using var reader = new JsonTextReader(new StringReader(Encoding.UTF8.GetString(line))) { DateParseHandling = DateParseHandling.None };
            record = LedgerRecord.FromJson(JToken.ReadFrom(reader));
        }
        catch (Exception e) when (e is JsonException or FormatException or OverflowException or InvalidCastException or ArgumentException)
        {
            record = null;
        }
        if (record is null || !record.HashIsValid || record.Seq != Count + 1 || record.Prev != Head || record.TicketPrev != Chain(record.Ticket).Head)
            throw new SppsException(ErrorCodes.LedgerCorrupt,
                $"Ledger record {Count + 1} (byte {offset}) is damaged or out of chain: the ledger was edited. Stop production and keep the file for audit.",
                new SourceLocation(_path, (int)Count + 1));
        Apply(record);
    }

    private void Apply(LedgerRecord record)
    {
        Count = record.Seq;
        Head = record.Hash;
        _book.Apply(record.Event);
        _chains[record.Ticket] = Chain(record.Ticket).Add(record);
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>One ticket's records in order; <see cref="Head"/> is the hash of the last (what its end certifier signs).</summary>
public sealed record TicketChain(System.Collections.Immutable.ImmutableList<LedgerRecord> Records)
{
    public static readonly TicketChain Empty = new(System.Collections.Immutable.ImmutableList<LedgerRecord>.Empty);

    public string Head => Records.Count == 0 ? LedgerRecord.Genesis : Records[^1].Hash;

    public TicketChain Add(LedgerRecord record) => new(Records.Add(record));
}
