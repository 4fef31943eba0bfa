using System.Diagnostics;
using Newtonsoft.Json.Linq;

namespace Spps.Flow.Tests;

/// <summary>
/// One site (OE or CM): its own SPPS_HOME and working folder, as on a separate machine. Runs the real
/// spps / spps-station executables built next to the tests. The sites under one root share one simulated
/// silicon vendor, a third party whose home (<see cref="VendorHome"/>) is in neither site.
/// </summary>
public sealed class Site(string root, string name)
{
    public string Home { get; } = Directory.CreateDirectory(Path.Combine(root, name + "-home")).FullName;
    public string Work { get; } = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
    public Dictionary<string, string> Environment { get; } = new();
    public string VendorHome { get; } = Path.Combine(root, "sim-vendor");

    public string PathOf(string relative) => Path.Combine(Work, relative);

    public ToolRun Spps(params string[] args) => Run("spps", args);

    public ToolRun Station(params string[] args) => Run("spps-station", args);

    public Process Start(string tool, params string[] args)
    {
        var info = StartInfo(tool, args);
        return Process.Start(info)!;
    }

    public ToolRun Run(string tool, string[] args, TimeSpan? timeout = null)
    {
        using var process = Process.Start(StartInfo(tool, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', args)} did not finish");
        }
        return new ToolRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a command with --json and returns its data.</summary>
    public JObject Json(string tool, params string[] args)
    {
        var run = Run(tool, [.. args, "--json"]).ShouldSucceed();
        return (JObject)JObject.Parse(run.Stdout)["data"]!;
    }

    public JArray Boards(string dir) => JArray.Parse(Station("sim", "inspect", "--dir", dir, "--json").ShouldSucceed().Stdout);

    private ProcessStartInfo StartInfo(string tool, string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, tool + ".dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["SPPS_HOME"] = Home;
        info.Environment["SPPS_SIM_VENDOR"] = VendorHome;
        info.Environment.Remove("SPPS_SILICON_VENDORS");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment.Remove("SPPS_PROGRAMMER");
        foreach (var (k, v) in Environment) info.Environment[k] = v;
        return info;
    }
}
