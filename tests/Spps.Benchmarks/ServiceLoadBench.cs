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
/// Two ways to load it: saturated (every station asks again the moment it is answered: the most codes/s, and a
/// latency that is queueing by Little's law) and paced (the stations together offer a fixed rate, each on its own
/// random Poisson schedule, and latency counts from the moment a request was due, so a late answer also delays
/// the station's next request and is counted: no coordinated omission).
/// spps-bench service-load [--stations 64] [--codes 6400] [--over-max 500] [--paced-seconds 8] [--work DIR]
/// </summary>
internal static class ServiceLoadBench
{
    public static int Run(string[] args)
    {
        var stations = IntArg(args, "stations", 64);
        var codes = IntArg(args, "codes", 6400);
        var overMax = IntArg(args, "over-max", 500);
        var pacedSeconds = IntArg(args, "paced-seconds", 8);
        var work = Path.GetFullPath(Arg(args, "work", Path.Combine(Path.GetTempPath(), $"spps-service-bench-{Environment.ProcessId}")));
        Directory.CreateDirectory(work);
        var report = new StringBuilder();
        // The stations are threads of this process making blocking calls, as station processes would: give them
        // threads of their own so they do not starve the service's thread pool (a harness matter, not the service's).
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, stations * 2 + 16), io);
        var loadAtStart = File.ReadAllText("/proc/loadavg").Trim();
        using var pg = new PgCluster();
        Log($"PostgreSQL {pg.Version} on {pg.Root}; work folder {work}");

        // References, same run: the disk's own durable-append latency, and PostgreSQL's single-row synchronous commits.
        var filesystem = Filesystem(work) is var workFs && Filesystem(pg.Root) is var pgFs && workFs != pgFs ? $"{workFs} (PostgreSQL's data: {pgFs})" : workFs;
        var disk = References.FsyncLatency(work, seconds: 10);
        Log($"raw fsync on {filesystem}: {disk.Rate:F0}/s, p50 {disk.P50:F2} ms, p99 {disk.P99:F2} ms, p99.9 {disk.P999:F2} ms, max {disk.Max:F1} ms; {disk.Stalls} over {StallMs} ms ({disk.StalledShare:P1} of the time)");
        var commit1Run = pg.CommitRate(connections: 1, seconds: 5);
        var commitNRun = pg.CommitRate(connections: stations, seconds: 5);
        double commit1 = commit1Run.Rate, commitN = commitNRun.Rate;
        Log($"PostgreSQL single-row synchronous commits: {commit1:F0}/s (1 connection, p99 {commit1Run.P99:F2} ms), {commitN:F0}/s ({stations} connections)");

        var vendorHome = Path.Combine(work, "vendor");
        ((IVirtualBoardFarm)new PluginCatalog([PluginsDir]).ProgrammerProvider("sim")).CreateBoards(Path.Combine(work, "boards"), 1, vendorHome);
        using var oe = new OwnerSite(work, vendorHome);
        using var cm = new ManufacturerSite(work, "M1", vendorHome, ledger: pg.ConnectionString);
        oe.SmallDesign("d");
        oe.Jm.Run("init_bitstream", ("data_name", "d"), ("bitstream_name", "bs_dfk"), ("features", "SECURITY"), ("auth_keymode", "DFK"));
        var tickets = Jobs.Build(oe, cm, "loadjob", [
            new JobDevice("inprocess", "d", "bs_dfk", codes), new JobDevice("service", "d", "bs_dfk", codes),
            new JobDevice("over", "d", "bs_dfk", overMax), new JobDevice("warm", "d", "bs_dfk", -1), new JobDevice("paced", "d", "bs_dfk", -1)]);
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
        Log($"{stations} stations enrolled and connected; service load starts");
        var service = Load(stations, codes, i => clients[i], () => Device(tickets["service"]));
        Log($"service, {stations} stations over mTLS: {service.PerSecond:F0} codes/s, p50 {service.P50:F2} ms, p99 {service.P99:F2} ms");

        // Paced: the goal's rate (0.7x PostgreSQL's commit rate), the commit rate itself, and fractions of what the
        // service reached saturated, so the table reads as latency against offered load.
        var rates = new[] { ("0.7× PostgreSQL's 1-connection commit rate (the goal's)", 0.7 * commit1), ("1.0× PostgreSQL's 1-connection commit rate", commit1),
            ("0.5× the saturated service rate", 0.5 * service.PerSecond), ("0.8× the saturated service rate", 0.8 * service.PerSecond) };
        var paced = rates.Select(r =>
        {
            // A light probe of the disk (one 64-byte durable append every 5 ms) shows whether the disk stalled meanwhile.
            using var probe = new DiskProbe(work);
            var gcPause = GC.GetTotalPauseDuration();
            var result = Paced(stations, r.Item2, pacedSeconds, i => clients[i], () => Device(tickets["paced"]));
            var seen = probe.Stop();
            Log($"paced at {r.Item2:F0} codes/s offered ({r.Item1}): {result.PerSecond:F0} codes/s, p50 {result.P50:F2} ms, p90 {result.P90:F2} ms, p99 {result.P99:F2} ms, max {result.Max:F1} ms, {result.Failed} failed; GC pauses {(GC.GetTotalPauseDuration() - gcPause).TotalMilliseconds:F0} ms; probe fsyncs: max {seen.Max:F1} ms, {seen.StalledShare:P1} of the time over {StallMs} ms");
            return (Name: r.Item1, Offered: r.Item2, Result: result, Disk: seen);
        }).ToList();

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
        report.AppendLine(inv, $"Run of {DateTimeOffset.Now:yyyy-MM-dd HH:mm zzz}: `spps-bench service-load --stations {stations} --codes {codes} --over-max {overMax} --paced-seconds {pacedSeconds}`; PostgreSQL {pg.Version} (a cluster of its own, Unix socket, fsync and synchronous_commit on); the work folder and PostgreSQL's data on `{filesystem}`; load average at start {loadAtStart}.");
        report.AppendLine();
        report.AppendLine("| measured in the same run | codes/s (or commits/s) | p50 | p99 | vs PostgreSQL 1-connection commit rate |");
        report.AppendLine("|---|---:|---:|---:|---:|");
        report.AppendLine(inv, $"| the disk: 64-byte append + fsync, one thread, 10 s | {disk.Rate:N0} | {disk.P50:F2} ms | {disk.P99:F2} ms | |");
        report.AppendLine(inv, $"| PostgreSQL: `INSERT` one row + `COMMIT`, 1 connection | {commit1:N0} | {commit1Run.P50:F2} ms | {commit1Run.P99:F2} ms | 1.00× |");
        report.AppendLine(inv, $"| PostgreSQL: the same, {stations} connections at once | {commitN:N0} | | | {commitN / commit1:F2}× |");
        report.AppendLine(inv, $"| M-HSM in process, {stations} threads, ledger on PostgreSQL (DFK) | {inProcess.PerSecond:N0} | {inProcess.P50:F2} ms | {inProcess.P99:F2} ms | {inProcess.PerSecond / commit1:F2}× |");
        report.AppendLine(inv, $"| **M-HSM service, {stations} stations over mutual TLS 1.3, ledger on PostgreSQL (DFK)** | **{service.PerSecond:N0}** | **{service.P50:F2} ms** | **{service.P99:F2} ms** | **{service.PerSecond / commit1:F2}×** |");
        report.AppendLine();
        report.AppendLine(inv, $"The disk's own tail in those 10 s: p99.9 {disk.P999:F1} ms, longest fsync {disk.Max:F1} ms; {disk.Stalls} fsyncs over {StallMs} ms, {disk.StalledShare:P1} of the time. Devices/hour through the service, saturated (code issuance alone, the ceiling a site's stations share): {service.PerSecond * 3600:N0}.");
        report.AppendLine();
        report.AppendLine(inv, $"Paced: the {stations} stations together offer a fixed rate for {pacedSeconds} s, each station on its own Poisson schedule (one request in flight per station); latency counts from the moment each request was due.");
        report.AppendLine();
        report.AppendLine(inv, $"| offered rate | offered codes/s | achieved codes/s | p50 | p99 | failed | disk probe meanwhile: longest fsync, time in fsyncs over {StallMs} ms |");
        report.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var (name, offered, result, seen) in paced)
            report.AppendLine(inv, $"| {name} | {offered:N0} | {result.PerSecond:N0} | {result.P50:F2} ms | {result.P99:F2} ms | {result.Failed} | {seen.Max:F0} ms, {seen.StalledShare:P1} |");
        report.AppendLine();
        // Met when some paced load achieved at least 0.7x the commit rate with p99 under 50 ms and no failure.
        var met = paced.Where(p => p.Result.PerSecond >= 0.7 * commit1 && p.Result.P99 < 50 && p.Result.Failed == 0).Select(p => p.Result).MaxBy(r => r.PerSecond);
        report.AppendLine(met is not null
            ? string.Create(inv, $"Goal (issue 9): DFK at ≥ 0.7× the PostgreSQL commit rate with p99 < 50 ms: **met**, paced: {met.PerSecond:N0} codes/s achieved ({met.PerSecond / commit1:F2}×) with p99 {met.P99:F1} ms.")
            : "Goal (issue 9): DFK at ≥ 0.7× the PostgreSQL commit rate with p99 < 50 ms: **not met** by any paced load above.");
        report.AppendLine(inv, $"Saturated, the service reached {service.PerSecond / commit1:F2}× the commit rate with p99 {service.P99:F1} ms ({(service.P99 < 50 ? "under" : "over")} 50 ms).");
        report.AppendLine();
        report.AppendLine(inv, $"Zero overbuild: {stations} stations at once, {attempts} distinct devices against `max_device` {overMax}: {over.Issued} issued, {over.Refused} refused (`SPPS4008`), {over.Failed} failed; the ledger counts {ledgerOver}: **{(ok ? "OK" : "FAILED")}**.");
        Console.WriteLine(report.ToString());
        if (Arg(args, "out", "") is { Length: > 0 } output) File.WriteAllText(output, report.ToString());
        return ok ? 0 : 1;
    }

    private sealed record LoadResult(long Issued, long Refused, long Failed, double PerSecond, double P50, double P90, double P99, double Max);

    /// <summary>An fsync slower than this is a stall of the disk, for the reports.</summary>
    private const double StallMs = 20;

    private static string Filesystem(string path)
    {
        var info = new ProcessStartInfo("stat", ["-f", "-c", "%T", path]) { RedirectStandardOutput = true };
        using var p = Process.Start(info)!;
        var type = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return type.Length > 0 ? type : "unknown";
    }

    /// <summary>Durable 64-byte appends every 5 ms on a thread of its own, until stopped: the disk's latency while a load runs.</summary>
    private sealed class DiskProbe : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<double> _latencies = [];
        private readonly Thread _thread;
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public DiskProbe(string directory)
        {
            _thread = new Thread(() =>
            {
                var path = Path.Combine(directory, $"probe-{Guid.NewGuid():N}.tmp");
                var record = new byte[64];
                using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1))
                    while (!_stop.IsCancellationRequested)
                    {
                        var start = Stopwatch.GetTimestamp();
                        file.Write(record);
                        file.Flush(flushToDisk: true);
                        _latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                        _stop.Token.WaitHandle.WaitOne(5);
                    }
                File.Delete(path);
            }) { IsBackground = true };
            _thread.Start();
        }

        public (double Max, double StalledShare) Stop()
        {
            _stop.Cancel();
            _thread.Join();
            return (_latencies.DefaultIfEmpty().Max(), _latencies.Where(l => l > StallMs).Sum() / _clock.Elapsed.TotalMilliseconds);
        }

        public void Dispose()
        {
            if (!_stop.IsCancellationRequested) Stop();
            _stop.Dispose();
        }
    }

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
        return new LoadResult(issued, refused, failed, issued / seconds, Percentile(all, 0.5), Percentile(all, 0.9), Percentile(all, 0.99), all.DefaultIfEmpty().Max());
    }

    /// <summary>
    /// Open-loop load: <paramref name="clients"/> stations offer <paramref name="rate"/> codes/s together for
    /// <paramref name="seconds"/>, each on a Poisson schedule of its own; a request's latency runs from its due time.
    /// </summary>
    private static LoadResult Paced(int clients, double rate, int seconds, Func<int, IAuthCodeIssuer> issuer, Func<DeviceEvidence> device)
    {
        long issued = 0, failed = 0;
        var latencies = new List<double>[clients];
        string? firstError = null;
        var perStation = rate / clients;
        using var start = new Barrier(clients + 1);
        var clock = new Stopwatch();
        var threads = Enumerable.Range(0, clients).Select(i => new Thread(() =>
        {
            var mine = latencies[i] = new List<double>();
            var me = issuer(i);
            var random = new Random(i);
            start.SignalAndWait();
            var due = 0.0;
            while (true)
            {
                due += -Math.Log(1 - random.NextDouble()) / perStation;
                if (due >= seconds) break;
                var wait = due - clock.Elapsed.TotalSeconds;
                if (wait > 0) Thread.Sleep(TimeSpan.FromSeconds(wait));
                var d = device();
                try
                {
                    me.IssueAuthCode(d);
                    mine.Add((clock.Elapsed.TotalSeconds - due) * 1000);
                    Interlocked.Increment(ref issued);
                }
                catch (SppsException e) { Interlocked.Increment(ref failed); firstError ??= e.Code + " " + e.Message; }
            }
        }) { IsBackground = true }).ToList();
        foreach (var t in threads) t.Start();
        clock.Start();
        start.SignalAndWait();
        foreach (var t in threads) t.Join();
        var elapsed = Math.Max(seconds, clock.Elapsed.TotalSeconds);
        if (failed > 0) Log($"  {failed} failures, first: {firstError}");
        var all = latencies.SelectMany(l => l).ToList();
        return new LoadResult(issued, 0, failed, issued / elapsed, Percentile(all, 0.5), Percentile(all, 0.9), Percentile(all, 0.99), all.DefaultIfEmpty().Max());
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

internal sealed record CommitRun(double Rate, double P50, double P99);

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

    /// <summary>Single-row INSERT + COMMIT transactions per second, synchronous_commit on, from N connections at once, with each commit's latency.</summary>
    public CommitRun CommitRate(int connections, double seconds)
    {
        using (var c = new NpgsqlConnection(ConnectionString))
        {
            c.Open();
            using var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS commit_rate (id bigserial PRIMARY KEY, line text NOT NULL)", c);
            create.ExecuteNonQuery();
        }
        long done = 0;
        var latencies = new List<double>[connections];
        var until = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, connections).Select(i => new Thread(() =>
        {
            var mine = latencies[i] = [];
            using var c = new NpgsqlConnection(ConnectionString);
            c.Open();
            var line = new string('x', 400); // about a ledger record's size
            while (until.Elapsed.TotalSeconds < seconds)
            {
                var start = Stopwatch.GetTimestamp();
                using var tx = c.BeginTransaction();
                using var insert = new NpgsqlCommand("SET LOCAL synchronous_commit = on; INSERT INTO commit_rate (line) VALUES (@l)", c, tx);
                insert.Parameters.AddWithValue("l", line);
                insert.ExecuteNonQuery();
                tx.Commit();
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                Interlocked.Increment(ref done);
            }
        })).ToList();
        var clock = Stopwatch.StartNew();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        var all = latencies.SelectMany(l => l).ToList();
        return new CommitRun(done / clock.Elapsed.TotalSeconds, Percentile(all, 0.5), Percentile(all, 0.99));
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
