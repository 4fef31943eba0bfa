using System.Diagnostics;
using Newtonsoft.Json.Linq;
using Spps.Core.Formats;
using static Spps.Benchmarks.Util;

namespace Spps.Benchmarks;

/// <summary>
/// init_bitstream throughput and peak memory. Each run is a fresh process (so peak RSS is that run's
/// own): OE site, keyset, project, a 1 MiB warm-up design and bitstream (JIT), then the measured design
/// is imported and its init_bitstream timed, with VmHWM reset just before it.
/// </summary>
internal static class BitstreamBench
{
    public static string MakeJdc(string directory, long fabricBytes, string name)
    {
        Directory.CreateDirectory(directory);
        var fabric = Path.Combine(directory, name + ".fabric.bin");
        FillRandomFile(fabric, fabricBytes, (int)(fabricBytes >> 20));
        var jdc = Path.Combine(directory, name + ".jdc");
        JdcFile.Create(jdc, "bench_" + name, "M2S090TS", fabric, null, []);
        File.Delete(fabric);
        return jdc;
    }

    /// <summary>Child: spps-bench child-bitstream --root DIR --jdc BIG --warm-jdc SMALL</summary>
    public static int Child(string[] args)
    {
        var root = Arg(args, "root");
        var peakSetupKb = 0L;
        using (var oe = new OwnerSite(root))
        {
            var keyset = Path.Combine(oe.Work, "user.keyset");
            oe.Jm.Run("new_prog_data", ("data_name", "warm"), ("import_file", Arg(args, "warm-jdc")), ("keyset_file", keyset));
            oe.Jm.Run("init_bitstream", ("data_name", "warm"), ("bitstream_name", "warm"), ("features", "SECURITY FABRIC"), ("auth_keymode", "KFPE"), ("generate_coc", null));
            oe.Jm.Run("new_prog_data", ("data_name", "big"), ("import_file", Arg(args, "jdc")), ("keyset_file", keyset));
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            peakSetupKb = StatusKb("VmHWM");
            var rssBeforeKb = StatusKb("VmRSS");
            var reset = ResetPeakRss();
            var sw = Stopwatch.StartNew();
            var result = oe.Jm.Run("init_bitstream", ("data_name", "big"), ("bitstream_name", "master"), ("features", "SECURITY FABRIC"), ("auth_keymode", "KFPE"), ("generate_coc", null));
            var seconds = sw.Elapsed.TotalSeconds;
            var peakInitKb = StatusKb("VmHWM");
            var bytes = (long)result.Data["plaintext_length"]!;
            Result(new JObject
            {
                ["seconds"] = seconds, ["plaintext_bytes"] = bytes, ["mb_per_s"] = bytes / seconds / 1e6,
                ["rss_before_kb"] = rssBeforeKb, ["peak_init_kb"] = reset ? peakInitKb : -1, ["peak_setup_kb"] = peakSetupKb,
                ["peak_process_kb"] = Math.Max(peakSetupKb, peakInitKb), ["hwm_reset"] = reset,
            });
        }
        Directory.Delete(root, recursive: true);
        return 0;
    }
}
