using System.Diagnostics;
using System.Globalization;
using Newtonsoft.Json.Linq;
using Spps.Core.Commands;
using Spps.Core.Plugins;
using Spps.Core.Site;

namespace Spps.Benchmarks;

internal static class Util
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Dictionary<string, string?> O(params (string Key, string? Value)[] options) =>
        options.ToDictionary(o => o.Key, o => o.Value, StringComparer.Ordinal);

    public static string PluginsDir => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>A site as the hosts make it, with the plugins copied beside this program.</summary>
    /// <param name="ledger">An Npgsql connection string for the M-HSM's ledger (SPPS_LEDGER), or null for the file.</param>
    /// <param name="simVendor">The simulated silicon vendor's home (SPPS_SIM_VENDOR), or null for the default.</param>
    public static SppsEnvironment Env(string home, string work, string? ledger = null, string? simVendor = null)
    {
        Directory.CreateDirectory(home);
        Directory.CreateDirectory(work);
        return new SppsEnvironment(new SiteOptions(Path.GetFullPath(home), null, null, Ledger: ledger, SimVendorHome: simVendor is null ? null : Path.GetFullPath(simVendor)), work, Environment.GetEnvironmentVariable, _ => { }, new PluginCatalog([PluginsDir]));
    }

    public static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    public static double Percentile(IEnumerable<double> values, double p)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) return double.NaN;
        return v[Math.Min(v.Length - 1, (int)Math.Ceiling(p * v.Length) - 1)];
    }

    public static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    /// <summary>A line from /proc/self/status in kB (VmHWM, VmRSS).</summary>
    public static long StatusKb(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], Inv);
        return -1;
    }

    /// <summary>Resets VmHWM to the current RSS (proc(5): writing 5 to clear_refs).</summary>
    public static bool ResetPeakRss()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    public static void FillRandomFile(string path, long length, int seed)
    {
        var random = new Random(seed);
        var buffer = new byte[1 << 20];
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        for (long done = 0; done < length; done += buffer.Length)
        {
            random.NextBytes(buffer);
            file.Write(buffer, 0, (int)Math.Min(buffer.Length, length - done));
        }
    }

    /// <summary>Starts this program again with <paramref name="args"/> (the benchmark's child processes).</summary>
    public static Process StartSelf(IEnumerable<string> args, IDictionary<string, string>? environment = null, bool redirectInput = false)
    {
        var info = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardInput = redirectInput, RedirectStandardError = false, UseShellExecute = false };
        var host = Environment.ProcessPath!;
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") info.ArgumentList.Add(typeof(Util).Assembly.Location);
        info.FileName = host;
        foreach (var a in args) info.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        return Process.Start(info)!;
    }

    /// <summary>Runs a child and returns the JSON of its "RESULT " lines.</summary>
    public static List<JObject> RunSelf(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        using var p = StartSelf(args, environment);
        var results = new List<JObject>();
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null)
        {
            if (line.StartsWith("RESULT ", StringComparison.Ordinal)) results.Add(JObject.Parse(line[7..]));
            else Console.Error.WriteLine("  | " + line);
        }
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            Log($"child {string.Join(' ', args.Take(1))} failed with exit code {p.ExitCode}; keeping its results so far");
            results.Add(new JObject { ["kind"] = "failure", ["label"] = string.Join(' ', args.Take(1)), ["message"] = $"exit code {p.ExitCode} (see the log)" });
        }
        return results;
    }

    public static void Result(JObject result) => Console.WriteLine("RESULT " + result.ToString(Newtonsoft.Json.Formatting.None));

    public static string Arg(string[] args, string name, string? fallback = null)
    {
        var i = Array.IndexOf(args, "--" + name);
        if (i >= 0 && i + 1 < args.Length) return args[i + 1];
        return fallback ?? throw new ArgumentException($"missing --{name}");
    }

    public static int IntArg(string[] args, string name, int fallback) => int.Parse(Arg(args, name, fallback.ToString(Inv)), Inv);

    public static CommandResult Run(this CommandSet commands, string name, params (string Key, string? Value)[] options) => commands.Execute(name, O(options));
}
