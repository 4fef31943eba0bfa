using System.Diagnostics;
using System.Security.Cryptography;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Core;
using Spps.Core.Commands;
using Spps.Core.Manufacturer;
using static Spps.Benchmarks.Util;

namespace Spps.Benchmarks;

/// <summary>One device as a station would present it (DSN, certificate, device ephemeral key, factory lot).</summary>
internal sealed record DeviceInput(string Dsn, byte[]? Certificate, byte[]? Ephemeral, string? Lot);

internal sealed record ClientTotals(long Issued, long Refused, long Failed, string? FirstError);

/// <summary>
/// Durable authorization codes per second from the real M-HSM (ManufacturerHsm.IssueAuthCode after the
/// whole OE/CM handshake), 1 client, 16 threads sharing one M-HSM, and 16 processes each opening the
/// M-HSM of the same SPPS_HOME (the multi-station case; the ledger's flock serializes them).
/// </summary>
internal static class AuthCodeBench
{
    private const string Service = "processes via M-HSM service";

    private const string Action = "PROGRAM";

    /// <summary>Station processes that had to retry opening the M-HSM (SoftHSM2 under concurrent opens).</summary>
    public static int OpenRetries;

    /// <summary>
    /// Child: spps-bench child-authcodes --root DIR --hsm NAME|URI --label L --vendor-home V --boards DIR
    ///        --trials 3 --dfk1 N --dfk16 N --kfpe1 N --kfpe16 N --clients 16 --over-max N --over-attempts N [--coc-boards DIR --station-boards DIR]
    /// </summary>
    public static int Child(string[] args)
    {
        var root = Arg(args, "root");
        var label = Arg(args, "label");
        var trials = IntArg(args, "trials", 3);
        var clients = IntArg(args, "clients", 16);
        var sizes = new Dictionary<(string Mode, int Clients), int>
        {
            [("DFK", 1)] = IntArg(args, "dfk1", 600), [("DFK", clients)] = IntArg(args, "dfk16", 1600),
            [("KFPE", 1)] = IntArg(args, "kfpe1", 300), [("KFPE", clients)] = IntArg(args, "kfpe16", 800),
        };
        var overMax = IntArg(args, "over-max", 200);
        var overAttempts = IntArg(args, "over-attempts", 20);
        var boardsDir = Arg(args, "boards");

        Log($"[{label}] setting up OE and CM sites (CM HSM: {Arg(args, "hsm")})");
        using var oe = new OwnerSite(root, Arg(args, "vendor-home"));
        using var cm = new ManufacturerSite(root, Arg(args, "hsm"), Arg(args, "vendor-home"));
        var fsync = References.FsyncRateMedian(Path.Combine(cm.Home, "mhsm"));
        Result(new JObject { ["kind"] = "fsync", ["label"] = label, ["median"] = fsync.Median, ["runs"] = new JArray(fsync.Runs) });
        var moves = References.ObjectMoveRateMedian(cm.Fp.Mhsm.Hsm);
        Result(new JObject { ["kind"] = "object-moves", ["label"] = label, ["median"] = moves.Median, ["runs"] = new JArray(moves.Runs) });

        oe.SmallDesign("d");
        oe.Jm.Run("init_bitstream", ("data_name", "d"), ("bitstream_name", "bs_dfk"), ("features", "SECURITY"), ("auth_keymode", "DFK"));
        oe.Jm.Run("init_bitstream", ("data_name", "d"), ("bitstream_name", "bs_kfpe"), ("features", "SECURITY"), ("auth_keymode", "KFPE"));

        // One ticket per (mode, clients, kind, trial), max_device = exactly the attempts, plus warm-up and overbuild tickets.
        var scenarios = new List<(string Mode, int Clients, string Kind, int Trial, string Device, int Count)>();
        foreach (var mode in new[] { "DFK", "KFPE" })
            foreach (var (c, kind) in new[] { (1, "threads"), (clients, "threads"), (clients, "processes"), (clients, Service) })
                for (var t = 0; t < trials; t++)
                    scenarios.Add((mode, c, kind, t, $"{mode}_{kind}_{c}_{t}", sizes[(mode, c)]));
        var devices = scenarios.Select(s => new JobDevice(s.Device, "d", s.Mode == "DFK" ? "bs_dfk" : "bs_kfpe", s.Count)).ToList();
        devices.Add(new JobDevice("warm_DFK", "d", "bs_dfk", -1));
        devices.Add(new JobDevice("warm_KFPE", "d", "bs_kfpe", -1));
        devices.Add(new JobDevice("over_threads", "d", "bs_dfk", overMax));
        devices.Add(new JobDevice("over_processes", "d", "bs_dfk", overMax));
        devices.Add(new JobDevice("over_processes-via-service", "d", "bs_dfk", overMax));
        Log($"[{label}] building job with {devices.Count} tickets");
        var tickets = Jobs.Build(oe, cm, "authjob", devices);

        // KFPE devices: real simulated boards (certificate chaining to the vendor root), device ephemeral keys made here once.
        var boardFiles = Directory.EnumerateFiles(boardsDir, "board-*.json").Order(StringComparer.Ordinal).ToList();
        var kfpeNeeded = sizes.Where(s => s.Key.Mode == "KFPE").Max(s => s.Value);
        if (boardFiles.Count < kfpeNeeded) throw new InvalidOperationException($"need {kfpeNeeded} boards in {boardsDir}, found {boardFiles.Count}");
        var kfpeDevices = boardFiles.Take(kfpeNeeded).Select(f =>
        {
            var board = JObject.Parse(File.ReadAllText(f));
            using var eph = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
            return new DeviceInput((string)board["dsn"]!, Convert.FromBase64String((string)board["certificate"]!), eph.ExportSubjectPublicKeyInfo(), (string)board["factory_lot"]!);
        }).ToList();
        var maxDfk = Math.Max(sizes.Where(s => s.Key.Mode == "DFK").Max(s => s.Value), overMax + clients * overAttempts);
        var dfkDevices = Enumerable.Range(0, maxDfk).Select(_ => new DeviceInput(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), null, null, cm.FactoryLot)).ToList();

