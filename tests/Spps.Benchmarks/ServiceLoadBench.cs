using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;
using Spps.Contracts.Programmers;
using Spps.Core;
using Spps.Core.Domain;
using Spps.Core.Manufacturer;
using Spps.Core.Plugins;
using Spps.Core.Service;
using Spps.Mhsm.Service;
using static Spps.Benchmarks.Util;

namespace Spps.Benchmarks;

/// <summary>
/// The M-HSM service under load (issue 9): N concurrent stations, each with its own site certificate and its
/// own TLS 1.3 connection, ask one service replica (Kestrel, mutual TLS on loopback) for DFK codes; the ledger
/// is in a PostgreSQL cluster this program starts. Measured in the same run: PostgreSQL's own single-row
/// synchronous commit rate, and the in-process M-HSM on the same PostgreSQL ledger. Asserts zero overbuild.
/// spps-bench service-load [--stations 64] [--codes 6400] [--over-max 500] [--work DIR]
/// </summary>
internal static class ServiceLoadBench
{
    public static int Run(string[] args)
    {
        var stations = IntArg(args, "stations", 64);
        var codes = IntArg(args, "codes", 6400);
        var overMax = IntArg(args, "over-max", 500);
        var work = Path.GetFullPath(Arg(args, "work", Path.Combine(Path.GetTempPath(), $"spps-service-bench-{Environment.ProcessId}")));
        Directory.CreateDirectory(work);
        var report = new StringBuilder();
        // The stations are threads of this process making blocking calls, as station processes would: give them
        // threads of their own so they do not starve the service's thread pool (a harness matter, not the service's).
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, stations * 2 + 16), io);
        using var pg = new PgCluster();
        Log($"PostgreSQL {pg.Version} on {pg.Root}; work folder {work}");

        // References, same run: one connection, one row per transaction, synchronous_commit on.
        var commit1 = pg.CommitRate(connections: 1, seconds: 5);
        var commitN = pg.CommitRate(connections: stations, seconds: 5);
        Log($"PostgreSQL single-row synchronous commits: {commit1:F0}/s (1 connection), {commitN:F0}/s ({stations} connections)");

        var vendorHome = Path.Combine(work, "vendor");
        ((IVirtualBoardFarm)new PluginCatalog([PluginsDir]).ProgrammerProvider("sim")).CreateBoards(Path.Combine(work, "boards"), 1, vendorHome);
        using var oe = new OwnerSite(work, vendorHome);
        using var cm = new ManufacturerSite(work, "M1", vendorHome, ledger: pg.ConnectionString);
        oe.SmallDesign("d");
        oe.Jm.Run("init_bitstream", ("data_name", "d"), ("bitstream_name", "bs_dfk"), ("features", "SECURITY"), ("auth_keymode", "DFK"));
        var tickets = Jobs.Build(oe, cm, "loadjob", [
            new JobDevice("inprocess", "d", "bs_dfk", codes), new JobDevice("service", "d", "bs_dfk", codes),
            new JobDevice("over", "d", "bs_dfk", overMax), new JobDevice("warm", "d", "bs_dfk", -1)]);
        var mhsm = cm.Fp.Mhsm;
        DeviceEvidence Device(string ticket) => new(Ids.Ticket(ticket), ProgrammingAction.Program, Ids.Dsn(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))), null, null, cm.FactoryLot);
        for (var i = 0; i < 20; i++) mhsm.IssueAuthCode(Device(tickets["warm"]));

        // In-process: the same M-HSM and PostgreSQL ledger, N threads.
        var inProcess = Load(stations, codes, _ => mhsm, () => Device(tickets["inprocess"]));
        Log($"in-process M-HSM, {stations} threads: {inProcess.PerSecond:F0} codes/s, p50 {inProcess.P50:F2} ms, p99 {inProcess.P99:F2} ms");

        // The service: site CA, server certificate, one certificate per station.
        var ca = new SiteCa(Path.Combine(cm.Home, "site"), name => name == SiteCa.PassphraseVariable ? "bench-only-passphrase" : null);
        ca.Create("bench site CA", 30).Dispose();
        var serviceTls = Path.Combine(work, "service-tls");
        ca.EnrollService("mhsm", ["127.0.0.1"], serviceTls, 30).Dispose();
        var port = FreePort();
        var url = $"https://127.0.0.1:{port}";
        using var stop = new CancellationTokenSource();
        var ready = new TaskCompletionSource();
        var host = Task.Run(() => MhsmServiceHost.RunAsync(mhsm,
            new ServeOptions([MhsmAddress.Parse(url)], serviceTls, ca.CrlPath, null, LogLevel.Warning, Path.Combine(cm.Home, "mhsm", mhsm.Uuid)), line => { if (line.Contains("serving")) ready.TrySetResult(); }, stop.Token));
        if (Task.WhenAny(ready.Task, host).GetAwaiter().GetResult() != ready.Task) host.GetAwaiter().GetResult();
        var clients = Enumerable.Range(0, stations).Select(i =>
        {
            var dir = Path.Combine(work, "stations", "st-" + i);
            ca.EnrollStation("st-" + i, ["loadjob"], dir, 30).Dispose();
            var client = new MhsmClient([MhsmAddress.Parse(url)], TlsFiles.Load(dir));
            client.IssueAuthCode(Device(tickets["warm"])); // TLS handshake and JIT before the clock
            return client;
        }).ToList();
        var service = Load(stations, codes, i => clients[i], () => Device(tickets["service"]));
        Log($"service, {stations} stations over mTLS: {service.PerSecond:F0} codes/s, p50 {service.P50:F2} ms, p99 {service.P99:F2} ms");

        // Zero overbuild: every station at once, more distinct devices than max_device.
        var attempts = overMax + stations * 4;
        var over = Load(stations, attempts, i => clients[i], () => Device(tickets["over"]));
        mhsm.Refresh();
        var ledgerOver = mhsm.Ticket(Ids.Ticket(tickets["over"]))!.Issued;
        var ok = over.Issued == overMax && over.Refused == attempts - overMax && over.Failed == 0 && ledgerOver == overMax;
        Log($"overbuild check: max_device {overMax}, {attempts} attempts -> {over.Issued} issued, {over.Refused} refused, {over.Failed} failed, ledger {ledgerOver}: {(ok ? "OK" : "FAILED")}");

        foreach (var c in clients) c.Dispose();
        stop.Cancel();
        host.GetAwaiter().GetResult();

        var inv = CultureInfo.InvariantCulture;
        report.AppendLine(inv, $"Run of {DateTimeOffset.Now:yyyy-MM-dd HH:mm zzz}: `spps-bench service-load --stations {stations} --codes {codes} --over-max {overMax}`; PostgreSQL {pg.Version} (a cluster of its own, Unix socket, fsync and synchronous_commit on); load average at start {File.ReadAllText("/proc/loadavg").Trim()}.");
        report.AppendLine();
        report.AppendLine("| measured in the same run | codes/s (or commits/s) | p50 | p99 | vs PostgreSQL 1-connection commit rate |");
        report.AppendLine("|---|---:|---:|---:|---:|");
        report.AppendLine(inv, $"| PostgreSQL: `INSERT` one row + `COMMIT`, 1 connection | {commit1:N0} | | | 1.00× |");
        report.AppendLine(inv, $"| PostgreSQL: the same, {stations} connections at once | {commitN:N0} | | | {commitN / commit1:F2}× |");
        report.AppendLine(inv, $"| M-HSM in process, {stations} threads, ledger on PostgreSQL (DFK) | {inProcess.PerSecond:N0} | {inProcess.P50:F2} ms | {inProcess.P99:F2} ms | {inProcess.PerSecond / commit1:F2}× |");
        report.AppendLine(inv, $"| **M-HSM service, {stations} stations over mutual TLS 1.3, ledger on PostgreSQL (DFK)** | **{service.PerSecond:N0}** | **{service.P50:F2} ms** | **{service.P99:F2} ms** | **{service.PerSecond / commit1:F2}×** |");
        report.AppendLine();
        report.AppendLine(inv, $"Devices/hour through the service (code issuance alone, the ceiling a site's stations share): {service.PerSecond * 3600:N0}. ");
        report.AppendLine(inv, $"Goal (issue 9): DFK ≥ 0.7× the PostgreSQL commit rate, p99 < 50 ms: {(service.PerSecond >= 0.7 * commit1 ? "met" : "not met")} for the rate ({service.PerSecond / commit1:F2}×), {(service.P99 < 50 ? "met" : "not met")} for p99 ({service.P99:F1} ms).");
        report.AppendLine();
        report.AppendLine(inv, $"Zero overbuild: {stations} stations at once, {attempts} distinct devices against `max_device` {overMax}: {over.Issued} issued, {over.Refused} refused (`SPPS4008`), {over.Failed} failed; the ledger counts {ledgerOver}: **{(ok ? "OK" : "FAILED")}**.");
        Console.WriteLine(report.ToString());
        if (Arg(args, "out", "") is { Length: > 0 } output) File.WriteAllText(output, report.ToString());
        return ok ? 0 : 1;
    }

    private sealed record LoadResult(long Issued, long Refused, long Failed, double PerSecond, double P50, double P99);

    private static LoadResult Load(int clients, int total, Func<int, IAuthCodeIssuer> issuer, Func<DeviceEvidence> device)
    {
        var next = -1;
        long issued = 0, refused = 0, failed = 0;
        var latencies = new List<double>[clients];
        string? firstError = null;
        using var start = new Barrier(clients + 1);
        var threads = Enumerable.Range(0, clients).Select(i => new Thread(() =>
        {
            var mine = latencies[i] = new List<double>();
            var me = issuer(i);
            start.SignalAndWait();
            while (Interlocked.Increment(ref next) < total)
            {
                var d = device();
                var t = Stopwatch.GetTimestamp();
                try
                {
                    me.IssueAuthCode(d);
                    mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                    Interlocked.Increment(ref issued);
                }
                catch (SppsException e) when (e.Code == ErrorCodes.Overbuild) { Interlocked.Increment(ref refused); }
                catch (SppsException e) { Interlocked.Increment(ref failed); firstError ??= e.Code + " " + e.Message; }
            }
        }) { IsBackground = true }).ToList();
        foreach (var t in threads) t.Start();
        start.SignalAndWait();
        var clock = Stopwatch.StartNew();
        foreach (var t in threads) t.Join();
        var seconds = clock.Elapsed.TotalSeconds;
        if (failed > 0) Log($"  {failed} failures, first: {firstError}");
        var all = latencies.SelectMany(l => l).ToList();
        return new LoadResult(issued, refused, failed, issued / seconds, Percentile(all, 0.5), Percentile(all, 0.99));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A PostgreSQL cluster of the benchmark's own (as the service tests' fixture): initdb/pg_ctl as the postgres user, Unix socket only.</summary>
