using System.Diagnostics;
using Newtonsoft.Json.Linq;
using Spps.Contracts.Programmers;
using Spps.Core.Manufacturer;
using Spps.Core.Protocol;
using static Spps.Benchmarks.Util;

namespace Spps.Benchmarks;

/// <summary>Counts the time spent inside a programmer port: the JTAG transfer (and, with the simulator, the device itself).</summary>
internal sealed class TimingPort(IJtagPort inner) : IJtagPort
{
    public long Ticks { get; private set; }
    public long Calls { get; private set; }
    public string Location => inner.Location;
    public int FrequencyHz { get => inner.FrequencyHz; set => inner.FrequencyHz = value; }

    private T Time<T>(Func<T> f)
    {
        var start = Stopwatch.GetTimestamp();
        try { return f(); }
        finally { Ticks += Stopwatch.GetTimestamp() - start; Calls++; }
    }

    public void ResetTap() => Time(() => { inner.ResetTap(); return 0; });
    public void ShiftIr(uint instruction, int bitLength) => Time(() => { inner.ShiftIr(instruction, bitLength); return 0; });
    public byte[] ShiftDr(ReadOnlySpan<byte> tdi, int bitLength)
    {
        var copy = tdi.ToArray();
        return Time(() => inner.ShiftDr(copy, bitLength));
    }
    public void RunIdle(int clocks) => Time(() => { inner.RunIdle(clocks); return 0; });
    public void Dispose() => Time(() => { inner.Dispose(); return 0; });
}

/// <summary>
/// Station overhead per device (StationRunner with instrumented ports, one board at a time), then the
/// post-production check: a real production run over many simulated boards with CoCs, a final status
/// from complete_prog_job, and the OE's import_job_status timed over it.
/// </summary>
internal static class PostProductionBench
{
    public static void Run(OwnerSite oe, ManufacturerSite cm, string label, string cocBoards, string stationBoards, int trials)
    {
        oe.Jm.Run("init_bitstream", ("data_name", "d"), ("bitstream_name", "bs_coc"), ("features", "SECURITY FABRIC"), ("auth_keymode", "KFPE"), ("generate_coc", null));

        // 5. Station overhead: everything but the time inside the programmer port.
        var stationCount = Directory.EnumerateFiles(stationBoards, "board-*.json").Count();
        Jobs.Build(oe, cm, "stationjob", [new JobDevice("S1", "d", "bs_coc", stationCount)]);
        var project = cm.Fp.Project!;
        var ports = cm.Env.Plugins.ProgrammerProvider("sim").Discover(stationBoards).Select(p => new TimingPort(p)).ToList();
        var byLocation = ports.ToDictionary(p => p.Location);
        var runner = new StationRunner(cm.Fp.Mhsm, project, project.OpenJob());
        var done = new List<(string Location, long At, bool Ok)>();
        var start = Stopwatch.GetTimestamp();
        runner.Run(Spps.Core.Domain.ProgrammingAction.Program, ports.Cast<IJtagPort>().ToList(), 1, b => done.Add((b.Location, Stopwatch.GetTimestamp(), b.Succeeded)));
        var total = Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (done.Any(d => !d.Ok)) throw new InvalidOperationException("station run: some boards failed");
        var walls = new List<double>();
        var overheads = new List<double>();
        var inPort = new List<double>();
        var previous = start;
        foreach (var d in done)
        {
            var wall = (d.At - previous) * 1000.0 / Stopwatch.Frequency;
            var port = byLocation[d.Location].Ticks * 1000.0 / Stopwatch.Frequency;
            walls.Add(wall);
            inPort.Add(port);
            overheads.Add(wall - port);
            previous = d.At;
        }
        var steady = overheads.Skip(Math.Min(5, overheads.Count / 10)).ToList(); // the first boards include JIT
        Log($"[{label}] station: {done.Count} boards one at a time in {total:F1} s; per device wall {Median(walls):F2} ms, in port {Median(inPort):F2} ms, overhead median {Median(steady):F2} ms (p90 {Percentile(steady, 0.9):F2})");
        Result(new JObject
        {
            ["kind"] = "station", ["label"] = label, ["boards"] = done.Count, ["seconds"] = total,
            ["wall_ms_median"] = Median(walls), ["port_ms_median"] = Median(inPort),
            ["overhead_ms_median"] = Median(steady), ["overhead_ms_p90"] = Percentile(steady, 0.9), ["overhead_ms_mean"] = steady.Average(),
        });

        // 4. Post-production: real production run with CoCs, final status, OE validation.
        var cocCount = Directory.EnumerateFiles(cocBoards, "board-*.json").Count();
        Jobs.Build(oe, cm, "cocjob", [new JobDevice("C1", "d", "bs_coc", cocCount)]);
        Log($"[{label}] programming {cocCount} boards with run_selected_actions (sim, parallel 2) for the CoC status");
        var sw = Stopwatch.StartNew();
        cm.Fp.Run("run_selected_actions", ("programmer", "sim:" + cocBoards), ("parallel", "2"));
        var production = sw.Elapsed.TotalSeconds;
        var statusPath = Path.Combine(cm.Work, "cocjob-final.status");
        cm.Fp.Run("complete_prog_job", ("job_status_file", statusPath));
        Result(new JObject { ["kind"] = "production", ["label"] = label, ["boards"] = cocCount, ["seconds"] = production, ["boards_per_s"] = cocCount / production });

        var identity = Convert.FromBase64String(oe.Jm.Project!.Job("cocjob").Task("T").Reply!.IdentityKey);
        for (var t = 0; t < trials + 1; t++)
        {
            sw.Restart();
            var status = JobStatusFile.Read(statusPath, identity);
            var read = sw.Elapsed.TotalSeconds;
            sw.Restart();
            var result = oe.Jm.Run("import_job_status", ("job_status_file", statusPath));
            var seconds = sw.Elapsed.TotalSeconds;
            var cocs = (JObject)result.Data["cocs"]!;
            var valid = (long)cocs["valid"]!;
            if (valid != cocCount || (long)cocs["invalid"]! != 0 || !(bool)result.Data["valid"]!)
                throw new InvalidOperationException($"import_job_status: {cocs}");
            Log($"[{label}] import_job_status trial {t}{(t == 0 ? " (warm-up)" : "")}: {valid} CoCs in {seconds * 1000:F0} ms = {valid / seconds:F0} CoCs/s (parse+signature alone {read * 1000:F0} ms)");
            if (t == 0) continue;
            Result(new JObject
            {
                ["kind"] = "cocs", ["label"] = label, ["trial"] = t, ["cocs"] = valid, ["seconds"] = seconds, ["per_s"] = valid / seconds,
                ["read_seconds"] = read, ["status_bytes"] = new FileInfo(statusPath).Length, ["records"] = status.Tickets.Sum(x => x.Records.Count),
            });
        }
    }
}
