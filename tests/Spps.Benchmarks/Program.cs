using System.Diagnostics;
using System.Security.Cryptography;
using Newtonsoft.Json.Linq;
using Spps.Benchmarks;
using Spps.Contracts.Programmers;
using Spps.Core.Plugins;
using static Spps.Benchmarks.Util;

// spps-bench: the DESIGN.md §7 benchmarks. `spps-bench run --out docs/benchmarks.md` (scripts/bench.sh) runs
// everything; the child-* verbs are the fresh processes it starts for itself.
try
{
    var verb = args.Length > 0 ? args[0] : "run";
    return verb switch
    {
        "run" => Orchestrator.Run(args),
        "child-bitstream" => BitstreamBench.Child(args),
        "child-authcodes" => AuthCodeBench.Child(args),
        "child-client" => AuthCodeBench.Client(args),
        "jtag" => JtagBench.Run(args),
        "service-load" => ServiceLoadBench.Run(args),
        _ => Usage(),
    };
}
catch (Exception e)
{
    // A benchmark is a developer's tool: the stack says where a failure came from.
    Console.Error.WriteLine($"spps-bench {string.Join(' ', args.Take(1))}: {e}\n{e.StackTrace}");
    return 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: spps-bench run [--out FILE] [--work DIR] [--quick] [--only refs,bitstream,software,softhsm] [--keep]");
    Console.Error.WriteLine("       spps-bench jtag [--out FILE] [--quick]   (programmers: remote_bitbang, OpenOCD, MPSSE)");
    Console.Error.WriteLine("       spps-bench service-load [--stations 64] [--codes 6400] [--over-max 500] [--paced-seconds 8] [--out FILE]   (needs postgresql; run as root)");
    return 2;
}

namespace Spps.Benchmarks
{
    internal static class Orchestrator
    {
        public static int Run(string[] args)
        {
            var quick = args.Contains("--quick");
            var only = Arg(args, "only", "refs,bitstream,software,softhsm").Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            var work = Path.GetFullPath(Arg(args, "work", Path.Combine(Path.GetTempPath(), $"spps-bench-{Environment.ProcessId}")));
            var output = Arg(args, "out", "");
            Directory.CreateDirectory(work);
            var results = new List<JObject>();
            var started = DateTimeOffset.Now;
            var clock = Stopwatch.StartNew();
            var machine = Machine.Describe(work);
            Log($"work folder {work}; {machine["cpu"]} x{machine["nproc"]}");

            // References, same run.
            if (only.Contains("refs") || only.Contains("bitstream"))
            {
                Log("references: openssl speed, .NET AesGcm, SHA-256/384, disk write, fsync");
                results.Add(new JObject { ["kind"] = "ref", ["name"] = "openssl", ["mb_per_s"] = References.OpenSslAesGcm(quick ? 1 : 3) });
                results.Add(new JObject { ["kind"] = "ref", ["name"] = "dotnet_aesgcm", ["mb_per_s"] = Median(Enumerable.Range(0, 3).Select(_ => References.DotNetAesGcm(quick ? 0.3 : 1))) });
                results.Add(new JObject { ["kind"] = "ref", ["name"] = "sha256", ["mb_per_s"] = Median(Enumerable.Range(0, 3).Select(_ => References.Hash(HashAlgorithmName.SHA256, quick ? 0.3 : 0.7))) });
                results.Add(new JObject { ["kind"] = "ref", ["name"] = "sha384", ["mb_per_s"] = Median(Enumerable.Range(0, 3).Select(_ => References.Hash(HashAlgorithmName.SHA384, quick ? 0.3 : 0.7))) });
                results.Add(new JObject { ["kind"] = "ref", ["name"] = "disk_write", ["mb_per_s"] = Median(Enumerable.Range(0, 3).Select(_ => References.DiskWrite(work, (quick ? 64L : 256L) << 20))) });
                var fsync = References.FsyncRateMedian(work, quick ? 3 : 5);
                results.Add(new JObject { ["kind"] = "fsync", ["label"] = "parent", ["median"] = fsync.Median, ["runs"] = new JArray(fsync.Runs) });
                foreach (var r in results) Log("  " + r.ToString(Newtonsoft.Json.Formatting.None));
            }

            if (only.Contains("bitstream"))
            {
                var jdcDir = Path.Combine(work, "jdc");
                var warm = BitstreamBench.MakeJdc(jdcDir, 1 << 20, "warm");
                var trials = quick ? 1 : 3;
                foreach (var mib in new[] { 16, 256 })
                {
                    Log($"init_bitstream {mib} MiB: making the JDC");
                    var jdc = BitstreamBench.MakeJdc(jdcDir, (long)mib << 20, $"fabric{mib}");
                    for (var t = 0; t < trials; t++)
                    {
                        var r = RunSelf(["child-bitstream", "--root", Path.Combine(work, $"bitstream-{mib}-{t}"), "--jdc", jdc, "--warm-jdc", warm]).Single();
                        r["kind"] = "bitstream";
                        r["mib"] = mib;
                        r["trial"] = t;
                        Log($"  {mib} MiB trial {t + 1}: {(double)r["mb_per_s"]!:F0} MB/s, peak RSS during init {(long)r["peak_init_kb"]! / 1024} MiB (process {(long)r["peak_process_kb"]! / 1024} MiB)");
                        results.Add(r);
                    }
                    File.Delete(jdc);
                }
            }

            var vendorHome = Path.Combine(work, "vendor");
            var boards = Path.Combine(work, "boards");
            var stationBoards = Path.Combine(work, "station-boards");
            var cocBoardCount = quick ? 300 : 2000;
            var stationBoardCount = quick ? 50 : 200;
            if (only.Contains("software") || only.Contains("softhsm"))
            {
                Log($"making {cocBoardCount} + {stationBoardCount} simulated boards (device certificates from the simulated vendor)");
                var farm = (IVirtualBoardFarm)new PluginCatalog([PluginsDir]).ProgrammerProvider("sim");
                var sw = Stopwatch.StartNew();
                farm.CreateBoards(boards, cocBoardCount, vendorHome);
                farm.CreateBoards(stationBoards, stationBoardCount, vendorHome);
                Log($"  boards made in {sw.Elapsed.TotalSeconds:F1} s");
            }
            var suiteArgs = quick
                ? new[] { "--trials", "1", "--dfk1", "200", "--dfk16", "320", "--kfpe1", "100", "--kfpe16", "160", "--over-max", "100", "--over-attempts", "10" }
                : ["--trials", "3", "--dfk1", "600", "--dfk16", "960", "--kfpe1", "150", "--kfpe16", "320", "--over-max", "200", "--over-attempts", "20"];
            if (only.Contains("software"))
            {
                Log("auth codes, software M-HSM (+ station overhead and CoC validation)");
                results.AddRange(RunSelf(["child-authcodes", "--root", Path.Combine(work, "software"), "--hsm", "M1", "--label", "software",
                    "--vendor-home", vendorHome, "--boards", boards, "--clients", "16", .. suiteArgs,
                    "--coc-boards", boards, "--station-boards", stationBoards, "--coc-trials", quick ? "2" : "5"]));
            }
            if (only.Contains("softhsm"))
            {
                var token = SoftHsm.MakeToken(Path.Combine(work, "softhsm"));
                if (token is null) Log("SoftHSM2 not available: skipping the PKCS#11 benchmark (apt-get install -y softhsm2 opensc)");
                else
                {
                    Log($"auth codes, M-HSM on SoftHSM2 via {token.Value.Uri}");
                    results.AddRange(RunSelf(["child-authcodes", "--root", Path.Combine(work, "softhsm-site"), "--hsm", token.Value.Uri, "--label", "softhsm2",
                        "--vendor-home", vendorHome, "--boards", boards, "--clients", "16", .. suiteArgs],
                        new Dictionary<string, string> { ["SOFTHSM2_CONF"] = token.Value.Conf }));
                }
            }

            var elapsed = clock.Elapsed;
            File.WriteAllText(Path.Combine(work, "results.json"), new JArray(results).ToString());
            var tables = Report.Tables(machine, results, started, elapsed, quick);
            if (output.Length > 0)
            {
                Report.WriteInto(output, tables);
                Log($"wrote {output}");
            }
            else
            {
                Console.WriteLine(tables);
            }
            if (!args.Contains("--keep")) Directory.Delete(work, recursive: true);
            else Log($"kept {work}");
            Log($"done in {elapsed.TotalMinutes:F1} min");
            return 0;
        }
    }

