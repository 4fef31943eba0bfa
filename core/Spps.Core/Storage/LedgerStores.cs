namespace Spps.Core.Storage;

/// <summary>Chooses a ledger's store: PostgreSQL when SPPS_LEDGER holds an Npgsql connection string, else the embedded file.</summary>
public static class LedgerStores
{
    public const string Variable = "SPPS_LEDGER";

    /// <param name="directory">The M-HSM's state folder (SPPS_HOME/mhsm/UUID); its name is the ledger's name in PostgreSQL.</param>
    public static ILedgerStore Open(string directory, string? connectionString = null)
    {
        connectionString ??= Environment.GetEnvironmentVariable(Variable);
        return string.IsNullOrWhiteSpace(connectionString)
            ? new FileLedgerStore(directory)
            : new PostgresLedgerStore(connectionString, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))));
    }
}
