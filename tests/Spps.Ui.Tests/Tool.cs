using System.Diagnostics;

namespace Spps.Ui.Tests;

/// <summary>spps and spps-station from this test's output folder, run as processes in one site's folder.</summary>
public sealed record Tool(string Dll)
{
    public static Tool Spps { get; } = new(Path.Combine(AppContext.BaseDirectory, "spps.dll"));
    public static Tool Station { get; } = new(Path.Combine(AppContext.BaseDirectory, "spps-station.dll"));

    public (int ExitCode, string Output) Run(string folder, string home, params string[] arguments)
    {
        using var process = Process.Start(Info(folder, home, arguments))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(Dll)} {string.Join(' ', arguments)} did not finish in 3 minutes");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public string Succeed(string folder, string home, params string[] arguments)
    {
        var (code, output) = Run(folder, home, arguments);
        Assert.True(code == 0, $"{Path.GetFileName(Dll)} {string.Join(' ', arguments)} exited {code}:\n{output}");
        return output;
    }

    public ProcessStartInfo Info(string folder, string home, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["SPPS_HOME"] = home;
        // The simulated silicon vendor, a third party: beside the sites' homes, shared by the OE and the CM of one test.
        info.Environment["SPPS_SIM_VENDOR"] = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(home))!, "sim-vendor");
        info.Environment.Remove("SPPS_SILICON_VENDORS");
        foreach (var name in new[] { "SPPS_PROGRAMMER", "SPPS_PLUGIN_PATH", "SPPS_HSM_PASSPHRASE", "SPPS_HSM_PASSPHRASE_FILE", "SPPS_UI_TOKEN" })
            info.Environment.Remove(name);
        return info;
    }
}
