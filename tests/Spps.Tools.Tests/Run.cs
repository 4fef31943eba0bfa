using System.Diagnostics;

namespace Spps.Tools.Tests;

/// <summary>One process: what it printed (both streams, in order of arrival) and how it ended.</summary>
public sealed record Run(string Command, int ExitCode, string Output)
{
    public Run ShouldSucceed()
    {
        Assert.True(ExitCode == 0, $"{Command} exited {ExitCode}:\n{Output}");
        return this;
    }

    public static Run Start(string program, IEnumerable<string> arguments, string folder, IReadOnlyDictionary<string, string?> environment, string? stdin = null)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = folder, UseShellExecute = false,
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment)
        {
            if (value is null) info.Environment.Remove(name);
            else info.Environment[name] = value;
        }
        var output = new System.Text.StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        var command = $"{program} {string.Join(' ', info.ArgumentList)}";
        if (!process.WaitForExit(TimeSpan.FromMinutes(15)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} did not finish in 15 minutes:\n{output}");
        }
        process.WaitForExit();
        lock (output) return new Run(command, process.ExitCode, output.ToString());
    }
}