internal sealed class PgCluster : IDisposable
{
    private readonly string _bin;
    private readonly string _data;

    public PgCluster()
    {
        _bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).First(d => File.Exists(Path.Combine(d, "pg_ctl")));
        Version = Path.GetFileName(Path.GetDirectoryName(_bin))!;
        Root = Directory.CreateTempSubdirectory("spps-bench-pg-").FullName;
        _data = Path.Combine(Root, "data");
        Port = 40000 + Environment.ProcessId % 10000;
        Run("chown", "postgres:postgres", Root);
        Run("chmod", "0755", Root);
        AsPostgres("initdb", "-D", _data, "-U", "spps", "--auth=trust", "-E", "UTF8");
        AsPostgres("pg_ctl", "-D", _data, "-l", Path.Combine(Root, "postgres.log"), "-w", "-o", $"-k {Root} -p {Port} -c listen_addresses='' -c max_connections=300", "start");
        AsPostgres("createdb", "-h", Root, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "spps", "spps");
    }

    public string Root { get; }
    public int Port { get; }
    public string Version { get; }
    public string ConnectionString => $"Host={Root};Port={Port};Username=spps;Database=spps;Maximum Pool Size=200";

    /// <summary>Single-row INSERT + COMMIT transactions per second, synchronous_commit on, from N connections at once.</summary>
    public double CommitRate(int connections, double seconds)
    {
        using (var c = new NpgsqlConnection(ConnectionString))
        {
            c.Open();
            using var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS commit_rate (id bigserial PRIMARY KEY, line text NOT NULL)", c);
            create.ExecuteNonQuery();
        }
        long done = 0;
        var until = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, connections).Select(_ => new Thread(() =>
        {
            using var c = new NpgsqlConnection(ConnectionString);
            c.Open();
            var line = new string('x', 400); // about a ledger record's size
            while (until.Elapsed.TotalSeconds < seconds)
            {
                using var tx = c.BeginTransaction();
                using var insert = new NpgsqlCommand("SET LOCAL synchronous_commit = on; INSERT INTO commit_rate (line) VALUES (@l)", c, tx);
                insert.Parameters.AddWithValue("l", line);
                insert.ExecuteNonQuery();
                tx.Commit();
                Interlocked.Increment(ref done);
            }
        })).ToList();
        var clock = Stopwatch.StartNew();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        return done / clock.Elapsed.TotalSeconds;
    }

    private void AsPostgres(string tool, params string[] args) => Run("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args]);

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {stdout.Result}{stderr.Result}");
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try { AsPostgres("pg_ctl", "-D", _data, "-m", "immediate", "-w", "stop"); } catch (InvalidOperationException) { }
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