    internal static class SoftHsm
    {
        public static (string Uri, string Conf)? MakeToken(string directory)
        {
            var module = new[] { "/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so" }.FirstOrDefault(File.Exists);
            if (module is null) return null;
            Directory.CreateDirectory(Path.Combine(directory, "tokens"));
            var conf = Path.Combine(directory, "softhsm2.conf");
            File.WriteAllText(conf, $"directories.tokendir = {directory}/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
            var info = new ProcessStartInfo("softhsm2-util") { UseShellExecute = false, RedirectStandardOutput = true };
            foreach (var a in new[] { "--init-token", "--free", "--label", "MHSM", "--so-pin", "1234", "--pin", "5678" }) info.ArgumentList.Add(a);
            info.Environment["SOFTHSM2_CONF"] = conf;
            try
            {
                using var p = Process.Start(info)!;
                p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode != 0) return null;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return null;
            }
            var pin = Path.Combine(directory, "MHSM.pin");
            File.WriteAllText(pin, "5678\n");
            return ($"pkcs11:token=MHSM?module-path={module}&pin-source=file:{pin}", conf);
        }
    }

    internal static class Machine
    {
        public static JObject Describe(string work)
        {
            var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
            return new JObject
            {
                ["nproc"] = Environment.ProcessorCount,
                ["cpu"] = cpu,
                ["aes_ni"] = File.ReadAllText("/proc/cpuinfo").Contains(" aes ", StringComparison.Ordinal),
                ["sha_ni"] = File.ReadAllText("/proc/cpuinfo").Contains(" sha_ni", StringComparison.Ordinal),
                ["memory"] = Shell("sh", "-c", "free -h | awk '/^Mem:/{print $2}'"),
                ["disk"] = Shell("df", "-h", "--output=source,fstype,size,avail,target", work).Split('\n').Skip(1).FirstOrDefault()?.Trim() ?? "",
                ["kernel"] = Shell("uname", "-r"),
                ["dotnet"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
                ["openssl"] = Shell("openssl", "version"),
                ["load"] = File.ReadAllText("/proc/loadavg").Trim(),
            };
        }

        public static string Shell(string file, params string[] args)
        {
            try
            {
                var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in args) info.ArgumentList.Add(a);
                using var p = Process.Start(info)!;
                var text = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                return text.Trim();
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return "";
            }
        }
    }
}
