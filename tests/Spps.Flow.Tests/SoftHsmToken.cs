using System.Diagnostics;

namespace Spps.Flow.Tests;

/// <summary>
/// A SoftHSM2 token in its own folder, made with softhsm2-util before any process loads the module.
/// Each site gets its own SOFTHSM2_CONF, as each would have its own HSM.
/// </summary>
public sealed class SoftHsmToken
{
    public const string UserPin = "spps-test-user-5678";
    private const string SoPin = "spps-test-so-1234";

    public SoftHsmToken(string folder, string label)
    {
        Label = label;
        Module = new[] { "/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("SoftHSM2 is not installed: apt-get install -y softhsm2 opensc (.ci/run does this).");
        Directory.CreateDirectory(Path.Combine(folder, "tokens"));
        Config = Path.Combine(folder, "softhsm2.conf");
        File.WriteAllText(Config, $"directories.tokendir = {folder}/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        PinFile = Path.Combine(folder, label + ".pin");
        File.WriteAllText(PinFile, UserPin + "\n");
        Tool("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", SoPin, "--pin", UserPin).ShouldSucceed();
    }

    public string Label { get; }
    public string Module { get; }
    public string Config { get; }
    public string PinFile { get; }
    public string Uri => $"pkcs11:token={Label}?module-path={Module}&pin-source=file:{PinFile}";

    public void Use(Site site) => site.Environment["SOFTHSM2_CONF"] = Config;

    /// <summary>pkcs11-tool (OpenSC) against this token, logged in.</summary>
    public ToolRun Pkcs11Tool(params string[] args) =>
        Tool("pkcs11-tool", ["--module", Module, "--token-label", Label, "--login", "--pin", UserPin, .. args]);

    private ToolRun Tool(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["SOFTHSM2_CONF"] = Config;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return new ToolRun(p.ExitCode, stdout.Result, stderr.Result);
    }
}