        var mhsm = cm.Fp.Mhsm;
        // The site's M-HSM service, served from this process, for the "processes via M-HSM service" scenarios.
        var socket = Spps.Core.Service.MhsmClient.DefaultSocketPath(cm.Home, mhsm.Uuid);
        using var stopService = new CancellationTokenSource();
        var serving = new TaskCompletionSource();
        var service = Task.Run(() => Spps.Mhsm.Service.MhsmServiceHost.RunAsync(mhsm,
            new Spps.Mhsm.Service.ServeOptions([Spps.Core.Service.MhsmAddress.Parse("unix:" + socket)], null, null, null, Microsoft.Extensions.Logging.LogLevel.Warning),
            line => { if (line.Contains("serving")) serving.TrySetResult(); }, stopService.Token));
        if (Task.WhenAny(serving.Task, service).GetAwaiter().GetResult() != serving.Task) service.GetAwaiter().GetResult();
        // Warm up (JIT, plugin, first ledger catch-up) on the unlimited warm-up tickets.
        Warm(mhsm, tickets["warm_DFK"], dfkDevices[0]);
        Warm(mhsm, tickets["warm_KFPE"], kfpeDevices[0]);
        var warmFile = Path.Combine(cm.Work, "warm.jsonl");
        WriteEvidence(warmFile, [(tickets["warm_DFK"], dfkDevices[0]), (tickets["warm_KFPE"], kfpeDevices[0])]);
        Breakdown.Run(mhsm, cm, label, tickets["warm_KFPE"], kfpeDevices);

