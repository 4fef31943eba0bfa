namespace Spps.Flow.Tests;

/// <summary>What a process printed and how it ended.</summary>
public sealed record ToolRun(int ExitCode, string Stdout, string Stderr)
{
    public string All => Stdout + Stderr;

    public ToolRun ShouldSucceed()
    {
        Assert.True(ExitCode == 0, $"expected success, got exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        return this;
    }

    public ToolRun ShouldFail(int exitCode, string code)
    {
        Assert.True(ExitCode == exitCode, $"expected exit {exitCode}, got {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        Assert.Contains($"error {code}:", All);
        Assert.DoesNotContain("   at ", All); // never a stack trace
        return this;
    }
}
