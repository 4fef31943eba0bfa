using Spps.Core;
using Spps.Core.Storage;
using Spps.Flow.Tests;

namespace Spps.Service.Tests;

/// <summary>
/// End certifiers live in the ledger's store, so a replica on another host finds the certifier another replica
/// made (its end key is gone by then), and nobody replaces one once saved.
/// </summary>
public sealed class CertifierStoreTests
{
    [Fact]
    public void A_certifier_saved_by_one_replica_is_read_by_another_and_never_replaced_in_PostgreSQL()
    {
        using var pg = new PostgresCluster();
        using var replicaA = new PostgresLedgerStore(pg.ConnectionString, "10");
        using var replicaB = new PostgresLedgerStore(pg.ConnectionString, "10");
        using var otherMhsm = new PostgresLedgerStore(pg.ConnectionString, "11");
        SavedOnceAndShared(replicaA, replicaB);
        Assert.Null(otherMhsm.ReadCertifier("t1")); // another M-HSM's ledger on the same database
    }

    [Fact]
    public void A_certifier_saved_in_the_file_store_is_read_by_another_process_and_never_replaced()
    {
        using var temp = new TempFolder();
        using var processA = new FileLedgerStore(temp.Path);
        using var processB = new FileLedgerStore(temp.Path);
        SavedOnceAndShared(processA, processB);
    }

    [Fact]
    public void A_device_appended_twice_in_one_scope_is_refused_at_commit_and_nothing_of_the_scope_stays()
    {
        using var pg = new PostgresCluster();
        using var store = new PostgresLedgerStore(pg.ConnectionString, "10");
        using (var scope = store.Begin())
        {
            scope.Append(1, "t1", "dsn-1", """{"seq":1}""");
            scope.Append(2, "t1", "dsn-1", """{"seq":2}"""); // the same device counted twice: the unique index refuses
            var refused = Assert.Throws<SppsException>(scope.Commit);
            Assert.Equal(ErrorCodes.LedgerCorrupt, refused.Code);
        }
        Assert.Equal(0, pg.Scalar("SELECT count(*) FROM spps_ledger"));
        using (var scope = store.Begin()) Assert.Empty(scope.ReadAfter(0));
    }

    private static void SavedOnceAndShared(ILedgerStore a, ILedgerStore b)
    {
        Assert.Null(b.ReadCertifier("t1"));
        a.SaveCertifier("t1", """{"Count":2,"Mac":"first"}""");
        Assert.Equal("""{"Count":2,"Mac":"first"}""", b.ReadCertifier("t1"));
        b.SaveCertifier("t1", """{"Count":9,"Mac":"second"}""");
        Assert.Equal("""{"Count":2,"Mac":"first"}""", a.ReadCertifier("t1"));
    }
}