        foreach (var s in scenarios.OrderBy(s => s.Trial))
        {
            try
            {
            var inputs = (s.Mode == "DFK" ? dfkDevices : kfpeDevices).Take(s.Count).ToList();
            var ticket = tickets[s.Device];
            var (seconds, totals) = s.Kind == "threads"
                ? RunThreads(mhsm, ticket, inputs, s.Clients)
                : RunProcesses(cm, ticket, inputs, s.Clients, warmFile, s.Kind == Service ? socket : null);
            mhsm.Refresh();
            var ledgerIssued = mhsm.Ticket(Ids.Ticket(ticket))!.Issued;
            Log($"[{label}] {s.Mode} {s.Clients} {s.Kind} trial {s.Trial + 1}: {totals.Issued} codes in {seconds:F2} s = {totals.Issued / seconds:F0}/s (ledger {ledgerIssued}, failed {totals.Failed} {totals.FirstError})");
            if (totals.Failed > 0 || totals.Issued != s.Count || ledgerIssued != s.Count)
                throw new InvalidOperationException($"{s.Device}: expected {s.Count} codes, issued {totals.Issued}, ledger {ledgerIssued}, failures {totals.Failed}: {totals.FirstError}");
            Result(new JObject
            {
                ["kind"] = "authcodes", ["label"] = label, ["mode"] = s.Mode, ["clients"] = s.Clients, ["how"] = s.Kind, ["trial"] = s.Trial,
                ["codes"] = totals.Issued, ["seconds"] = seconds, ["per_s"] = totals.Issued / seconds,
            });
            }
            catch (Exception e) when (e is InvalidOperationException or SppsException or IOException)
            {
                Log($"[{label}] {s.Device} FAILED: {e.Message}");
                Result(new JObject { ["kind"] = "failure", ["label"] = label, ["message"] = $"{s.Mode} {s.Clients} {s.Kind} trial {s.Trial + 1}: {e.Message}" });
            }
        }

        // Zero overbuild: more distinct devices than max_device, from every client at once.
        foreach (var how in new[] { "threads", "processes", Service })
        {
            var ticket = tickets["over_" + how.Split()[0]];
            var inputs = dfkDevices.Skip(1).Take(clients * overAttempts).ToList();
            double seconds;
            ClientTotals totals;
            try
            {
                (seconds, totals) = how == "threads" ? RunThreads(mhsm, ticket, inputs, clients) : RunProcesses(cm, ticket, inputs, clients, warmFile, how == Service ? socket : null);
            }
            catch (InvalidOperationException e)
            {
                // A client that could not start issued nothing; the count check below still applies to the others.
                Log($"[{label}] overbuild run ({how}) incomplete: {e.Message}");
                Result(new JObject { ["kind"] = "failure", ["label"] = label, ["message"] = $"overbuild check ({how}): {e.Message}" });
                continue;
            }
            mhsm.Refresh();
            var ledgerIssued = mhsm.Ticket(Ids.Ticket(ticket))!.Issued;
            var ok = totals.Issued == overMax && ledgerIssued == overMax && totals.Refused == inputs.Count - overMax && totals.Failed == 0;
            Log($"[{label}] overbuild check ({clients} {how}): max_device {overMax}, {inputs.Count} attempts -> {totals.Issued} issued, {totals.Refused} refused (SPPS4008), ledger {ledgerIssued}: {(ok ? "OK" : "FAILED")}");
            Result(new JObject
            {
                ["kind"] = "overbuild", ["label"] = label, ["how"] = how, ["clients"] = clients, ["max_device"] = overMax, ["attempts"] = inputs.Count,
                ["issued"] = totals.Issued, ["refused"] = totals.Refused, ["failed"] = totals.Failed, ["ledger_issued"] = ledgerIssued, ["ok"] = ok, ["seconds"] = seconds,
            });
            if (!ok) throw new InvalidOperationException($"OVERBUILD CHECK FAILED ({how}): {totals.Issued} issued, ledger {ledgerIssued}, max {overMax}; {totals.FirstError}");
        }

