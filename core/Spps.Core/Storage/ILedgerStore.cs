namespace Spps.Core.Storage;

/// <summary>
/// Where a ledger's serialized records live. The store knows lines of JSON, their sequence numbers, the
/// ticket they belong to and, for records that count a device, the device: it never parses a record.
/// The hash chain, the counters and every check stay in <see cref="Manufacturer.Ledger"/>, whatever the store.
/// </summary>
/// <remarks>
/// Two stores: <see cref="FileLedgerStore"/> (the embedded default: ledger.jsonl under an flock) and
/// <see cref="PostgresLedgerStore"/> (selected by an Npgsql connection string in SPPS_LEDGER).
/// </remarks>
public interface ILedgerStore : IDisposable
{
    /// <summary>Where the records are, for messages: a file path, or the PostgreSQL table and ledger name.</summary>
    string Location { get; }

    /// <summary>
    /// Opens the ledger's only writer scope: until it is disposed, no other process or replica reads-to-append
    /// or appends. Blocks until the scope is free.
    /// </summary>
    ILedgerTransaction Begin();

    /// <summary>
    /// Makes every record appended so far durable, by any process (fdatasync for the file; nothing for
    /// PostgreSQL, whose commit with synchronous_commit on is already durable).
    /// </summary>
    void MakeDurable();

    /// <summary>
    /// Keeps a ticket's end certifier (one JSON object) durably, once: a second save for the same ticket keeps the
    /// first. Beside the ledger, not in its chain, because a certifier signs the chain's head. It is durable
    /// when this returns, before the keys it was made with are destroyed; every replica on the store reads it.
    /// </summary>
    void SaveCertifier(string ticket, string json);

    /// <summary>A ticket's end certifier as saved, or null.</summary>
    string? ReadCertifier(string ticket);
}

/// <summary>One exclusive scope over a ledger store.</summary>
public interface ILedgerTransaction : IDisposable
{
    /// <summary>The records after sequence number <paramref name="seq"/>, in order, as JSON lines without newline.</summary>
    IEnumerable<string> ReadAfter(long seq);

    /// <summary>
    /// Appends one record. <paramref name="device"/>, when given, must be new for <paramref name="ticket"/>:
    /// a store that can enforce it (PostgreSQL: a unique index) does, as a second guard behind the ledger's own check.
    /// A store may hold appends until <see cref="Commit"/> (PostgreSQL sends them all in one statement there).
    /// </summary>
    void Append(long seq, string ticket, string? device, string line);

    /// <summary>
    /// Publishes the appended records. File store: they were visible when written (<see cref="ILedgerStore.MakeDurable"/>
    /// makes them durable). PostgreSQL: COMMIT with synchronous_commit on, so they are durable when this returns.
    /// Disposing without committing discards what the store can discard (PostgreSQL: everything since <see cref="ILedgerStore.Begin"/>).
    /// </summary>
    void Commit();
}
