using System.Diagnostics;

namespace Spps.Build.Tests;

/// <summary>The outcome of one process: exit code and both streams.</summary>
public sealed record DotnetRun(string Command, int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;

    public DotnetRun ShouldSucceed()
    {
        Assert.True(ExitCode == 0, $"{Command} failed with exit code {ExitCode}:\n{Output}");
        return this;
    }

    public DotnetRun ShouldFail()
    {
        Assert.True(ExitCode != 0, $"{Command} succeeded but should have failed:\n{Output}");
        return this;
    }

    /// <summary>Runs dotnet with arguments in a folder; the environment is the test's plus the given overrides (null removes).</summary>
    public static DotnetRun Start(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment)
        {
            if (value is null) info.Environment.Remove(name);
            else info.Environment[name] = value;
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} did not finish in 5 minutes");
        }
        return new DotnetRun("dotnet " + string.Join(' ', arguments), process.ExitCode, stdout.Result, stderr.Result);
    }
}
