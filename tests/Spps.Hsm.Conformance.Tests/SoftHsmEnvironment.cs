using System.Diagnostics;

namespace Spps.Hsm.Conformance.Tests;

/// <summary>
/// SoftHSM2 tokens for this test run, in a private temporary folder. SOFTHSM2_CONF is set before any test
/// loads the module (SoftHSM2 reads it in C_Initialize, and lists tokens only then), so every token is
/// created up front. A missing SoftHSM2 is a failure, not a skip: CI installs it.
/// </summary>
internal sealed class SoftHsmEnvironment
{
    public const string MainToken = "spps-main";

    /// <summary>
    /// Only the conformance suite opens this token, so its SPPS identity is always <see cref="MainUuid"/>, created
    /// by that suite. (Pkcs11PluginTests opens tokens without a UUID, which creates a random one on a token that has none.)
    /// </summary>
    public const string ConformanceToken = "spps-conformance";
    public const string PinToken = "spps-pin";
    public const string InspectToken = "spps-inspect";
    public const string TrustedToken = "spps-trusted";
    public const string MainUuid = "00c0ffee0123456789abcdef";
    public const string UserPin = "user-pin-4711";
    public const string SecurityOfficerPin = "so-pin-0815";

    private static readonly string[] ModuleCandidates =
    [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/local/lib/softhsm/libsofthsm2.so",
        "/usr/lib64/pkcs11/libsofthsm2.so",
        "/opt/homebrew/lib/softhsm/libsofthsm2.so",
    ];

    private static readonly Lazy<SoftHsmEnvironment> Shared = new(Create);

    private SoftHsmEnvironment(string directory, string modulePath)
    {
        Directory = directory;
        ModulePath = modulePath;
        PinFile = Path.Combine(directory, "user.pin");
    }

    public static SoftHsmEnvironment Instance => Shared.Value;

    public string Directory { get; }
    public string ModulePath { get; }
    public string PinFile { get; }

    public string Uri(string token, string extraQuery = "") =>
        $"pkcs11:token={token}?module-path={ModulePath}&pin-source=file:{PinFile}{extraQuery}";

    private static SoftHsmEnvironment Create()
    {
        var modulePath = Environment.GetEnvironmentVariable("SPPS_TEST_PKCS11_MODULE") is { Length: > 0 } configured
            ? configured
            : ModuleCandidates.FirstOrDefault(File.Exists)
              ?? throw new InvalidOperationException(
                  "SoftHSM2 is not installed: no libsofthsm2.so in " + string.Join(", ", ModuleCandidates) +
                  ". Install it (apt-get install -y softhsm2 opensc) or set SPPS_TEST_PKCS11_MODULE to the module path.");

        var directory = Path.Combine(Path.GetTempPath(), "spps-softhsm-" + Guid.NewGuid().ToString("N")[..12]);
        var tokens = Path.Combine(directory, "tokens");
        System.IO.Directory.CreateDirectory(tokens);
        var config = Path.Combine(directory, "softhsm2.conf");
        File.WriteAllText(config,
            $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\nslots.mechanisms = ALL\n");
        // .NET keeps its own copy of the environment on Unix: child processes see SetEnvironmentVariable,
        // but the module reads the C library's environment with getenv(), so set it there too.
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", config);
        if (NativeEnvironment.SetEnv("SOFTHSM2_CONF", config, 1) != 0)
            throw new InvalidOperationException("setenv(SOFTHSM2_CONF) failed.");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { System.IO.Directory.Delete(directory, recursive: true); }
            catch (IOException) { /* left in the temp folder */ }
        };

        var environment = new SoftHsmEnvironment(directory, modulePath);
        File.WriteAllText(environment.PinFile, UserPin + "\n");
        foreach (var token in (string[])[MainToken, ConformanceToken, PinToken, InspectToken, TrustedToken])
            Run("softhsm2-util", "--init-token", "--free", "--label", token, "--so-pin", SecurityOfficerPin, "--pin", UserPin);
        return environment;
    }

    public static (int ExitCode, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} is not installed ({e.Message}). Install softhsm2 and opensc: apt-get install -y softhsm2 opensc.", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            var output = stdout.Result + stderr;
            if (program == "softhsm2-util" && process.ExitCode != 0)
                throw new InvalidOperationException($"softhsm2-util {string.Join(' ', arguments.Where(a => !a.Contains("pin", StringComparison.Ordinal)))} failed: {output}");
            return (process.ExitCode, output);
        }
    }
}