        stopService.Cancel();
        service.Wait(TimeSpan.FromSeconds(10));
        Result(new JObject { ["kind"] = "open_retries", ["label"] = label, ["count"] = OpenRetries });
        if (args.Contains("--coc-boards"))
            PostProductionBench.Run(oe, cm, label, Arg(args, "coc-boards"), Arg(args, "station-boards"), IntArg(args, "coc-trials", 5));
        return 0;
    }

    private static void Warm(IAuthCodeIssuer mhsm, string ticket, DeviceInput d) =>
        mhsm.IssueAuthCode(new DeviceEvidence(Ids.Ticket(ticket), Ids.Action(Action), Ids.Dsn(d.Dsn), d.Certificate, d.Ephemeral, d.Lot));

    private static ClientTotals Issue(IAuthCodeIssuer mhsm, string ticket, IEnumerable<DeviceInput> inputs)
    {
        long issued = 0, refused = 0, failed = 0;
        string? first = null;
        foreach (var d in inputs)
        {
            try
            {
                var code = mhsm.IssueAuthCode(new DeviceEvidence(Ids.Ticket(ticket), Ids.Action(Action), Ids.Dsn(d.Dsn), d.Certificate, d.Ephemeral, d.Lot));
                if (code.Dsn != d.Dsn) throw new InvalidOperationException("code for another DSN");
                issued++;
            }
            catch (SppsException e) when (e.Code == ErrorCodes.Overbuild)
            {
                refused++;
            }
            catch (Exception e)
            {
                failed++;
                first ??= e.GetType().Name + ": " + e.Message;
            }
        }
        return new ClientTotals(issued, refused, failed, first);
    }

    private static List<List<T>> Split<T>(IReadOnlyList<T> items, int parts) =>
        Enumerable.Range(0, parts).Select(p => items.Where((_, i) => i % parts == p).ToList()).ToList();

    public static (double Seconds, ClientTotals Totals) RunThreads(ManufacturerHsm mhsm, string ticket, IReadOnlyList<DeviceInput> inputs, int clients)
    {
        var slices = Split(inputs, clients);
        var results = new ClientTotals[clients];
        using var start = new Barrier(clients + 1);
        var threads = Enumerable.Range(0, clients).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            results[i] = Issue(mhsm, ticket, slices[i]);
        }) { IsBackground = true }).ToList();
        foreach (var t in threads) t.Start();
        start.SignalAndWait();
        var sw = Stopwatch.StartNew();
        foreach (var t in threads) t.Join();
        return (sw.Elapsed.TotalSeconds, Sum(results));
    }

    private static ClientTotals Sum(IEnumerable<ClientTotals> all) =>
        all.Aggregate(new ClientTotals(0, 0, 0, null), (a, b) => new ClientTotals(a.Issued + b.Issued, a.Refused + b.Refused, a.Failed + b.Failed, a.FirstError ?? b.FirstError));

    private static void WriteEvidence(string path, IEnumerable<(string Ticket, DeviceInput Device)> items) =>
        File.WriteAllLines(path, items.Select(x => JsonConvert.SerializeObject(new { t = x.Ticket, d = x.Device.Dsn, c = x.Device.Certificate, e = x.Device.Ephemeral, l = x.Device.Lot })));

    private static List<(string Ticket, DeviceInput Device)> ReadEvidence(string path) =>
        File.ReadLines(path).Select(l => JObject.Parse(l)).Select(o => ((string)o["t"]!,
            new DeviceInput((string)o["d"]!, o["c"]?.Type == JTokenType.Null ? null : Convert.FromBase64String((string)o["c"]!),
                o["e"]?.Type == JTokenType.Null ? null : Convert.FromBase64String((string)o["e"]!), (string?)o["l"]))).ToList();

    /// <summary>
    /// N station processes on the same SPPS_HOME, each opening its own M-HSM. Each warms up, says READY,
    /// and starts on GO; the time runs from GO until the last one exits.
    /// </summary>
    public static (double Seconds, ClientTotals Totals) RunProcesses(ManufacturerSite cm, string ticket, IReadOnlyList<DeviceInput> inputs, int clients, string warmFile, string? serviceSocket = null)
    {
        var slices = Split(inputs, clients);
        var procs = new List<Process>();
        for (var i = 0; i < clients; i++)
        {
            var file = Path.Combine(cm.Work, $"client-{i}.jsonl");
            WriteEvidence(file, slices[i].Select(d => (ticket, d)));
            procs.Add(StartSelf(["child-client", "--home", cm.Home, "--work", cm.Work, "--evidence", file, "--warm", warmFile, .. (serviceSocket is null ? Array.Empty<string>() : ["--service", serviceSocket])], redirectInput: true));
        }
        try
        {
            foreach (var p in procs)
            {
                string? line;
                while ((line = p.StandardOutput.ReadLine()) != "READY")
                    if (line is null) throw new InvalidOperationException($"client {p.Id} exited before READY (exit {(p.WaitForExit(5000) ? p.ExitCode : -1)})");
            }
        }
        catch
        {
            // Stop the clients this run started, so none outlives its scenario.
            foreach (var p in procs)
            {
                try { if (!p.HasExited) p.Kill(); p.WaitForExit(5000); } catch (InvalidOperationException) { }
                p.Dispose();
            }
            throw;
        }
        var sw = Stopwatch.StartNew();
        foreach (var p in procs) { p.StandardInput.WriteLine("GO"); p.StandardInput.Flush(); }
        var totals = new List<ClientTotals>();
        foreach (var p in procs)
        {
            string? line;
            JObject? done = null;
            while ((line = p.StandardOutput.ReadLine()) is not null)
                if (line.StartsWith("DONE ", StringComparison.Ordinal)) done = JObject.Parse(line[5..]);
            p.WaitForExit();
            if (done is null) throw new InvalidOperationException($"client {p.Id} ended without a result (exit {p.ExitCode})");
            totals.Add(new ClientTotals((long)done["issued"]!, (long)done["refused"]!, (long)done["failed"]!, (string?)done["error"]));
            OpenRetries += (int)done["open_retries"]!;
        }
        var seconds = sw.Elapsed.TotalSeconds;
        foreach (var p in procs) p.Dispose();
        return (seconds, Sum(totals));
    }

    /// <summary>Child: one station process (spps-bench child-client --home H --work W --evidence F --warm F).</summary>
    public static int Client(string[] args)
    {
        var evidence = ReadEvidence(Arg(args, "evidence"));
        if (args.Contains("--service"))
        {
            // A station that asks the site's M-HSM service for its codes: it never opens the HSM itself.
            using var client = new Spps.Core.Service.MhsmClient([Spps.Core.Service.MhsmAddress.Parse("unix:" + Arg(args, "service"))], null);
            foreach (var (t, d) in ReadEvidence(Arg(args, "warm"))) Warm(client, t, d);
            Console.WriteLine("READY");
            Console.Out.Flush();
            if (Console.ReadLine() != "GO") return 2;
            var served = Issue(client, evidence.Count > 0 ? evidence[0].Ticket : "", evidence.Select(e => e.Device));
            Console.WriteLine("DONE " + JsonConvert.SerializeObject(new { issued = served.Issued, refused = served.Refused, failed = served.Failed, error = served.FirstError, open_retries = 0 }));
            return 0;
        }
        // SoftHSM2 sometimes fails C_GetSlotList/C_Login when many processes open one token at once
        // (SPPS3104/SPPS3190): retry the open a few times and count it.
        var retries = 0;
        Spps.Core.Site.SppsEnvironment env;
        FlashProCommands fp;
        ManufacturerHsm mhsm;
        while (true)
        {
            env = Util.Env(Arg(args, "home"), Arg(args, "work"));
            fp = new FlashProCommands(env);
            try
            {
                mhsm = fp.Mhsm;
                mhsm.Refresh();
                foreach (var (t, d) in ReadEvidence(Arg(args, "warm"))) Warm(mhsm, t, d);
                break;
            }
            catch (SppsException e) when (retries < 20)
            {
                retries++;
                Console.Error.WriteLine($"child-client {Environment.ProcessId}: opening the M-HSM failed ({e.Code}), retry {retries}");
                fp.Dispose();
                env.Dispose();
                Thread.Sleep(Math.Min(100 * retries, 1000) + Random.Shared.Next(100));
            }
        }
        Console.WriteLine("READY");
        Console.Out.Flush();
        if (Console.ReadLine() != "GO") return 2;
        var ticket = evidence.Count > 0 ? evidence[0].Ticket : "";
        var totals = Issue(mhsm, ticket, evidence.Select(e => e.Device));
        Console.WriteLine("DONE " + JsonConvert.SerializeObject(new { issued = totals.Issued, refused = totals.Refused, failed = totals.Failed, error = totals.FirstError, open_retries = retries }));
        fp.Dispose();
        env.Dispose();
        return 0;
    }
}
