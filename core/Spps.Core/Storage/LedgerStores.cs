namespace Spps.Core.Storage;

/// <summary>Chooses a ledger's store: PostgreSQL when SPPS_LEDGER holds an Npgsql connection string, else the embedded file.</summary>
public static class LedgerStores
{
    /// <param name="connectionString">SPPS_LEDGER as <see cref="Site.SiteOptions"/> resolved it, or null for the file.</param>
    /// <param name="directory">The M-HSM's state folder (SPPS_HOME/mhsm/UUID); its name is the ledger's name in PostgreSQL.</param>
    public static ILedgerStore Open(string directory, string? connectionString = null)
    {
        return string.IsNullOrWhiteSpace(connectionString)
            ? new FileLedgerStore(directory)
            : new PostgresLedgerStore(connectionString, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))));
    }
}
