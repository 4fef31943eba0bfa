using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Spps.Flow.Tests;

/// <summary>
/// A file the tools write survives a power loss once the command returns: the real spps, watched by strace,
/// writes a temp file, fsyncs it, renames it into place, and fsyncs the folder (issue 8, item 8).
/// </summary>
public sealed partial class DurabilityTests
{
    [Fact]
    public void A_written_file_is_fsynced_renamed_into_place_and_its_folder_fsynced()
    {
        using var temp = new TempFolder();
        var oe = new Site(temp.Path, "oe");
        File.WriteAllBytes(oe.PathOf("fabric.bin"), new byte[5000]);
        var trace = Path.Combine(temp.Path, "strace.txt");

        var run = Strace(oe, trace, "jdc", "create", "--design", "d", "--device", "M2S090TS", "--fabric", "fabric.bin", "-o", "d.jdc");
        run.ShouldSucceed();

        var calls = Calls(File.ReadAllLines(trace));
        var rename = calls.FindIndex(c => RenameInto().Match(c.Call) is { Success: true } m && m.Groups["to"].Value == oe.PathOf("d.jdc") && c.Result == "0");
        Assert.True(rename >= 0, "no successful rename onto d.jdc:\n" + string.Join("\n", calls.Select(c => c.Call)));
        var thread = calls[rename].Thread;
        var mine = calls.Select((c, i) => (c, i)).Where(x => x.c.Thread == thread).ToList();

        var tempPath = RenameInto().Match(calls[rename].Call).Groups["from"].Value;
        var tempFd = mine.Last(x => x.i < rename && x.c.Call.StartsWith($"openat(AT_FDCWD, \"{tempPath}\"", StringComparison.Ordinal)).c.Result;
        Assert.Contains(mine, x => x.i < rename && x.c.Call == $"fsync({tempFd})" && x.c.Result == "0");

        var folderOpen = mine.FirstOrDefault(x => x.i > rename && x.c.Call.StartsWith($"openat(AT_FDCWD, \"{oe.Work}\", O_RDONLY", StringComparison.Ordinal));
        Assert.True(folderOpen.c is not null, "the folder was not opened after the rename");
        Assert.Contains(mine, x => x.i > folderOpen.i && x.c.Call == $"fsync({folderOpen.c!.Result})" && x.c.Result == "0");
    }

    private sealed record Syscall(string Thread, string Call, string Result);

    /// <summary>strace -f lines, with calls that other threads interrupted ("unfinished ... resumed") put back together.</summary>
    private static List<Syscall> Calls(IEnumerable<string> lines)
    {
        var pending = new Dictionary<string, string>();
        var calls = new List<Syscall>();
        foreach (var line in lines)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0) continue;
            var (thread, text) = (line[..space], line[space..].Trim());
            if (text.EndsWith("<unfinished ...>", StringComparison.Ordinal)) { pending[thread] = text[..^"<unfinished ...>".Length].TrimEnd(); continue; }
            if (text.StartsWith("<...", StringComparison.Ordinal) && pending.Remove(thread, out var start)) text = start + text[(text.IndexOf("resumed>", StringComparison.Ordinal) + "resumed>".Length)..];
            var result = Result().Match(text);
            if (result.Success) calls.Add(new Syscall(thread, text[..(result.Index + 1)].Trim(), result.Groups[1].Value));
        }
        return calls;
    }

    private static ToolRun Strace(Site site, string trace, params string[] args)
    {
        var info = new ProcessStartInfo("strace") { WorkingDirectory = site.Work, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-f", "-qq", "-s", "4096", "-e", "trace=openat,rename,renameat,renameat2,fsync", "-o", trace, "dotnet", Path.Combine(AppContext.BaseDirectory, "spps.dll"), .. args])
            info.ArgumentList.Add(a);
        info.Environment["SPPS_HOME"] = site.Home;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new ToolRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    [GeneratedRegex(@"\)\s+=\s+(-?\d+)(\s.*)?$")]
    private static partial Regex Result();

    [GeneratedRegex("^rename(?:at2?)?\\((?:AT_FDCWD, )?\"(?<from>[^\"]+)\", (?:AT_FDCWD, )?\"(?<to>[^\"]+)\"")]
    private static partial Regex RenameInto();
}
