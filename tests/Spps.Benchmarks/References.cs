using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Spps.Benchmarks;

/// <summary>Reference measurements taken in the same run, so results can be quoted as ratios on a noisy machine.</summary>
internal static partial class References
{
    /// <summary>`openssl speed -evp aes-256-gcm -seconds 3`, the 16384-byte column, in MB/s (10^6 bytes).</summary>
    public static double OpenSslAesGcm(int seconds = 3)
    {
        try
        {
            var info = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "speed", "-evp", "aes-256-gcm", "-seconds", seconds.ToString(Util.Inv), "-bytes", "16384" }) info.ArgumentList.Add(a);
            using var p = Process.Start(info)!;
            var stdout = p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            // "AES-256-GCM   123456.78k" : openssl prints 1000s of bytes per second per block-size column.
            var m = ResultLine().Match(stdout);
            if (!m.Success) return double.NaN;
            var columns = m.Groups[1].Value.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries);
            return double.Parse(columns[^1].Trim().TrimEnd('k'), Util.Inv) * 1000 / 1e6;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return double.NaN;
        }
    }

    [GeneratedRegex(@"(?im)^aes-256-gcm\s+((?:[\d.]+k\s*)+)$")]
    private static partial Regex ResultLine();

    /// <summary>Raw .NET AesGcm over 64 KiB buffers (the bitstream segment size), one thread, MB/s.</summary>
    public static double DotNetAesGcm(double seconds = 1)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        using var gcm = new AesGcm(key, 16);
        var input = RandomNumberGenerator.GetBytes(64 * 1024);
        var output = new byte[input.Length];
        var tag = new byte[16];
        var nonce = new byte[12];
        var aad = new byte[32];
        for (var i = 0; i < 200; i++) gcm.Encrypt(nonce, input, output, tag, aad);
        long bytes = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            for (var i = 0; i < 64; i++)
            {
                nonce[0]++;
                gcm.Encrypt(nonce, input, output, tag, aad);
            }
            bytes += 64L * input.Length;
        }
        return bytes / sw.Elapsed.TotalSeconds / 1e6;
    }

    /// <summary>Incremental hash throughput (1 MiB appends), MB/s.</summary>
    public static double Hash(HashAlgorithmName name, double seconds = 1)
    {
        var buffer = RandomNumberGenerator.GetBytes(64 * 1024);
        using var hash = IncrementalHash.CreateHash(name);
        for (var i = 0; i < 100; i++) hash.AppendData(buffer);
        long bytes = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            for (var i = 0; i < 64; i++) hash.AppendData(buffer);
            bytes += 64L * buffer.Length;
        }
        hash.GetHashAndReset();
        return bytes / sw.Elapsed.TotalSeconds / 1e6;
    }

    /// <summary>Sequential write of <paramref name="length"/> bytes in 64 KiB writes then fsync, as AtomicFile does, MB/s.</summary>
    public static double DiskWrite(string directory, long length)
    {
        var path = Path.Combine(directory, "disk-write.tmp");
        var buffer = RandomNumberGenerator.GetBytes(64 * 1024 + 16);
        var sw = Stopwatch.StartNew();
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            for (long done = 0; done < length; done += buffer.Length) file.Write(buffer);
            file.Flush(flushToDisk: true);
        }
        var rate = length / sw.Elapsed.TotalSeconds / 1e6;
        File.Delete(path);
        return rate;
    }

    /// <summary>Raw durable-append rate: 64-byte append + fsync (FileStream.Flush(true)) for <paramref name="seconds"/>, per second.</summary>
    public static double FsyncRate(string directory, double seconds = 1)
    {
        var path = Path.Combine(directory, $"fsync-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        var record = new byte[64];
        record[^1] = (byte)'\n';
        long n = 0;
        using (var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite, 1, FileOptions.None))
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                file.Seek(0, SeekOrigin.End);
                file.Write(record);
                file.Flush(flushToDisk: true);
                n++;
            }
            var rate = n / sw.Elapsed.TotalSeconds;
            file.Dispose();
            File.Delete(path);
            return rate;
        }
    }

    /// <summary>
    /// The latency of single durable appends (64 bytes + fsync) for <paramref name="seconds"/>: its tail is the floor
    /// of any latency that waits for a disk write. Stalls: appends slower than <paramref name="stall"/> ms, and
    /// the share of the time spent in them.
    /// </summary>
    public static FsyncLatencies FsyncLatency(string directory, double seconds, double stall = 20)
    {
        var path = Path.Combine(directory, $"fsync-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        var record = new byte[64];
        record[^1] = (byte)'\n';
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        using (var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite, 1, FileOptions.None))
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                var start = Stopwatch.GetTimestamp();
                file.Seek(0, SeekOrigin.End);
                file.Write(record);
                file.Flush(flushToDisk: true);
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        var elapsed = clock.Elapsed.TotalMilliseconds;
        File.Delete(path);
        var stalls = latencies.Where(l => l > stall).ToList();
        return new FsyncLatencies(latencies.Count / (elapsed / 1000), Util.Percentile(latencies, 0.5), Util.Percentile(latencies, 0.99),
            Util.Percentile(latencies, 0.999), latencies.Max(), stalls.Count, stalls.Sum() / elapsed);
    }

    /// <summary>
    /// The HSM's raw object-update rate: what moving the HSM-held count marker costs, i.e. create one
    /// persistent key and destroy the previous one, through the real plugin, for <paramref name="seconds"/>.
    /// </summary>
    public static double ObjectMoveRate(Spps.Contracts.Hsm.IHsm hsm, double seconds = 1)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        Spps.Contracts.Hsm.IKeyHandle Marker(long n) => hsm.Generate(new Spps.Contracts.Hsm.KeySpec($"bench/{run}/marker/{n}",
            Spps.Contracts.Hsm.KeyKind.Aes256, Spps.Contracts.Hsm.KeyUsage.Mac, Persistent: true));
        var previous = Marker(0);
        long n = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            var next = Marker(++n);
            hsm.Destroy(previous);
            previous = next;
        }
        var rate = n / sw.Elapsed.TotalSeconds;
        hsm.Destroy(previous);
        return rate;
    }

    public static (double Median, double[] Runs) ObjectMoveRateMedian(Spps.Contracts.Hsm.IHsm hsm, int runs = 5, double seconds = 1)
    {
        var values = Enumerable.Range(0, runs).Select(_ => ObjectMoveRate(hsm, seconds)).ToArray();
        return (Util.Median(values), values);
    }

    /// <summary>Median of <paramref name="runs"/> one-second fsync-rate runs.</summary>
    public static (double Median, double[] Runs) FsyncRateMedian(string directory, int runs = 5, double seconds = 1)
    {
        var values = Enumerable.Range(0, runs).Select(_ => FsyncRate(directory, seconds)).ToArray();
        return (Util.Median(values), values);
    }
}

/// <summary>Single durable appends: their rate, latency percentiles (ms), and the appends slower than the stall threshold.</summary>
internal sealed record FsyncLatencies(double Rate, double P50, double P99, double P999, double Max, int Stalls, double StalledShare);
