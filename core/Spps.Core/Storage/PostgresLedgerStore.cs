using Npgsql;

namespace Spps.Core.Storage;

/// <summary>
/// A ledger in PostgreSQL, shared by every process and service replica that points SPPS_LEDGER at the same
/// database. Table spps_ledger(ledger, seq, ticket, device, line): one row per record, primary key
/// (ledger, seq), and a unique index on (ledger, ticket, device) so a device is counted once per ticket
/// even if every check above it failed. A scope is one transaction holding a transaction-level advisory
/// lock on the ledger's name (the flock of the file store); it commits with synchronous_commit on, so a
/// record is on the primary's disk before the code it authorizes leaves. Table spps_certifiers(ledger, ticket,
/// certifier) keeps the end certifiers, so every replica finds them, wherever it runs.
/// </summary>
public sealed class PostgresLedgerStore : ILedgerStore
{
    private static readonly object SchemaGate = new();
    private static readonly HashSet<string> SchemaReady = new(StringComparer.Ordinal);
    private readonly NpgsqlDataSource _source;
    private readonly string _ledger;

    /// <param name="connectionString">An Npgsql connection string, e.g. Host=/tmp/pg;Port=5433;Username=spps;Database=spps.</param>
    /// <param name="ledger">The ledger's name in the table: the M-HSM's UUID.</param>
    public PostgresLedgerStore(string connectionString, string ledger)
    {
        NpgsqlConnectionStringBuilder builder;
        try { builder = new NpgsqlConnectionStringBuilder(connectionString); }
        catch (ArgumentException e)
        {
            throw new SppsException(ErrorCodes.LedgerUnavailable, $"SPPS_LEDGER is not an Npgsql connection string ({e.Message}); write e.g. Host=/run/postgresql;Port=5432;Username=spps;Database=spps.");
        }
        _ledger = ledger;
        Location = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}, table spps_ledger, ledger {ledger}";
        _source = NpgsqlDataSource.Create(connectionString);
        EnsureSchema(connectionString);
    }

    public string Location { get; }

    public ILedgerTransaction Begin()
    {
        try { return Guard(Open); }
        catch (SppsException e) when (e.Code == ErrorCodes.LedgerUnavailable && e.InnerException is NpgsqlException { IsTransient: true } or NpgsqlException { InnerException: IOException or System.Net.Sockets.SocketException })
        {
            // A pooled connection died with the server (a restart, a failover): nothing was done in it yet,
            // so drop the pool and open a fresh one, once.
            _source.Clear();
            return Guard(Open);
        }
    }

    private ILedgerTransaction Open()
    {
        var connection = _source.OpenConnection();
        try
        {
            var transaction = connection.BeginTransaction();
            using var command = new NpgsqlCommand("SET LOCAL synchronous_commit = on; SELECT pg_advisory_xact_lock(hashtextextended(@ledger, 0))", connection, transaction);
            command.Parameters.AddWithValue("ledger", "spps_ledger/" + _ledger);
            command.ExecuteNonQuery();
            return new Scope(this, connection, transaction);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public void MakeDurable() { } // Commit was durable (synchronous_commit = on)

    /// <summary>Table spps_certifiers, committed at once on a connection of its own (synchronous_commit on); the first save wins.</summary>
    public void SaveCertifier(string ticket, string json) => Guard(() =>
    {
        using var connection = _source.OpenConnection();
        using var command = new NpgsqlCommand("SET synchronous_commit = on; INSERT INTO spps_certifiers (ledger, ticket, certifier) VALUES (@ledger, @ticket, @certifier) ON CONFLICT (ledger, ticket) DO NOTHING", connection);
        command.Parameters.AddWithValue("ledger", _ledger);
        command.Parameters.AddWithValue("ticket", ticket);
        command.Parameters.AddWithValue("certifier", json);
        return command.ExecuteNonQuery();
    });

    public string? ReadCertifier(string ticket) => Guard(() =>
    {
        using var connection = _source.OpenConnection();
        using var command = new NpgsqlCommand("SELECT certifier FROM spps_certifiers WHERE ledger = @ledger AND ticket = @ticket", connection);
        command.Parameters.AddWithValue("ledger", _ledger);
        command.Parameters.AddWithValue("ticket", ticket);
        return command.ExecuteScalar() as string;
    });

    public void Dispose() => _source.Dispose();

    private void EnsureSchema(string connectionString)
    {
        lock (SchemaGate)
        {
            if (SchemaReady.Contains(connectionString)) return;
            Guard(() =>
            {
                using var connection = _source.OpenConnection();
                using var transaction = connection.BeginTransaction();
                // Serialises concurrent first runs: CREATE ... IF NOT EXISTS alone can race on the catalog.
                using var command = new NpgsqlCommand("""
                    SELECT pg_advisory_xact_lock(hashtextextended('spps_ledger/schema', 0));
                    CREATE TABLE IF NOT EXISTS spps_ledger (
                        ledger text NOT NULL,
                        seq bigint NOT NULL,
                        ticket text NOT NULL,
                        device text,
                        line text NOT NULL,
                        PRIMARY KEY (ledger, seq));
                    CREATE UNIQUE INDEX IF NOT EXISTS spps_ledger_device ON spps_ledger (ledger, ticket, device) WHERE device IS NOT NULL;
                    CREATE TABLE IF NOT EXISTS spps_certifiers (
                        ledger text NOT NULL,
                        ticket text NOT NULL,
                        certifier text NOT NULL,
                        PRIMARY KEY (ledger, ticket));
                    """, connection, transaction);
                command.ExecuteNonQuery();
                transaction.Commit();
                return 0;
            });
            SchemaReady.Add(connectionString);
        }
    }

    private T Guard<T>(Func<T> work)
    {
        try { return work(); }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new SppsException(ErrorCodes.LedgerCorrupt, $"The ledger store refused a record that would count a device twice or reuse a sequence number ({Location}): another writer bypassed the ledger lock. Stop production and keep the database for audit.");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException || e is InvalidOperationException && e.Source == "Npgsql")
        {
            throw new SppsException(ErrorCodes.LedgerUnavailable, $"The PostgreSQL ledger is unavailable ({Location}): {e.Message.TrimEnd('.')}. Nothing was counted by the failed step; run again when the database is back.", inner: e);
        }
    }

    private sealed class Scope(PostgresLedgerStore store, NpgsqlConnection connection, NpgsqlTransaction transaction) : ILedgerTransaction
    {
        public IEnumerable<string> ReadAfter(long seq) => store.Guard(() =>
        {
            using var command = new NpgsqlCommand("SELECT line FROM spps_ledger WHERE ledger = @ledger AND seq > @seq ORDER BY seq", connection, transaction);
            command.Parameters.AddWithValue("ledger", store._ledger);
            command.Parameters.AddWithValue("seq", seq);
            using var reader = command.ExecuteReader();
            var lines = new List<string>();
            while (reader.Read()) lines.Add(reader.GetString(0));
            return lines;
        });

        // Appends wait here and reach the server together at Commit: one round trip for a whole group commit
        // (IssueBatcher), not one per record. The unique index still refuses a second count of a device, then.
        private readonly List<(long Seq, string Ticket, string? Device, string Line)> _appended = [];

        public void Append(long seq, string ticket, string? device, string line) => _appended.Add((seq, ticket, device, line));

        public void Commit() => store.Guard(() =>
        {
            if (_appended.Count > 0)
            {
                using var command = new NpgsqlCommand("""
                    INSERT INTO spps_ledger (ledger, seq, ticket, device, line)
                    SELECT @ledger, r.seq, r.ticket, r.device, r.line FROM unnest(@seqs, @tickets, @devices, @lines) AS r(seq, ticket, device, line)
                    """, connection, transaction);
                command.Parameters.AddWithValue("ledger", store._ledger);
                command.Parameters.AddWithValue("seqs", _appended.Select(a => a.Seq).ToArray());
                command.Parameters.AddWithValue("tickets", _appended.Select(a => a.Ticket).ToArray());
                command.Parameters.Add(new NpgsqlParameter<string?[]>("devices", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = _appended.Select(a => a.Device).ToArray() });
                command.Parameters.AddWithValue("lines", _appended.Select(a => a.Line).ToArray());
                command.ExecuteNonQuery();
                _appended.Clear();
            }
            transaction.Commit();
            return 0;
        });

        public void Dispose()
        {
            try { transaction.Dispose(); }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException) { } // the connection broke: the server rolled back
            connection.Dispose();
        }
    }
}
